// Everything the library picks on its own must run where WebGPU's default limits are all there
// is, as in a browser on a small GPU: 16 KiB of workgroup memory, 8 storage buffers per stage,
// 128 MiB per storage binding. Variants that need more are refused with a message that names a
// variant that fits, and the trainer trains.
import { describe, expect, it } from 'vitest';
import { createMatmul, type MatmulVariant } from '../src/index.js';
import {
  registeredMatmulTuning,
  registerMatmulTuning,
  shapeKey,
  tuningAdapterKey,
  unregisterMatmulTuning,
} from '../src/kernels/matmulTuning.js';
import { getPipeline } from '../src/gpu/pipelines.js';
import { matmulReference } from '../reference/cpu.js';
import { float32Tolerance } from '../reference/numeric.js';
import matmulShader from '../shaders/matmul.wgsl';
import { byteImages, makeTrainer } from './gan/helpers.js';
import { expectClose, randomArray, runKernels, useGpu } from './support/gpu.js';

const gpu = useGpu({ limits: 'default' });

describe('on WebGPU default limits', () => {
  it('the device has only the default 16 KiB of workgroup memory', () => {
    expect(gpu.ctx.device.limits.maxComputeWorkgroupStorageSize).toBe(16384);
  });

  for (const variant of ['v1', 'v4', 'v5'] as MatmulVariant[]) {
    it(`matmul ${variant} builds and is right`, async () => {
      const ctx = gpu.ctx;
      const [m, n, k] = [36, 52, 20];
      const a = randomArray(m * k, 1),
        b = randomArray(k * n, 2);
      const buffers = [
        ctx.memory.createStorage('a', a),
        ctx.memory.createStorage('b', b),
        ctx.memory.createStorage('c', m * n),
      ] as const;
      try {
        const kernel = await createMatmul(ctx, { m, n, k, a: buffers[0], b: buffers[1], c: buffers[2], variant });
        await runKernels(ctx, kernel);
        kernel.destroy();
        const ref = matmulReference({ m, n, k, a, b });
        expectClose(await ctx.readF32(buffers[2]), ref.c, (i) => float32Tolerance(ref.magnitude[i]!), variant);
      } finally {
        for (const x of buffers) ctx.memory.release(x);
      }
    });
  }

  it('refuses v3, which needs more workgroup memory, and a table naming v3 falls back to v1', async () => {
    const ctx = gpu.ctx;
    const buffers = [
      ctx.memory.createStorage('a', 64),
      ctx.memory.createStorage('b', 64),
      ctx.memory.createStorage('c', 64),
    ] as const;
    const adapter = tuningAdapterKey(ctx.adapter)!;
    const previous = registeredMatmulTuning(adapter);
    try {
      for (const [variant, bytes, entry] of [['v3', 17408, 'matmul_bias_act_db']] as const) {
        await expect(
          createMatmul(ctx, { m: 8, n: 8, k: 8, a: buffers[0], b: buffers[1], c: buffers[2], variant }),
        ).rejects.toThrow(
          `${variant} needs ${bytes} bytes of workgroup memory and this device allows 16384; use v1, v4 or v5`,
        );
        // The numbers are the shader's: the device itself refuses the pipeline.
        await expect(getPipeline(ctx.device, matmulShader, entry)).rejects.toThrow(/building pipeline/);
        const shape = { m: 8, n: 8, k: 8, transposeA: false, transposeB: false, rowSums: false };
        const choices = { [shapeKey(shape)]: { variant, splitK: 1 } };
        registerMatmulTuning({ adapter, measured: 'test', choices });
        const kernel = await createMatmul(ctx, { m: 8, n: 8, k: 8, a: buffers[0], b: buffers[1], c: buffers[2] });
        expect(kernel.choice.variant).toBe('v1');
        kernel.destroy();
      }
    } finally {
      if (previous) registerMatmulTuning(previous);
      else unregisterMatmulTuning(adapter);
      for (const x of buffers) ctx.memory.release(x);
    }
  });

  it('the trainer builds every kernel of its step and trains', async () => {
    const { trainer, destroy } = await makeTrainer(gpu.ctx, byteImages(300, 784), { batch: 600 });
    try {
      const stats: number[] = [];
      await trainer.train(2, { statsEvery: 2, onStats: (s) => stats.push(s.lossD, s.lossG) });
      expect(stats.length).toBe(2);
      expect(stats.every(Number.isFinite)).toBe(true);
    } finally {
      destroy();
    }
  });
});
