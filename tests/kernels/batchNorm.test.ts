// Batch normalisation against the float64 reference (reference/batchNorm.ts) at awkward shapes:
// odd channel counts, S = 1 (BatchNorm1d), S = 7×7 and 3×5, a batch of one, and one case large
// enough that each of a workgroup's invocations sums many values. The reference's backward is
// itself checked by central differences of its forward, so the GPU's backward is pinned to the
// definition, not just to a second implementation of the same formula. Row windows (firstRow):
// two halves of one buffer normalised apart, their running updates in recording order, and the
// backward's dgamma and dbeta added across them (or not written at all), against the float64
// row-group reference, itself checked by central differences.
import { describe, expect, it } from 'vitest';
import { ArgumentError, type GpuContext } from '../../src/index.js';
import {
  createBatchNorm,
  createBatchNormBackward,
  createBatchNormEvalBackward,
  type BatchNormActivation,
  type BatchNormSpec,
} from '../../src/kernels/batchNorm.js';
import {
  batchNormBackwardReference,
  batchNormEvalBackwardReference,
  batchNormEvalReference,
  batchNormGroupsBackwardReference,
  batchNormGroupsTrainReference,
  batchNormTrainReference,
  type BatchNormAffine,
  type BatchNormLayout,
  type RowGroup,
} from '../../reference/batchNorm.js';
import { float32Tolerance } from '../../reference/numeric.js';
import { expectClose, randomArray, runKernels, useGpu } from '../support/gpu.js';

const gpu = useGpu();

interface Case extends BatchNormLayout {
  activation?: BatchNormActivation;
  leakySlope?: number;
}

/** Inputs of one case: x in [-1, 1] unless given, and per-channel parameters and running stats. */
function inputs(c: Case, seed: number, x?: Float32Array) {
  const n = c.batch * c.channels * c.spatial;
  return {
    x: x ?? randomArray(n, seed),
    gamma: randomArray(c.channels, seed + 1, -1.5, 1.5),
    beta: randomArray(c.channels, seed + 2, -0.5, 0.5),
    runningMean: randomArray(c.channels, seed + 3, -0.2, 0.2),
    runningVar: randomArray(c.channels, seed + 4, 0.5, 2),
  };
}
type Inputs = ReturnType<typeof inputs>;

function affine(c: Case, data: Inputs, eps = 1e-5): BatchNormAffine {
  return { gamma: data.gamma, beta: data.beta, eps, activation: c.activation, leakySlope: c.leakySlope };
}

/** Makes storage buffers for `data` (arrays, or element counts), runs `body`, releases them all. */
async function withBuffers<K extends string, T>(
  ctx: GpuContext,
  data: Record<K, Float32Array | number>,
  body: (buffers: Record<K, GPUBuffer>) => Promise<T>,
): Promise<T> {
  const made = {} as Record<K, GPUBuffer>;
  try {
    for (const name of Object.keys(data) as K[]) made[name] = ctx.memory.createStorage(name, data[name]);
    return await body(made);
  } finally {
    for (const buffer of Object.values<GPUBuffer>(made)) ctx.memory.release(buffer);
  }
}

/** Runs `body` with a kernel and destroys it afterwards, whatever happens. */
async function withKernel<K extends { destroy(): void }, T>(
  kernel: Promise<K>,
  body: (k: K) => Promise<T>,
): Promise<T> {
  const k = await kernel;
  try {
    return await body(k);
  } finally {
    k.destroy();
  }
}

function trainBuffers(c: Case, data: Inputs) {
  return { ...data, y: data.x.length, saved: 2 * c.channels };
}

function trainSpec(c: Case, b: Record<keyof ReturnType<typeof trainBuffers>, GPUBuffer>): BatchNormSpec {
  return { mode: 'train', ...c, ...b };
}

const sameBits = (a: Float32Array, b: Float32Array) => Buffer.from(a.buffer).equals(Buffer.from(b.buffer));

