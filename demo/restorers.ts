// The Restore panel's tools: the restorers the package ships for MNIST digits
// (models/mnist-restore-*.safetensors, made by scripts/shipped-models.sh), fetched the first time
// one is asked for and kept on the GPU for the next picture, beside those trained in the page;
// MNIST's test digits, fetched once, as the pictures whose truth is known; and a dropped picture
// read as a degraded one.
import {
  decodePicture,
  decodeRestorer,
  degradePictures,
  type GpuContext,
  prepareImage,
  psnr,
  restorationKey,
  TrainedRestorer,
} from 'webgpu-gan';
import blurUrl from '../models/mnist-restore-blur.safetensors?url';
import darkUrl from '../models/mnist-restore-dark.safetensors?url';
import downscale2Url from '../models/mnist-restore-downscale2.safetensors?url';
import downscale4Url from '../models/mnist-restore-downscale4.safetensors?url';
import maskUrl from '../models/mnist-restore-mask.safetensors?url';
import noiseUrl from '../models/mnist-restore-noise.safetensors?url';
import saltUrl from '../models/mnist-restore-salt.safetensors?url';
import { mnistTestImages } from './mnist.js';
import { TEST_DIGIT } from './page.js';
import { type TrainingImages, valuesPerImage } from './pictures.js';
import { valuesOf } from './repair.js';
import type { TrainedHere } from './restoreTraining.js';

/** A shipped restorer: what it undoes (restorationKey's text, as the CLI names it), said in words. */
export interface RestorerChoice {
  key: string;
  label: string;
  url: string;
}

export const SHIPPED_CHOICES: readonly RestorerChoice[] = [
  { key: 'blur:sigma=1.5', label: 'Blurred (Gaussian, σ = 1.5)', url: blurUrl },
  { key: 'noise:sigma=0.2,salt=0', label: 'Noisy (Gaussian, σ = 0.2)', url: noiseUrl },
  { key: 'noise:sigma=0,salt=0.1', label: 'Salt and pepper (10% of pixels)', url: saltUrl },
  { key: 'downscale:factor=2', label: 'Downscaled ×2 (14×14)', url: downscale2Url },
  { key: 'downscale:factor=4', label: 'Downscaled ×4 (7×7)', url: downscale4Url },
  { key: 'exposure:gain=0.4,gamma=1.5,lift=0', label: 'Too dark (gain 0.4, gamma 1.5)', url: darkUrl },
  { key: 'mask:first=11,last=18', label: 'Rows 11–18 erased', url: maskUrl },
];

/**
 * The restorers on one device: the shipped ones, each fetched and loaded once, and those trained in
 * the page (restoreTraining.ts), kept as files so that a replacement device loads them again.
 */
export class RestorerShelf {
  private ctx: GpuContext | null = null;
  private readonly loading = new Map<string, Promise<TrainedRestorer>>();
  private readonly loaded: TrainedRestorer[] = [];
  private readonly own = new Map<string, TrainedHere>();

  /** The restorer for `choice` on `ctx` (the one trained here where `own`); the first call for it loads it. */
  get(ctx: GpuContext, choice: RestorerChoice, own = false): Promise<TrainedRestorer> {
    if (ctx !== this.ctx) {
      this.destroy();
      this.ctx = ctx;
    }
    const slot = `${own ? 'own' : 'shipped'} ${choice.key}`;
    let restorer = this.loading.get(slot);
    if (!restorer) {
      restorer = own ? this.loadOwn(ctx, choice) : this.load(ctx, choice);
      this.loading.set(slot, restorer);
      restorer.catch(() => this.loading.delete(slot)); // a failed fetch is tried again next time
    }
    return restorer;
  }

  /** The restorer trained here for `key`'s damage, if any. */
  ownFor(key: string): TrainedHere | undefined {
    return this.own.get(key);
  }

