// The library against misuse: destroyed objects, bad step counts, a batch the device cannot
// bind, and a run that diverges. Each is refused with an error that names what is wrong, before
// any GPU work, and never breaks the context that other objects share.
import { describe, expect, it } from 'vitest';
import { decodeCheckpoint, encodeCheckpoint, restoreCheckpoint } from '../../src/gan/checkpoint.js';
import { ArgumentError, DestroyedError, TrainingDivergedError } from '../../src/base/errors.js';
import { GpuDataset } from '../../src/data/dataset.js';
import { GanSampler } from '../../src/gan/sampler.js';
import { GanTrainer } from '../../src/gan/trainer.js';
import { guardedCreation } from '../../src/gpu/creation.js';
import { GpuDeviceError } from '../../src/gpu/errors.js';
import { createBlur } from '../../src/kernels/degrade.js';
import { createStepCounter } from '../../src/kernels/counter.js';
import { createMatmul } from '../../src/kernels/matmul.js';
import { runKernels, useGpu } from '../support/gpu.js';
import { byteImages, makeTrainer } from './helpers.js';

const gpu = useGpu();
const SMALL = { batch: 4, noiseDim: 8, generatorHidden: [16], discriminatorHidden: [16] };
const data = byteImages(40, 36);

describe('a destroyed trainer or sampler', () => {
  it('throws a DestroyedError naming itself from every public method, and leaves the context healthy', async () => {
    const { ctx } = gpu;
    const doomed = await makeTrainer(ctx, data, SMALL);
    const healthy = await makeTrainer(ctx, data, SMALL);
    await doomed.trainer.train(2);
    doomed.destroy();
    const { trainer } = doomed;
    const calls: Array<[string, () => unknown]> = [
      ['readStats', () => trainer.readStats()],
      ['train', () => trainer.train(1)],
      ['submitSteps', () => trainer.submitSteps(1)],
      ['recordSteps', () => trainer.recordSteps(ctx.device.createCommandEncoder(), 1)],
      ['drainStats', () => trainer.drainStats()],
      ['setOptimizer', () => trainer.setOptimizer({ lr: 1e-3 })],
      ['setStep', () => trainer.setStep(0)],
    ];
    for (const [method, call] of calls) {
      const outcome = (async () => call())();
      await expect(outcome, method).rejects.toThrow(DestroyedError);
      await expect(outcome, method).rejects.toThrow(
        `GanTrainer.${method}() called after destroy(); create a new GanTrainer`,
      );
    }
    // The other trainer on the same context trains on, and the context reports no error.
    expect(await healthy.trainer.train(3)).toBe(3);
    expect(ctx.error).toBeNull();
    healthy.destroy();
  });

  it('a sampler after destroy() says so', async () => {
    const { ctx } = gpu;
    const run = await makeTrainer(ctx, data, SMALL);
    const sampler = await GanSampler.create(ctx, run.trainer.config, run.trainer.generator, { count: 3 });
    sampler.destroy();
    await expect(sampler.sample()).rejects.toThrow('GanSampler.sample() called after destroy()');
    await expect(sampler.reseed(2)).rejects.toThrow('GanSampler.reseed() called after destroy()');
    expect(() => sampler.setNoise(new Float32Array(24))).toThrow('GanSampler.setNoise() called after destroy()');
    // A seed the noise kernel refuses, after the sampler's buffers were made: none is left (useGpu).
    const { trainer } = run;
    await expect(GanSampler.create(ctx, trainer.config, trainer.generator, { count: 3, seed: -1 })).rejects.toThrow(
      /seed/,
    );
    run.destroy();
  });
});