/** Checks one training step's y, saved statistics and running estimates against the reference. */
function expectTrainStep(
  got: { y: Float32Array; saved: Float32Array; runningMean: Float32Array; runningVar: Float32Array },
  ref: ReturnType<typeof batchNormTrainReference>,
  momentum: number,
  old: { mean: ArrayLike<number>; variance: ArrayLike<number> },
): void {
  const channels = ref.mean.length;
  expectClose(got.y, ref.y, (i) => float32Tolerance(ref.yMagnitude[i]!), 'y');
  expectClose(got.saved.subarray(0, channels), ref.mean, (c) => float32Tolerance(ref.meanMagnitude[c]!), 'mean');
  expectClose(got.saved.subarray(channels), ref.invStd, (c) => float32Tolerance(ref.invStd[c]!), 'invstd');
  const blend = (previous: number, current: number) => (1 - momentum) * Math.abs(previous) + momentum * current;
  expectClose(
    got.runningMean,
    ref.runningMean,
    (c) => float32Tolerance(blend(old.mean[c]!, ref.meanMagnitude[c]!)),
    'running mean',
  );
  expectClose(
    got.runningVar,
    ref.runningVar,
    (c) => float32Tolerance(blend(old.variance[c]!, 2 * ref.variance[c]!)),
    'running var',
  );
}

describe('batch norm, training forward', () => {
  const cases: Case[] = [
    { batch: 4, channels: 3, spatial: 1 },
    { batch: 2, channels: 3, spatial: 1 },
    { batch: 2, channels: 5, spatial: 49, activation: 'relu' },
    { batch: 3, channels: 3, spatial: 15, activation: 'leaky-relu', leakySlope: 0.1 },
    { batch: 1, channels: 5, spatial: 49, activation: 'tanh' },
    { batch: 5, channels: 1, spatial: 2, activation: 'sigmoid' },
    { batch: 64, channels: 8, spatial: 196 },
    // 131072 values per channel: each invocation sums 512 of them before the tree.
    { batch: 128, channels: 2, spatial: 1024, activation: 'relu' },
  ];
  for (const c of cases) {
    it(`N=${c.batch} C=${c.channels} S=${c.spatial} ${c.activation ?? 'none'}, deterministic`, async () => {
      const { ctx } = gpu;
      const data = inputs(c, c.batch * 100 + c.channels * 10 + c.spatial);
      const momentum = 0.3;
      const ref = batchNormTrainReference(
        data.x,
        c,
        affine(c, data),
        { mean: data.runningMean, variance: data.runningVar },
        momentum,
      );
      await withBuffers(ctx, trainBuffers(c, data), (b) =>
        withKernel(createBatchNorm(ctx, { ...trainSpec(c, b), momentum }), async (kernel) => {
          await runKernels(ctx, kernel);
          const got = {
            y: await ctx.readF32(b.y),
            saved: await ctx.readF32(b.saved),
            runningMean: await ctx.readF32(b.runningMean),
            runningVar: await ctx.readF32(b.runningVar),
          };
          expectTrainStep(got, ref, momentum, { mean: data.runningMean, variance: data.runningVar });
          await runKernels(ctx, kernel);
          expect(sameBits(await ctx.readF32(b.y), got.y), 'same y bits on a second run').toBe(true);
          expect(sameBits(await ctx.readF32(b.saved), got.saved), 'same statistics bits on a second run').toBe(true);
        }),
      );
    });
  }

  it('keeps the variance of values 1000 ± 1 (no E[x²] − E[x]² cancellation)', async () => {
    const { ctx } = gpu;
    const c: Case = { batch: 16, channels: 3, spatial: 49 };
    const data = inputs(c, 7, randomArray(c.batch * c.channels * c.spatial, 7, 999, 1001));
    const ref = batchNormTrainReference(
      data.x,
      c,
      affine(c, data),
      { mean: data.runningMean, variance: data.runningVar },
      0.1,
    );
    await withBuffers(ctx, trainBuffers(c, data), (b) =>
      withKernel(createBatchNorm(ctx, trainSpec(c, b)), async (kernel) => {
        await runKernels(ctx, kernel);
        const saved = await ctx.readF32(b.saved);
        // The variance is ≈ 1/3 while E[x²] ≈ 10⁶: float32's E[x²] − E[x]² would be off by more
        // than the variance itself. Ask for 1e-5 relative on the inverse std and running variance.
        expectClose(saved.subarray(c.channels), ref.invStd, (i) => 1e-5 * ref.invStd[i]!, 'invstd');
        expectClose(await ctx.readF32(b.runningVar), ref.runningVar, (i) => 1e-5 * ref.runningVar[i]!, 'running var');
        const y = await ctx.readF32(b.y);
        expectClose(y, ref.y, (i) => float32Tolerance(ref.yMagnitude[i]!), 'y');
      }),
    );
  });

  it('updates the running estimates over two successive steps', async () => {
    const { ctx } = gpu;
    const c: Case = { batch: 3, channels: 5, spatial: 15 };
    const first = inputs(c, 21);
    const second = randomArray(first.x.length, 22, -2, 3);
    const momentum = 0.25;
    const a = affine(c, first);
    const step1 = batchNormTrainReference(
      first.x,
      c,
      a,
      { mean: first.runningMean, variance: first.runningVar },
      momentum,
    );
    const running1 = { mean: step1.runningMean, variance: step1.runningVar };
    const step2 = batchNormTrainReference(second, c, a, running1, momentum);
    await withBuffers(ctx, trainBuffers(c, first), (b) =>
      withKernel(createBatchNorm(ctx, { ...trainSpec(c, b), momentum }), async (kernel) => {
        await runKernels(ctx, kernel);
        ctx.write(b.x, second);
        await runKernels(ctx, kernel);
        const got = {
          y: await ctx.readF32(b.y),
          saved: await ctx.readF32(b.saved),
          runningMean: await ctx.readF32(b.runningMean),
          runningVar: await ctx.readF32(b.runningVar),
        };
        expectTrainStep(got, step2, momentum, running1);
      }),
    );
  });
});

