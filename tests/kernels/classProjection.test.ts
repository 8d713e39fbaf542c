// A projection discriminator's last layer: the class projection's forward, the logit head with
// row offsets, and the projection's input and weight gradients, run together as the step runs
// them, against the float64 reference of reference/projection.ts at awkward sizes (one row of one
// feature and one class; rows past one head workgroup with fake rows sharing the real labels;
// widths under and over the kernels' threads; with and without a bias and a gate), then against
// finite differences of the float64 loss. And the conditional generator's input (noise, one-hot).
import { describe, expect, it } from 'vitest';
import { ArgumentError, type GpuContext } from '../../src/index.js';
import { createClassInput, createClassInputGrad } from '../../src/kernels/classInput.js';
import {
  createProjectionForward,
  createProjectionInputGrad,
  createProjectionWeightGrad,
} from '../../src/kernels/classProjection.js';
import { createLogitHead, type LogitLoss } from '../../src/kernels/logitHead.js';
import { projectedHeadReference, type ProjectedHeadInputs } from '../../reference/projection.js';
import { expectClose, randomArray, runKernels, seededRandom, useGpu } from '../support/gpu.js';

const gpu = useGpu();

interface ProjectionCase {
  rows: number;
  width: number;
  classes: number;
  /** Labels given (row r takes label r mod labelRows); default rows. */
  labelRows?: number;
  loss: LogitLoss;
  withBias: boolean;
  gate?: 'leaky-relu' | 'tanh';
}

function inputsFor(c: ProjectionCase, seed: number): ProjectedHeadInputs {
  const next = seededRandom(seed);
  const labelRows = c.labelRows ?? c.rows;
  const scale = 1 / Math.sqrt(c.width);
  return {
    rows: c.rows,
    width: c.width,
    classes: c.classes,
    input: randomArray(c.rows * c.width, seed + 1, c.gate === 'tanh' ? -0.95 : -1, c.gate === 'tanh' ? 0.95 : 1),
    weight: randomArray(c.width, seed + 2, -scale, scale),
    bias: c.withBias ? Math.fround(0.3) : 0,
    classWeight: randomArray(c.classes * c.width, seed + 3, -scale, scale),
    labels: Float32Array.from({ length: labelRows }, () => Math.floor(next() * c.classes)),
  };
}

interface ProjectionResult {
  rowGrads: Float32Array;
  inputGrad: Float32Array;
  weightGrad: Float32Array;
  classWeightGrad: Float32Array;
  biasGrad: number;
  loss: number;
}

/** The four kernels in the step's order: offsets, head, input gradient, weight gradients. */
async function runProjected(ctx: GpuContext, c: ProjectionCase, x: ProjectedHeadInputs): Promise<ProjectionResult> {
  const mem = ctx.memory;
  const b = {
    input: mem.createStorage('features', Float32Array.from(x.input)),
    weight: mem.createStorage('weight', Float32Array.from(x.weight)),
    bias: mem.createStorage('bias', Float32Array.of(x.bias)),
    classWeight: mem.createStorage('class weight', Float32Array.from(x.classWeight)),
    labels: mem.createStorage('labels', Float32Array.from(x.labels)),
    offsets: mem.createStorage('offsets', c.rows),
    rowGrads: mem.createStorage('row grads', c.rows),
    inputGrad: mem.createStorage('input grad', c.rows * c.width),
    weightGrad: mem.createStorage('weight grad', c.width),
    classWeightGrad: mem.createStorage('class weight grad', c.classes * c.width),
    biasGrad: mem.createStorage('bias grad', 1),
    stats: mem.createStorage('stats', 3),
  };
  const shape = {
    rows: c.rows,
    width: c.width,
    classes: c.classes,
    features: b.input,
    classWeight: b.classWeight,
    labels: b.labels,
    labelRows: x.labels.length,
  };
  const gate = c.gate && { gate: c.gate, leakySlope: 0.2 };
  const kernels = [
    await createProjectionForward(ctx, { ...shape, offsets: b.offsets, ...(c.withBias && { bias: b.bias }) }),
    await createLogitHead(ctx, {
      rows: c.rows,
      width: c.width,
      input: b.input,
      weight: b.weight,
      loss: c.loss,
      split: Math.ceil(c.rows / 2),
      targetFirst: 0,
      targetSecond: 1,
      stats: b.stats,
      rowOffsets: { offsets: b.offsets, grads: b.rowGrads },
      inputGrad: { output: b.inputGrad, ...(c.gate && { gate: c.gate, leakySlope: 0.2 }) },
      paramGrads: { weight: b.weightGrad },
    }),
    await createProjectionInputGrad(ctx, { ...shape, rowGrads: b.rowGrads, inputGrad: b.inputGrad, ...gate }),
    await createProjectionWeightGrad(ctx, {
      ...shape,
      rowGrads: b.rowGrads,
      classWeightGrad: b.classWeightGrad,
      ...(c.withBias && { biasGrad: b.biasGrad }),
    }),
  ];
  try {
    await runKernels(ctx, ...kernels);
    return {
      rowGrads: await ctx.readF32(b.rowGrads),
      inputGrad: await ctx.readF32(b.inputGrad),
      weightGrad: await ctx.readF32(b.weightGrad),
      classWeightGrad: await ctx.readF32(b.classWeightGrad),
      biasGrad: (await ctx.readF32(b.biasGrad))[0]!,
      loss: (await ctx.readF32(b.stats))[0]!,
    };
  } finally {
    for (const k of kernels) k.destroy();
    for (const buffer of Object.values(b)) mem.release(buffer);
  }
}

