// Float64 CPU references for every kernel, the one copy that the tests, the in-browser checks
// (tests/browser/checks.ts) and the benchmarks import. Written for clarity, not speed: each is the
// textbook formula, so a disagreement with the GPU points at the kernel.
import type { Activation } from '../src/index.js';
import type { FeatureStatistics } from '../src/eval/frechet.js';

export function activate(kind: Activation, x: number, alpha: number): number {
  switch (kind) {
    case 'leaky-relu':
      return x > 0 ? x : alpha * x;
    case 'tanh':
      return Math.tanh(x);
    case 'sigmoid':
      return 1 / (1 + Math.exp(-x));
    default:
      return x;
  }
}

/** f'(x) written through y = f(x), as the kernels do. */
export function derivativeFromOutput(kind: Activation, y: number, alpha: number): number {
  switch (kind) {
    case 'leaky-relu':
      return y > 0 ? 1 : alpha;
    case 'tanh':
      return 1 - y * y;
    case 'sigmoid':
      return y * (1 - y);
    default:
      return 1;
  }
}

export interface MatmulReference {
  m: number;
  n: number;
  k: number;
  a: ArrayLike<number>;
  b: ArrayLike<number>;
  transposeA?: boolean;
  transposeB?: boolean;
  bias?: ArrayLike<number>;
  activation?: Activation;
  gate?: { kind: Activation; output: ArrayLike<number> };
  alpha?: number;
}

/** One value of a float64 reference and the Σ|terms| its float32 rounding error grows with. */
export interface ReferenceValue {
  value: number;
  magnitude: number;
}

const operandA = (r: MatmulReference, i: number, p: number) => (r.transposeA ? r.a[p * r.m + i]! : r.a[i * r.k + p]!);
const operandB = (r: MatmulReference, p: number, j: number) => (r.transposeB ? r.b[j * r.k + p]! : r.b[p * r.n + j]!);

/** Entry (i, j) of C, with Σ|a·b| + |bias| as its magnitude. */
export function matmulEntry(r: MatmulReference, i: number, j: number): ReferenceValue {
  const alpha = r.alpha ?? 0.2;
  let sum = 0;
  let magnitude = 0;
  for (let p = 0; p < r.k; p++) {
    const product = operandA(r, i, p) * operandB(r, p, j);
    sum += product;
    magnitude += Math.abs(product);
  }
  if (r.bias) {
    sum += r.bias[j]!;
    magnitude += Math.abs(r.bias[j]!);
  }
  let value = activate(r.activation ?? 'none', sum, alpha);
  if (r.gate) value *= derivativeFromOutput(r.gate.kind, r.gate.output[i * r.n + j]!, alpha);
  return { value, magnitude };
}

/** Σ_k op(A)[i][k], the row sum a matmul can write alongside C (a weight gradient's bias gradient). */
export function matmulRowSum(r: MatmulReference, i: number): ReferenceValue {
  let value = 0;
  let magnitude = 0;
  for (let p = 0; p < r.k; p++) {
    value += operandA(r, i, p);
    magnitude += Math.abs(operandA(r, i, p));
  }
  return { value, magnitude };
}

export interface MatmulResult {
  c: Float64Array;
  /** Per element of C: Σ|a·b| + |bias|, the scale that float32 rounding error grows with. */
  magnitude: Float64Array;
  rowSums: Float64Array;
  rowSumMagnitude: Float64Array;
}

/** All of C and its row sums. */
export function matmulReference(r: MatmulReference): MatmulResult {
  const c = new Float64Array(r.m * r.n);
  const magnitude = new Float64Array(r.m * r.n);
  const rowSums = new Float64Array(r.m);
  const rowSumMagnitude = new Float64Array(r.m);
  for (let i = 0; i < r.m; i++) {
    for (let j = 0; j < r.n; j++) {
      const entry = matmulEntry(r, i, j);
      c[i * r.n + j] = entry.value;
      magnitude[i * r.n + j] = entry.magnitude;
    }
    const row = matmulRowSum(r, i);
    rowSums[i] = row.value;
    rowSumMagnitude[i] = row.magnitude;
  }
  return { c, magnitude, rowSums, rowSumMagnitude };
}

