// Fused softmax cross-entropy against the float64 reference: 1 row of 1 class, 1 row of 10, rows
// that are not a multiple of the 256-thread workgroup, 1000 classes, logits of ±80, bad labels,
// scoring without labels, class logits as the first of wider rows (a stride); and its gradient
// against central finite differences of the float64 loss.
// Tolerances: a probability is exp(x − max − log Σ), whose exponent carries float32 rounding of
// about ε·(|x − max| + classes), so 4e-7·(|x − max| + classes + 1) relative plus 1e-9; the loss is
// a float32 sum of per-row terms (float32Tolerance of their magnitude); the gradient is
// (p − [c = label]) / rows, so the probability's tolerance / rows plus float32 rounding of the 1.
import { describe, expect, it } from 'vitest';
import { ArgumentError, type GpuContext } from '../../src/index.js';
import { createSoftmaxCrossEntropy } from '../../src/kernels/softmaxCrossEntropy.js';
import { softmaxCrossEntropyReference } from '../../reference/cpu.js';
import { float32Tolerance, seededRandom } from '../../reference/numeric.js';
import { expectClose, randomArray, runKernels, useGpu } from '../support/gpu.js';

const gpu = useGpu();

interface Run {
  probabilities: Float32Array;
  grad: Float32Array | null;
  stats: Float32Array;
}

async function runSoftmax(
  ctx: GpuContext,
  logits: Float32Array,
  labels: Float32Array | null,
  classes: number,
  stride = classes,
): Promise<Run> {
  const rows = logits.length / stride;
  const mem = ctx.memory;
  const buffers = {
    logits: mem.createStorage('logits', logits),
    labels: labels ? mem.createStorage('labels', labels) : null,
    grad: labels ? mem.createStorage('grad', rows * classes) : null,
    probabilities: mem.createStorage('probabilities', rows * classes),
    stats: mem.createStorage('stats', 3),
  };
  try {
    const kernel = await createSoftmaxCrossEntropy(ctx, {
      rows,
      classes,
      logits: buffers.logits,
      ...(stride !== classes && { logitStride: stride }),
      ...(buffers.labels && buffers.grad ? { labels: buffers.labels, gradLogits: buffers.grad } : {}),
      probabilities: buffers.probabilities,
      stats: buffers.stats,
    });
    await runKernels(ctx, kernel);
    kernel.destroy();
    return {
      probabilities: await ctx.readF32(buffers.probabilities),
      grad: buffers.grad ? await ctx.readF32(buffers.grad) : null,
      stats: await ctx.readF32(buffers.stats),
    };
  } finally {
    for (const b of Object.values(buffers)) if (b) mem.release(b);
  }
}

function randomLabels(rows: number, classes: number, seed: number): Float32Array {
  const next = seededRandom(seed);
  return Float32Array.from({ length: rows }, () => Math.floor(next() * classes));
}

function probabilityTolerance(logits: Float32Array, classes: number, p: ArrayLike<number>) {
  return (i: number) => {
    const row = Math.floor(i / classes);
    const top = Math.max(...logits.subarray(row * classes, (row + 1) * classes));
    return 4e-7 * (Math.abs(logits[i]! - top) + classes + 1) * p[i]! + 1e-9;
  };
}

async function expectMatchesReference(logits: Float32Array, labels: Float32Array | null, classes: number) {
  const rows = logits.length / classes;
  const got = await runSoftmax(gpu.ctx, logits, labels, classes);
  const ref = softmaxCrossEntropyReference(logits, labels, rows, classes);
  const what = `${rows}×${classes}`;
  const pTolerance = probabilityTolerance(logits, classes, ref.probabilities);
  expectClose(got.probabilities, ref.probabilities, pTolerance, `${what} probabilities`);
  if (!labels) {
    expect([...got.stats]).toEqual([0, 0, 0]);
    return;
  }
  expectClose(got.grad!, ref.grad, (i) => pTolerance(i) / rows + 1e-7 / rows, `${what} gradient`);
  expectClose([got.stats[0]!], [ref.loss], () => float32Tolerance(ref.lossMagnitude, 1e-7), `${what} loss`);
  expect(got.stats[1], `${what} accuracy`).toBeCloseTo(ref.accuracy, 6);
  expect(got.stats[2], `${what} bad labels`).toBe(ref.badLabels);
}

