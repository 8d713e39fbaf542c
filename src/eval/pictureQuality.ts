// Picture quality against the truth: PSNR and SSIM on one-channel pictures with values in [0, 1],
// as the restoration benchmark and the demo's Restore panel report them.
// SSIM is Wang et al. 2004's: a 7×7 Gaussian window (σ = 1.5), K1 = 0.01, K2 = 0.03, data range
// 1, averaged over the window positions that lie wholly inside the picture (no padding).

import { requireArrayLike, requireObject } from '../base/arguments.js';
import { ArgumentError } from '../base/errors.js';

export interface Picture {
  width: number;
  height: number;
  /** Row by row, in [0, 1]. */
  values: ArrayLike<number>;
}

/** 10·log10(1 / MSE) in dB; Infinity for identical pictures. */
export function psnr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  requireArrayLike('a', a, 'a picture as numbers in [0, 1]');
  requireArrayLike('b', b, 'a picture as numbers in [0, 1]');
  if (a.length !== b.length || a.length === 0)
    throw new ArgumentError(
      'b',
      `holds ${b.length} values against a's ${a.length}; PSNR compares two same-sized pictures`,
    );
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += (a[i]! - b[i]!) ** 2;
  const mse = sum / a.length;
  return mse === 0 ? Number.POSITIVE_INFINITY : 10 * Math.log10(1 / mse);
}

export const SSIM_WINDOW = 7;
export const SSIM_SIGMA = 1.5;

function gaussianWindow(side: number, sigma: number): number[] {
  const r = (side - 1) / 2;
  const w: number[] = [];
  for (let y = 0; y < side; y++)
    for (let x = 0; x < side; x++) w.push(Math.exp(-((x - r) ** 2 + (y - r) ** 2) / (2 * sigma ** 2)));
  const total = w.reduce((s, v) => s + v, 0);
  return w.map((v) => v / total);
}

const WINDOW = gaussianWindow(SSIM_WINDOW, SSIM_SIGMA);

/** Mean SSIM of two same-sized pictures (at least 7×7). */
export function ssim(a: Picture, b: Picture): number {
  requireObject('a', a, 'a picture { width, height, values }');
  requireObject('b', b, 'a picture { width, height, values }');
  requireArrayLike('a.values', a.values, 'numbers in [0, 1]');
  requireArrayLike('b.values', b.values, 'numbers in [0, 1]');
  const { width: W, height: H } = a;
  if (b.width !== W || b.height !== H || !(W >= SSIM_WINDOW && H >= SSIM_WINDOW))
    throw new ArgumentError('b', `SSIM needs two pictures of one size, at least ${SSIM_WINDOW}×${SSIM_WINDOW}`);
  if (a.values.length !== W * H || b.values.length !== W * H)
    throw new ArgumentError('values', `a picture of ${W}×${H} holds ${W * H} values`);
  const [c1, c2] = [0.01 ** 2, 0.03 ** 2];
  let total = 0;
  let count = 0;
  for (let y = 0; y + SSIM_WINDOW <= H; y++)
    for (let x = 0; x + SSIM_WINDOW <= W; x++) {
      let [ma, mb, saa, sbb, sab] = [0, 0, 0, 0, 0];
      for (let dy = 0; dy < SSIM_WINDOW; dy++)
        for (let dx = 0; dx < SSIM_WINDOW; dx++) {
          const w = WINDOW[dy * SSIM_WINDOW + dx]!;
          const [u, v] = [a.values[(y + dy) * W + x + dx]!, b.values[(y + dy) * W + x + dx]!];
          ma += w * u;
          mb += w * v;
          saa += w * u * u;
          sbb += w * v * v;
          sab += w * u * v;
        }
      const [va, vb, cov] = [saa - ma * ma, sbb - mb * mb, sab - ma * mb];
      total += ((2 * ma * mb + c1) * (2 * cov + c2)) / ((ma * ma + mb * mb + c1) * (va + vb + c2));
      count++;
    }
  return total / count;
}