export function columnSums(
  grad: ArrayLike<number>,
  rows: number,
  cols: number,
): { sums: Float64Array; magnitude: Float64Array } {
  const sums = new Float64Array(cols);
  const magnitude = new Float64Array(cols);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      sums[c]! += grad[r * cols + c]!;
      magnitude[c]! += Math.abs(grad[r * cols + c]!);
    }
  }
  return { sums, magnitude };
}

export function softplus(x: number): number {
  return Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x)));
}

export function sigmoid(x: number): number {
  return x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x));
}

export interface BceReference {
  loss: number;
  grad: Float64Array;
  meanFirst: number;
  meanSecond: number;
}

export type LogitLossKind = 'bce' | 'least-squares' | 'hinge' | 'negative-logit';

/** A logit x's loss for target t, its derivative and D's reading of x, as logit_head.wgsl defines them. */
export function logitLoss(kind: LogitLossKind, x: number, t: number): { loss: number; grad: number; reading: number } {
  switch (kind) {
    case 'least-squares':
      return { loss: 0.5 * (x - t) ** 2, grad: x - t, reading: x };
    case 'hinge': {
      const side = 2 * t - 1;
      const margin = 1 - side * x;
      return { loss: Math.max(margin, 0), grad: margin > 0 ? -side : 0, reading: sigmoid(x) };
    }
    case 'negative-logit':
      return { loss: -x, grad: -1, reading: sigmoid(x) };
    default:
      return { loss: softplus(x) - t * x, grad: sigmoid(x) - t, reading: sigmoid(x) };
  }
}

/** The loss of every logit (divided by `divisor`), its gradient and the mean reading per half. */
export function logitLossReference(
  kind: LogitLossKind,
  logits: ArrayLike<number>,
  split: number,
  targetFirst: number,
  targetSecond: number,
  divisor = logits.length,
): BceReference {
  const n = logits.length;
  const grad = new Float64Array(n);
  let loss = 0,
    first = 0,
    second = 0;
  for (let i = 0; i < n; i++) {
    const scored = logitLoss(kind, logits[i]!, i < split ? targetFirst : targetSecond);
    loss += scored.loss;
    grad[i] = scored.grad / divisor;
    if (i < split) first += scored.reading;
    else second += scored.reading;
  }
  return {
    loss: loss / divisor,
    grad,
    meanFirst: split > 0 ? first / split : 0,
    meanSecond: n > split ? second / (n - split) : 0,
  };
}

export function bceReference(
  logits: ArrayLike<number>,
  split: number,
  targetFirst: number,
  targetSecond: number,
  divisor = logits.length,
): BceReference {
  return logitLossReference('bce', logits, split, targetFirst, targetSecond, divisor);
}

export interface LogitHeadReference {
  logits: Float64Array;
  /** rows × width: dLoss/d(input), times f'(input) where a gate is given. */
  inputGrad: Float64Array;
  weightGrad: Float64Array;
  biasGrad: number;
  /** Σ_r |g_r·a[r,j]| per column: the scale of the weight gradient's rounding. */
  weightGradMagnitude: Float64Array;
  bce: BceReference;
}