describe('a sampler that outlives its trainer', () => {
  it('refuses every call with a DestroyedError naming its destroyed generator; the context works on', async () => {
    const { ctx } = gpu;
    const run = await makeTrainer(ctx, data, SMALL);
    const sampler = await GanSampler.create(ctx, run.trainer.config, run.trainer.generator, { count: 3 });
    expect((await sampler.sample()).every(Number.isFinite)).toBe(true);
    run.destroy();
    const said = /^GanSampler\.(\w+)\(\): its generator was destroyed \(by its GanTrainer's destroy\(\)/;
    await expect(sampler.sample()).rejects.toThrow(DestroyedError);
    await expect(sampler.sample()).rejects.toThrow(said);
    await expect(sampler.reseed(5)).rejects.toThrow(said);
    expect(() => sampler.record(ctx.device.createCommandEncoder())).toThrow(said);
    expect(() => sampler.setNoise(new Float32Array(24))).toThrow(said);
    sampler.destroy();
    // Nothing reached the GPU: the context is healthy and a new trainer and sampler work on it.
    expect(ctx.error).toBeNull();
    const next = await makeTrainer(ctx, data, SMALL);
    expect(await next.trainer.train(2)).toBe(2);
    const fresh = await GanSampler.create(ctx, next.trainer.config, next.trainer.generator, { count: 2 });
    expect((await fresh.sample()).every(Number.isFinite)).toBe(true);
    fresh.destroy();
    next.destroy();
  });
});

describe('creations the device cannot hold', () => {
  it('a sample count of 1e9 is refused by name before any GPU call; the next sampler works', async () => {
    const { ctx } = gpu;
    const run = await makeTrainer(ctx, data, SMALL);
    const { config, generator } = run.trainer;
    const before = ctx.memory.liveBuffers().length;
    const made: unknown[] = [];
    const createBuffer = ctx.device.createBuffer;
    ctx.device.createBuffer = (descriptor) => {
      made.push(descriptor);
      return createBuffer.call(ctx.device, descriptor);
    };
    try {
      const absurd = GanSampler.create(ctx, config, generator, { count: 1e9 });
      await expect(absurd).rejects.toThrow(ArgumentError);
      await expect(absurd).rejects.toThrow(
        /^count: 1000000000 needs [\d.]+ MiB for .* in one binding, .*; use a count of at most \d+$/,
      );
    } finally {
      ctx.device.createBuffer = createBuffer;
    }
    expect(made).toEqual([]);
    expect(ctx.memory.liveBuffers().length).toBe(before);
    expect(ctx.error).toBeNull();
    const sampler = await GanSampler.create(ctx, config, generator, { count: 5 });
    expect((await sampler.sample()).every(Number.isFinite)).toBe(true);
    sampler.destroy();
    run.destroy();
  });

  it('a buffer larger than the device binds is refused by the memory owner, naming it, before the GPU call', () => {
    const { ctx } = gpu;
    const { maxBufferSize, maxStorageBufferBindingSize } = ctx.device.limits;
    const floats = Math.min(maxBufferSize, maxStorageBufferBindingSize) / 4 + 1;
    expect(() => ctx.memory.createStorage('too wide', floats)).toThrow(
      /^too wide: needs [\d.]+ MiB in one buffer, but this device binds at most [\d.]+ MiB in one; ask for less$/,
    );
    expect(ctx.memory.liveBuffers().some((b) => b.label === 'too wide')).toBe(false);
  });

  it('a GPU error inside a creation is named, destroys what was made, and leaves the context working', async () => {
    const { ctx } = gpu;
    let destroyed = 0;
    const failing = guardedCreation(ctx, 'TestObject.create', async () => {
      // A buffer WebGPU refuses (MAP_READ goes only with COPY_DST), as a failed allocation would be.
      ctx.device.createBuffer({ size: 16, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.STORAGE });
      return { destroy: () => destroyed++ };
    });
    await expect(failing).rejects.toThrow(GpuDeviceError);
    const error = (await failing.catch((e: unknown) => e)) as GpuDeviceError;
    // The message is ours; the GPU's own text stays on `detail`.
    expect(error.message).toBe('TestObject.create: the GPU refused to make it (a bug: please report it)');
    expect(error.detail).toMatch(/usage/i);
    expect(destroyed).toBe(1);
    expect(ctx.error).toBeNull();
    await ctx.sync();
    const run = await makeTrainer(ctx, data, SMALL);
    expect(await run.trainer.train(2)).toBe(2);
    run.destroy();
  });
});

describe('a kernel creator on its own', () => {
  /** Makes the device's next bind group alongside a buffer WebGPU refuses: a GPU error mid-creation. */
  function failNextBindGroup(device: GPUDevice): () => void {
    const original = device.createBindGroup;
    device.createBindGroup = (descriptor) => {
      device.createBindGroup = original;
      device.createBuffer({ size: 16, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.STORAGE });
      return original.call(device, descriptor);
    };
    return () => {
      device.createBindGroup = original;
    };
  }

  it('a GPU error inside it is named after it, frees what it made, and leaves the context working', async () => {
    const { ctx } = gpu;
    const a = ctx.memory.createStorage('a', Float32Array.from([1, 2, 3, 4, 5, 6]));
    const b = ctx.memory.createStorage('b', Float32Array.from([1, 0, 0, 1, 2, 2]));
    const c = ctx.memory.createStorage('c', 4);
    const geometry = { rows: 1, channels: 1, height: 2, width: 3 };
    const creators: Array<[string, () => Promise<{ destroy(): void }>]> = [
      ['createMatmul', () => createMatmul(ctx, { m: 2, n: 2, k: 3, a, b, c })],
      ['createStepCounter', () => createStepCounter(ctx)],
      [
        'createBlur',
        () =>
          createBlur(ctx, {
            geometry,
            taps: [1, 2, 1],
            kernelHeight: 1,
            kernelWidth: 3,
            direction: 'forward',
            source: a,
            result: b,
          }),
      ],
    ];
    for (const [name, create] of creators) {
      const buffers = ctx.memory.liveBuffers().length;
      const restore = failNextBindGroup(ctx.device);
      const failing = create().finally(restore);
      const error = (await failing.catch((e: unknown) => e)) as GpuDeviceError;
      expect(error, name).toBeInstanceOf(GpuDeviceError);
      expect(error.message).toBe(`${name}: the GPU refused to make it (a bug: please report it)`);
      expect(ctx.memory.liveBuffers().length, name).toBe(buffers);
      expect(ctx.error, name).toBeNull();
    }
    // The context works on: the same matmul, made again, computes [1 2 3; 4 5 6]·[1 0; 0 1; 2 2].
    const matmul = await createMatmul(ctx, { m: 2, n: 2, k: 3, a, b, c });
    await runKernels(ctx, matmul);
    expect(Array.from(await ctx.readF32(c))).toEqual([7, 8, 16, 17]);
    matmul.destroy();
    for (const buffer of [a, b, c]) ctx.memory.release(buffer);
  });
});

describe('step counts', () => {
  it('are refused before any step is taken unless they are whole and not negative', async () => {
    const { ctx } = gpu;
    const { trainer, destroy } = await makeTrainer(ctx, data, SMALL);
    for (const steps of [1.5, -1, NaN, Infinity]) {
      await expect(trainer.train(steps), String(steps)).rejects.toThrow(ArgumentError);
      expect(trainer.step, String(steps)).toBe(0);
    }
    await expect(trainer.train(1.5)).rejects.toThrow('steps: must be a positive integer, got 1.5');
    expect(await trainer.train(0)).toBe(0);
    expect(() => trainer.submitSteps(2.5)).toThrow(ArgumentError);
    // The 32-bit sample counter: refused whole, up front, rather than after the steps that fit.
    await expect(trainer.train(GanTrainer.maxSteps(trainer.config) + 1)).rejects.toThrow(
      /overflow the GPU's 32-bit sample counter/,
    );
    expect(trainer.step).toBe(0);
    destroy();
  });
});

describe('limits of the device', () => {
  it('a batch whose buffers the device cannot bind is refused before anything is allocated', async () => {
    const { ctx } = gpu;
    const limit = Math.min(ctx.device.limits.maxStorageBufferBindingSize, ctx.device.limits.maxBufferSize);
    const fits = Math.floor(limit / (2 * 784 * 4));
    if (fits + 1 > 32768)
      return console.log(`this device binds ${limit} bytes: every batch the configuration allows fits`);
    const before = ctx.memory.bytesInUse;
    await expect(makeTrainer(ctx, byteImages(40, 784), { ...SMALL, batch: fits + 1 })).rejects.toThrow(
      new RegExp(
        `^batch: ${fits + 1} needs .* MiB for the discriminator's input \\(fake and real rows\\) in one binding, ` +
          `.*; use a batch of at most ${fits}$`,
      ),
    );
    expect(ctx.memory.bytesInUse).toBe(before);
  });
});

describe('a diverging run', () => {
  it('stops with a TrainingDivergedError, refuses to be saved or trained, and recovers from a checkpoint', async () => {
    const { ctx } = gpu;
    const good = await makeTrainer(ctx, data, SMALL);
    await good.trainer.train(2);
    const checkpoint = decodeCheckpoint(await encodeCheckpoint(good.trainer));
    good.destroy();

    // So large that one Adam step makes the weights ~1e30 and the next forward pass overflows.
    const { trainer, destroy } = await makeTrainer(ctx, data, { ...SMALL, lr: 1e30 });
    const seen: boolean[] = [];
    const trained = trainer.train(200, {
      statsEvery: 5,
      onStats: (s) => seen.push(s.nonFinite || !Number.isFinite(s.lossD)),
    });
    await expect(trained).rejects.toThrow(TrainingDivergedError);
    await expect(trained).rejects.toThrow(/^training diverged by step \d+: .*; the learning rate is the usual cause/);
    expect(seen.at(-1)).toBe(true); // the statistics that showed it were passed on first
    expect(trainer.step).toBeLessThan(200);
    expect(trainer.diverged?.step).toBeGreaterThan(0);
    await expect(encodeCheckpoint(trainer)).rejects.toThrow(TrainingDivergedError);
    expect(() => trainer.submitSteps(1)).toThrow(TrainingDivergedError);

    // Loading good weights ends the divergence: the trainer takes up from the checkpoint.
    trainer.setOptimizer({ lr: 2e-4 });
    restoreCheckpoint(trainer, { ...checkpoint, config: trainer.config });
    expect(trainer.diverged).toBeNull();
    // Statistics read after the restore are the restored run's: finite, and no alarm.
    const after: Array<{ step: number; finite: boolean }> = [];
    expect(
      await trainer.train(10, {
        statsEvery: 5,
        onStats: (s) => after.push({ step: s.step, finite: !s.nonFinite && Number.isFinite(s.lossD) }),
      }),
    ).toBe(10);
    expect(after).toEqual([
      { step: checkpoint.step + 5, finite: true },
      { step: checkpoint.step + 10, finite: true },
    ]);
    destroy();
  });
});

describe('a conditional GAN', () => {
  it('needs labels, one per example, of its classes; refuses them for an unconditional one', async () => {
    const ctx = gpu.ctx;
    const dataset = data.upload(ctx);
    const ten = GpuDataset.fromLabels(
      ctx,
      Array.from({ length: 40 }, (_, e) => e % 10),
      10,
    );
    const three = GpuDataset.fromLabels(
      ctx,
      Array.from({ length: 40 }, (_, e) => e % 3),
      3,
    );
    const short = GpuDataset.fromLabels(ctx, [1, 2, 3], 10);
    const conditional = { ...SMALL, dataDim: 36, classes: 10 };
    try {
      const refused = async (labels: GpuDataset | undefined, config: object, message: RegExp) => {
        const attempt = GanTrainer.create(ctx, config, dataset, labels);
        await expect(attempt).rejects.toThrow(ArgumentError);
        await expect(attempt).rejects.toThrow(message);
      };
      await refused(undefined, conditional, /labels.*needed.*classes 10/);
      await refused(three, conditional, /labels.*have 3 classes and the configuration 10/);
      await refused(short, conditional, /labels.*are 3, one per example is 40/);
      await refused(ten, { ...SMALL, dataDim: 36 }, /labels.*unconditional/);
      await refused(ten, { ...conditional, discriminatorHidden: [] }, /classes.*at least one hidden layer/);
      expect(() => GpuDataset.fromLabels(ctx, [0, 10], 10)).toThrow(/label 1 is 10, not a class in \[0, 10\)/);
      expect(() => GpuDataset.fromLabels(ctx, [0, 2.5], 10)).toThrow(/label 1 is 2.5/);
      // And a sampler takes a class per sample, checked the same way.
      const trainer = await GanTrainer.create(ctx, conditional, dataset, ten);
      try {
        const make = (labels: number[]) =>
          GanSampler.create(ctx, trainer.config, trainer.generator, { count: 2, labels });
        await expect(make([0, 10])).rejects.toThrow(/label 1 is 10/);
        await expect(make([0])).rejects.toThrow(/one per sample \(2\)/);
        const sampler = await make([3, 7]);
        expect(() => sampler.setLabels([1, -1])).toThrow(/label 1 is -1/);
        sampler.setLabels([9, 0]);
        expect((await sampler.sample()).every(Number.isFinite)).toBe(true);
        sampler.destroy();
      } finally {
        trainer.destroy();
      }
    } finally {
      for (const d of [dataset, ten, three, short]) d.destroy();
    }
  });
});
