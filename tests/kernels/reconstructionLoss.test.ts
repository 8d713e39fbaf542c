// The restorer's reconstruction loss against its float64 reference (one value, a count that is no
// multiple of the 256 threads, a long one) for l1 and l2, with and without the edge term (planes
// of 1×1, a row, a column, odd sizes, several channels, a batch of 28×28), through a tanh gate
// against finite differences, and accumulation of the loss over dispatches.
import { describe, expect, it } from 'vitest';
import { createReconstructionLoss, type ReconstructionLoss } from '../../src/kernels/reconstructionLoss.js';
import { reconstructionReference } from '../../reference/reconstruction.js';
import { expectClose, randomArray, runKernels, useGpu } from '../support/gpu.js';

const gpu = useGpu();

async function run(
  restored: Float32Array,
  target: Float32Array,
  loss: ReconstructionLoss,
  options: {
    tanh?: boolean;
    divisor?: number;
    accumulateOver?: number;
    edges?: { weight: number; width: number; height: number };
  } = {},
) {
  const ctx = gpu.ctx;
  const n = restored.length;
  const b = {
    restored: ctx.memory.createStorage('restored', restored),
    target: ctx.memory.createStorage('target', target),
    grad: ctx.memory.createStorage('grad', n),
    stats: ctx.memory.createStorage('stats', new Float32Array([options.accumulateOver ?? 0])),
  };
  const kernel = await createReconstructionLoss(ctx, {
    n,
    loss,
    ...b,
    ...(options.tanh && { gate: 'tanh' as const }),
    ...(options.divisor && { divisor: options.divisor }),
    ...(options.edges && { edges: options.edges }),
    accumulate: options.accumulateOver !== undefined,
  });
  try {
    await runKernels(ctx, kernel);
    return { grad: await ctx.readF32(b.grad), loss: (await ctx.readF32(b.stats))[0]! };
  } finally {
    kernel.destroy();
    for (const buffer of Object.values(b)) ctx.memory.release(buffer);
  }
}