/** A last layer of one output fused with its loss (shaders/logit_head.wgsl), by the textbook formulas. */
export function logitHeadReference(
  input: ArrayLike<number>,
  rows: number,
  width: number,
  weight: ArrayLike<number>,
  bias: number,
  loss: { split: number; targetFirst: number; targetSecond: number; divisor?: number; kind?: LogitLossKind },
  gate?: { kind: Activation; alpha: number },
  /** Row r's weight j is weight[j] + rowOffset(r, j) (a projection discriminator's class row); absent: 0. */
  rowOffset?: (r: number, j: number) => number,
): LogitHeadReference {
  const weightOf = rowOffset
    ? (r: number, j: number) => weight[j]! + rowOffset(r, j)
    : (_: number, j: number) => weight[j]!;
  const logits = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    let x = bias;
    for (let j = 0; j < width; j++) x += input[r * width + j]! * weightOf(r, j);
    logits[r] = x;
  }
  const bce = logitLossReference(
    loss.kind ?? 'bce',
    logits,
    loss.split,
    loss.targetFirst,
    loss.targetSecond,
    loss.divisor ?? rows,
  );
  const inputGrad = new Float64Array(rows * width);
  const weightGrad = new Float64Array(width);
  const weightGradMagnitude = new Float64Array(width);
  let biasGrad = 0;
  for (let r = 0; r < rows; r++) {
    const g = bce.grad[r]!;
    biasGrad += g;
    for (let j = 0; j < width; j++) {
      const a = input[r * width + j]!;
      const f = gate ? derivativeFromOutput(gate.kind, a, gate.alpha) : 1;
      inputGrad[r * width + j] = g * weightOf(r, j) * f;
      weightGrad[j]! += g * a;
      weightGradMagnitude[j]! += Math.abs(g * a);
    }
  }
  return { logits, inputGrad, weightGrad, biasGrad, weightGradMagnitude, bce };
}

export interface AdamState {
  weights: Float64Array;
  m: Float64Array;
  v: Float64Array;
}

/** One AdamW step at step number t (1-based), in place, in the order torch.optim.AdamW uses. */
export function adamReference(
  s: AdamState,
  grads: ArrayLike<number>,
  t: number,
  h: { lr: number; beta1: number; beta2: number; epsilon: number; weightDecay: number },
): void {
  const c1 = 1 - h.beta1 ** t;
  const c2 = 1 - h.beta2 ** t;
  for (let i = 0; i < s.weights.length; i++) {
    const g = grads[i]!;
    s.weights[i]! *= 1 - h.lr * h.weightDecay;
    s.m[i] = h.beta1 * s.m[i]! + (1 - h.beta1) * g;
    s.v[i] = h.beta2 * s.v[i]! + (1 - h.beta2) * g * g;
    s.weights[i]! -= ((h.lr / c1) * s.m[i]!) / (Math.sqrt(s.v[i]!) / Math.sqrt(c2) + h.epsilon);
  }
}

const M0 = 0xd2511f53n,
  M1 = 0xcd9e8d57n,
  W0 = 0x9e3779b9,
  W1 = 0xbb67ae85;
const MASK = 0xffffffffn;

/** Philox4x32-10 with BigInt products: an implementation independent of the shader's 16-bit split. */
export function philox4x32(
  counter: [number, number, number, number],
  key: [number, number],
): [number, number, number, number] {
  let [c0, c1, c2, c3] = counter.map((x) => x >>> 0) as [number, number, number, number];
  let [k0, k1] = key.map((x) => x >>> 0) as [number, number];
  for (let round = 0; round < 10; round++) {
    const p0 = M0 * BigInt(c0);
    const p1 = M1 * BigInt(c2);
    const hi0 = Number(p0 >> 32n),
      lo0 = Number(p0 & MASK);
    const hi1 = Number(p1 >> 32n),
      lo1 = Number(p1 & MASK);
    [c0, c1, c2, c3] = [(hi1 ^ c1 ^ k0) >>> 0, lo1, (hi0 ^ c3 ^ k1) >>> 0, lo0];
    k0 = (k0 + W0) >>> 0;
    k1 = (k1 + W1) >>> 0;
  }
  return [c0, c1, c2, c3];
}

/** The kernel's uniform stream: value i is word i%4 of block i/4, top 24 bits over 2^24. */
export function uniformReference(n: number, seed: number, stream: number, step: number): Float64Array {
  const key: [number, number] = [seed >>> 0, Math.floor(seed / 2 ** 32) >>> 0];
  const out = new Float64Array(n);
  for (let block = 0; block * 4 < n; block++) {
    const words = philox4x32([block, step, stream, 0], key);
    for (let j = 0; j < 4 && block * 4 + j < n; j++) out[block * 4 + j] = (words[j]! >>> 8) / 16777216;
  }
  return out;
}

