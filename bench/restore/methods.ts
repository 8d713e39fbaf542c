// What each degradation of the benchmark is and which classical baselines undo it. Pictures here
// are one channel, side × side, values in [0, 1]; the GPU's pictures are in [−1, 1].
import type { Degradation } from '../../src/restore/spec.js';
import { gaussianTaps } from '../../src/restore/taps.js';
import {
  bicubicUpscale,
  equalizeHistogram,
  gaussianFilter,
  harmonicFill,
  inverseExposure,
  median3,
  richardsonLucy,
} from './classical.js';
import type { Picture } from '../../src/eval/pictureQuality.js';

/** Each degradation at its default (salt and pepper: a tenth of the pixels, no Gaussian noise). */
export const BENCH_DEGRADATIONS = [
  'mask',
  'blur',
  'noise',
  'noise:sigma=0,salt=0.1',
  'downscale:factor=2',
  'downscale:factor=4',
  'dark',
];

export interface Baseline {
  name: string;
  /** The restored side × side picture from the degraded one (its own size) and the mask's known values. */
  restore(degraded: Picture, known: Float64Array): Picture;
}

/** The degraded picture as it is, for the chains that keep its size: what any method must beat. */
const UNRESTORED: Baseline = { name: 'degraded, as it is', restore: (p) => p };

/** The classical baselines for a single-stage chain, after the degraded picture itself where it is full size. */
export function classicalBaselines(chain: readonly Degradation[]): Baseline[] {
  const shrinks = chain.some((d) => d.kind === 'downscale');
  return [...(shrinks ? [] : [UNRESTORED]), ...classicalMethods(chain)];
}

function classicalMethods(chain: readonly Degradation[]): Baseline[] {
  if (chain.length !== 1) return [];
  const d = chain[0]!;
  switch (d.kind) {
    case 'mask':
      return [{ name: 'harmonic fill', restore: (p, known) => harmonicFill(p, known) }];
    case 'blur': {
      const { taps, height } = gaussianTaps(d.sigma);
      return [{ name: 'Richardson–Lucy (30 it.)', restore: (p) => richardsonLucy(p, taps, height, 30) }];
    }
    case 'noise':
      return d.salt > 0 && d.sigma === 0
        ? [{ name: 'median 3×3', restore: median3 }]
        : [
            { name: 'Gaussian filter σ=1', restore: (p) => gaussianFilter(p, 1) },
            { name: 'median 3×3', restore: median3 },
          ];
    case 'downscale':
      return [{ name: 'bicubic', restore: (p) => bicubicUpscale(p, d.factor) }];
    case 'exposure':
      return [
        { name: 'inverse curve', restore: (p) => inverseExposure(p, d) },
        { name: 'histogram equalisation', restore: equalizeHistogram },
      ];
  }
}

/** 1 where a value survives the chain's masks, per pixel of the clean picture. */
export function knownValues(chain: readonly Degradation[], side: number): Float64Array {
  const known = new Float64Array(side * side).fill(1);
  for (const d of chain)
    if (d.kind === 'mask')
      for (let y = d.first; y <= Math.min(d.last, side - 1); y++) known.fill(0, y * side, (y + 1) * side);
  return known;
}

export const toUnit = (values: ArrayLike<number>) => Float64Array.from(values as ArrayLike<number>, (v) => (v + 1) / 2);