const lossSpec = (c: ProjectionCase) => ({
  split: Math.ceil(c.rows / 2),
  targetFirst: 0,
  targetSecond: 1,
  kind: c.loss,
});

describe('class projection with the logit head, against float64', () => {
  const cases: Array<[string, ProjectionCase]> = [
    ['one row, one feature, one class', { rows: 1, width: 1, classes: 1, loss: 'bce', withBias: true }],
    [
      '38 rows (three head groups) sharing 19 labels, 300 features, 10 classes, leaky gate, hinge',
      { rows: 38, width: 300, classes: 10, labelRows: 19, loss: 'hinge', withBias: false, gate: 'leaky-relu' },
    ],
    [
      '5 rows, 7 features, 3 classes, tanh gate, least squares, a bias',
      { rows: 5, width: 7, classes: 3, loss: 'least-squares', withBias: true, gate: 'tanh' },
    ],
    ['17 rows, 65 features, 2 classes, BCE', { rows: 17, width: 65, classes: 2, loss: 'bce', withBias: false }],
  ];
  it.each(cases)('%s', async (_name, c) => {
    const x = inputsFor(c, 40 + c.rows);
    const want = projectedHeadReference(x, lossSpec(c), c.gate && { kind: c.gate, alpha: 0.2 });
    const got = await runProjected(gpu.ctx, c, x);
    // g_r carries the logit's float32 rounding, a few 1e-7 of Σ|a·(w + V[y])|; all else inherits it.
    const gTolerance = (r: number) => 1e-6 * (1 + Math.abs(want.logits[r]!)) + 1e-6 * Math.abs(want.bce.grad[r]!);
    expectClose(got.rowGrads, want.bce.grad, gTolerance, 'each row’s dLoss/dlogit');
    const scaled = (value: number, terms: number) => 1e-5 * Math.abs(value) + 2e-6 * terms + 1e-9;
    expectClose(
      got.inputGrad,
      want.inputGrad,
      (i) => scaled(want.inputGrad[i]!, gTolerance(Math.floor(i / c.width))),
      'dLoss/dfeatures',
    );
    expectClose(got.weightGrad, want.weightGrad, (j) => scaled(want.weightGrad[j]!, c.rows * 1e-3), 'dLoss/dw');
    expectClose(
      got.classWeightGrad,
      want.classWeightGrad,
      (i) => scaled(want.classWeightGrad[i]!, want.classWeightGradMagnitude[i]!),
      'dLoss/dV',
    );
    if (c.withBias) expectClose([got.biasGrad], [want.biasGrad], () => scaled(want.biasGrad, c.rows * 1e-3), 'db');
    else expect(got.biasGrad, 'no bias: its gradient is never written').toBe(0);
    expectClose([got.loss], [want.bce.loss], () => 1e-5 * (1 + Math.abs(want.bce.loss)), 'the loss');
  });
});

describe('class projection against finite differences', () => {
  const central = (f: (h: number) => number) => (f(1e-5) - f(-1e-5)) / 2e-5;
  it.each<[LogitLoss, 'leaky-relu' | undefined]>([
    ['bce', undefined],
    ['least-squares', 'leaky-relu'],
  ])('dLoss/dz, dLoss/dV and dLoss/db (%s; gate: %s)', async (loss, gate) => {
    const c: ProjectionCase = {
      rows: 6,
      width: 5,
      classes: 3,
      labelRows: 3,
      loss,
      withBias: true,
      ...(gate && { gate }),
    };
    const x = inputsFor(c, 7);
    // The head's input is a = f(z), off leaky-ReLU's kink: the gated gradient is dLoss/dz.
    const z = Float64Array.from(x.input, (v) => (Math.abs(v) < 0.05 ? v + 0.1 : v));
    const f = (v: number) => (gate === 'leaky-relu' && v < 0 ? 0.2 * v : v);
    const inputs = { ...x, input: Float32Array.from(z, f) };
    const lossAt = (change: Partial<ProjectedHeadInputs>) =>
      projectedHeadReference({ ...inputs, ...change }, lossSpec(c)).bce.loss;
    const got = await runProjected(gpu.ctx, c, inputs);
    const moved = (values: ArrayLike<number>, i: number, h: number, map = (v: number) => v) =>
      Float64Array.from(values, (v, k) => (k === i ? map(z[k]! + h) : v));
    const dz = Float64Array.from(z, (_, i) => central((h) => lossAt({ input: moved(inputs.input, i, h, f) })));
    const dV = Float64Array.from(x.classWeight, (v, i) =>
      central((h) => lossAt({ classWeight: Float64Array.from(x.classWeight, (u, k) => (k === i ? v + h : u)) })),
    );
    const db = central((h) => lossAt({ bias: x.bias + h }));
    const tolerance = (value: number) => 2e-5 + 1e-3 * Math.abs(value);
    expectClose(got.inputGrad, dz, (i) => tolerance(dz[i]!), 'dLoss/dz');
    expectClose(got.classWeightGrad, dV, (i) => tolerance(dV[i]!), 'dLoss/dV');
    expectClose([got.biasGrad], [db], () => tolerance(db), 'dLoss/db');
  });
});

