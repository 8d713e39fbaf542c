// Float64 reference for batch normalisation over [N, C, S] (PyTorch's BatchNorm2d with S = H·W,
// BatchNorm1d with S = 1), written from the definitions: statistics per channel over N·S values,
// biased variance to normalise, unbiased variance for the running estimate, and the backward as
// the chain rule through the batch statistics. Each result also carries magnitudes: the sums of
// absolute terms that bound float32 rounding in the GPU's version, for float32Tolerance.
// Row groups (batchNormGroups*) normalise parts of a batch apart, as a GAN's discriminator does.
import type { BatchNormActivation } from '../src/kernels/batchNorm.js';
import { activate } from './cpu.js';

export interface BatchNormLayout {
  batch: number;
  channels: number;
  spatial: number;
}

export interface BatchNormAffine {
  gamma: ArrayLike<number>;
  beta: ArrayLike<number>;
  eps: number;
  activation?: BatchNormActivation;
  leakySlope?: number;
}

export interface BatchNormForwardResult {
  y: Float64Array;
  /** Per-element bound for y's rounding: |γ|·(|x| + |mean|)·invstd + |β| (before the activation). */
  yMagnitude: Float64Array;
}

export interface BatchNormTrainResult extends BatchNormForwardResult, BatchStatistics {
  runningMean: Float64Array;
  runningVar: Float64Array;
}

export interface BatchNormBackwardResult {
  dx: Float64Array;
  dgamma: Float64Array;
  dbeta: Float64Array;
  dxMagnitude: Float64Array;
  dgammaMagnitude: Float64Array;
  dbetaMagnitude: Float64Array;
}

/** Index of the k-th value (k = n·S + s) of channel c. */
function at(layout: BatchNormLayout, c: number, k: number): number {
  const n = Math.floor(k / layout.spatial);
  const s = k - n * layout.spatial;
  return (n * layout.channels + c) * layout.spatial + s;
}

function perChannel(layout: BatchNormLayout, x: ArrayLike<number>, c: number): number[] {
  const count = layout.batch * layout.spatial;
  return Array.from({ length: count }, (_, k) => x[at(layout, c, k)]!);
}

function activation(a: BatchNormAffine): { kind: 'none' | 'leaky-relu' | 'tanh' | 'sigmoid'; alpha: number } {
  const kind = a.activation ?? 'none';
  if (kind === 'relu') return { kind: 'leaky-relu', alpha: 0 };
  return { kind, alpha: a.leakySlope ?? 0.2 };
}

/** f'(z) at the pre-activation z, from the definition of each activation. */
function activationDerivative(a: BatchNormAffine, z: number): number {
  const { kind, alpha } = activation(a);
  if (kind === 'leaky-relu') return z > 0 ? 1 : alpha;
  if (kind === 'tanh') return 1 - Math.tanh(z) ** 2;
  if (kind === 'sigmoid') {
    const s = 1 / (1 + Math.exp(-z));
    return s * (1 - s);
  }
  return 1;
}

/** Normalises x by per-channel (mean, 1/sqrt(var + eps)), then the affine step and the activation. */
function normalise(
  x: ArrayLike<number>,
  layout: BatchNormLayout,
  a: BatchNormAffine,
  mean: ArrayLike<number>,
  invStd: ArrayLike<number>,
): BatchNormForwardResult {
  const y = new Float64Array(x.length);
  const yMagnitude = new Float64Array(x.length);
  const { kind, alpha } = activation(a);
  for (let i = 0; i < x.length; i++) {
    const c = Math.floor(i / layout.spatial) % layout.channels;
    const [g, b, m, s] = [a.gamma[c]!, a.beta[c]!, mean[c]!, invStd[c]!];
    y[i] = activate(kind, (x[i]! - m) * s * g + b, alpha);
    yMagnitude[i] = Math.abs(g) * (Math.abs(x[i]!) + Math.abs(m)) * s + Math.abs(b);
  }
  return { y, yMagnitude };
}

export interface RunningStatistics {
  mean: ArrayLike<number>;
  variance: ArrayLike<number>;
}

export interface BatchStatistics {
  mean: Float64Array;
  /** Biased variance (divided by N·S). */
  variance: Float64Array;
  invStd: Float64Array;
  /** Σ|x| / (N·S) per channel: the scale of the mean's rounding. */
  meanMagnitude: Float64Array;
}