  /**
   * Keeps a restorer trained here for `key`'s damage, in place of an earlier one. The earlier one's
   * GPU copy stays until the device goes (a restoration may be using it now); it is small.
   */
  setOwn(key: string, trained: TrainedHere): void {
    this.own.set(key, trained);
    this.loading.delete(`own ${key}`);
  }

  /** Frees the GPU copies; the files of restorers trained here are kept for the next device. */
  destroy(): void {
    for (const restorer of this.loaded.splice(0)) restorer.destroy();
    this.loading.clear();
    this.ctx = null;
  }

  private async load(ctx: GpuContext, choice: RestorerChoice): Promise<TrainedRestorer> {
    const response = await fetch(choice.url);
    if (!response.ok)
      throw new Error(`the restorer for "${choice.label}" could not be fetched (HTTP ${response.status})`);
    const file = decodeRestorer(new Uint8Array(await response.arrayBuffer()));
    const undoes = restorationKey(file.settings.degradation);
    if (undoes !== choice.key) throw new Error(`the restorer file for ${choice.key} undoes ${undoes} instead`);
    return this.keep(ctx, TrainedRestorer.fromFile(ctx, file));
  }

  private async loadOwn(ctx: GpuContext, choice: RestorerChoice): Promise<TrainedRestorer> {
    const trained = this.own.get(choice.key);
    if (!trained) throw new Error(`no restorer for "${choice.label}" was trained here yet`);
    return this.keep(ctx, TrainedRestorer.fromFile(ctx, trained.file));
  }

  private keep(ctx: GpuContext, restorer: TrainedRestorer): TrainedRestorer {
    if (this.ctx === ctx) this.loaded.push(restorer);
    else restorer.destroy(); // the device was replaced while it loaded
    return restorer;
  }
}

/** A random test digit (or the one the URL names) as values in [−1, 1], with its index in the test set. */
export async function randomTestDigit(): Promise<{ values: Float32Array; index: number }> {
  const digits = await mnistTestImages();
  const index = TEST_DIGIT === null ? Math.floor(Math.random() * digits.count) : TEST_DIGIT - 1;
  const size = digits.side * digits.side;
  return { values: valuesOf(digits.pixels.subarray(index * size, (index + 1) * size)), index };
}

/**
 * A random one of the visitor's pictures as values in [−1, 1], with its index: the truth for a
 * restorer trained on them (a training picture, not a held-out one: the page keeps none back).
 */
export function randomPicture(images: TrainingImages): { values: Float32Array; index: number } {
  const index = Math.floor(Math.random() * images.count);
  const size = valuesPerImage(images);
  return { values: valuesOf(images.pixels.subarray(index * size, (index + 1) * size)), index };
}

/** `clean` degraded as the restorer's chain says, on the GPU, with noise of a new seed each time. */
export function degradeLike(ctx: GpuContext, restorer: TrainedRestorer, clean: Float32Array): Promise<Float32Array> {
  const seed = Math.floor(Math.random() * 0xffffffff);
  const chain = restorer.settings.degradation.map((d) => (d.kind === 'noise' ? { ...d, seed } : d));
  const { side, channels } = restorer.settings;
  return degradePictures(ctx, chain, { rows: 1, channels, height: side, width: side }, clean);
}

/** A dropped or chosen picture file read as the restorer's input: its channels, at the side its chain leaves. */
export async function readDroppedPicture(file: File, restorer: TrainedRestorer): Promise<Float32Array> {
  const decoded = decodePicture(new Uint8Array(await file.arrayBuffer()));
  if ('reason' in decoded) throw new Error(`${file.name} could not be read: ${decoded.reason}`);
  const { inputSide, channels } = restorer.settings;
  return valuesOf(prepareImage(decoded.image, inputSide, channels));
}

/** PSNR in dB of two pictures of values in [−1, 1], taken to [0, 1] as the benchmark scores them. */
export const psnrOf = (a: Float32Array, b: Float32Array) =>
  psnr(
    Array.from(a, (v) => (v + 1) / 2),
    Array.from(b, (v) => (v + 1) / 2),
  );
