// The classical restoration for each degradation, on one-channel pictures with values in [0, 1]:
// bicubic upscaling (downscale), Richardson–Lucy deconvolution (blur), a 3×3 median (salt and
// pepper), a Gaussian filter (Gaussian noise), the inverse of a known exposure curve and histogram
// equalisation (dark), and harmonic (mean-of-neighbours) filling of a hole (mask).
import type { Picture } from '../../src/eval/pictureQuality.js';

const at = (p: Picture, y: number, x: number) =>
  p.values[Math.min(p.height - 1, Math.max(0, y)) * p.width + Math.min(p.width - 1, Math.max(0, x))]!;

/** Keys' cubic convolution kernel (a = −0.5), the usual "bicubic". */
function cubic(t: number): number {
  const s = Math.abs(t);
  if (s <= 1) return 1.5 * s ** 3 - 2.5 * s ** 2 + 1;
  if (s < 2) return -0.5 * s ** 3 + 2.5 * s ** 2 - 4 * s + 2;
  return 0;
}

/** Bicubic upscaling by `factor`, sample centres aligned (edge pixels repeated), clamped to [0, 1]. */
export function bicubicUpscale(p: Picture, factor: number): Picture {
  const [W, H] = [p.width * factor, p.height * factor];
  const values = new Float64Array(W * H);
  for (let y = 0; y < H; y++)
    for (let x = 0; x < W; x++) {
      const [sy, sx] = [(y + 0.5) / factor - 0.5, (x + 0.5) / factor - 0.5];
      const [fy, fx] = [Math.floor(sy), Math.floor(sx)];
      let sum = 0;
      for (let j = -1; j <= 2; j++)
        for (let i = -1; i <= 2; i++) sum += cubic(sy - (fy + j)) * cubic(sx - (fx + i)) * at(p, fy + j, fx + i);
      values[y * W + x] = Math.min(1, Math.max(0, sum));
    }
  return { width: W, height: H, values };
}

/** Correlates with a centred kernel, renormalised over the taps inside the picture (as the blur operator is). */
export function convolve(p: Picture, taps: ArrayLike<number>, side: number): Float64Array {
  const r = (side - 1) / 2;
  const out = new Float64Array(p.width * p.height);
  for (let y = 0; y < p.height; y++)
    for (let x = 0; x < p.width; x++) {
      let [sum, weight] = [0, 0];
      for (let a = 0; a < side; a++)
        for (let b = 0; b < side; b++) {
          const [qy, qx] = [y + a - r, x + b - r];
          if (qy < 0 || qy >= p.height || qx < 0 || qx >= p.width) continue;
          sum += taps[a * side + b]! * p.values[qy * p.width + qx]!;
          weight += taps[a * side + b]!;
        }
      out[y * p.width + x] = weight > 0 ? sum / weight : 0;
    }
  return out;
}

/**
 * Richardson–Lucy: x ← x · Aᵀ(y / A x), from x = y, with A the border-renormalised blur of a
 * symmetric kernel (Aᵀ is applied as A, exact inside the picture, close at its border).
 */
export function richardsonLucy(p: Picture, taps: ArrayLike<number>, side: number, iterations = 30): Picture {
  const eps = 1e-6;
  let x = Float64Array.from(p.values, (v) => Math.max(eps, v));
  for (let k = 0; k < iterations; k++) {
    const blurred = convolve({ ...p, values: x }, taps, side);
    const ratio = Float64Array.from(p.values, (v, i) => Math.max(0, v) / Math.max(eps, blurred[i]!));
    const back = convolve({ ...p, values: ratio }, taps, side);
    x = Float64Array.from(x, (v, i) => Math.min(1, v * back[i]!));
  }
  return { ...p, values: x };
}

/** The median of each pixel's 3×3 neighbourhood (edge pixels repeated). */
export function median3(p: Picture): Picture {
  const values = new Float64Array(p.width * p.height);
  const window: number[] = [];
  for (let y = 0; y < p.height; y++)
    for (let x = 0; x < p.width; x++) {
      window.length = 0;
      for (let dy = -1; dy <= 1; dy++) for (let dx = -1; dx <= 1; dx++) window.push(at(p, y + dy, x + dx));
      window.sort((u, v) => u - v);
      values[y * p.width + x] = window[4]!;
    }
  return { ...p, values };
}

/** A Gaussian filter of `sigma` pixels (cut at 3σ), renormalised at the border. */
export function gaussianFilter(p: Picture, sigma: number): Picture {
  const r = Math.max(1, Math.ceil(3 * sigma));
  const side = 2 * r + 1;
  const taps: number[] = [];
  for (let a = 0; a < side; a++)
    for (let b = 0; b < side; b++) taps.push(Math.exp(-((a - r) ** 2 + (b - r) ** 2) / (2 * sigma * sigma)));
  return { ...p, values: convolve(p, taps, side) };
}

/** Inverts u' = lift + gain · u^gamma, clamped to [0, 1]. */
export function inverseExposure(p: Picture, curve: { gain: number; gamma: number; lift: number }): Picture {
  const invert = (v: number) => Math.min(1, Math.max(0, (v - curve.lift) / curve.gain)) ** (1 / curve.gamma);
  return { ...p, values: Float64Array.from(p.values, invert) };
}

/** Histogram equalisation over 256 grey levels: each value to its level's cumulative share, rescaled to [0, 1]. */
export function equalizeHistogram(p: Picture): Picture {
  const level = (v: number) => Math.min(255, Math.max(0, Math.round(v * 255)));
  const counts = new Float64Array(256);
  for (let i = 0; i < p.values.length; i++) counts[level(p.values[i]!)]!++;
  const cdf = new Float64Array(256);
  let running = 0;
  for (let l = 0; l < 256; l++) cdf[l] = running += counts[l]!;
  const first = cdf.find((c) => c > 0)!;
  const n = p.values.length;
  const map = (v: number) => (n === first ? v : (cdf[level(v)]! - first) / (n - first));
  return { ...p, values: Float64Array.from(p.values, map) };
}

/**
 * Harmonic fill: the unknown pixels (known[i] = 0) take the mean of their 4 neighbours until the
 * fill settles (Gauss–Seidel sweeps, the discrete Laplace equation with the known pixels as its boundary).
 */
export function harmonicFill(p: Picture, known: ArrayLike<number>, sweeps = 2000, tolerance = 1e-9): Picture {
  const values = Float64Array.from(p.values);
  const { width: W, height: H } = p;
  const holes = [...values.keys()].filter((i) => known[i] === 0);
  for (let s = 0; s < sweeps; s++) {
    let change = 0;
    for (const i of holes) {
      const [y, x] = [Math.floor(i / W), i % W];
      let [sum, count] = [0, 0];
      for (const [dy, dx] of [
        [-1, 0],
        [1, 0],
        [0, -1],
        [0, 1],
      ] as const) {
        if (y + dy < 0 || y + dy >= H || x + dx < 0 || x + dx >= W) continue;
        sum += values[(y + dy) * W + x + dx]!;
        count++;
      }
      const next = sum / count;
      change = Math.max(change, Math.abs(next - values[i]!));
      values[i] = next;
    }
    if (change < tolerance) break;
  }
  return { ...p, values };
}