describe('the class projection refuses bad arguments, naming them', () => {
  it('labels longer than the rows, a bias beside row offsets, a gate of none', async () => {
    const ctx = gpu.ctx;
    const make = (n: number) => ctx.memory.createStorage('t', n);
    const [features, classWeight, labels, out] = [make(12), make(6), make(5), make(4)];
    try {
      const shape = { rows: 4, width: 3, classes: 2, features, classWeight, labels };
      await expect(createProjectionForward(ctx, { ...shape, labelRows: 5, offsets: out })).rejects.toThrow(
        /^labelRows: must be at most rows \(4\)/,
      );
      await expect(
        createProjectionInputGrad(ctx, { ...shape, rowGrads: out, inputGrad: features, gate: 'none' as never }),
      ).rejects.toThrow(/^gate: must name an activation/);
      await expect(
        createLogitHead(ctx, {
          rows: 4,
          width: 3,
          input: features,
          weight: classWeight,
          bias: out,
          stats: out,
          targetFirst: 1,
          rowOffsets: { offsets: out, grads: labels },
        }),
      ).rejects.toThrow(ArgumentError);
    } finally {
      for (const b of [features, classWeight, labels, out]) ctx.memory.release(b);
    }
  });
});

describe('a conditional generator’s input', () => {
  it.each([
    [1, 1, 1, 1],
    [5, 100, 10, 5],
    [300, 3, 7, 100],
  ])('%i rows of %i noise values and a one-hot of %i classes (%i labels)', async (rows, noiseWidth, classes, given) => {
    const ctx = gpu.ctx;
    const noise = randomArray(rows * noiseWidth, rows, -2, 2);
    const next = seededRandom(classes);
    const labels = Float32Array.from({ length: given }, () => Math.floor(next() * classes));
    const width = noiseWidth + classes;
    const b = {
      noise: ctx.memory.createStorage('noise', noise),
      labels: ctx.memory.createStorage('labels', labels),
      output: ctx.memory.createStorage('joined', rows * width),
    };
    const kernel = await createClassInput(ctx, { rows, noiseWidth, classes, labelRows: given, ...b });
    try {
      await runKernels(ctx, kernel);
      const got = await ctx.readF32(b.output);
      const want = new Float32Array(rows * width);
      for (let r = 0; r < rows; r++) {
        want.set(noise.subarray(r * noiseWidth, (r + 1) * noiseWidth), r * width);
        want[r * width + noiseWidth + labels[r % given]!] = 1;
      }
      expect(Array.from(got)).toEqual(Array.from(want));
    } finally {
      kernel.destroy();
      for (const buffer of Object.values(b)) ctx.memory.release(buffer);
    }
  });

  // Its gradient with respect to the noise: each row's noise columns of the joined gradient.
  it.each([
    [1, 1, 1],
    [5, 100, 10],
    [300, 3, 7],
  ])('the gradient to the noise: %i rows of %i noise values beside %i classes', async (rows, noiseWidth, classes) => {
    const ctx = gpu.ctx;
    const width = noiseWidth + classes;
    const joined = randomArray(rows * width, rows + 1, -2, 2);
    const b = {
      joinedGrads: ctx.memory.createStorage('d joined', joined),
      noiseGrads: ctx.memory.createStorage('d noise', new Float32Array(rows * noiseWidth).fill(NaN)),
    };
    const kernel = await createClassInputGrad(ctx, { rows, noiseWidth, classes, ...b });
    try {
      await runKernels(ctx, kernel);
      const want = new Float32Array(rows * noiseWidth);
      for (let r = 0; r < rows; r++) want.set(joined.subarray(r * width, r * width + noiseWidth), r * noiseWidth);
      expect(Array.from(await ctx.readF32(b.noiseGrads))).toEqual(Array.from(want));
    } finally {
      kernel.destroy();
      for (const buffer of Object.values(b)) ctx.memory.release(buffer);
    }
  });
});
