// Spectral normalisation (shaders/spectral_norm.wgsl) against the float64 reference: one power-
// iteration step and W / σ, then the gradient correction, for networks of awkward shapes (a 1×1
// matrix, odd sizes, rows past the 256 threads, a matrix past one 1024-float chunk, the design's
// discriminator), all layers of a network in the same dispatches. Then: repeated steps converge to
// the largest singular value (ml-matrix's SVD), the corrected gradient matches finite differences
// of L(W) = ⟨R, W / uᵀWv⟩, and bad arguments are refused.
//
// Tolerances follow float32 rounding, 1e-5 of the magnitudes each value is summed from (the sums
// run over up to 200,000 terms in chunks and trees, each a few roundings deep).
import { Matrix, SingularValueDecomposition } from 'ml-matrix';
import { describe, expect, it } from 'vitest';
import {
  createSpectralNorm,
  spectralNormVectorLayout,
  type SpectralNormLayer,
} from '../../src/kernels/spectralNorm.js';
import type { GpuContext } from '../../src/gpu/context.js';
import { spectralNormGradientReference, spectralNormReference, type SpectralNormStep } from '../../reference/cpu.js';
import { expectClose, randomArray, runKernels, useGpu } from '../support/gpu.js';
import { expectRefused } from '../support/normalization.js';

const gpu = useGpu();

/** Layers laid out as an MLP's flat buffer: each tensor on a 64-float boundary. */
function layout(shapes: Array<[number, number, 'no bias'?]>): { layers: SpectralNormLayer[]; floats: number } {
  let floats = 0;
  const take = (n: number) => {
    const at = floats;
    floats += Math.ceil(n / 64) * 64;
    return at;
  };
  const layers = shapes.map(([rows, cols, bias]) => ({
    rows,
    cols,
    weightOffset: take(rows * cols),
    ...(bias === 'no bias' ? {} : { biasOffset: take(rows) }),
  }));
  return { layers, floats };
}

interface Run {
  normalized: Float32Array;
  u: Float32Array;
  grads: Float32Array;
}

/** Writes weights, u and gradients, records `steps` normalisations and one gradient correction. */
async function runSpectralNorm(
  ctx: GpuContext,
  net: { layers: SpectralNormLayer[]; floats: number },
  data: { weights: Float32Array; u: Float32Array; grads: Float32Array },
  steps = 1,
): Promise<Run> {
  const mem = ctx.memory;
  const buffers = {
    weights: mem.createStorage('weights', data.weights),
    normalized: mem.createStorage('normalized', net.floats),
    grads: mem.createStorage('grads', data.grads),
  };
  const sn = await createSpectralNorm(ctx, { ...net, ...buffers, label: 'test sn' });
  try {
    ctx.write(sn.u, data.u);
    const normalize = { record: (p: GPUComputePassEncoder) => sn.recordNormalize(p) };
    for (let s = 0; s < steps; s++) await runKernels(ctx, normalize);
    await runKernels(ctx, { record: (p) => sn.recordGradientCorrection(p) });
    return {
      normalized: await ctx.readF32(buffers.normalized),
      u: await ctx.readF32(sn.u),
      grads: await ctx.readF32(buffers.grads),
    };
  } finally {
    sn.destroy();
    for (const b of Object.values(buffers)) mem.release(b);
  }
}

function inputsFor(net: { layers: SpectralNormLayer[]; floats: number }, seed: number) {
  const weights = new Float32Array(net.floats);
  const grads = new Float32Array(net.floats);
  const { offsets, floats } = spectralNormVectorLayout(net.layers);
  const u = new Float32Array(floats);
  net.layers.forEach((L, l) => {
    const bound = 1 / Math.sqrt(L.cols);
    weights.set(randomArray(L.rows * L.cols, seed + 10 * l, -bound, bound), L.weightOffset);
    if (L.biasOffset !== undefined) weights.set(randomArray(L.rows, seed + 10 * l + 1, -bound, bound), L.biasOffset);
    grads.set(randomArray(L.rows * L.cols, seed + 10 * l + 2, -1e-2, 1e-2), L.weightOffset);
    if (L.biasOffset !== undefined) grads.set(randomArray(L.rows, seed + 10 * l + 3, -1e-2, 1e-2), L.biasOffset);
    u.set(randomArray(L.rows, seed + 10 * l + 4, -1, 1), offsets[l]!);
  });
  return { weights, u, grads };
}

