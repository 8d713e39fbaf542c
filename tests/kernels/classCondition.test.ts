// The class-conditioning kernel (a label's one-hot as extra inputs of a layer, added as its
// weight column) against a float64 reference: one row of one class, odd sizes, the two halves of a
// discriminator batch sharing labels, a large batch over a 2-D grid, and labels that are not class
// indices, with a hot entry of 1 and of 8. Then the gradient of the class weights that the step
// takes from its one-hot rows (dZᵀ·onehot, a matmul) against finite differences of the layer
// written as W·[x; h·onehot(c)] + b.
import { describe, expect, it } from 'vitest';
import { ArgumentError, createMatmul, type GpuContext } from '../../src/index.js';
import { createClassCondition } from '../../src/kernels/classCondition.js';
import { activate, derivativeFromOutput } from '../../reference/cpu.js';
import { expectClose, randomArray, runKernels, useGpu } from '../support/gpu.js';

const gpu = useGpu();

type Gate = 'leaky-relu' | 'tanh' | 'none';

interface ConditionCase {
  rows: number;
  width: number;
  classes: number;
  labelRows?: number;
  activation: Gate;
  labels?: number[];
  /** The one-hot's hot entry h (default 1). */
  hot?: number;
}

async function runCondition(
  ctx: GpuContext,
  c: ConditionCase,
  values: Float32Array,
  weight: Float32Array,
  labels: Float32Array,
) {
  const mem = ctx.memory;
  const buffers = {
    values: mem.createStorage('values', values),
    weight: mem.createStorage('class weight', weight),
    labels: mem.createStorage('labels', labels),
    onehot: mem.createStorage('onehot', c.rows * c.classes),
  };
  try {
    const kernel = await createClassCondition(ctx, {
      rows: c.rows,
      width: c.width,
      classes: c.classes,
      labelRows: c.labelRows,
      values: buffers.values,
      classWeight: buffers.weight,
      labels: buffers.labels,
      onehot: buffers.onehot,
      activation: c.activation,
      ...(c.hot !== undefined && { hotValue: c.hot }),
    });
    await runKernels(ctx, kernel);
    kernel.destroy();
    return { values: await ctx.readF32(buffers.values), onehot: await ctx.readF32(buffers.onehot) };
  } finally {
    for (const b of Object.values(buffers)) mem.release(b);
  }
}

/** The class index a label names, or −1 where it names none. */
const classOf = (label: number, classes: number) =>
  Number.isInteger(label) && label >= 0 && label < classes ? label : -1;

function reference(c: ConditionCase, values: Float32Array, weight: Float32Array, labels: Float32Array) {
  const labelRows = c.labelRows ?? c.rows;
  const out = new Float64Array(c.rows * c.width);
  const onehot = new Float64Array(c.rows * c.classes);
  const hot = c.hot ?? 1;
  for (let r = 0; r < c.rows; r++) {
    const k = classOf(labels[r % labelRows]!, c.classes);
    if (k >= 0) onehot[r * c.classes + k] = hot;
    for (let o = 0; o < c.width; o++) {
      const added = k >= 0 ? hot * weight[o * c.classes + k]! : 0;
      out[r * c.width + o] = activate(c.activation, values[r * c.width + o]! + added, 0.2);
    }
  }
  return { values: out, onehot };
}

const CASES: Array<[string, ConditionCase]> = [
  ['1 row, width 1, 1 class', { rows: 1, width: 1, classes: 1, activation: 'leaky-relu' }],
  ['7 rows of width 5, 3 classes, tanh', { rows: 7, width: 5, classes: 3, activation: 'tanh' }],
  [
    '7 rows of width 5, 3 classes, tanh, a hot entry of 8',
    { rows: 7, width: 5, classes: 3, activation: 'tanh', hot: 8 },
  ],
  [
    '1000 rows of width 129, 10 classes, a hot entry of 64 and labels that are no class',
    { rows: 1000, width: 129, classes: 10, labelRows: 3, activation: 'leaky-relu', hot: 64, labels: [-1, 3, 10] },
  ],
  [
    "130 rows of width 128, 10 classes, the labels of 65 (a discriminator batch's two halves)",
    { rows: 130, width: 128, classes: 10, labelRows: 65, activation: 'leaky-relu' },
  ],
  [
    '8192 rows of width 256, 10 classes (the batch-4096 discriminator)',
    { rows: 8192, width: 256, classes: 10, activation: 'leaky-relu' },
  ],
  [
    'labels that are no class (−1, 10, 2.5, NaN) add nothing and have no one-hot',
    { rows: 6, width: 4, classes: 10, activation: 'none', labels: [3, -1, 10, 2.5, Number.NaN, 9] },
  ],
];