describe('softmax cross-entropy', () => {
  const shapes: Array<[number, number]> = [
    [1, 1],
    [1, 10],
    [257, 10],
    [1000, 3],
    [37, 1000],
  ];
  for (const [rows, classes] of shapes) {
    it(`matches float64 at ${rows} rows × ${classes} classes`, async () => {
      const logits = randomArray(rows * classes, rows + classes, -6, 6);
      await expectMatchesReference(logits, randomLabels(rows, classes, rows * 7 + classes), classes);
    });
  }

  it('stays finite and exact at logits of ±80 and with one class far ahead', async () => {
    const classes = 4;
    const logits = Float32Array.of(80, -80, 0, 1, -80, -80, -80, -80, 79.5, 80, -3, 0, 0, 0, 0, 0);
    const got = await runSoftmax(gpu.ctx, logits, Float32Array.of(1, 0, 1, 3), classes);
    expect([...got.probabilities, ...got.grad!, ...got.stats].every(Number.isFinite)).toBe(true);
    await expectMatchesReference(logits, Float32Array.of(1, 0, 1, 3), classes);
  });

  it('counts labels that are not a class index and gives their rows no target', async () => {
    const classes = 5;
    const logits = randomArray(6 * classes, 3, -2, 2);
    const labels = Float32Array.of(0, -1, 5, 2.5, Number.NaN, 4);
    const got = await runSoftmax(gpu.ctx, logits, labels, classes);
    expect(got.stats[2]).toBe(4);
    // A row without a target: its gradient is p / rows, all positive.
    for (let c = 0; c < classes; c++) expect(got.grad![1 * classes + c]).toBeGreaterThan(0);
    await expectMatchesReference(logits, labels, classes);
  });

  it('reads the first classes of wider rows (257 rows of 10 logits and 1 more), writes them packed', async () => {
    const [rows, classes, stride] = [257, 10, 11];
    const wide = randomArray(rows * stride, 31, -6, 6);
    const labels = randomLabels(rows, classes, 32);
    const packed = Float32Array.from(
      { length: rows * classes },
      (_, i) => wide[Math.floor(i / classes) * stride + (i % classes)]!,
    );
    const got = await runSoftmax(gpu.ctx, wide, labels, classes, stride);
    const ref = softmaxCrossEntropyReference(packed, labels, rows, classes);
    const pTolerance = probabilityTolerance(packed, classes, ref.probabilities);
    expectClose(got.probabilities, ref.probabilities, pTolerance, 'strided probabilities');
    expectClose(got.grad!, ref.grad, (i) => pTolerance(i) / rows + 1e-7 / rows, 'strided gradient');
    expect(got.stats[1]).toBeCloseTo(ref.accuracy, 6);
  });

  it('scores without labels: probabilities only', async () => {
    await expectMatchesReference(randomArray(300 * 10, 11, -4, 4), null, 10);
  });

  it('has the gradient of its own loss (central finite differences of the float64 loss)', async () => {
    const [rows, classes] = [7, 6];
    const logits = randomArray(rows * classes, 21, -3, 3);
    const labels = randomLabels(rows, classes, 22);
    const got = await runSoftmax(gpu.ctx, logits, labels, classes);
    const h = 1e-5;
    const loss = (x: Float64Array) => softmaxCrossEntropyReference(x, labels, rows, classes).loss;
    const numeric = Array.from({ length: rows * classes }, (_, i) => {
      const up = Float64Array.from(logits);
      const down = Float64Array.from(logits);
      up[i]! += h;
      down[i]! -= h;
      return (loss(up) - loss(down)) / (2 * h);
    });
    expectClose(got.grad!, numeric, (i) => 1e-6 + 1e-4 * Math.abs(numeric[i]!), 'gradient vs finite differences');
  });

  it('refuses a gradient without labels and a bad divisor, by name', async () => {
    const ctx = gpu.ctx;
    const buffer = ctx.memory.createStorage('x', 16);
    try {
      const base = { rows: 2, classes: 2, logits: buffer, stats: buffer };
      await expect(createSoftmaxCrossEntropy(ctx, { ...base, gradLogits: buffer })).rejects.toThrow(ArgumentError);
      await expect(createSoftmaxCrossEntropy(ctx, { ...base, gradLogits: buffer })).rejects.toThrow(/needs labels/);
      await expect(createSoftmaxCrossEntropy(ctx, { ...base, divisor: 0 })).rejects.toThrow(/divisor/);
      await expect(createSoftmaxCrossEntropy(ctx, { ...base, classes: 0 })).rejects.toThrow(/classes/);
      await expect(createSoftmaxCrossEntropy(ctx, { ...base, logitStride: 1 })).rejects.toThrow(
        /^logitStride: must be at least classes \(2\), got 1/,
      );
      // Three rows of stride 9 end at value 2·9 + 2 = 20, past the 16-float buffer.
      await expect(createSoftmaxCrossEntropy(ctx, { ...base, rows: 3, logitStride: 9 })).rejects.toThrow(/^logits:/);
    } finally {
      ctx.memory.release(buffer);
    }
  });
});