describe('batch norm, eval forward', () => {
  const cases: Case[] = [
    { batch: 3, channels: 5, spatial: 49 },
    { batch: 2, channels: 3, spatial: 15, activation: 'relu' },
    { batch: 4, channels: 3, spatial: 1, activation: 'leaky-relu' },
    { batch: 2, channels: 5, spatial: 3, activation: 'tanh' },
    { batch: 1, channels: 3, spatial: 1, activation: 'sigmoid' },
  ];
  for (const c of cases) {
    it(`N=${c.batch} C=${c.channels} S=${c.spatial} ${c.activation ?? 'none'}, running stats unchanged`, async () => {
      const { ctx } = gpu;
      const data = inputs(c, 40 + c.spatial);
      const eps = 1e-3;
      const ref = batchNormEvalReference(data.x, c, affine(c, data, eps), {
        mean: data.runningMean,
        variance: data.runningVar,
      });
      const { x, gamma, beta, runningMean, runningVar } = data;
      await withBuffers(ctx, { x, gamma, beta, runningMean, runningVar, y: x.length }, (b) =>
        withKernel(createBatchNorm(ctx, { mode: 'eval', ...c, ...b, eps }), async (kernel) => {
          await runKernels(ctx, kernel);
          expectClose(await ctx.readF32(b.y), ref.y, (i) => float32Tolerance(ref.yMagnitude[i]!), 'y');
          expect(sameBits(await ctx.readF32(b.runningMean), runningMean), 'running mean untouched').toBe(true);
          expect(sameBits(await ctx.readF32(b.runningVar), runningVar), 'running var untouched').toBe(true);
        }),
      );
    });
  }
});