describe('class conditioning', () => {
  for (const [index, [name, c]] of CASES.entries()) {
    it(name, async () => {
      const values = randomArray(c.rows * c.width, 200 + index, -2, 2);
      const weight = randomArray(c.width * c.classes, 300 + index, -1, 1);
      const labelRows = c.labelRows ?? c.rows;
      const labels = c.labels
        ? Float32Array.from(c.labels)
        : Float32Array.from({ length: labelRows }, (_, r) => (r * 7 + index) % c.classes);
      const got = await runCondition(gpu.ctx, c, values, weight, labels);
      const want = reference(c, values, weight, labels);
      // One addition and the activation: a few roundings of the values' size.
      expectClose(got.values, want.values, (i) => 1e-6 * (Math.abs(want.values[i]!) + 2) + 1e-7, 'values');
      expect(Array.from(got.onehot)).toEqual(Array.from(want.onehot));
    });
  }

  it('refuses more labels than rows, an unknown activation and a hot entry of 0', async () => {
    const c: ConditionCase = { rows: 2, width: 2, classes: 2, activation: 'tanh', labelRows: 3 };
    await expect(
      runCondition(gpu.ctx, c, new Float32Array(4), new Float32Array(4), new Float32Array(3)),
    ).rejects.toThrow(/labelRows.*at most rows/);
    const bad = { ...c, labelRows: 2, activation: 'relu6' as Gate };
    await expect(
      runCondition(gpu.ctx, bad, new Float32Array(4), new Float32Array(4), new Float32Array(2)),
    ).rejects.toThrow(ArgumentError);
    const cold = { ...c, labelRows: 2, hot: 0 };
    await expect(
      runCondition(gpu.ctx, cold, new Float32Array(4), new Float32Array(4), new Float32Array(2)),
    ).rejects.toThrow(/hotValue/);
  });
});

describe('class weights against finite differences', () => {
  it.each([1, 8])('dZᵀ·onehot is dL/dW_c of L = Σ R ⊙ f(W·[x; h·onehot(c)] + b), h = %d', async (hot) => {
    const [rows, inputs, width, classes] = [9, 3, 4, 5];
    const x = randomArray(rows * inputs, 41, -1, 1);
    const wx = randomArray(width * inputs, 42, -1, 1);
    const b = randomArray(width, 43, -0.5, 0.5);
    const wc = randomArray(width * classes, 44, -1, 1);
    const labels = Float32Array.from({ length: rows }, (_, r) => (r * 3) % classes);
    const upstream = randomArray(rows * width, 45, -1, 1);
    const preActivation = (classWeight: ArrayLike<number>) =>
      Float64Array.from({ length: rows * width }, (_, i) => {
        const [r, o] = [Math.floor(i / width), i % width];
        let s = b[o]! + hot * classWeight[o * classes + labels[r]!]!;
        for (let j = 0; j < inputs; j++) s += x[r * inputs + j]! * wx[o * inputs + j]!;
        return s;
      });
    const lossAt = (classWeight: ArrayLike<number>) =>
      preActivation(classWeight).reduce((a, z, i) => a + upstream[i]! * Math.tanh(z), 0);
    const numeric = Float64Array.from(wc, (_, e) => {
      const at = (h: number) => lossAt(Float64Array.from(wc, (v, k) => (k === e ? v + h : v)));
      return (at(1e-6) - at(-1e-6)) / 2e-6;
    });

    // The forward as the step runs it: the matmul's W_x·x + b, then the class column and tanh.
    const y = Float32Array.from(preActivation(new Float64Array(width * classes)));
    const condition: ConditionCase = { rows, width, classes, activation: 'tanh', hot };
    const { values, onehot } = await runCondition(gpu.ctx, condition, y, wc, labels);
    const dZ = Float32Array.from(values, (v, i) => upstream[i]! * derivativeFromOutput('tanh', v, 0.2));
    const mem = gpu.ctx.memory;
    const buffers = [dZ, onehot, new Float32Array(width * classes)].map((data, i) => mem.createStorage(`t${i}`, data));
    try {
      const matmul = await createMatmul(gpu.ctx, {
        m: width,
        n: classes,
        k: rows,
        a: buffers[0]!,
        transposeA: true,
        b: buffers[1]!,
        c: buffers[2]!,
      });
      await runKernels(gpu.ctx, matmul);
      matmul.destroy();
      const got = await gpu.ctx.readF32(buffers[2]!);
      expectClose(got, numeric, (e) => 1e-4 + 1e-3 * Math.abs(numeric[e]!), 'dL/dW_c');
    } finally {
      for (const buffer of buffers) mem.release(buffer);
    }
  });
});
