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

/** Where the package keeps a shipped model: models/ beside dist/ and src/ (this module is one level down in either). */
export function shippedModelPath(name: ShippedModel): string {
  requireString('name', name, 'the name of a shipped model');
  if (!Object.hasOwn(SHIPPED_MODELS, name))
    throw new ArgumentError('name', `must be ${Object.keys(SHIPPED_MODELS).join(' or ')}, got ${JSON.stringify(name)}`);
  return fileURLToPath(new URL(`../../models/${SHIPPED_MODELS[name]}`, import.meta.url));
}