describe('batch norm, eval backward to the input', () => {
  for (const activation of ['none', 'tanh', 'leaky-relu'] as const) {
    it(`the reference's dx matches central differences of Σ w·y in eval mode (${activation})`, () => {
      const c: Case = { batch: 2, channels: 3, spatial: 5, activation };
      const data = inputs(c, 140);
      const w = randomArray(data.x.length, 141);
      const a = affine(c, data, 1e-3);
      const running = { mean: data.runningMean, variance: data.runningVar };
      const ref = batchNormEvalBackwardReference(data.x, w, c, a, running);
      const loss = (x: ArrayLike<number>) =>
        batchNormEvalReference(x, c, a, running).y.reduce((sum, value, i) => sum + value * w[i]!, 0);
      const dx = centralDifferences(data.x, loss);
      expectClose(ref.dx, dx, (i) => 1e-7 + 1e-6 * Math.abs(dx[i]!), 'dx');
    });
  }

  const cases: Case[] = [
    { batch: 1, channels: 1, spatial: 1 },
    { batch: 3, channels: 5, spatial: 49, activation: 'relu' },
    { batch: 2, channels: 3, spatial: 15, activation: 'leaky-relu', leakySlope: 0.1 },
    { batch: 4, channels: 3, spatial: 1, activation: 'tanh' },
    { batch: 2, channels: 7, spatial: 3, activation: 'sigmoid' },
    // More values than one row of workgroups covers: the grid's second dimension.
    { batch: 37, channels: 129, spatial: 196 },
  ];
  for (const c of cases) {
    it(`N=${c.batch} C=${c.channels} S=${c.spatial} ${c.activation ?? 'none'} against the reference`, async () => {
      const { ctx } = gpu;
      const data = inputs(c, 150 + c.channels);
      const dy = randomArray(data.x.length, 151 + c.channels);
      const eps = 1e-3;
      const running = { mean: data.runningMean, variance: data.runningVar };
      const ref = batchNormEvalBackwardReference(data.x, dy, c, affine(c, data, eps), running);
      const { x, gamma, beta, runningMean, runningVar } = data;
      await withBuffers(ctx, { x, gamma, beta, runningMean, runningVar, y: x.length, dy, dx: x.length }, (b) =>
        withKernel(createBatchNorm(ctx, { mode: 'eval', ...c, ...b, eps }), (forward) =>
          withKernel(createBatchNormEvalBackward(ctx, { ...c, ...b, eps }), async (backward) => {
            await runKernels(ctx, forward, backward);
            // Its f'(z) is read from the forward's output y, as in training.
            expectClose(await ctx.readF32(b.dx), ref.dx, (i) => float32Tolerance(4 * ref.dxMagnitude[i]!), 'dx');
          }),
        ),
      );
    });
  }

  it('writes only its window of rows', async () => {
    const { ctx } = gpu;
    const c: Case = { batch: 2, channels: 3, spatial: 4 };
    const whole = { ...c, batch: 5 };
    const data = inputs(whole, 170);
    const dy = randomArray(data.x.length, 171);
    const before = randomArray(data.x.length, 172);
    const running = { mean: data.runningMean, variance: data.runningVar };
    const width = c.channels * c.spatial;
    const ref = batchNormEvalBackwardReference(data.x, dy, whole, affine(whole, data), running);
    const { gamma, runningVar } = data;
    await withBuffers(ctx, { gamma, runningVar, dy, dx: before }, (b) =>
      withKernel(createBatchNormEvalBackward(ctx, { ...c, firstRow: 2, ...b }), async (kernel) => {
        await runKernels(ctx, kernel);
        const got = await ctx.readF32(b.dx);
        for (let i = 0; i < got.length; i++) {
          const inside = i >= 2 * width && i < 4 * width;
          const tolerance = float32Tolerance(4 * Math.abs(ref.dx[i]!));
          if (inside) expect(Math.abs(got[i]! - ref.dx[i]!), `dx[${i}]`).toBeLessThanOrEqual(tolerance);
          else expect(got[i], `dx[${i}] outside the window`).toBe(before[i]);
        }
      }),
    );
  });
});

/** L = Σ w·y on the reference's training forward, in float64. */
function lossOf(c: Case, x: ArrayLike<number>, a: BatchNormAffine, w: ArrayLike<number>): number {
  const channels = new Float64Array(c.channels);
  const { y } = batchNormTrainReference(x, c, a, { mean: channels, variance: channels }, 0);
  return y.reduce((sum, value, i) => sum + value * w[i]!, 0);
}

/** Central differences of `loss` in every entry of `values`. */
function centralDifferences(values: ArrayLike<number>, loss: (perturbed: Float64Array) => number): Float64Array {
  const h = 1e-5;
  return Float64Array.from(values, (v, i) => {
    const perturbed = Float64Array.from(values);
    perturbed[i] = v + h;
    const plus = loss(perturbed);
    perturbed[i] = v - h;
    return (plus - loss(perturbed)) / (2 * h);
  });
}