/** Box–Muller on the same uniforms, in float64. */
export function normalReference(n: number, seed: number, stream: number, step: number): Float64Array {
  const u = uniformReference(Math.ceil(n / 4) * 4, seed, stream, step);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i += 2) {
    const r = Math.sqrt(-2 * Math.log(u[i]! + 1 / 16777216));
    const theta = 2 * Math.PI * u[i + 1]!;
    out[i] = r * Math.cos(theta);
    if (i + 1 < n) out[i + 1] = r * Math.sin(theta);
  }
  return out;
}

export interface SoftmaxCrossEntropyResult {
  /** Σ −log p_label / divisor over rows with a valid label. */
  loss: number;
  /** Σ over those rows of |max| + |log Σ exp| + |x_label|: the scale of the loss's rounding error. */
  lossMagnitude: number;
  /** Fraction of all rows whose most likely class is their label. */
  accuracy: number;
  badLabels: number;
  probabilities: Float64Array;
  grad: Float64Array;
}

/** Softmax cross-entropy with labels given as floats; a label that is not a class index has no target. */
export function softmaxCrossEntropyReference(
  logits: ArrayLike<number>,
  labels: ArrayLike<number> | null,
  rows: number,
  classes: number,
  divisor = rows,
): SoftmaxCrossEntropyResult {
  const probabilities = new Float64Array(rows * classes);
  const grad = new Float64Array(rows * classes);
  let loss = 0;
  let lossMagnitude = 0;
  let correct = 0;
  let badLabels = 0;
  for (let r = 0; r < rows; r++) {
    const row = Array.from({ length: classes }, (_, c) => logits[r * classes + c]!);
    const top = Math.max(...row);
    const best = row.indexOf(top);
    const logTotal = Math.log(row.reduce((sum, x) => sum + Math.exp(x - top), 0));
    const value = labels ? labels[r]! : -1;
    const label = Number.isInteger(value) && value >= 0 && value < classes ? value : -1;
    if (labels && label < 0) badLabels++;
    if (label >= 0) {
      loss += top + logTotal - row[label]!;
      lossMagnitude += Math.abs(top) + Math.abs(logTotal) + Math.abs(row[label]!);
      if (best === label) correct++;
    }
    for (let c = 0; c < classes; c++) {
      const p = Math.exp(row[c]! - top - logTotal);
      probabilities[r * classes + c] = p;
      grad[r * classes + c] = (p - (c === label ? 1 : 0)) / divisor;
    }
  }
  return {
    loss: loss / divisor,
    lossMagnitude: lossMagnitude / divisor,
    accuracy: correct / rows,
    badLabels,
    probabilities,
    grad,
  };
}

/** Mean and covariance (divided by count − 1) of `count` rows of `dim` features, in float64. */
export function featureStatisticsReference(features: ArrayLike<number>, count: number, dim: number): FeatureStatistics {
  const mean = new Float64Array(dim);
  for (let r = 0; r < count; r++) for (let j = 0; j < dim; j++) mean[j]! += features[r * dim + j]!;
  for (let j = 0; j < dim; j++) mean[j]! /= count;
  const covariance = new Float64Array(dim * dim);
  for (let r = 0; r < count; r++) {
    for (let i = 0; i < dim; i++) {
      const di = features[r * dim + i]! - mean[i]!;
      for (let j = 0; j < dim; j++) covariance[i * dim + j]! += di * (features[r * dim + j]! - mean[j]!);
    }
  }
  for (let k = 0; k < covariance.length; k++) covariance[k]! /= count - 1;
  return { dim, mean, covariance, count };
}

