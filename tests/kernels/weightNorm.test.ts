// Weight normalisation (shaders/weight_norm.wgsl) against the float64 reference: g · v / ‖v‖ row
// by row, then the gradients of v and g, for networks of awkward shapes (a 1×1 matrix, odd sizes,
// rows past the 256 threads, a row past them too, bias-free convolutions, the design's
// discriminator), all layers of a network in the same dispatches; a row of zeros stays finite.
// Then the gradients against finite differences of L(v, g) = ⟨R, g · v / ‖v‖⟩, and bad arguments.
//
// Tolerances follow float32 rounding, 1e-5 of the magnitudes each value is summed from.
import { describe, expect, it } from 'vitest';
import { createWeightNorm, type WeightNormLayer } from '../../src/kernels/weightNorm.js';
import type { GpuContext } from '../../src/gpu/context.js';
import { weightNormGradientReference, weightNormReference } from '../../reference/weightNorm.js';
import { expectClose, randomArray, runKernels, useGpu } from '../support/gpu.js';
import { expectRefused } from '../support/normalization.js';

const gpu = useGpu();

type Shape = [number, number, 'no bias'?];

/** Layers laid out as a network's flat buffer: each tensor on a 64-float boundary, g after W. */
function layout(shapes: Shape[]): { layers: WeightNormLayer[]; floats: number } {
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
    scaleOffset: take(rows),
    ...(bias === 'no bias' ? {} : { biasOffset: take(rows) }),
  }));
  return { layers, floats };
}

type Net = ReturnType<typeof layout>;

interface Run {
  normalized: Float32Array;
  grads: Float32Array;
}

/** Writes weights and gradients, records one normalisation and one gradient correction. */
async function runWeightNorm(ctx: GpuContext, net: Net, data: { weights: Float32Array; grads: Float32Array }) {
  const mem = ctx.memory;
  const buffers = {
    weights: mem.createStorage('weights', data.weights),
    normalized: mem.createStorage('normalized', net.floats),
    grads: mem.createStorage('grads', data.grads),
  };
  const wn = await createWeightNorm(ctx, { ...net, ...buffers, label: 'test wn' });
  try {
    await runKernels(ctx, { record: (p) => wn.recordNormalize(p) });
    await runKernels(ctx, { record: (p) => wn.recordGradientCorrection(p) });
    return { normalized: await ctx.readF32(buffers.normalized), grads: await ctx.readF32(buffers.grads) } as Run;
  } finally {
    wn.destroy();
    for (const b of Object.values(buffers)) mem.release(b);
  }
}

function inputsFor(net: Net, seed: number) {
  const weights = new Float32Array(net.floats);
  // Padding between tensors holds values of its own, which the gradients must leave as they are.
  const grads = randomArray(net.floats, seed + 999, -1, 1);
  net.layers.forEach((L, l) => {
    const bound = 1 / Math.sqrt(L.cols);
    const s = seed + 10 * l;
    weights.set(randomArray(L.rows * L.cols, s, -bound, bound), L.weightOffset);
    weights.set(randomArray(L.rows, s + 1, 0.5, 2), L.scaleOffset);
    grads.set(randomArray(L.rows * L.cols, s + 2, -1e-2, 1e-2), L.weightOffset);
    // Whatever g's slot held before is overwritten by its gradient.
    grads.set(randomArray(L.rows, s + 3, -9, 9), L.scaleOffset);
    if (L.biasOffset === undefined) return;
    weights.set(randomArray(L.rows, s + 4, -bound, bound), L.biasOffset);
    grads.set(randomArray(L.rows, s + 5, -1e-2, 1e-2), L.biasOffset);
  });
  return { weights, grads };
}

const slice = (a: ArrayLike<number>, from: number, count: number) =>
  Float64Array.from({ length: count }, (_, i) => a[from + i]!);