describe('batch norm, backward', () => {
  for (const activation of ['none', 'tanh'] as const) {
    it(`the reference's gradients match central differences of Σ w·y (${activation})`, () => {
      const c: Case = { batch: 2, channels: 3, spatial: 5, activation };
      const data = inputs(c, 60);
      const w = randomArray(data.x.length, 61);
      const a = affine(c, data);
      const ref = batchNormBackwardReference(data.x, w, c, a);
      // Float64 on both sides: O(h²) truncation and ε/h rounding are both far below 1e-7.
      const tolerance = (expected: ArrayLike<number>) => (i: number) => 1e-7 + 1e-6 * Math.abs(expected[i]!);
      const dx = centralDifferences(data.x, (x) => lossOf(c, x, a, w));
      const dgamma = centralDifferences(data.gamma, (gamma) => lossOf(c, data.x, { ...a, gamma }, w));
      const dbeta = centralDifferences(data.beta, (beta) => lossOf(c, data.x, { ...a, beta }, w));
      expectClose(ref.dx, dx, tolerance(dx), 'dx');
      expectClose(ref.dgamma, dgamma, tolerance(dgamma), 'dgamma');
      expectClose(ref.dbeta, dbeta, tolerance(dbeta), 'dbeta');
    });
  }

  const cases: Case[] = [
    { batch: 4, channels: 3, spatial: 1 },
    { batch: 2, channels: 3, spatial: 1, activation: 'tanh' },
    { batch: 2, channels: 5, spatial: 49, activation: 'leaky-relu' },
    { batch: 1, channels: 5, spatial: 49 },
    { batch: 3, channels: 3, spatial: 15, activation: 'sigmoid' },
    { batch: 64, channels: 8, spatial: 196, activation: 'relu' },
    { batch: 128, channels: 2, spatial: 1024 },
  ];
  for (const c of cases) {
    it(`N=${c.batch} C=${c.channels} S=${c.spatial} ${c.activation ?? 'none'} against the reference`, async () => {
      const { ctx } = gpu;
      const data = inputs(c, 80 + c.batch);
      const dy = randomArray(data.x.length, 81 + c.batch);
      const ref = batchNormBackwardReference(data.x, dy, c, affine(c, data));
      const grads = { dy, dx: dy.length, dgamma: c.channels, dbeta: c.channels };
      await withBuffers(ctx, { ...trainBuffers(c, data), ...grads }, async (b) => {
        const forward = await createBatchNorm(ctx, trainSpec(c, b));
        try {
          await withKernel(createBatchNormBackward(ctx, { ...c, ...b }), async (backward) => {
            await runKernels(ctx, forward, backward);
            const got = { dx: await ctx.readF32(b.dx), dgamma: await ctx.readF32(b.dgamma) };
            expectClose(got.dx, ref.dx, (i) => float32Tolerance(ref.dxMagnitude[i]!), 'dx');
            expectClose(got.dgamma, ref.dgamma, (i) => float32Tolerance(ref.dgammaMagnitude[i]!), 'dgamma');
            const dbeta = await ctx.readF32(b.dbeta);
            expectClose(dbeta, ref.dbeta, (i) => float32Tolerance(ref.dbetaMagnitude[i]!), 'dbeta');
            // dgamma and dbeta are overwritten, so a second run gives the same bits, not twice the sum.
            await runKernels(ctx, backward);
            expect(sameBits(await ctx.readF32(b.dx), got.dx), 'same dx bits').toBe(true);
            expect(sameBits(await ctx.readF32(b.dgamma), got.dgamma), 'same dgamma bits').toBe(true);
            expect(sameBits(await ctx.readF32(b.dbeta), dbeta), 'same dbeta bits').toBe(true);
          });
        } finally {
          forward.destroy();
        }
      });
    });
  }
});

/** Σ w·y over row groups normalised apart, in float64. */
function groupsLossOf(c: Case, x: ArrayLike<number>, a: BatchNormAffine, w: ArrayLike<number>, groups: RowGroup[]) {
  const zeros = new Float64Array(c.channels);
  const { y } = batchNormGroupsTrainReference(x, c, a, { mean: zeros, variance: zeros }, 0, groups);
  return y.reduce((sum, value, i) => sum + value * w[i]!, 0);
}

