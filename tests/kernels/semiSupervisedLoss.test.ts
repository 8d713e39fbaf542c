// The semi-supervised discriminator loss (class logits with "fake" as an implicit class) against
// its float64 reference at awkward sizes (one row of one class; more rows than the workgroup's
// threads; no labelled rows, as the generator's update runs it; only labelled rows), for each
// real/fake loss, then its gradient against finite differences of the float64 loss, accumulation,
// and clear errors for bad arguments. An auxiliary classifier's classed rows (the real block as D
// learns it, the generated block as G does) the same way, and two heads (a real/fake logit of its
// own after the class logits).
import { describe, expect, it } from 'vitest';
import type { GpuContext } from '../../src/index.js';
import type { LogitLoss } from '../../src/kernels/logitHead.js';
import { createSemiSupervisedLoss, type SemiSupervisedLossSpec } from '../../src/kernels/semiSupervisedLoss.js';
import { semiSupervisedReference } from '../../reference/semiSupervised.js';
import { expectClose, randomArray, runKernels, seededRandom, useGpu } from '../support/gpu.js';

const gpu = useGpu();

interface LossCase {
  classes: number;
  fakeRows: number;
  realRows: number;
  labelled: number;
  loss: LogitLoss;
  /** Scale of the logits. */
  scale?: number;
  /** An auxiliary classifier's rows that also learn their class. */
  classed?: { first: number; rows: number; weight: number };
  /** Two heads: a real/fake logit after each row's class logits. */
  ownLogit?: boolean;
}

const rowWidth = (c: LossCase) => c.classes + (c.ownLogit ? 1 : 0);

const labelCount = (c: LossCase) => c.labelled + (c.classed?.rows ?? 0);

function inputsFor(c: LossCase, seed: number) {
  const rows = c.fakeRows + c.realRows + c.labelled;
  const next = seededRandom(seed);
  const scale = c.scale ?? 3;
  return {
    logits: randomArray(rows * rowWidth(c), seed, -scale, scale),
    labels: Float32Array.from({ length: labelCount(c) }, () => Math.floor(next() * c.classes)),
  };
}

async function run(ctx: GpuContext, c: LossCase, inputs: ReturnType<typeof inputsFor>, repeat = 1, weight = 1) {
  const rows = c.fakeRows + c.realRows + c.labelled;
  const mem = ctx.memory;
  const b = {
    logits: mem.createStorage('logits', inputs.logits),
    labels: mem.createStorage('labels', labelCount(c) > 0 ? inputs.labels : new Float32Array(1)),
    grad: mem.createStorage('grad', rows * rowWidth(c)),
    stats: mem.createStorage('stats', 3),
    supervised: mem.createStorage('supervised', 2),
  };
  const spec: SemiSupervisedLossSpec = {
    rows,
    classes: c.classes,
    fakeRows: c.fakeRows,
    realRows: c.realRows,
    logits: b.logits,
    gradLogits: b.grad,
    stats: b.stats,
    loss: c.loss,
    divisor: Math.max(c.fakeRows, c.realRows, 1),
    accumulate: repeat > 1,
    adversarialWeight: weight,
    ...(labelCount(c) > 0 && { labels: b.labels, supervised: b.supervised }),
    ...(c.classed && { classed: c.classed }),
    ...(c.ownLogit && { ownLogit: true }),
  };
  let kernel: Awaited<ReturnType<typeof createSemiSupervisedLoss>> | undefined;
  try {
    kernel = await createSemiSupervisedLoss(ctx, spec);
    await runKernels(ctx, ...Array.from({ length: repeat }, () => kernel!));
    return {
      grad: await ctx.readF32(b.grad),
      stats: await ctx.readF32(b.stats),
      supervised: await ctx.readF32(b.supervised),
    };
  } finally {
    kernel?.destroy();
    for (const buffer of Object.values(b)) mem.release(buffer);
  }
}

const referenceOf = (c: LossCase, inputs: ReturnType<typeof inputsFor>, adversarialWeight = 1) =>
  semiSupervisedReference(
    inputs.logits,
    c.classes,
    { fakeRows: c.fakeRows, realRows: c.realRows, labels: inputs.labels },
    {
      kind: c.loss,
      divisor: Math.max(c.fakeRows, c.realRows, 1),
      labelledDivisor: Math.max(c.labelled, 1),
      adversarialWeight,
      ...(c.classed && { classed: c.classed }),
      ownLogit: c.ownLogit ?? false,
    },
  );

