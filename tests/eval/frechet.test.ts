// The Fréchet distance in float64 (src/eval/frechet.ts) against closed forms: diagonal
// covariances, where (Σ₁Σ₂)^½ is the elementwise root, and the distance of a Gaussian to itself.
import { describe, expect, it } from 'vitest';
import { Matrix } from 'ml-matrix';
import { frechetDistance, type FeatureStatistics } from '../../src/eval/frechet.js';
import { ArgumentError } from '../../src/index.js';
import { seededRandom } from '../../reference/numeric.js';

function diagonal(mean: number[], variances: number[]): FeatureStatistics {
  const dim = mean.length;
  const covariance = new Float64Array(dim * dim);
  variances.forEach((v, i) => {
    covariance[i * dim + i] = v;
  });
  return { dim, mean: Float64Array.from(mean), covariance, count: 100 };
}

/** A random covariance: R·Rᵀ/dim for a random dim×dim R, rotated so it is not diagonal. */
function randomGaussian(dim: number, seed: number): FeatureStatistics {
  const next = seededRandom(seed);
  const r = new Matrix(dim, dim);
  for (let i = 0; i < dim; i++) for (let j = 0; j < dim; j++) r.set(i, j, 2 * next() - 1);
  const covariance = Float64Array.from(r.mmul(r.transpose()).div(dim).to1DArray());
  return { dim, mean: Float64Array.from({ length: dim }, () => next()), covariance, count: 100 };
}

describe('Fréchet distance', () => {
  it('matches the closed form for diagonal covariances', () => {
    const a = diagonal([0, 1, 2], [1, 4, 0.25]);
    const b = diagonal([1, 1, 0], [9, 1, 0.25]);
    const want = 1 + 0 + 4 + (1 + 9 - 2 * 3) + (4 + 1 - 2 * 2) + (0.25 + 0.25 - 2 * 0.25);
    expect(frechetDistance(a, b)).toBeCloseTo(want, 10);
  });

  it('is 0 from a Gaussian to itself, symmetric, and positive for different ones', () => {
    const a = randomGaussian(40, 1);
    const b = randomGaussian(40, 2);
    expect(frechetDistance(a, a)).toBeLessThan(1e-9);
    expect(frechetDistance(a, b)).toBeGreaterThan(0.1);
    expect(frechetDistance(a, b)).toBeCloseTo(frechetDistance(b, a), 8);
  });

  it('handles a singular covariance (a repeated image has none)', () => {
    const a = diagonal([0, 0], [0, 0]);
    const b = diagonal([3, 4], [1, 1]);
    expect(frechetDistance(a, b)).toBeCloseTo(25 + 2, 10);
  });

  it('refuses mismatched or non-finite statistics by name', () => {
    expect(() => frechetDistance(diagonal([0], [1]), diagonal([0, 0], [1, 1]))).toThrow(ArgumentError);
    expect(() => frechetDistance(diagonal([Number.NaN], [1]), diagonal([0], [1]))).toThrow(/^a: has a NaN or infinite/);
  });
});
