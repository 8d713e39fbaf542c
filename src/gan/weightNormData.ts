// The trainer's data-dependent start of D's weight normalisation (config.weightNormInit 'data'):
// training pictures spread evenly over the set (a folder's classes come one after another) are
// read back once, D's weights are read, nn/weightNormInit.ts sets g and the biases from them on
// the CPU, and the weights go back. It runs when a trainer is built, before the first step; a
// resumed run then loads its checkpoint's weights over them.
import type { GpuDataset } from '../data/dataset.js';
import type { GpuContext } from '../gpu/context.js';
import type { NetworkParameters } from '../nn/network.js';
import { initializeWeightNormFromData, multiplyAddsPerPicture } from '../nn/weightNormInit.js';
import { seededRandom, standardNormal } from './interpolate.js';

/** Salimans et al.'s count, where the network is small enough for it. */
export const DATA_INIT_PICTURES = 500;
/** The least pictures a large convolutional D still takes, each channel's statistics over all their pixels. */
const FEWEST_PICTURES = 16;
/** About a second of float64 multiply-adds on one CPU core. */
const MULTIPLY_ADD_BUDGET = 1e9;

/** How many pictures the initialisation takes: 500, fewer where D's pass over them would take long. */
export function dataInitPictureCount(net: NetworkParameters, available: number): number {
  const affordable = Math.floor(MULTIPLY_ADD_BUDGET / Math.max(1, multiplyAddsPerPicture(net.layout)));
  return Math.min(available, DATA_INIT_PICTURES, Math.max(FEWEST_PICTURES, affordable));
}

/** The gather's 1/255 in float32 (shaders/gather.wgsl): the pictures here are the values D reads. */
const BYTE_SCALE = Math.fround(1 / 255);

/** Standard normal values from the seed (Box–Muller on seededRandom), for D's noise layers. */
export function seededNormal(seed: number): () => number {
  const random = seededRandom(seed);
  return () => standardNormal(random);
}

/** Rows 0, n/k, 2n/k, … of the dataset as D reads them (bytes to [−1, 1]), in one copy to the CPU. */
async function readSpreadRows(ctx: GpuContext, dataset: GpuDataset, rows: number): Promise<Float32Array> {
  const { dim, count } = dataset;
  const bytesPerValue = dataset.packedU8 ? 1 : 4;
  // Each row's bytes, widened to 4-byte boundaries as copies must be (the buffer is padded to them).
  const ranges = Array.from({ length: rows }, (_, r) => {
    const start = Math.floor((r * count) / rows) * dim * bytesPerValue;
    const from = start - (start % 4);
    return { start, from, size: Math.ceil((start + dim * bytesPerValue - from) / 4) * 4 };
  });
  const total = ranges.reduce((sum, r) => sum + r.size, 0);
  // Gathered into one buffer on the GPU, then read back once (readBytes throws if the device is lost).
  const gathered = ctx.memory.createStorage('data-dependent init pictures', total / 4);
  try {
    const encoder = ctx.device.createCommandEncoder({ label: 'data-dependent init pictures' });
    let at = 0;
    for (const r of ranges) {
      encoder.copyBufferToBuffer(dataset.buffer, r.from, gathered, at, r.size);
      at += r.size;
    }
    ctx.submit([encoder.finish()]);
    const bytes = new Uint8Array(await ctx.readBytes(gathered, 0, total));
    const out = new Float32Array(rows * dim);
    at = 0;
    for (const [r, range] of ranges.entries()) {
      const first = at + range.start - range.from;
      if (dataset.packedU8) for (let i = 0; i < dim; i++) out[r * dim + i] = (2 * bytes[first + i]! - 255) * BYTE_SCALE;
      else out.set(new Float32Array(bytes.buffer.slice(first, first + 4 * dim)), r * dim);
      at += range.size;
    }
    return out;
  } finally {
    ctx.memory.release(gathered);
  }
}

/**
 * Sets D's g and biases from the dataset's pictures, its noise layers' noise drawn on the CPU from
 * the seed; waits until the weights are written back.
 */
export async function initializeDiscriminatorFromData(
  ctx: GpuContext,
  discriminator: NetworkParameters,
  dataset: GpuDataset,
  leakySlope: number,
  seed: number,
): Promise<void> {
  const pictures = await readSpreadRows(ctx, dataset, dataInitPictureCount(discriminator, dataset.count));
  const flat = await ctx.readF32(discriminator.weights, 0, discriminator.layout.parameterFloats);
  initializeWeightNormFromData(discriminator.layout, flat, pictures, { leakySlope, normal: seededNormal(seed) });
  ctx.write(discriminator.weights, flat);
  await ctx.sync();
}
