// The batch gather: the same examples as the TypeScript shuffle, bit for bit, for packed bytes
// (scaled to [−1, 1]) and raw f32; and each epoch visits every example exactly once.
import { describe, expect, it } from 'vitest';
import { StepCounter, type GpuContext } from '../../src/index.js';
import { createBatchGather } from '../../src/data/gather.js';
import { batchExamples } from '../reference/shuffle.js';
import { runKernels, useGpu } from '../support/gpu.js';

const gpu = useGpu();
const SEED = 2024;

async function gather(ctx: GpuContext, dataset: Uint32Array, packedU8: boolean, count: number, dim: number, rows: number, step: number): Promise<Float32Array> {
  const data = ctx.memory.createStorage('dataset', dataset);
  const out = ctx.memory.createStorage('batch', rows * dim);
  const counter = await StepCounter.create(ctx, step);
  try {
    const kernel = await createBatchGather(ctx, { dataset: data, packedU8, count, dim, rows, output: out, seed: SEED, stepCount: counter.buffer });
    await runKernels(ctx, kernel);
    kernel.destroy();
    return await ctx.readF32(out);
  } finally {
    counter.destroy();
    ctx.memory.release(data);
    ctx.memory.release(out);
  }
}

describe('batch gather', () => {
  it('packed bytes: rows are the shuffled examples, scaled to [−1, 1]', async () => {
    const [count, dim, rows] = [1000, 12, 37];
    const bytes = Uint8Array.from({ length: count * dim }, (_, i) => (i * 37 + (i >> 5)) & 0xff);
    for (const step of [1, 2, 40]) { // step 40 crosses into the second epoch
      const got = await gather(gpu.ctx, new Uint32Array(bytes.buffer), true, count, dim, rows, step);
      const want = batchExamples(step, rows, count, SEED).flatMap((e) => [...bytes.subarray(e * dim, (e + 1) * dim)].map((b) => Math.fround(Math.fround(1 / 255) * (2 * b - 255))));
      expect([...got]).toEqual(want);
    }
  });

  it('f32 rows are copied bit for bit', async () => {
    const [count, dim, rows] = [61, 2, 5];
    const values = Float32Array.from({ length: count * dim }, (_, i) => Math.sin(i) * 3);
    const got = await gather(gpu.ctx, new Uint32Array(values.buffer), false, count, dim, rows, 3);
    const want = batchExamples(3, rows, count, SEED).flatMap((e) => [...values.subarray(e * dim, (e + 1) * dim)]);
    expect([...got]).toEqual(want);
  });

  it('one epoch is a permutation of the dataset (count 60000, as MNIST)', async () => {
    const count = 60_000, rows = 500;
    const seen = new Uint8Array(count);
    const ids = new Float32Array(count);
    ids.forEach((_, i) => (ids[i] = i));
    for (let step = 1; step <= count / rows; step++) {
      // Only a few steps go through the GPU; the rest use the reference, already proven equal.
      const examples = step <= 3
        ? [...(await gather(gpu.ctx, new Uint32Array(ids.buffer), false, count, 1, rows, step))]
        : batchExamples(step, rows, count, SEED);
      if (step <= 3) expect(examples).toEqual(batchExamples(step, rows, count, SEED));
      for (const e of examples) seen[e]!++;
    }
    expect(seen.every((v) => v === 1)).toBe(true);
  });
});