describe('semi-supervised loss against float64', () => {
  const cases: Array<[string, LossCase]> = [
    ['one generated row of one class', { classes: 1, fakeRows: 1, realRows: 0, labelled: 0, loss: 'bce' }],
    ['one labelled row of three classes', { classes: 3, fakeRows: 0, realRows: 0, labelled: 1, loss: 'bce' }],
    [
      '300 rows of 10 classes (past 256 threads)',
      { classes: 10, fakeRows: 100, realRows: 100, labelled: 100, loss: 'bce' },
    ],
    ['hinge, 7 classes', { classes: 7, fakeRows: 5, realRows: 5, labelled: 3, loss: 'hinge' }],
    ['least squares, 2 classes', { classes: 2, fakeRows: 4, realRows: 6, labelled: 2, loss: 'least-squares' }],
    [
      'the generator’s update: generated rows only',
      { classes: 10, fakeRows: 9, realRows: 0, labelled: 0, loss: 'bce' },
    ],
    ['logits of ±60', { classes: 10, fakeRows: 8, realRows: 8, labelled: 8, loss: 'bce', scale: 60 }],
    [
      'an auxiliary classifier’s D: the real rows classed',
      { classes: 10, fakeRows: 6, realRows: 6, labelled: 0, loss: 'hinge', classed: { first: 6, rows: 6, weight: 1 } },
    ],
    [
      'an auxiliary classifier’s G: 300 generated rows classed, weight 0.5',
      {
        classes: 3,
        fakeRows: 300,
        realRows: 0,
        labelled: 0,
        loss: 'negative-logit',
        classed: { first: 0, rows: 300, weight: 0.5 },
      },
    ],
    [
      'two heads, D: the real rows classed, 300 rows',
      {
        classes: 10,
        fakeRows: 150,
        realRows: 150,
        labelled: 0,
        loss: 'hinge',
        classed: { first: 150, rows: 150, weight: 1 },
        ownLogit: true,
      },
    ],
    [
      'two heads, G: generated rows classed, weight 1.5',
      {
        classes: 7,
        fakeRows: 9,
        realRows: 0,
        labelled: 0,
        loss: 'negative-logit',
        classed: { first: 0, rows: 9, weight: 1.5 },
        ownLogit: true,
      },
    ],
    [
      'two heads with labelled rows, least squares, one class',
      { classes: 1, fakeRows: 2, realRows: 3, labelled: 2, loss: 'least-squares', ownLogit: true },
    ],
    [
      'one classed row of one class',
      { classes: 1, fakeRows: 1, realRows: 0, labelled: 0, loss: 'bce', classed: { first: 0, rows: 1, weight: 2 } },
    ],
  ];
  it.each(cases)('%s', async (_name, c) => {
    const inputs = inputsFor(c, 11 + c.classes);
    const want = referenceOf(c, inputs);
    const got = await run(gpu.ctx, c, inputs);
    const scale = c.scale ?? 3;
    expectClose(got.grad, want.gradLogits, (i) => 1e-6 * scale + 1e-5 * Math.abs(want.gradLogits[i]!), 'dLoss/dlogits');
    expectClose(got.stats, want.stats, (i) => 1e-6 * scale + 1e-5 * Math.abs(want.stats[i]!), 'real/fake statistics');
    if (labelCount(c) > 0)
      expectClose(
        got.supervised,
        want.supervised,
        (i) => 1e-6 * scale + 1e-5 * Math.abs(want.supervised[i]!),
        'supervised',
      );
    expect([...got.grad, ...got.stats].every(Number.isFinite)).toBe(true);
  });

  it('with an adversarial weight of 0 learns from the labelled rows alone (the labelled-only baseline)', async () => {
    const c: LossCase = { classes: 5, fakeRows: 4, realRows: 4, labelled: 4, loss: 'bce' };
    const inputs = inputsFor(c, 17);
    const got = await run(gpu.ctx, c, inputs, 1, 0);
    const want = referenceOf(c, inputs, 0);
    expect(Array.from(got.grad.subarray(0, 8 * 5)).every((g) => g === 0)).toBe(true);
    expectClose(got.grad, want.gradLogits, (i) => 1e-6 + 1e-5 * Math.abs(want.gradLogits[i]!), 'dLoss/dlogits');
    expect(got.stats[0]).toBe(0);
    expectClose(got.supervised, want.supervised, () => 1e-5, 'supervised');
  });

  it('accumulates its statistics when asked (three runs add up)', async () => {
    const c: LossCase = { classes: 4, fakeRows: 3, realRows: 3, labelled: 3, loss: 'bce' };
    const inputs = inputsFor(c, 5);
    const want = referenceOf(c, inputs);
    const got = await run(gpu.ctx, c, inputs, 3);
    expectClose(
      got.stats,
      want.stats.map((v) => 3 * v),
      () => 1e-5,
      'statistics of three runs',
    );
    expectClose(
      got.supervised,
      want.supervised.map((v) => 3 * v),
      () => 1e-5,
      'supervised statistics of three runs',
    );
  });
});