describe('batch norm, row windows (halves of one buffer normalised apart)', () => {
  // [fake; real] as a GAN's step holds them, the real half's update first; and an uneven split.
  const splits: Array<[Case, RowGroup[]]> = [
    [
      { batch: 6, channels: 5, spatial: 9, activation: 'leaky-relu', leakySlope: 0.2 },
      [
        { firstRow: 3, rows: 3 },
        { firstRow: 0, rows: 3 },
      ],
    ],
    [
      { batch: 7, channels: 3, spatial: 1, activation: 'tanh' },
      [
        { firstRow: 0, rows: 4 },
        { firstRow: 4, rows: 3 },
      ],
    ],
  ];

  it("the reference's summed gradients match central differences of Σ w·y over the groups", () => {
    const [c, groups] = splits[0]!;
    const data = inputs(c, 70);
    const w = randomArray(data.x.length, 71);
    const a = affine(c, data);
    const ref = batchNormGroupsBackwardReference(data.x, w, c, a, groups);
    const tolerance = (expected: ArrayLike<number>) => (i: number) => 1e-7 + 1e-6 * Math.abs(expected[i]!);
    const dx = centralDifferences(data.x, (x) => groupsLossOf(c, x, a, w, groups));
    const dgamma = centralDifferences(data.gamma, (gamma) => groupsLossOf(c, data.x, { ...a, gamma }, w, groups));
    const dbeta = centralDifferences(data.beta, (beta) => groupsLossOf(c, data.x, { ...a, beta }, w, groups));
    expectClose(ref.dx, dx, tolerance(dx), 'dx');
    expectClose(ref.dgamma, dgamma, tolerance(dgamma), 'dgamma');
    expectClose(ref.dbeta, dbeta, tolerance(dbeta), 'dbeta');
  });

  for (const [c, groups] of splits) {
    const name = `N=${c.batch} as ${groups.map((g) => `${g.firstRow}+${g.rows}`).join(', then ')}`;

    it(`${name}: each window on its own statistics, running updates in order, other rows untouched`, async () => {
      const { ctx } = gpu;
      const data = inputs(c, 300 + c.batch);
      const momentum = 0.1;
      const old = { mean: data.runningMean, variance: data.runningVar };
      const ref = batchNormGroupsTrainReference(data.x, c, affine(c, data), old, momentum, groups);
      const sentinel = Float32Array.from({ length: data.x.length }, () => 7);
      const saved = { saved0: 2 * c.channels, saved1: 2 * c.channels };
      await withBuffers(ctx, { ...data, y: sentinel, ...saved }, async (b) => {
        const spec = (g: number): BatchNormSpec => ({
          mode: 'train',
          ...c,
          ...b,
          batch: groups[g]!.rows,
          firstRow: groups[g]!.firstRow,
          saved: g === 0 ? b.saved0 : b.saved1,
          momentum,
        });
        const kernels = [await createBatchNorm(ctx, spec(0)), await createBatchNorm(ctx, spec(1))];
        try {
          await runKernels(ctx, kernels[0]!);
          const y = await ctx.readF32(b.y);
          const width = c.channels * c.spatial;
          const other = groups[1]!;
          const untouched = y.subarray(other.firstRow * width, (other.firstRow + other.rows) * width);
          expect(
            untouched.every((v) => v === 7),
            "the other window's rows untouched",
          ).toBe(true);
          await runKernels(ctx, kernels[1]!);
          expectClose(await ctx.readF32(b.y), ref.y, (i) => float32Tolerance(ref.yMagnitude[i]!), 'y');
          for (const [g, step] of ref.groups.entries()) {
            const got = await ctx.readF32(g === 0 ? b.saved0 : b.saved1);
            const tolerance = (i: number) => float32Tolerance(step.meanMagnitude[i]!);
            expectClose(got.subarray(0, c.channels), step.mean, tolerance, `window ${g} mean`);
            expectClose(got.subarray(c.channels), step.invStd, (i) => float32Tolerance(step.invStd[i]!), 'invstd');
          }
          // After both updates: the order matters, (1 − m)² r + (1 − m) m s₀ + m s₁.
          const rm = await ctx.readF32(b.runningMean);
          expectClose(rm, ref.runningMean, (i) => float32Tolerance(Math.abs(ref.runningMean[i]!) + 1), 'mean');
          const rv = await ctx.readF32(b.runningVar);
          expectClose(rv, ref.runningVar, (i) => float32Tolerance(ref.runningVar[i]!), 'running var');
        } finally {
          for (const k of kernels) k.destroy();
        }
      });
    });

    it(`${name}: backward per window, dgamma and dbeta summed (added in order), or not written`, async () => {
      const { ctx } = gpu;
      const data = inputs(c, 400 + c.batch);
      const dy = randomArray(data.x.length, 401 + c.batch);
      const ref = batchNormGroupsBackwardReference(data.x, dy, c, affine(c, data), groups);
      const buffers = { ...trainBuffers(c, data), saved1: 2 * c.channels, dy, dx: dy.length, dx2: dy.length };
      const grads = { dgamma: c.channels, dbeta: c.channels };
      await withBuffers(ctx, { ...buffers, ...grads }, async (b) => {
        const window = (g: number) => ({
          ...c,
          ...b,
          batch: groups[g]!.rows,
          firstRow: groups[g]!.firstRow,
          saved: g === 0 ? b.saved : b.saved1,
        });
        const built = [];
        try {
          for (const g of [0, 1]) built.push(await createBatchNorm(ctx, { mode: 'train', ...window(g) }));
          built.push(await createBatchNormBackward(ctx, window(0)));
          built.push(await createBatchNormBackward(ctx, { ...window(1), accumulate: true }));
          // Only dx: the same dx, into a second buffer, with no dgamma or dbeta bound.
          for (const g of [0, 1]) {
            const { dgamma: _g, dbeta: _b, ...rest } = window(g);
            built.push(await createBatchNormBackward(ctx, { ...rest, dx: b.dx2 }));
          }
          await runKernels(ctx, ...built);
          const dx = await ctx.readF32(b.dx);
          expectClose(dx, ref.dx, (i) => float32Tolerance(ref.dxMagnitude[i]!), 'dx');
          const dgamma = await ctx.readF32(b.dgamma);
          const dbeta = await ctx.readF32(b.dbeta);
          expectClose(dgamma, ref.dgamma, (i) => float32Tolerance(ref.dgammaMagnitude[i]!), 'dgamma');
          expectClose(dbeta, ref.dbeta, (i) => float32Tolerance(ref.dbetaMagnitude[i]!), 'dbeta');
          expect(sameBits(await ctx.readF32(b.dx2), dx), 'dx without dgamma, dbeta: same bits').toBe(true);
          // The first window writes, the second adds: a rerun gives the same bits, not a doubled sum.
          await runKernels(ctx, ...built.slice(2, 4));
          expect(sameBits(await ctx.readF32(b.dgamma), dgamma), 'same dgamma bits').toBe(true);
          expect(sameBits(await ctx.readF32(b.dbeta), dbeta), 'same dbeta bits').toBe(true);
        } finally {
          for (const k of built) k.destroy();
        }
      });
    });

    it(`${name}: eval over a window reads the running estimates`, async () => {
      const { ctx } = gpu;
      const data = inputs(c, 500 + c.batch);
      const g = groups[0]!;
      const width = c.channels * c.spatial;
      const rows = data.x.subarray(g.firstRow * width, (g.firstRow + g.rows) * width);
      const running = { mean: data.runningMean, variance: data.runningVar };
      const ref = batchNormEvalReference(rows, { ...c, batch: g.rows }, affine(c, data), running);
      await withBuffers(ctx, { ...data, y: data.x.length }, (b) =>
        withKernel(
          createBatchNorm(ctx, { mode: 'eval', ...c, ...b, batch: g.rows, firstRow: g.firstRow }),
          async (kernel) => {
            await runKernels(ctx, kernel);
            const y = (await ctx.readF32(b.y)).subarray(g.firstRow * width, (g.firstRow + g.rows) * width);
            expectClose(y, ref.y, (i) => float32Tolerance(ref.yMagnitude[i]!), 'y');
          },
        ),
      );
    });
  }
});

