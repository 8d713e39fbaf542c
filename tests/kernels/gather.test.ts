// The batch gather: the same examples as the TypeScript shuffle, bit for bit, for packed bytes
// (scaled to [−1, 1]) and raw f32; and each epoch visits every example exactly once.
import { describe, expect, it } from 'vitest';
import { createRandomFill, createStepCounter, type GpuContext } from '../../src/index.js';
import { createBatchGather } from '../../src/kernels/gather.js';
import { batchExamples } from '../../reference/shuffle.js';
import { runKernels, useGpu } from '../support/gpu.js';

const gpu = useGpu();
const SEED = 2024;

async function gather(
  ctx: GpuContext,
  dataset: Uint32Array,
  packedU8: boolean,
  count: number,
  dim: number,
  rows: number,
  step: number,
): Promise<Float32Array> {
  const data = ctx.memory.createStorage('dataset', dataset);
  const out = ctx.memory.createStorage('batch', rows * dim);
  const counter = await createStepCounter(ctx, { start: step });
  try {
    const kernel = await createBatchGather(ctx, {
      dataset: data,
      packedU8,
      count,
      dim,
      rows,
      output: out,
      seed: SEED,
      stepCount: counter.buffer,
    });
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
    for (const step of [1, 2, 40]) {
      // step 40 crosses into the second epoch
      const got = await gather(gpu.ctx, new Uint32Array(bytes.buffer), true, count, dim, rows, step);
      const want = batchExamples(step, rows, count, SEED).flatMap((e) =>
        [...bytes.subarray(e * dim, (e + 1) * dim)].map((b) => Math.fround(Math.fround(1 / 255) * (2 * b - 255))),
      );
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
    const count = 60_000,
      rows = 500;
    const seen = new Uint8Array(count);
    const ids = new Float32Array(count);
    ids.forEach((_, i) => {
      ids[i] = i;
    });
    for (let step = 1; step <= count / rows; step++) {
      // Only a few steps go through the GPU; the rest use the reference, already proven equal.
      const examples =
        step <= 3
          ? [...(await gather(gpu.ctx, new Uint32Array(ids.buffer), false, count, 1, rows, step))]
          : batchExamples(step, rows, count, SEED);
      if (step <= 3) expect(examples).toEqual(batchExamples(step, rows, count, SEED));
      for (const e of examples) seen[e]!++;
    }
    expect(seen.every((v) => v === 1)).toBe(true);
  });

  // The trainer's first dispatch: the real batch and the noise together. Both halves must be what
  // the separate kernels give, bit for bit, including a last noise workgroup that is partly empty.
  for (const [rows, noiseCount, step] of [
    [1, 1, 1],
    [3, 7, 2],
    [37, 6400, 5],
    [64, 1025, 40],
  ] as const) {
    it(`with noise: ${rows} rows and ${noiseCount} normals match the separate kernels at step ${step}`, async () => {
      const ctx = gpu.ctx;
      const [count, dim] = [1000, 12];
      const bytes = Uint8Array.from({ length: count * dim }, (_, i) => (i * 131 + (i >> 3)) & 0xff);
      const mem = ctx.memory;
      const data = mem.createStorage('dataset', new Uint32Array(bytes.buffer));
      const [batch, noise, batchAlone, noiseAlone] = [rows * dim, noiseCount, rows * dim, noiseCount].map((n, i) =>
        mem.createStorage(`out ${i}`, n),
      );
      const counter = await createStepCounter(ctx, { start: step });
      const common = { dataset: data, packedU8: true, count, dim, rows, seed: SEED, stepCount: counter.buffer };
      const kernels = [
        await createBatchGather(ctx, {
          ...common,
          output: batch!,
          noise: { output: noise!, count: noiseCount, stream: 9 },
        }),
        await createBatchGather(ctx, { ...common, output: batchAlone! }),
        await createRandomFill(ctx, {
          n: noiseCount,
          output: noiseAlone!,
          seed: SEED,
          stream: 9,
          distribution: { kind: 'normal' },
          stepCount: counter.buffer,
        }),
      ];
      try {
        await runKernels(ctx, ...kernels);
        const [fused, alone] = [await ctx.readF32(noise!), await ctx.readF32(noiseAlone!)];
        expect(fused.every((v, i) => Object.is(v, alone[i]))).toBe(true);
        expect(fused.every((v) => v !== 0)).toBe(true); // every slot written: none left at the buffer's zero
        expect([...(await ctx.readF32(batch!))]).toEqual([...(await ctx.readF32(batchAlone!))]);
      } finally {
        for (const k of kernels) k.destroy();
        counter.destroy();
        for (const b of [data, batch, noise, batchAlone, noiseAlone]) mem.release(b!);
      }
    });
  }

  // The trainer's step advances the counter in this kernel instead of a separate increment:
  // counter words [t − 1, anything] give batch and noise t, and leave [t − 1, t].
  for (const withNoise of [false, true]) {
    const name =
      `advanceStep${withNoise ? ' with noise' : ''}: ` +
      'step word 0 + 1, written to word 1, as an increment then a gather would';
    it(name, async () => {
      const ctx = gpu.ctx;
      const [count, dim, rows, noiseCount, step] = [500, 9, 11, 1030, 7];
      const bytes = Uint8Array.from({ length: count * dim }, (_, i) => (i * 29 + (i >> 4)) & 0xff);
      const mem = ctx.memory;
      const data = mem.createStorage('dataset', new Uint32Array(bytes.buffer));
      const [batch, noise, batchAlone, noiseAlone] = [rows * dim, noiseCount, rows * dim, noiseCount].map((n, i) =>
        mem.createStorage(`out ${i}`, n),
      );
      const advancing = await createStepCounter(ctx, { start: step - 1 });
      ctx.write(advancing.buffer, new Uint32Array([step - 1, 12345])); // word 1 is overwritten, never read
      const incremented = await createStepCounter(ctx, { start: step - 1 });
      const common = { dataset: data, packedU8: true, count, dim, rows, seed: SEED };
      const kernels = [
        await createBatchGather(ctx, {
          ...common,
          output: batch!,
          stepCount: advancing.buffer,
          advanceStep: true,
          ...(withNoise ? { noise: { output: noise!, count: noiseCount, stream: 3 } } : {}),
        }),
        await createBatchGather(ctx, { ...common, output: batchAlone!, stepCount: incremented.buffer }),
        await createRandomFill(ctx, {
          n: noiseCount,
          output: noiseAlone!,
          seed: SEED,
          stream: 3,
          distribution: { kind: 'normal' },
          stepCount: incremented.buffer,
        }),
      ];
      try {
        await runKernels(ctx, kernels[0]!, incremented, kernels[1]!, kernels[2]!);
        expect([...(await ctx.readU32(advancing.buffer))]).toEqual([step - 1, step]);
        expect([...(await ctx.readU32(incremented.buffer))]).toEqual([step, step]);
        expect([...(await ctx.readF32(batch!))]).toEqual([...(await ctx.readF32(batchAlone!))]);
        if (withNoise) {
          const [fused, alone] = [await ctx.readF32(noise!), await ctx.readF32(noiseAlone!)];
          expect(fused.every((v, i) => Object.is(v, alone[i]))).toBe(true);
        }
      } finally {
        for (const k of kernels) k.destroy();
        advancing.destroy();
        incremented.destroy();
        for (const b of [data, batch, noise, batchAlone, noiseAlone]) mem.release(b!);
      }
    });
  }

  it("stepWord 1: a second gather of the step (the batch's labels) takes the same examples as the first", async () => {
    const ctx = gpu.ctx;
    const [count, rows, step] = [300, 13, 24]; // step 24 is in the second epoch of 300 / 13
    const pixels = Uint8Array.from({ length: count * 4 }, (_, i) => (i * 13) & 0xff);
    const labels = Float32Array.from({ length: count }, (_, e) => e % 10);
    const mem = ctx.memory;
    const buffers = [
      mem.createStorage('pixels', new Uint32Array(pixels.buffer)),
      mem.createStorage('labels', labels),
      mem.createStorage('batch', rows * 4),
      mem.createStorage('batch labels', rows),
    ];
    const [pixelData, labelData, batch, batchLabels] = buffers as [GPUBuffer, GPUBuffer, GPUBuffer, GPUBuffer];
    const counter = await createStepCounter(ctx, { start: step - 1 });
    const common = { count, rows, seed: SEED, stepCount: counter.buffer };
    const labelGather = {
      ...common,
      dataset: labelData,
      packedU8: false,
      dim: 1,
      output: batchLabels,
      stepWord: 1 as const,
    };
    const kernels = [
      await createBatchGather(ctx, {
        ...common,
        dataset: pixelData,
        packedU8: true,
        dim: 4,
        output: batch,
        advanceStep: true,
      }),
      await createBatchGather(ctx, labelGather),
    ];
    try {
      await runKernels(ctx, ...kernels);
      const examples = batchExamples(step, rows, count, SEED);
      expect([...(await ctx.readF32(batchLabels))]).toEqual(examples.map((e) => e % 10));
      const got = await ctx.readF32(batch);
      const firstPixels = examples.map((e) => Math.fround(Math.fround(1 / 255) * (2 * pixels[e * 4]! - 255)));
      expect(Array.from({ length: rows }, (_, r) => got[r * 4]!)).toEqual(firstPixels);
      await expect(createBatchGather(ctx, { ...labelGather, advanceStep: true })).rejects.toThrow(
        /stepWord.*cannot advance it too/,
      );
    } finally {
      for (const k of kernels) k.destroy();
      counter.destroy();
      for (const b of buffers) mem.release(b);
    }
  });
});
