// Float64 references for the degradation operators (src/kernels/degrade.ts). The linear ones are
// built as explicit matrices on one plane, from their definitions rather than from the kernels'
// loops, so that the forward is M x and the adjoint is Mᵀ y, transposed by index.
import { normalReference, uniformReference } from './cpu.js';

export interface Plane {
  height: number;
  width: number;
}

/** An (out × in) matrix acting on one plane, applied to every plane of a batch. */
export interface PlaneOperator {
  out: number;
  in: number;
  matrix: Float64Array;
}

/** Blur: y(p) = Σ_q k(p − q) x(q) / Σ_{q inside} k(p − q), the kernel centred, summing to 1. */
export function blurMatrix(taps: ArrayLike<number>, kh: number, kw: number, plane: Plane): PlaneOperator {
  const { height: H, width: W } = plane;
  const n = H * W;
  const matrix = new Float64Array(n * n);
  const tap = (dh: number, dw: number) => {
    const [a, b] = [dh + (kh - 1) / 2, dw + (kw - 1) / 2];
    return a >= 0 && a < kh && b >= 0 && b < kw ? Number(taps[a * kw + b]) : 0;
  };
  for (let p = 0; p < n; p++) {
    const [ph, pw] = [Math.floor(p / W), p % W];
    let total = 0;
    for (let q = 0; q < n; q++) total += tap(ph - Math.floor(q / W), pw - (q % W));
    for (let q = 0; q < n; q++) {
      const weight = tap(ph - Math.floor(q / W), pw - (q % W));
      matrix[p * n + q] = total > 0 ? weight / total : 0;
    }
  }
  return { out: n, in: n, matrix };
}

/** Box average of f×f blocks, a block cut by the border averaging the pixels it holds. */
export function downscaleMatrix(factor: number, plane: Plane): PlaneOperator {
  const { height: H, width: W } = plane;
  const [oh, ow] = [Math.ceil(H / factor), Math.ceil(W / factor)];
  const matrix = new Float64Array(oh * ow * H * W);
  for (let q = 0; q < H * W; q++) {
    const block = Math.floor(Math.floor(q / W) / factor) * ow + Math.floor((q % W) / factor);
    matrix[block * H * W + q] = 1;
  }
  for (let o = 0; o < oh * ow; o++) {
    let count = 0;
    for (let q = 0; q < H * W; q++) count += matrix[o * H * W + q]!;
    for (let q = 0; q < H * W; q++) matrix[o * H * W + q]! /= count;
  }
  return { out: oh * ow, in: H * W, matrix };
}

/** M x on every plane of `planes` planes (forward), or Mᵀ y (adjoint). */
export function applyPlaneOperator(
  op: PlaneOperator,
  values: ArrayLike<number>,
  planes: number,
  adjoint: boolean,
): Float64Array {
  const [inSize, outSize] = adjoint ? [op.out, op.in] : [op.in, op.out];
  const result = new Float64Array(planes * outSize);
  for (let c = 0; c < planes; c++) {
    for (let i = 0; i < outSize; i++) {
      let sum = 0;
      for (let j = 0; j < inSize; j++) {
        const m = adjoint ? op.matrix[j * op.in + i]! : op.matrix[i * op.in + j]!;
        sum += m * Number(values[c * inSize + j]);
      }
      result[c * outSize + i] = sum;
    }
  }
  return result;
}

export function maskReference(values: ArrayLike<number>, mask: ArrayLike<number>): Float64Array {
  return Float64Array.from(values, (v, i) => v * Number(mask[i % mask.length]));
}

export interface Curve {
  gain: number;
  gamma: number;
  lift: number;
}

/** x' = 2(lift + gain · clamp((x + 1)/2, 0, 1)^gamma) − 1. */
export function exposureReference(x: number, c: Curve): number {
  const u = Math.min(1, Math.max(0, (x + 1) / 2));
  return 2 * (c.lift + c.gain * u ** c.gamma) - 1;
}

/** dx'/dx, 0 where the clamp holds. */
export function exposureSlopeReference(x: number, c: Curve): number {
  const u = (x + 1) / 2;
  return u > 0 && u < 1 ? c.gain * c.gamma * u ** (c.gamma - 1) : 0;
}

/** The degrade noise: the Philox numbers of (seed, step, stream), as random.wgsl draws them. */
export function gaussianNoiseReference(x: ArrayLike<number>, sigma: number, seed: number, stream: number, step = 0) {
  const normals = normalReference(x.length, seed, stream, step);
  return Float64Array.from(x, (v, i) => Math.min(1, Math.max(-1, Number(v) + sigma * normals[i]!)));
}

export function saltPepperReference(x: ArrayLike<number>, probability: number, seed: number, stream: number, step = 0) {
  const u = uniformReference(x.length, seed, stream, step);
  return Float64Array.from(x, (v, i) => (u[i]! < probability / 2 ? -1 : u[i]! < probability ? 1 : Number(v)));
}