describe('batch norm, refusals', () => {
  const c: Case = { batch: 2, channels: 3, spatial: 5 };

  it('refuses training with one value per channel, as PyTorch does, but allows eval', async () => {
    const { ctx } = gpu;
    const one: Case = { batch: 1, channels: 3, spatial: 1 };
    const data = inputs(one, 90);
    const grads = { dy: 3, dx: 3, dgamma: 3, dbeta: 3 };
    await withBuffers(ctx, { ...trainBuffers(one, data), ...grads }, async (b) => {
      const perChannel = /batch: expected more than 1 value per channel when training/;
      await expect(createBatchNorm(ctx, trainSpec(one, b))).rejects.toThrow(perChannel);
      await expect(createBatchNormBackward(ctx, { ...one, ...b })).rejects.toThrow(perChannel);
      const ref = batchNormEvalReference(data.x, one, affine(one, data), {
        mean: data.runningMean,
        variance: data.runningVar,
      });
      await withKernel(createBatchNorm(ctx, { ...trainSpec(one, b), mode: 'eval' }), async (kernel) => {
        await runKernels(ctx, kernel);
        expectClose(await ctx.readF32(b.y), ref.y, (i) => float32Tolerance(ref.yMagnitude[i]!), 'eval y');
      });
    });
  });

  type Buffers = Record<keyof ReturnType<typeof trainBuffers> | 'small' | 'dy' | 'dx' | 'dgamma' | 'dbeta', GPUBuffer>;
  const forwardCases: Array<[string, (b: Buffers) => Partial<BatchNormSpec>, RegExp]> = [
    ['batch 0', () => ({ batch: 0 }), /^batch: must be a positive integer, got 0$/],
    ['channels 2.5', () => ({ channels: 2.5 }), /^channels: must be a positive integer/],
    ['spatial -1', () => ({ spatial: -1 }), /^spatial: must be a positive integer/],
    ['eps 0', () => ({ eps: 0 }), /^eps: must be > 0/],
    ['eps NaN', () => ({ eps: Number.NaN }), /^eps: must be a finite number/],
    ['momentum 1.5', () => ({ momentum: 1.5 }), /^momentum: must be <= 1/],
    ['momentum -0.1', () => ({ momentum: -0.1 }), /^momentum: must be >= 0/],
    ['mode training', () => ({ mode: 'training' as never }), /^mode: must be 'train' or 'eval'/],
    ['activation gelu', () => ({ activation: 'gelu' as never }), /^activation: must be one of/],
    ['a slope for relu', () => ({ activation: 'relu', leakySlope: 0.1 }), /^leakySlope: applies only to leaky-relu/],
    ['x too small', (b) => ({ x: b.small }), /^x: needs 30 f32 elements/],
    ['gamma too small', (b) => ({ gamma: { buffer: b.gamma, size: 8 } }), /^gamma: needs 3 f32 elements/],
    ['runningVar missing', () => ({ runningVar: undefined as never }), /^runningVar: is required/],
    ['saved missing in training', () => ({ saved: undefined }), /^saved: is required/],
    ['y written over x', (b) => ({ y: b.x }), /^y: overlaps x/],
    ['firstRow -1', () => ({ firstRow: -1 }), /^firstRow: must be a non-negative integer, got -1$/],
    ['firstRow 0.5', () => ({ firstRow: 0.5 }), /^firstRow: must be a non-negative integer/],
    ['a window past x', () => ({ batch: 1, firstRow: 2 }), /^x: needs 45 f32 elements/],
  ];
  for (const [name, change, message] of forwardCases) {
    it(`forward refuses ${name}`, async () => {
      const { ctx } = gpu;
      const data = inputs(c, 95);
      const extra = { small: 29, dy: 30, dx: 30, dgamma: 3, dbeta: 3 };
      await withBuffers(ctx, { ...trainBuffers(c, data), ...extra }, async (b) => {
        const spec = { ...trainSpec(c, b), ...change(b) };
        await expect(createBatchNorm(ctx, spec)).rejects.toThrow(ArgumentError);
        await expect(createBatchNorm(ctx, spec)).rejects.toThrow(message);
      });
    });
  }

  const backwardCases: Array<[string, (b: Buffers) => Record<string, unknown>, RegExp]> = [
    ['a tanh without y', () => ({ activation: 'tanh', y: undefined }), /^y: is required/],
    ['dx too small', (b) => ({ dx: b.small }), /^dx: needs 30 f32 elements/],
    ['saved too small', (b) => ({ saved: b.gamma }), /^saved: needs 6 f32 elements/],
    ['dgamma over dbeta', (b) => ({ dgamma: b.dbeta }), /^dgamma: overlaps dbeta|^dbeta: overlaps dgamma/],
    ['dx over dy', (b) => ({ dx: b.dy }), /^dx: (overlaps|shares a buffer with) dy/],
    ['dgamma without dbeta', () => ({ dbeta: undefined }), /^dbeta: is required with the other/],
    ['accumulating into nothing', () => ({ dgamma: undefined, dbeta: undefined, accumulate: true }), /^accumulate:/],
    ['a window past dx', () => ({ firstRow: 1 }), /^x: needs 45 f32 elements/],
  ];
  for (const [name, change, message] of backwardCases) {
    it(`backward refuses ${name}`, async () => {
      const { ctx } = gpu;
      const data = inputs(c, 96);
      const extra = { small: 29, dy: 30, dx: 30, dgamma: 3, dbeta: 3 };
      await withBuffers(ctx, { ...trainBuffers(c, data), ...extra }, async (b) => {
        const spec = { ...c, ...b, ...change(b) } as Parameters<typeof createBatchNormBackward>[1];
        await expect(createBatchNormBackward(ctx, spec)).rejects.toThrow(ArgumentError);
        await expect(createBatchNormBackward(ctx, spec)).rejects.toThrow(message);
      });
    });
  }
});
