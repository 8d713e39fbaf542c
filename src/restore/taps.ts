// Blur kernels as taps for createBlur (src/kernels/degrade.ts): a sampled Gaussian, or a picture.
import { ArgumentError } from '../base/errors.js';

export interface BlurTaps {
  /** height × width non-negative weights, row by row. */
  taps: Float32Array;
  height: number;
  width: number;
}

/** A Gaussian of standard deviation `sigma` pixels, cut at 3σ (over 99% of its weight), summing to 1. */
export function gaussianTaps(sigma: number): BlurTaps {
  const radius = Math.max(1, Math.ceil(3 * sigma));
  const side = 2 * radius + 1;
  const line = Array.from({ length: side }, (_, i) => Math.exp(-((i - radius) ** 2) / (2 * sigma * sigma)));
  const total = line.reduce((s, v) => s + v, 0);
  const taps = new Float32Array(side * side);
  for (let a = 0; a < side; a++) for (let b = 0; b < side; b++) taps[a * side + b] = (line[a]! * line[b]!) / total ** 2;
  return { taps, height: side, width: side };
}

/**
 * A kernel drawn as a picture: grey bytes, brighter meaning more weight (scaled to sum to 1 by
 * the kernel). Its sides must be odd so that it has a centre pixel.
 */
export function tapsFromPicture(grey: Uint8Array, width: number, height: number): BlurTaps {
  for (const [name, side] of [
    ['width', width],
    ['height', height],
  ] as const) {
    if (!Number.isInteger(side) || side < 1 || side % 2 === 0)
      throw new ArgumentError('blurKernel', `a kernel picture's ${name} must be odd (it needs a centre), got ${side}`);
  }
  if (grey.length !== width * height)
    throw new ArgumentError('blurKernel', `holds ${grey.length} values for ${width}×${height} pixels`);
  if (grey.every((v) => v === 0)) throw new ArgumentError('blurKernel', 'is black everywhere: it has no weight');
  return { taps: Float32Array.from(grey), height, width };
}