describe('reconstruction loss against float64', () => {
  it.each([
    ['l2', 1],
    ['l1', 1],
    ['l2', 785],
    ['l1', 785],
    ['l2', 64 * 784 + 3],
  ] as const)('%s over %i values', async (loss, n) => {
    const restored = randomArray(n, n, -1, 1);
    const target = randomArray(n, n + 1, -1, 1);
    const got = await run(restored, target, loss);
    const want = reconstructionReference(restored, target, { loss });
    expectClose(got.grad, want.grad, (i) => 1e-9 + 1e-5 * Math.abs(want.grad[i]!), 'dL/drestored');
    expect(got.loss).toBeCloseTo(want.loss, 5);
  });

  it.each([
    ['l1', 1, 1, 1, 0.5],
    ['l2', 7, 1, 3, 1],
    ['l1', 1, 9, 2, 2],
    ['l2', 5, 3, 2 * 3, 0.7],
    ['l1', 28, 28, 17, 1],
    ['l2', 28, 28, 64, 0.3],
  ] as const)(
    '%s with edges over planes %i wide and %i high, %i of them, weight %f',
    async (loss, width, height, planes, weight) => {
      const n = width * height * planes;
      const restored = randomArray(n, 31 + n, -1, 1);
      const target = randomArray(n, 32 + n, -1, 1);
      const edges = { weight, width, height };
      const got = await run(restored, target, loss, { edges });
      const want = reconstructionReference(restored, target, { loss, edges });
      expectClose(got.grad, want.grad, (i) => 1e-8 + 1e-5 * Math.abs(want.grad[i]!), 'dL/drestored');
      expect(got.loss).toBeCloseTo(want.loss, 5);
      // The edge term is there: without it the loss is smaller by a positive amount.
      expect(want.loss).toBeGreaterThan(reconstructionReference(restored, target, { loss }).loss + (n > 1 ? 1e-3 : -1));
    },
  );

  it('edges: a picture off by a constant pays nothing for its gradients, a blurred edge pays', async () => {
    const target = Float32Array.from([-1, -1, 1, 1, -1, -1, 1, 1]); // two rows of 4 with a step
    const shifted = Float32Array.from(target, (v) => v + 0.5);
    const blurred = Float32Array.from([-1, -0.5, 0.5, 1, -1, -0.5, 0.5, 1]);
    const edges = { weight: 1, width: 4, height: 2 };
    const offset = await run(shifted, target, 'l1', { edges, divisor: 1 });
    expect(offset.loss).toBeCloseTo(8 * 0.5, 6); // the l1 of the values alone
    const soft = await run(blurred, target, 'l1', { edges, divisor: 1 });
    // Values off by 0.5 at four places; each row's steps off by 0.5, 1 and 0.5.
    expect(soft.loss).toBeCloseTo(4 * 0.5 + 2 * (0.5 + 1 + 0.5), 6);
  });

  it('gives no gradient where a value is already right (l1)', async () => {
    const values = new Float32Array([0.5, -0.25, 0]);
    const got = await run(values, Float32Array.from([0.5, 0, 0]), 'l1', { divisor: 1 });
    expect(Array.from(got.grad)).toEqual([0, -1, 0]);
    expect(got.loss).toBeCloseTo(0.25, 6);
  });

  it.each(['l1', 'l2'] as const)('%s through tanh matches finite differences in the pre-activation', async (loss) => {
    const n = 11;
    const z = randomArray(n, 21, -2, 2);
    const target = randomArray(n, 22, -1, 1);
    // Keep |y − t| away from 0, where l1 has its kink and a difference quotient straddles it.
    for (let i = 0; i < n; i++) if (Math.abs(Math.tanh(z[i]!) - target[i]!) < 0.05) target[i] = target[i]! + 0.2;
    const restored = Float32Array.from(z, Math.tanh);
    const got = await run(restored, target, loss, { tanh: true, divisor: 3 });
    const h = 1e-5;
    const lossAt = (i: number, d: number) =>
      reconstructionReference(
        Float64Array.from(z, (v, k) => Math.tanh(k === i ? v + d : v)),
        target,
        { loss, divisor: 3 },
      ).loss;
    const fd = Float64Array.from({ length: n }, (_, i) => (lossAt(i, h) - lossAt(i, -h)) / (2 * h));
    expectClose(got.grad, fd, (i) => 1e-6 + 1e-3 * Math.abs(fd[i]!), 'dL/dz');
  });

  it.each(['l1', 'l2'] as const)('%s with edges through tanh matches finite differences', async (loss) => {
    const [width, height, planes] = [4, 3, 2];
    const n = width * height * planes;
    const edges = { weight: 0.8, width, height };
    const z = randomArray(n, 41, -1.5, 1.5);
    const target = Float32Array.from(z, (v, i) => Math.tanh(v) + (i % 2 === 0 ? 0.3 : -0.4) + 0.05 * (i % 5));
    const restored = Float32Array.from(z, Math.tanh);
    const lossOf = (values: Float64Array) => reconstructionReference(values, target, { loss, divisor: 3, edges }).loss;
    const h = 1e-5;
    const at = (i: number, d: number) => Float64Array.from(z, (v, k) => Math.tanh(k === i ? v + d : v));
    // A difference quotient that straddles a kink of |·| is not a derivative: such values are skipped.
    const kinked = (i: number) => Math.abs(lossOf(at(i, h)) + lossOf(at(i, -h)) - 2 * lossOf(at(i, 0))) > 1e-9;
    const got = await run(restored, target, loss, { tanh: true, divisor: 3, edges });
    const fd = Float64Array.from({ length: n }, (_, i) => (lossOf(at(i, h)) - lossOf(at(i, -h))) / (2 * h));
    const checked = [...fd.keys()].filter((i) => !kinked(i));
    expect(checked.length).toBeGreaterThan(n / 2);
    for (const i of checked) expect(got.grad[i]).toBeCloseTo(fd[i]!, 4);
  });

  it('adds its loss to what stats holds when accumulating', async () => {
    const restored = randomArray(300, 5, -1, 1);
    const target = randomArray(300, 6, -1, 1);
    const got = await run(restored, target, 'l2', { accumulateOver: 2.5 });
    expect(got.loss).toBeCloseTo(2.5 + reconstructionReference(restored, target, { loss: 'l2' }).loss, 5);
  });

  it('refuses a loss it does not know, naming the ones it does', async () => {
    const ctx = gpu.ctx;
    const buffer = ctx.memory.createStorage('values', 4);
    try {
      await expect(
        createReconstructionLoss(ctx, {
          n: 4,
          loss: 'huber' as never,
          restored: buffer,
          target: buffer,
          grad: buffer,
          stats: buffer,
        }),
      ).rejects.toThrow(/loss: must be one of l1, l2/);
      await expect(
        createReconstructionLoss(ctx, {
          n: 4,
          loss: 'l1',
          restored: buffer,
          target: buffer,
          grad: buffer,
          stats: buffer,
          edges: { weight: 1, width: 3, height: 1 },
        }),
      ).rejects.toThrow(/4 values are not whole planes of 1×3/);
    } finally {
      ctx.memory.release(buffer);
    }
  });
});