/** Central differences (h = 1e-3) of the float64 loss, one per logit. */
function finiteDifferences(c: LossCase, inputs: ReturnType<typeof inputsFor>): Float64Array {
  const total = (logits: ArrayLike<number>) => referenceOf(c, { ...inputs, logits: Float32Array.from(logits) }).total;
  const h = 1e-3;
  return Float64Array.from(inputs.logits, (v, i) => {
    const moved = (d: number) => Float64Array.from(inputs.logits, (u, k) => (k === i ? v + d : u));
    return (total(moved(h)) - total(moved(-h))) / (2 * h);
  });
}

describe('semi-supervised loss against finite differences', () => {
  it.each<[LogitLoss]>([['bce'], ['least-squares']])('every logit’s gradient (%s)', async (loss) => {
    const c: LossCase = { classes: 4, fakeRows: 3, realRows: 2, labelled: 3, loss };
    const inputs = inputsFor(c, 21);
    const got = await run(gpu.ctx, c, inputs);
    const fd = finiteDifferences(c, inputs);
    expectClose(got.grad, fd, (i) => 1e-4 + 1e-3 * Math.abs(fd[i]!), 'dLoss/dlogits');
  });

  it.each<[string, LossCase]>([
    [
      'D’s real rows',
      { classes: 4, fakeRows: 3, realRows: 3, labelled: 0, loss: 'bce', classed: { first: 3, rows: 3, weight: 1 } },
    ],
    [
      'G’s generated rows, weight 0.7',
      { classes: 5, fakeRows: 4, realRows: 0, labelled: 0, loss: 'bce', classed: { first: 0, rows: 4, weight: 0.7 } },
    ],
    [
      'two heads, D’s real rows',
      {
        classes: 4,
        fakeRows: 3,
        realRows: 3,
        labelled: 0,
        loss: 'bce',
        classed: { first: 3, rows: 3, weight: 1 },
        ownLogit: true,
      },
    ],
  ])('every logit’s gradient with classed rows (%s)', async (_name, c) => {
    const inputs = inputsFor(c, 23);
    const got = await run(gpu.ctx, c, inputs);
    const fd = finiteDifferences(c, inputs);
    expectClose(got.grad, fd, (i) => 1e-4 + 1e-3 * Math.abs(fd[i]!), 'dLoss/dlogits');
    // The class term is well above rounding: without it the gradient differs.
    const plain = referenceOf({ ...c, classed: undefined }, inputs).gradLogits;
    expect(Math.max(...plain.map((g, i) => Math.abs(g - fd[i]!)))).toBeGreaterThan(0.05);
  });
});

describe('semi-supervised loss arguments', () => {
  it('names what is wrong', async () => {
    const ctx = gpu.ctx;
    const t = ctx.memory.createStorage('t', 64);
    const base = { rows: 4, classes: 2, fakeRows: 2, realRows: 2, logits: t, gradLogits: t, stats: t };
    try {
      await expect(createSemiSupervisedLoss(ctx, { ...base, rows: 3 })).rejects.toThrow(/^rows: must be at least/);
      await expect(createSemiSupervisedLoss(ctx, { ...base, rows: 5 })).rejects.toThrow(/^labels: is required/);
      await expect(createSemiSupervisedLoss(ctx, { ...base, fakeRows: -1 })).rejects.toThrow(/^fakeRows:/);
      await expect(createSemiSupervisedLoss(ctx, { ...base, loss: 'mse' as never })).rejects.toThrow(/^loss: must be/);
      await expect(createSemiSupervisedLoss(ctx, { ...base, ownLogit: 1 as never })).rejects.toThrow(
        /^ownLogit: must be true or false, got 1/,
      );
      // Two heads' logits are rows × (classes + 1): 4 × 3 floats do not fit a 2-float buffer.
      const small = ctx.memory.createStorage('small', 11);
      try {
        await expect(createSemiSupervisedLoss(ctx, { ...base, logits: small, ownLogit: true })).rejects.toThrow(
          /^logits:/,
        );
      } finally {
        ctx.memory.release(small);
      }
      const classed = { ...base, labels: t, supervised: t };
      await expect(createSemiSupervisedLoss(ctx, { ...classed, classed: { first: 3, rows: 2 } })).rejects.toThrow(
        /^classed: must be whole rows within the 4 generated and real ones, got first 3, rows 2/,
      );
      await expect(
        createSemiSupervisedLoss(ctx, { ...classed, rows: 5, classed: { first: 2, rows: 2 } }),
      ).rejects.toThrow(/^classed: goes without labelled rows/);
      await expect(createSemiSupervisedLoss(ctx, { ...base, classed: { first: 2, rows: 2 } })).rejects.toThrow(
        /^labels: is required: 2 rows learn their class/,
      );
      await expect(
        createSemiSupervisedLoss(ctx, { ...classed, classed: { first: 2, rows: 2, weight: 0 } }),
      ).rejects.toThrow(/^classed.weight:/);
    } finally {
      ctx.memory.release(t);
    }
  });
});