/** Per-channel statistics over the N·S values of each channel (two passes, in float64). */
export function batchStatistics(x: ArrayLike<number>, layout: BatchNormLayout, eps: number): BatchStatistics {
  const count = layout.batch * layout.spatial;
  const stats: BatchStatistics = {
    mean: new Float64Array(layout.channels),
    variance: new Float64Array(layout.channels),
    invStd: new Float64Array(layout.channels),
    meanMagnitude: new Float64Array(layout.channels),
  };
  for (let c = 0; c < layout.channels; c++) {
    const values = perChannel(layout, x, c);
    const m = values.reduce((sum, v) => sum + v, 0) / count;
    const v = values.reduce((sum, value) => sum + (value - m) ** 2, 0) / count;
    stats.mean[c] = m;
    stats.variance[c] = v;
    stats.invStd[c] = 1 / Math.sqrt(v + eps);
    stats.meanMagnitude[c] = values.reduce((sum, value) => sum + Math.abs(value), 0) / count;
  }
  return stats;
}

/** One training step: batch statistics, the normalised output and the updated running estimates. */
export function batchNormTrainReference(
  x: ArrayLike<number>,
  layout: BatchNormLayout,
  a: BatchNormAffine,
  running: RunningStatistics,
  momentum: number,
): BatchNormTrainResult {
  const count = layout.batch * layout.spatial;
  const stats = batchStatistics(x, layout, a.eps);
  const runningMean = Float64Array.from(stats.mean, (m, c) => (1 - momentum) * running.mean[c]! + momentum * m);
  // The running variance takes the unbiased estimate, var·n/(n − 1), as PyTorch does.
  const runningVar = Float64Array.from(
    stats.variance,
    (v, c) => (1 - momentum) * running.variance[c]! + (momentum * v * count) / (count - 1),
  );
  return { ...normalise(x, layout, a, stats.mean, stats.invStd), ...stats, runningMean, runningVar };
}

/** Eval mode: normalised by the running estimates. */
export function batchNormEvalReference(
  x: ArrayLike<number>,
  layout: BatchNormLayout,
  a: BatchNormAffine,
  running: RunningStatistics,
): BatchNormForwardResult {
  const invStd = Array.from(running.variance, (v) => 1 / Math.sqrt(v + a.eps));
  return normalise(x, layout, a, running.mean, invStd);
}

/**
 * Eval mode's backward to the input for dL/dy = dy: the running estimates are constants, so with
 * z the affine output, dx = dy·f'(z)·γ/√(running_var + ε), each value on its own. With magnitudes
 * for float32Tolerance.
 */
export function batchNormEvalBackwardReference(
  x: ArrayLike<number>,
  dy: ArrayLike<number>,
  layout: BatchNormLayout,
  a: BatchNormAffine,
  running: RunningStatistics,
): { dx: Float64Array; dxMagnitude: Float64Array } {
  const dx = new Float64Array(x.length);
  const dxMagnitude = new Float64Array(x.length);
  for (let c = 0; c < layout.channels; c++) {
    const scale = a.gamma[c]! / Math.sqrt(running.variance[c]! + a.eps);
    for (let k = 0; k < layout.batch * layout.spatial; k++) {
      const i = at(layout, c, k);
      const z = (x[i]! - running.mean[c]!) * scale + a.beta[c]!;
      dx[i] = dy[i]! * activationDerivative(a, z) * scale;
      dxMagnitude[i] = Math.abs(dx[i]!);
    }
  }
  return { dx, dxMagnitude };
}

/** A backward result of zeros, to be filled in. */
function zeroGradients(values: number, channels: number): BatchNormBackwardResult {
  return {
    dx: new Float64Array(values),
    dgamma: new Float64Array(channels),
    dbeta: new Float64Array(channels),
    dxMagnitude: new Float64Array(values),
    dgammaMagnitude: new Float64Array(channels),
    dbetaMagnitude: new Float64Array(channels),
  };
}

/**
 * The training-mode backward for dL/dy = dy, through the activation (at the pre-activation z)
 * and the batch statistics: with g = dL/dz and x̂ = (x − mean)·invstd,
 *   dβ = Σg,  dγ = Σg·x̂,  dx = γ·invstd·(g − Σg/n − x̂·Σ(g·x̂)/n).
 */
