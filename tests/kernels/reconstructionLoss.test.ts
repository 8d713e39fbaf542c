// The restorer's reconstruction loss against its float64 reference (one value, a count that is no
// multiple of the 256 threads, a long one) for l1 and l2, through a tanh gate against finite
// differences, and accumulation of the loss over dispatches.
import { describe, expect, it } from 'vitest';
import { createReconstructionLoss, type ReconstructionLoss } from '../../src/kernels/reconstructionLoss.js';
import { reconstructionReference } from '../../reference/reconstruction.js';
import { expectClose, randomArray, runKernels, useGpu } from '../support/gpu.js';

const gpu = useGpu();

async function run(
  restored: Float32Array,
  target: Float32Array,
  loss: ReconstructionLoss,
  options: { tanh?: boolean; divisor?: number; accumulateOver?: number } = {},
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
    } finally {
      ctx.memory.release(buffer);
    }
  });
});