function slice(a: ArrayLike<number>, from: number, count: number): Float64Array {
  return Float64Array.from({ length: count }, (_, i) => a[from + i]!);
}

function expectMatchesReference(net: { layers: SpectralNormLayer[] }, data: ReturnType<typeof inputsFor>, got: Run) {
  const { offsets } = spectralNormVectorLayout(net.layers);
  net.layers.forEach((L, l) => {
    const { rows, cols } = L;
    const w = slice(data.weights, L.weightOffset, rows * cols);
    const u0 = slice(data.u, offsets[l]!, rows);
    const step = spectralNormReference(w, rows, cols, u0);
    const name = `layer ${l} (${rows}×${cols})`;
    // u_i = (W t)_i / (‖t‖σ) with t = Wᵀu: its rounding is that of Σ_j |W_ij|·(|t_j| + Σ_k |W_kj u_k|).
    const tScale = Array.from({ length: cols }, (_, j) => {
      let m = 0;
      for (let k = 0; k < rows; k++) m += Math.abs(w[k * cols + j]! * u0[k]!);
      return m;
    });
    const tNorm = Math.sqrt(Array.from({ length: cols }, (_, j) => step.v[j]!).reduce((a, v) => a + v * v, 0));
    const uScale = Array.from({ length: rows }, (_, i) => {
      let m = 0;
      for (let j = 0; j < cols; j++) m += Math.abs(w[i * cols + j]!) * 2 * tScale[j]!;
      return m;
    });
    const tLength = Math.sqrt(tScale.reduce((a, x) => a + x * x, 0));
    expectClose(
      slice(got.u, offsets[l]!, rows),
      step.u,
      (i) => (1e-5 * uScale[i]!) / (tLength * tNorm * step.sigma) + 1e-5 * Math.abs(step.u[i]!) + 1e-7,
      `${name} u`,
    );
    expectClose(
      slice(got.normalized, L.weightOffset, rows * cols),
      step.normalized,
      (e) => 1e-5 * Math.abs(step.normalized[e]!) + 1e-9,
      `${name} W / σ`,
    );
    if (L.biasOffset !== undefined)
      expect(Array.from(slice(got.normalized, L.biasOffset, rows)), `${name} bias copied`).toEqual(
        Array.from(slice(data.weights, L.biasOffset, rows)),
      );
    const g = slice(data.grads, L.weightOffset, rows * cols);
    const want = spectralNormGradientReference(g, step, rows, cols);
    expectClose(
      slice(got.grads, L.weightOffset, rows * cols),
      want.grad,
      (e) => 2e-5 * want.magnitude[e]! + 1e-9,
      `${name} dL/dW`,
    );
    if (L.biasOffset !== undefined)
      expect(Array.from(slice(got.grads, L.biasOffset, rows)), `${name} bias gradient untouched`).toEqual(
        Array.from(slice(data.grads, L.biasOffset, rows)),
      );
  });
  // Nothing is written outside the layers' tensors (a bias-free layer copies no bias anywhere).
  const inTensor = (e: number) =>
    net.layers.some(
      (L) =>
        (e >= L.weightOffset && e < L.weightOffset + L.rows * L.cols) ||
        (L.biasOffset !== undefined && e >= L.biasOffset && e < L.biasOffset + L.rows),
    );
  const stray = Array.from(got.normalized).findIndex((v, e) => v !== 0 && !inTensor(e));
  expect(stray, 'a value written outside every tensor').toBe(-1);
}

const CASES: Array<[string, Array<[number, number, 'no bias'?]>]> = [
  [
    "bias-free convolutions viewed as [out, in·kh·kw]: DCGAN's 64×(1·16), 128×(64·16), 1×(128·49)",
    [
      [64, 16, 'no bias'],
      [128, 1024, 'no bias'],
      [1, 6272, 'no bias'],
    ],
  ],
  ['one 1×1 matrix', [[1, 1]]],
  [
    'odd shapes 7×5 and 1×7 (a logit head)',
    [
      [7, 5],
      [1, 7],
    ],
  ],
  [
    '300×3 (rows past 256 threads) beside 3×1100 (past one 1024-float chunk)',
    [
      [300, 3],
      [3, 1100],
    ],
  ],
  [
    "the design's discriminator: 256×784, 128×256, 1×128",
    [
      [256, 784],
      [128, 256],
      [1, 128],
    ],
  ],
];