export function batchNormBackwardReference(
  x: ArrayLike<number>,
  dy: ArrayLike<number>,
  layout: BatchNormLayout,
  a: BatchNormAffine,
): BatchNormBackwardResult {
  const { channels } = layout;
  const count = layout.batch * layout.spatial;
  const stats = batchStatistics(x, layout, a.eps);
  const result = zeroGradients(x.length, channels);
  for (let c = 0; c < channels; c++) {
    const [m, s, gamma] = [stats.mean[c]!, stats.invStd[c]!, a.gamma[c]!];
    const indices = Array.from({ length: count }, (_, k) => at(layout, c, k));
    const xHat = indices.map((i) => (x[i]! - m) * s);
    // |x̂|'s rounding in float32 scales with |x| + |mean|, not with |x − mean|.
    const xHatBound = indices.map((i) => (Math.abs(x[i]!) + Math.abs(m)) * s);
    const g = indices.map((i, k) => dy[i]! * activationDerivative(a, xHat[k]! * gamma + a.beta[c]!));
    let [sumG, sumGx, absG, absGx] = [0, 0, 0, 0];
    for (let k = 0; k < count; k++) {
      sumG += g[k]!;
      sumGx += g[k]! * xHat[k]!;
      absG += Math.abs(g[k]!);
      absGx += Math.abs(g[k]!) * xHatBound[k]!;
    }
    result.dbeta[c] = sumG;
    result.dgamma[c] = sumGx;
    result.dbetaMagnitude[c] = absG;
    result.dgammaMagnitude[c] = absGx;
    indices.forEach((i, k) => {
      result.dx[i] = gamma * s * (g[k]! - sumG / count - (xHat[k]! * sumGx) / count);
      result.dxMagnitude[i] = Math.abs(gamma) * s * (Math.abs(g[k]!) + absG / count + (xHatBound[k]! * absGx) / count);
    });
  }
  return result;
}

/** Rows [firstRow, firstRow + rows) of [N, C, S] data: a group that batch norm normalises on its own. */
export interface RowGroup {
  firstRow: number;
  rows: number;
}

function groupRows(values: ArrayLike<number>, layout: BatchNormLayout, g: RowGroup): Float64Array {
  const width = layout.channels * layout.spatial;
  return Float64Array.from({ length: g.rows * width }, (_, i) => values[g.firstRow * width + i]!);
}

export interface BatchNormGroupsTrainResult extends BatchNormForwardResult {
  /** Each group's own step (its y, statistics, and the running estimates after its update). */
  groups: BatchNormTrainResult[];
  runningMean: Float64Array;
  runningVar: Float64Array;
}

/**
 * Training steps on row groups normalised apart, in the order given, as PyTorch gives a GAN's
 * discriminator D(real) and D(fake) as two passes: each group by its own statistics, each
 * updating the running estimates in turn (the next starts from the previous one's).
 */
export function batchNormGroupsTrainReference(
  x: ArrayLike<number>,
  layout: BatchNormLayout,
  a: BatchNormAffine,
  running: RunningStatistics,
  momentum: number,
  groups: readonly RowGroup[],
): BatchNormGroupsTrainResult {
  const width = layout.channels * layout.spatial;
  const y = new Float64Array(x.length);
  const yMagnitude = new Float64Array(x.length);
  let current: RunningStatistics = running;
  const results = groups.map((g) => {
    const step = batchNormTrainReference(groupRows(x, layout, g), { ...layout, batch: g.rows }, a, current, momentum);
    y.set(step.y, g.firstRow * width);
    yMagnitude.set(step.yMagnitude, g.firstRow * width);
    current = { mean: step.runningMean, variance: step.runningVar };
    return step;
  });
  const last = results.at(-1)!;
  return { y, yMagnitude, groups: results, runningMean: last.runningMean, runningVar: last.runningVar };
}

/** The backward of batchNormGroupsTrainReference: dx group by group; dγ and dβ summed over the groups. */
export function batchNormGroupsBackwardReference(
  x: ArrayLike<number>,
  dy: ArrayLike<number>,
  layout: BatchNormLayout,
  a: BatchNormAffine,
  groups: readonly RowGroup[],
): BatchNormBackwardResult {
  const width = layout.channels * layout.spatial;
  const { channels } = layout;
  const result = zeroGradients(x.length, channels);
  for (const g of groups) {
    const part = batchNormBackwardReference(
      groupRows(x, layout, g),
      groupRows(dy, layout, g),
      { ...layout, batch: g.rows },
      a,
    );
    result.dx.set(part.dx, g.firstRow * width);
    result.dxMagnitude.set(part.dxMagnitude, g.firstRow * width);
    for (let c = 0; c < channels; c++) {
      result.dgamma[c]! += part.dgamma[c]!;
      result.dbeta[c]! += part.dbeta[c]!;
      result.dgammaMagnitude[c]! += part.dgammaMagnitude[c]!;
      result.dbetaMagnitude[c]! += part.dbetaMagnitude[c]!;
    }
  }
  return result;
}
