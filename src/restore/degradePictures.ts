// Degrading pictures held on the CPU: uploaded, run through the chain's kernels once, read back.
// What `restore --degrade-only`, the restoration benchmark and the demo's Restore panel use to
// make a degraded picture from a clean one; a trainer degrades on the GPU in its own step instead.
// And a downscaled picture blown up to the clean side, to be shown (or scored) beside the others.
import { requireArrayLike, requireContext, requireObject } from '../base/arguments.js';
import { ArgumentError, requirePositiveInteger } from '../base/errors.js';
import type { GpuContext } from '../gpu/context.js';
import { pictureSize, type ImageGeometry } from '../kernels/degrade.js';
import { buildDegradationChain, type ChainOptions } from './operator.js';
import type { Degradation } from './spec.js';

/**
 * `geometry.rows` clean pictures (rows × C×H×W values in [−1, 1]) degraded by `chain`; the
 * result has the chain's output geometry (downscaling shrinks it). Noise comes from each noise
 * stage's seed, so the same call gives the same pictures.
 */
export async function degradePictures(
  ctx: GpuContext,
  chain: readonly Degradation[],
  geometry: ImageGeometry,
  clean: ArrayLike<number>,
  extra: Pick<ChainOptions, 'mask' | 'blurKernel'> = {},
): Promise<Float32Array> {
  requireContext(ctx);
  requireObject('geometry', geometry, 'an object { rows, channels, height, width }');
  requireArrayLike('clean', clean, 'clean pictures as numbers in [−1, 1]');
  requireObject('extra', extra, 'an object { mask?, blurKernel? }');
  if (clean.length !== geometry.rows * pictureSize(geometry))
    throw new ArgumentError(
      'clean',
      `holds ${clean.length} values; geometry asks for rows × channels × height × width = ` +
        `${geometry.rows * pictureSize(geometry)}`,
    );
  const input = ctx.memory.createStorage('clean pictures', Float32Array.from(clean));
  try {
    const degradation = await buildDegradationChain(ctx, chain, { geometry, purpose: 'degrade', input, ...extra });
    try {
      const encoder = ctx.device.createCommandEncoder({ label: 'degrade' });
      const pass = encoder.beginComputePass({ label: 'degrade' });
      for (const kernel of degradation.forward) kernel.record(pass);
      pass.end();
      ctx.submit([encoder.finish()]);
      return await ctx.readF32(degradation.output);
    } finally {
      degradation.destroy();
    }
  } finally {
    ctx.memory.release(input);
  }
}

/**
 * One picture of `geometry`'s channels × height × width values blown up to side × side by
 * repeating pixels (nearest neighbour): how a downscaled picture is shown at the clean size. A
 * picture already `side` wide comes back as a copy.
 */
export function upscaleNearest(
  values: ArrayLike<number>,
  geometry: Pick<ImageGeometry, 'channels' | 'height' | 'width'>,
  side: number,
): Float32Array {
  requireArrayLike('values', values, 'a picture as numbers, planar C×H×W');
  requireObject('geometry', geometry, 'an object { channels, height, width }');
  requirePositiveInteger('side', side);
  const { channels, height, width } = geometry;
  if (values.length !== channels * height * width)
    throw new ArgumentError('values', `holds ${values.length} values, not ${channels}×${height}×${width}`);
  if (width === side && height === side) return Float32Array.from(values);
  const out = new Float32Array(channels * side * side);
  for (let c = 0; c < channels; c++)
    for (let y = 0; y < side; y++)
      for (let x = 0; x < side; x++) {
        const [sy, sx] = [Math.floor((y * height) / side), Math.floor((x * width) / side)];
        out[(c * side + y) * side + x] = Number(values[(c * height + sy) * width + sx]);
      }
  return out;
}
