// Float64 CPU references for every kernel, the one copy that the tests, the in-browser checks
// (tests/browser/checks.ts) and the benchmarks import. Written for clarity, not speed: each is the
// textbook formula, so a disagreement with the GPU points at the kernel.
import type { Activation } from '../src/index.js';

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

export function bceReference(
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
    const x = logits[i]!;
    const t = i < split ? targetFirst : targetSecond;
    const p = sigmoid(x);
    loss += softplus(x) - t * x;
    grad[i] = (p - t) / divisor;
    if (i < split) first += p;
    else second += p;
  }
  return {
    loss: loss / divisor,
    grad,
    meanFirst: split > 0 ? first / split : 0,
    meanSecond: n > split ? second / (n - split) : 0,
  };
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

/** A last layer of one output fused with BCE (shaders/logit_head.wgsl), by the textbook formulas. */
export function logitHeadReference(
  input: ArrayLike<number>,
  rows: number,
  width: number,
  weight: ArrayLike<number>,
  bias: number,
  loss: { split: number; targetFirst: number; targetSecond: number; divisor?: number },
  gate?: { kind: Activation; alpha: number },
): LogitHeadReference {
  const logits = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    let x = bias;
    for (let j = 0; j < width; j++) x += input[r * width + j]! * weight[j]!;
    logits[r] = x;
  }
  const bce = bceReference(logits, loss.split, loss.targetFirst, loss.targetSecond, loss.divisor ?? rows);
  const inputGrad = new Float64Array(rows * width);
  const weightGrad = new Float64Array(width);
  const weightGradMagnitude = new Float64Array(width);
  let biasGrad = 0;
  for (let r = 0; r < rows; r++) {
    const g = bce.grad[r]!;
    biasGrad += g;
    for (let j = 0; j < width; j++) {
      const a = input[r * width + j]!;
      inputGrad[r * width + j] = g * weight[j]! * (gate ? derivativeFromOutput(gate.kind, a, gate.alpha) : 1);
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
