// The generator's feature-matching loss against its float64 reference (one feature, widths past
// the 256 threads, a leaky-ReLU gate) and against finite differences, with D's reading of the
// generated rows in the statistics.
import { describe, expect, it } from 'vitest';
import { createFeatureMatching } from '../../src/kernels/featureMatching.js';
import { featureMatchingReference } from '../../reference/semiSupervised.js';
import { expectClose, randomArray, runKernels, useGpu } from '../support/gpu.js';

const gpu = useGpu();

async function run(
  rows: number,
  width: number,
  classes: number,
  features: Float32Array,
  logits: Float32Array,
  gate?: 'leaky-relu',
) {
  const ctx = gpu.ctx;
  const b = {
    features: ctx.memory.createStorage('features', features),
    logits: ctx.memory.createStorage('logits', logits),
    grad: ctx.memory.createStorage('grad', rows * width),
    stats: ctx.memory.createStorage('stats', 2),
  };
  const kernel = await createFeatureMatching(ctx, {
    rows,
    width,
    classes,
    ...b,
    ...(gate && { gate, leakySlope: 0.2 }),
  });
  try {
    await runKernels(ctx, kernel);
    return { grad: await ctx.readF32(b.grad), stats: await ctx.readF32(b.stats) };
  } finally {
    kernel.destroy();
    for (const buffer of Object.values(b)) ctx.memory.release(buffer);
  }
}

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));
const readingOf = (logits: Float32Array, rows: number, classes: number) => {
  let sum = 0;
  for (let r = 0; r < rows; r++) {
    const l = Array.from(logits.subarray(r * classes, (r + 1) * classes));
    const top = Math.max(...l);
    sum += sigmoid(top + Math.log(l.reduce((s, v) => s + Math.exp(v - top), 0)));
  }
  return sum / rows;
};

describe('feature matching against float64', () => {
  it.each([
    [1, 1, 2],
    [5, 300, 10],
    [3, 7, 3],
  ])('%i rows of %i features (%i classes)', async (rows, width, classes) => {
    const features = randomArray(2 * rows * width, rows + width, -1, 1);
    const logits = randomArray(rows * classes, 3, -4, 4);
    const got = await run(rows, width, classes, features, logits);
    const want = featureMatchingReference(features, rows, width);
    expectClose(got.grad, want.grad, (i) => 1e-7 + 1e-5 * Math.abs(want.grad[i]!), 'dL/dfeatures');
    expectClose(
      got.stats,
      [want.loss, readingOf(logits, rows, classes)],
      (i) => 1e-7 + 1e-5 * (i === 0 ? want.loss : 1),
      'statistics',
    );
  });

  it('matches finite differences through a leaky-ReLU gate', async () => {
    const [rows, width] = [3, 4];
    const z = randomArray(2 * rows * width, 8, -1.5, 1.5).map((v) => (Math.abs(v) < 0.05 ? v + 0.1 : v));
    const f = (v: number) => (v > 0 ? v : 0.2 * v);
    const features = Float32Array.from(z, f);
    const got = await run(rows, width, 2, features, new Float32Array(rows * 2), 'leaky-relu');
    const h = 1e-4;
    const lossAt = (moved: Float64Array) => featureMatchingReference(moved, rows, width).loss;
    const fd = Float64Array.from({ length: rows * width }, (_, i) => {
      const at = (d: number) => Float64Array.from(z, (v, k) => f(k === i ? v + d : v));
      return (lossAt(at(h)) - lossAt(at(-h))) / (2 * h);
    });
    expectClose(got.grad, fd, (i) => 1e-6 + 1e-3 * Math.abs(fd[i]!), 'dL/dz');
    expect(got.stats[1]).toBeCloseTo(sigmoid(Math.log(2)), 5);
  });
});