/** Every layer's activated outputs of an MLP given as torch-named tensors ("<prefix>.0.weight", …). */
export function mlpForwardReference(
  tensors: ReadonlyMap<string, { data: ArrayLike<number> }>,
  prefix: string,
  spec: { widths: number[]; hidden: Activation; output: Activation; leakySlope: number },
  input: ArrayLike<number>,
  rows: number,
): { outputs: Float64Array[]; magnitudes: Float64Array[] } {
  const outputs: Float64Array[] = [];
  const magnitudes: Float64Array[] = [];
  let x: ArrayLike<number> = input;
  let xMagnitude: ArrayLike<number> = new Float64Array(input.length);
  for (let l = 0; l + 1 < spec.widths.length; l++) {
    const [inF, outF] = [spec.widths[l]!, spec.widths[l + 1]!];
    const w = tensors.get(`${prefix}.${2 * l}.weight`)!.data;
    const b = tensors.get(`${prefix}.${2 * l}.bias`)!.data;
    const act = l + 2 === spec.widths.length ? spec.output : spec.hidden;
    const y = new Float64Array(rows * outF);
    const magnitude = new Float64Array(rows * outF);
    for (let r = 0; r < rows; r++) {
      for (let o = 0; o < outF; o++) {
        let sum = b[o]!;
        // Rounding grows through the layers: each term's scale is |w|·(|x| + its own error scale).
        let scale = Math.abs(b[o]!);
        for (let i = 0; i < inF; i++) {
          sum += x[r * inF + i]! * w[o * inF + i]!;
          scale += Math.abs(w[o * inF + i]!) * (Math.abs(x[r * inF + i]!) + xMagnitude[r * inF + i]!);
        }
        y[r * outF + o] = activate(act, sum, spec.leakySlope);
        magnitude[r * outF + o] = scale;
      }
    }
    outputs.push(y);
    magnitudes.push(magnitude);
    x = y;
    xMagnitude = magnitude;
  }
  return { outputs, magnitudes };
}

export interface SpectralNormStep {
  /** v = Wᵀu / ‖Wᵀu‖. */
  v: Float64Array;
  /** u ← Wv / σ: the vector the next step starts from. */
  u: Float64Array;
  sigma: number;
  /** W / σ. */
  normalized: Float64Array;
}

/**
 * One power-iteration step of spectral normalisation for W (rows × cols) from u, with the guards
 * of shaders/spectral_norm.wgsl (‖t‖ and σ at least 1e-12).
 */
export function spectralNormReference(
  w: ArrayLike<number>,
  rows: number,
  cols: number,
  u: ArrayLike<number>,
): SpectralNormStep {
  const t = new Float64Array(cols);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) t[j]! += w[i * cols + j]! * u[i]!;
  const s = new Float64Array(rows);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) s[i]! += w[i * cols + j]! * t[j]!;
  const norm = (x: Float64Array) => Math.sqrt(x.reduce((a, b) => a + b * b, 0));
  const tNorm = Math.max(norm(t), 1e-12);
  const sigma = Math.max(norm(s) / tNorm, 1e-12);
  return {
    v: t.map((x) => x / tNorm),
    u: s.map((x) => x / tNorm / sigma),
    sigma,
    normalized: Float64Array.from(w, (x) => x / sigma),
  };
}

/**
 * The gradient of W from the gradient G of W / σ, u and v held constant:
 * (G − ⟨G, W/σ⟩ · u vᵀ) / σ. Also Σ|terms| per entry, the scale of its float32 rounding.
 */
export function spectralNormGradientReference(
  g: ArrayLike<number>,
  step: SpectralNormStep,
  rows: number,
  cols: number,
  /** Σ|terms| of each entry of g, where g is itself a sum (default |g|). */
  gMagnitude?: ArrayLike<number>,
): { grad: Float64Array; magnitude: Float64Array } {
  let inner = 0,
    innerMagnitude = 0;
  for (let e = 0; e < rows * cols; e++) {
    inner += g[e]! * step.normalized[e]!;
    innerMagnitude += Math.abs(g[e]! * step.normalized[e]!);
  }
  const grad = new Float64Array(rows * cols);
  const magnitude = new Float64Array(rows * cols);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) {
      const e = i * cols + j;
      const uv = step.u[i]! * step.v[j]!;
      grad[e] = (g[e]! - inner * uv) / step.sigma;
      magnitude[e] = ((gMagnitude ? gMagnitude[e]! : Math.abs(g[e]!)) + innerMagnitude * Math.abs(uv)) / step.sigma;
    }
  }
  return { grad, magnitude };
}
