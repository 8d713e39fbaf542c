// The trained models the package ships in models/ (made by scripts/shipped-models.sh): model files
// (modelFile.ts), read with readCheckpointFile like a run's checkpoint.
import { fileURLToPath } from 'node:url';
import { requireString } from '../base/arguments.js';
import { ArgumentError } from '../base/errors.js';

/** Each shipped model's name → its file in models/. */
export const SHIPPED_MODELS = {
  mnist: 'mnist-gan.safetensors',
  'fashion-mnist': 'fashion-mnist-gan.safetensors',
} as const;

export type ShippedModel = keyof typeof SHIPPED_MODELS;

function requireShipped(name: ShippedModel): void {
  requireString('name', name, 'the name of a shipped model');
  if (!Object.hasOwn(SHIPPED_MODELS, name))
    throw new ArgumentError('name', `must be ${Object.keys(SHIPPED_MODELS).join(' or ')}, got ${JSON.stringify(name)}`);
}

/** Where the package keeps a shipped model: models/ beside dist/ and src/ (this module is one level down in either). */
export function shippedModelPath(name: ShippedModel): string {
  requireShipped(name);
  return fileURLToPath(new URL(`../../models/${SHIPPED_MODELS[name]}`, import.meta.url));
}

/**
 * The restorers the package ships (`train --task restore`, see scripts/shipped-models.sh) for a
 * shipped model's data, by the degradation each undoes (restorationKey): `restore
 * --checkpoint mnist` takes one where the degradation matches, and searches the GAN's noise otherwise.
 */
export const SHIPPED_RESTORERS: Record<ShippedModel, Readonly<Record<string, string>>> = {
  mnist: {
    'blur:sigma=1.5': 'mnist-restore-blur.safetensors',
    'noise:sigma=0.2,salt=0': 'mnist-restore-noise.safetensors',
    'noise:sigma=0,salt=0.1': 'mnist-restore-salt.safetensors',
    'downscale:factor=2': 'mnist-restore-downscale2.safetensors',
    'downscale:factor=4': 'mnist-restore-downscale4.safetensors',
    'exposure:gain=0.4,gamma=1.5,lift=0': 'mnist-restore-dark.safetensors',
    'mask:first=11,last=18': 'mnist-restore-mask.safetensors',
  },
  'fashion-mnist': {
    'blur:sigma=1.5': 'fashion-mnist-restore-blur.safetensors',
    'noise:sigma=0.2,salt=0': 'fashion-mnist-restore-noise.safetensors',
    'noise:sigma=0,salt=0.1': 'fashion-mnist-restore-salt.safetensors',
    'downscale:factor=2': 'fashion-mnist-restore-downscale2.safetensors',
    'downscale:factor=4': 'fashion-mnist-restore-downscale4.safetensors',
    'exposure:gain=0.4,gamma=1.5,lift=0': 'fashion-mnist-restore-dark.safetensors',
    'mask:first=11,last=18': 'fashion-mnist-restore-mask.safetensors',
  },
};

/** The shipped restorer of `name`'s data that undoes `degradation` (restorationKey's text), or null. */
export function shippedRestorerPath(name: ShippedModel, degradation: string): string | null {
  requireShipped(name);
  requireString('degradation', degradation, 'a degradation as restorationKey writes it');
  const file = Object.hasOwn(SHIPPED_RESTORERS[name], degradation) ? SHIPPED_RESTORERS[name][degradation] : undefined;
  return file ? fileURLToPath(new URL(`../../models/${file}`, import.meta.url)) : null;
}
