// The trainer's data-dependent start of D's weight normalisation (config.weightNormInit 'data'):
// training pictures spread evenly over the set (a folder's classes come one after another) are
// read back once, D's weights are read, nn/weightNormInit.ts sets g and the biases from them on
// the CPU, and the weights go back. It runs when a trainer is built, before the first step; a
// resumed run then loads its checkpoint's weights over them.
import type { GpuDataset } from '../data/dataset.js';
import type { GpuContext } from '../gpu/context.js';
import type { NetworkParameters } from '../nn/network.js';
import { initializeWeightNormFromData, multiplyAddsPerPicture } from '../nn/weightNormInit.js';
import { seededRandom } from './interpolate.js';

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
  return () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}

/** Rows 0, n/k, 2n/k, … of the dataset as D reads them, in [−1, 1] for bytes. */
async function readSpreadRows(ctx: GpuContext, dataset: GpuDataset, rows: number): Promise<Float32Array> {
  const { dim, count } = dataset;
  const out = new Float32Array(rows * dim);
  for (let r = 0; r < rows; r++) {
    const row = Math.floor((r * count) / rows);
    if (!dataset.packedU8) {
      out.set(await ctx.readF32(dataset.buffer, row * dim * 4, dim), r * dim);
      continue;
    }
    // Copies start and end on 4-byte boundaries; the row is a slice of that.
    const start = row * dim;
    const aligned = start - (start % 4);
    const bytes = new Uint8Array(
      await ctx.readBytes(dataset.buffer, aligned, Math.ceil((start + dim - aligned) / 4) * 4),
    );
    for (let i = 0; i < dim; i++) out[r * dim + i] = (2 * bytes[start - aligned + i]! - 255) * BYTE_SCALE;
  }
  return out;
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