function expectMatchesReference(net: Net, data: ReturnType<typeof inputsFor>, got: Run) {
  for (const [l, L] of net.layers.entries()) {
    const { rows, cols } = L;
    const name = `layer ${l} (${rows}×${cols})`;
    const v = slice(data.weights, L.weightOffset, rows * cols);
    const g = slice(data.weights, L.scaleOffset, rows);
    const w = weightNormReference(v, g, rows, cols);
    expectClose(
      slice(got.normalized, L.weightOffset, rows * cols),
      w,
      (e) => 1e-5 * Math.abs(w[e]!) + 1e-9,
      `${name} w`,
    );
    const copied = (offset: number | undefined, what: string) =>
      offset !== undefined &&
      expect(Array.from(slice(got.normalized, offset, rows)), `${name} ${what} copied`).toEqual(
        Array.from(slice(data.weights, offset, rows)),
      );
    copied(L.scaleOffset, 'g');
    copied(L.biasOffset, 'bias');
    const want = weightNormGradientReference(slice(data.grads, L.weightOffset, rows * cols), v, g, rows, cols);
    expectClose(
      slice(got.grads, L.weightOffset, rows * cols),
      want.v,
      (e) => 2e-5 * want.vMagnitude[e]! + 1e-9,
      `${name} dL/dv`,
    );
    expectClose(
      slice(got.grads, L.scaleOffset, rows),
      want.g,
      (i) => 2e-5 * want.gMagnitude[i]! + 1e-9,
      `${name} dL/dg`,
    );
    if (L.biasOffset !== undefined)
      expect(Array.from(slice(got.grads, L.biasOffset, rows)), `${name} bias gradient untouched`).toEqual(
        Array.from(slice(data.grads, L.biasOffset, rows)),
      );
  }
  // Nothing is written outside the layers' tensors (a bias-free layer copies no bias anywhere).
  const inTensor = (e: number) =>
    net.layers.some((L) =>
      (
        [
          [L.weightOffset, L.rows * L.cols],
          [L.scaleOffset, L.rows],
          [L.biasOffset, L.rows],
        ] as Array<[number | undefined, number]>
      ).some(([at, n]) => at !== undefined && e >= at && e < at + n),
    );
  const stray = Array.from(got.normalized).findIndex((v, e) => v !== 0 && !inTensor(e));
  expect(stray, 'a value written outside every tensor').toBe(-1);
  const strayGradient = Array.from(got.grads).findIndex((v, e) => v !== data.grads[e] && !inTensor(e));
  expect(strayGradient, 'a gradient changed outside every tensor').toBe(-1);
}

const CASES: Array<[string, Shape[]]> = [
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
    '300×3 (rows past 256 threads) beside 3×1100 (a row past them)',
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

describe('weight normalisation, forward and gradients', () => {
  for (const [index, [name, shapes]] of CASES.entries()) {
    it(name, async () => {
      const net = layout(shapes);
      const data = inputsFor(net, 40 + index);
      expectMatchesReference(net, data, await runWeightNorm(gpu.ctx, net, data));
    });
  }

  it('a row of zeros is used as zeros, its gradients finite (the norm is held at 1e-12)', async () => {
    const net = layout([[3, 5]]);
    const data = inputsFor(net, 60);
    data.weights.fill(0, 5, 10); // row 1
    const got = await runWeightNorm(gpu.ctx, net, data);
    expect(Array.from(got.normalized.subarray(5, 10))).toEqual([0, 0, 0, 0, 0]);
    expect(got.grads.every(Number.isFinite)).toBe(true);
    expect(got.grads[net.layers[0]!.scaleOffset + 1]).toBe(0);
  });
});

describe('weight normalisation against finite differences', () => {
  it('dL/dv and dL/dg of L(v, g) = ⟨R, g · v / ‖v‖⟩', async () => {
    const [rows, cols] = [6, 4];
    const net = layout([[rows, cols]]);
    const L = net.layers[0]!;
    const data = inputsFor(net, 70);
    const r = randomArray(rows * cols, 71, -1, 1); // R: the gradient of the normalised weight
    data.grads.set(r, L.weightOffset);
    const got = await runWeightNorm(gpu.ctx, net, data);
    const v = slice(data.weights, L.weightOffset, rows * cols);
    const g = slice(data.weights, L.scaleOffset, rows);
    const lossAt = (vv: Float64Array, gg: Float64Array) =>
      weightNormReference(vv, gg, rows, cols).reduce((a, x, e) => a + r[e]! * x, 0);
    const moved = (a: Float64Array, k: number, h: number) => a.map((x, e) => (e === k ? x + h : x));
    const central = (f: (h: number) => number) => (f(1e-6) - f(-1e-6)) / 2e-6;
    const dv = v.map((_, k) => central((h) => lossAt(moved(v, k, h), g)));
    const dg = g.map((_, k) => central((h) => lossAt(v, moved(g, k, h))));
    const tolerance = (want: Float64Array) => (e: number) => 1e-4 + 1e-3 * Math.abs(want[e]!);
    expectClose(got.grads.subarray(L.weightOffset, L.weightOffset + rows * cols), dv, tolerance(dv), 'dL/dv');
    expectClose(got.grads.subarray(L.scaleOffset, L.scaleOffset + rows), dg, tolerance(dg), 'dL/dg');
  });
});

describe('weight normalisation arguments', () => {
  it.each([
    ['no layers', { layers: [] as WeightNormLayer[] }, /layers.*at least one/],
    [
      'a matrix past the buffers',
      { layers: [{ rows: 4, cols: 4, weightOffset: 60, scaleOffset: 0 }] },
      /weightOffset.*inside/,
    ],
    [
      'scales past the buffers',
      { layers: [{ rows: 4, cols: 4, weightOffset: 0, scaleOffset: 62 }] },
      /scaleOffset.*inside/,
    ],
    ['zero rows', { layers: [{ rows: 0, cols: 4, weightOffset: 0, scaleOffset: 0 }] }, /rows.*positive integer/],
  ])('refuses %s with an ArgumentError', (_name, change, message) =>
    expectRefused(gpu.ctx, createWeightNorm, change, message),
  );
});