describe('spectral normalisation, one step', () => {
  for (const [index, [name, shapes]] of CASES.entries()) {
    it(name, async () => {
      const net = layout(shapes);
      const data = inputsFor(net, 50 + index);
      expectMatchesReference(net, data, await runSpectralNorm(gpu.ctx, net, data));
    });
  }
});

describe('spectral normalisation, many steps', () => {
  it('σ converges to the largest singular value, so W / σ has a largest singular value of 1', async () => {
    const [rows, cols] = [50, 40];
    const net = layout([[rows, cols]]);
    const data = inputsFor(net, 90);
    // A dominant direction, so that 60 steps converge well past float32 rounding.
    const a = randomArray(rows, 91),
      b = randomArray(cols, 92);
    for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) data.weights[i * cols + j]! += 0.5 * a[i]! * b[j]!;
    const got = await runSpectralNorm(gpu.ctx, net, data, 60);
    const top = (values: ArrayLike<number>) =>
      new SingularValueDecomposition(
        new Matrix(Array.from({ length: rows }, (_, i) => Array.from(values).slice(i * cols, (i + 1) * cols))),
      ).diagonal[0]!;
    const sigma = top(data.weights.subarray(0, rows * cols));
    expect(sigma).toBeGreaterThan(1);
    expect(Math.abs(top(got.normalized.subarray(0, rows * cols)) - 1)).toBeLessThan(1e-4);
    // And u is the matching left singular vector (up to sign), of unit length.
    const uLength = Math.hypot(...got.u.subarray(0, rows));
    expect(Math.abs(uLength - 1)).toBeLessThan(1e-5);
  });
});

describe('spectral normalisation against finite differences', () => {
  it('the corrected gradient is dL/dW of L(W) = ⟨R, W / (uᵀWv)⟩ with u, v of the step held', async () => {
    const [rows, cols] = [6, 4];
    const net = layout([[rows, cols]]);
    const data = inputsFor(net, 70);
    data.grads.set(randomArray(rows * cols, 71, -1, 1)); // R: the gradient of W / σ
    const got = await runSpectralNorm(gpu.ctx, net, data);
    const w = slice(data.weights, 0, rows * cols);
    const step: SpectralNormStep = spectralNormReference(w, rows, cols, slice(data.u, 0, rows));
    const lossAt = (moved: Float64Array) => {
      let sigma = 0;
      for (let i = 0; i < rows; i++)
        for (let j = 0; j < cols; j++) sigma += step.u[i]! * moved[i * cols + j]! * step.v[j]!;
      return moved.reduce((a, x, e) => a + data.grads[e]! * (x / sigma), 0);
    };
    const numeric = Float64Array.from(w, (_, e) => {
      const at = (h: number) => lossAt(Float64Array.from(w, (x, k) => (k === e ? x + h : x)));
      return (at(1e-6) - at(-1e-6)) / 2e-6;
    });
    expectClose(got.grads.subarray(0, rows * cols), numeric, (e) => 1e-4 + 1e-3 * Math.abs(numeric[e]!), 'dL/dW');
  });
});

describe('spectral normalisation arguments', () => {
  it.each([
    ['no layers', { layers: [] as SpectralNormLayer[] }, /layers.*at least one/],
    [
      'a matrix past the buffers',
      { layers: [{ rows: 4, cols: 4, weightOffset: 60, biasOffset: 0 }] },
      /weightOffset.*inside/,
    ],
    ['zero rows', { layers: [{ rows: 0, cols: 4, weightOffset: 0, biasOffset: 0 }] }, /rows.*positive integer/],
  ])('refuses %s with an ArgumentError', (_name, change, message) =>
    expectRefused(gpu.ctx, createSpectralNorm, change, message),
  );
});
