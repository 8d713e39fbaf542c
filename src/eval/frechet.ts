// The Fréchet distance between two Gaussians fitted to feature vectors, in float64 on the CPU:
//   d² = |μ₁ − μ₂|² + Tr(Σ₁ + Σ₂ − 2 (Σ₁ Σ₂)^½)
// Tr (Σ₁ Σ₂)^½ is taken as Tr (A Σ₂ A)^½ with A = Σ₁^½: the same eigenvalues, but of a symmetric
// matrix, so both square roots come from symmetric eigendecompositions (ml-matrix), which are
// stable and real. Eigenvalues a hair below zero (rounding of a singular covariance) count as 0.
import { EigenvalueDecomposition, Matrix } from 'ml-matrix';
import { ArgumentError } from '../base/errors.js';
import { requireInstance, requireObject } from '../base/arguments.js';

/** A Gaussian fitted to `dim`-dimensional features: mean and row-major covariance, in float64. */
export interface FeatureStatistics {
  dim: number;
  mean: Float64Array;
  covariance: Float64Array;
  /** How many feature vectors they were computed from. */
  count: number;
}

export function frechetDistance(a: FeatureStatistics, b: FeatureStatistics): number {
  for (const [name, s] of [
    ['a', a],
    ['b', b],
  ] as const) {
    requireObject(name, s, 'FeatureStatistics (dim, mean, covariance, count)');
    requireInstance(`${name}.mean`, s.mean, Float64Array, 'a Float64Array');
    requireInstance(`${name}.covariance`, s.covariance, Float64Array, 'a Float64Array');
  }
  if (a.dim !== b.dim) throw new ArgumentError('b', `has ${b.dim} features, but a has ${a.dim}`);
  for (const [name, s] of [
    ['a', a],
    ['b', b],
  ] as const) {
    if (s.mean.length !== s.dim || s.covariance.length !== s.dim * s.dim)
      throw new ArgumentError(name, `needs a mean of ${s.dim} and a ${s.dim}×${s.dim} covariance`);
    if (![...s.mean, ...s.covariance].every(Number.isFinite))
      throw new ArgumentError(name, 'has a NaN or infinite mean or covariance');
  }
  let meanTerm = 0;
  for (let i = 0; i < a.dim; i++) meanTerm += (a.mean[i]! - b.mean[i]!) ** 2;
  const covA = toMatrix(a);
  const covB = toMatrix(b);
  const rootA = symmetricSquareRoot(covA);
  const product = rootA.mmul(covB).mmul(rootA);
  const traceRoot = symmetricEigenvalues(symmetrise(product)).reduce((sum, e) => sum + Math.sqrt(Math.max(e, 0)), 0);
  const distance = meanTerm + covA.trace() + covB.trace() - 2 * traceRoot;
  // Rounding can leave a distance of two equal Gaussians a little below zero.
  return Math.max(distance, 0);
}

function toMatrix(s: FeatureStatistics): Matrix {
  const m = new Matrix(s.dim, s.dim);
  for (let i = 0; i < s.dim; i++) for (let j = 0; j < s.dim; j++) m.set(i, j, s.covariance[i * s.dim + j]!);
  return symmetrise(m);
}

/** (M + Mᵀ)/2: removes the rounding asymmetry of a computed covariance or product. */
function symmetrise(m: Matrix): Matrix {
  return m.add(m.transpose()).mul(0.5);
}

function symmetricEigenvalues(m: Matrix): number[] {
  return new EigenvalueDecomposition(m, { assumeSymmetric: true }).realEigenvalues;
}

/** V · diag(√max(λ, 0)) · Vᵀ for symmetric M = V · diag(λ) · Vᵀ. */
function symmetricSquareRoot(m: Matrix): Matrix {
  const decomposition = new EigenvalueDecomposition(m, { assumeSymmetric: true });
  const vectors = decomposition.eigenvectorMatrix;
  const roots = decomposition.realEigenvalues.map((e) => Math.sqrt(Math.max(e, 0)));
  return vectors.mmul(Matrix.diag(roots)).mmul(vectors.transpose());
}
