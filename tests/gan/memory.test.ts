// What the trainer holds on the GPU, and that stepping adds nothing. The bytes are accounted for
// one by one: parameters with their gradients, Adam moments and moving average; activations and
// their gradients; the dataset; the split-K scratch that the step's matmuls share; and a few
// kilobytes of uniforms, counters and staging buffers. And training makes no GPU object at all:
// no buffer, bind group, pipeline, shader module or query set.
import { describe, expect, it } from 'vitest';
import { headRowsPerGroup } from '../../src/kernels/logitHead.js';
import { MatmulKernel } from '../../src/kernels/matmul.js';
import type { NetworkParameters } from '../../src/nn/network.js';
import { useGpu } from '../support/gpu.js';
import { resolveGanConfig, SEED_RECIPE } from '../../src/gan/config.js';
import { GanTrainer } from '../../src/gan/trainer.js';
import { GpuDataset } from '../../src/data/dataset.js';
import { chooseLabeled, labeledSetFromBytes } from '../../src/data/labeled.js';
import { checkModelFits, stepRowsEstimate, trainerMemoryAdvice } from '../../src/gan/modelMemory.js';
import { byteImages, labelled, makeTrainer } from './helpers.js';

const gpu = useGpu();

/** A network's floats per flat buffer (these trainers are plain MLPs, trained as layer lists). */
const mlpFloats = (net: unknown) => (net as NetworkParameters).layout.parameterFloats;
/**
 * Uniform buffers, the step counter, the stats ring and placeholders: 3 KB at batch 64 and at
 * batch 1024 (measured). Less than one extra activation buffer.
 */
const SMALL_BUFFERS_BYTES = 8 * 1024;

describe('trainer memory', () => {
  for (const batch of [64, 1024]) {
    it(`batch ${batch}: every byte accounted for, split-K scratch shared by all split products`, async () => {
      const ctx = gpu.ctx;
      const before = ctx.memory.bytesInUse;
      const data = byteImages(300, 784);
      const { trainer, destroy } = await makeTrainer(ctx, data, { batch });
      try {
        const c = trainer.config;
        const width = c.discriminatorHidden.at(-1)!;
        const headGroups = (rows: number) =>
          rows <= headRowsPerGroup(rows) ? 0 : Math.ceil(rows / headRowsPerGroup(rows));
        const floats = {
          parameters: 5 * mlpFloats(trainer.generator) + 4 * mlpFloats(trainer.discriminator),
          activations:
            batch * c.noiseDim +
            2 * batch * c.dataDim +
            c.generatorHidden.reduce((a, w) => a + 2 * batch * w, 0) +
            batch * c.dataDim + // G outputs and their gradients
            c.discriminatorHidden.reduce((a, w) => a + 2 * (2 * batch * w), 0), // D outputs and gradients, 2B rows
          dataset: Math.ceil((300 * 784) / 4),
          // The logit heads' partial sums per group of rows: 4 statistics, and for the discriminator
          // update (2B rows) its weight gradient's column sums too.
          headPartials: headGroups(2 * batch) * (4 + width) + headGroups(batch) * 4,
        };
        const split = trainer.stepKernelList.filter(
          (k): k is MatmulKernel => k instanceof MatmulKernel && k.choice.splitK > 1,
        );
        expect(split.length, 'the step has split-K products to share scratch').toBeGreaterThanOrEqual(2);
        const largest = Math.max(
          ...split.map((k) => k.choice.splitK * k.shape.m * (k.shape.n + (k.shape.rowSums ? 1 : 0))),
        );

        const scratch = ctx.memory.liveBuffers().filter((b) => /split-K/.test(b.label));
        expect(scratch.map((b) => b.label).sort()).toEqual([
          'gan step split-K partials A',
          'gan step split-K partials B',
        ]);
        for (const b of scratch) expect(b.size).toBe(largest * 4);

        const accounted =
          4 * (floats.parameters + floats.activations + floats.dataset + floats.headPartials + 2 * largest);
        const used = ctx.memory.bytesInUse - before;
        expect(used).toBeGreaterThanOrEqual(accounted);
        expect(used - accounted, `${used} bytes in use, ${accounted} accounted for`).toBeLessThanOrEqual(
          SMALL_BUFFERS_BYTES,
        );
      } finally {
        destroy();
      }
    });
  }

  it('training creates no GPU object: no buffer, bind group, pipeline, shader module or query set', async () => {
    const ctx = gpu.ctx;
    const { trainer, destroy } = await makeTrainer(ctx, byteImages(300, 784), { batch: 16 });
    const device = ctx.device as unknown as Record<string, (...args: unknown[]) => unknown>;
    const watched = [
      'createBuffer',
      'createBindGroup',
      'createBindGroupLayout',
      'createComputePipeline',
      'createComputePipelineAsync',
      'createShaderModule',
      'createQuerySet',
    ];
    const calls: string[] = [];
    const originals = watched.map((name) => [name, device[name]] as const);
    for (const [name, original] of originals) {
      device[name] = (...args: unknown[]) => {
        calls.push(name);
        return original!.apply(ctx.device, args);
      };
    }
    try {
      // The spies see calls: one buffer made on purpose is recorded, then the slate is wiped.
      ctx.device.createBuffer({ size: 16, usage: GPUBufferUsage.STORAGE }).destroy();
      expect(calls).toEqual(['createBuffer']);
      calls.length = 0;
      const buffers = ctx.memory.liveBuffers().length;
      const stats: unknown[] = [];
      await trainer.train(30, { stepsPerSubmit: 4, statsEvery: 5, onStats: (s) => stats.push(s) });
      expect(stats.length).toBe(6); // statistics were read back along the way, through the ring
      expect(calls).toEqual([]);
      expect(ctx.memory.liveBuffers().length).toBe(buffers);
    } finally {
      for (const [name, original] of originals) device[name] = original!;
      destroy();
    }
  });
});

describe("the memory estimate is the allocator's plan", () => {
  /** Bytes per label of every live buffer. */
  const bytesByLabel = () => {
    const sizes = new Map<string, number>();
    for (const b of gpu.ctx.memory.liveBuffers()) sizes.set(b.label, (sizes.get(b.label) ?? 0) + b.size);
    return sizes;
  };
  /**
   * Scratch that grows with the batch but not per example: split-K partial sums (at most 32 splits
   * of a weight gradient) and the logit heads' partial sums per group of rows. Everything else
   * that grows with the batch is one of the step's batch-sized buffers.
   */
  const scratch = (label: string) => /split-K|split partials|partial sums/.test(label);

  /** A semi-supervised trainer: 40 images, 8 of them labelled over 4 classes. */
  async function semiTrainer(batch: number) {
    const pixels = Uint8Array.from({ length: 40 * 784 }, (_, i) => (i * 7919 + (i >> 9)) % 256);
    const labels = Uint8Array.from({ length: 40 }, (_, e) => e % 4);
    const config = resolveGanConfig({ ...SEED_RECIPE, dataDim: 784, batch, labelClasses: 4, labeled: 8 });
    const dataset = GpuDataset.fromBytes(gpu.ctx, pixels, 40, 784);
    const labeled = labeledSetFromBytes(gpu.ctx, pixels, 784, labels, chooseLabeled(labels, 8, 4, 1), 4);
    const trainer = await GanTrainer.create(gpu.ctx, config, dataset, undefined, labeled);
    const destroy = () => {
      for (const owned of [trainer, labeled, dataset]) owned.destroy();
    };
    return { trainer, destroy };
  }
  const cases: Array<[string, (batch: number) => ReturnType<typeof makeTrainer>]> = [
    ['the MLP (its workspace plan)', (batch) => makeTrainer(gpu.ctx, byteImages(40, 784), { batch })],
    [
      'a conditional MLP with projection (a layer list)',
      (batch) =>
        makeTrainer(gpu.ctx, labelled(byteImages(40, 784), 3), { batch, classes: 3, conditioning: 'projection' }),
    ],
    [
      'a conditional MLP with an auxiliary classifier (a layer list)',
      (batch) =>
        makeTrainer(gpu.ctx, labelled(byteImages(40, 784), 3), { batch, classes: 3, conditioning: 'auxiliary' }),
    ],
    ['a semi-supervised MLP (a layer list)', semiTrainer],
    [
      'the 28×28 DCGAN (a layer list)',
      (batch) => makeTrainer(gpu.ctx, byteImages(40, 784), { batch, architecture: 'dcgan', spectralNorm: true }),
    ],
  ];
  for (const [name, build] of cases) {
    it(`${name}: each example adds exactly the estimate's bytes, and its widest buffer is the estimate's`, async () => {
      const [small, large] = [2, 5];
      const sizes: Map<string, number>[] = [];
      let estimate: ReturnType<typeof stepRowsEstimate> | undefined;
      for (const batch of [small, large]) {
        const { trainer, destroy } = await build(batch);
        estimate = stepRowsEstimate(trainer.config);
        sizes.push(bytesByLabel());
        destroy();
      }
      const perExample = [...sizes[1]!]
        .filter(([label]) => !scratch(label))
        .map(([label, bytes]) => ({ label, bytes: (bytes - (sizes[0]!.get(label) ?? 0)) / (large - small) }))
        .filter((b) => b.bytes !== 0);
      expect(perExample.length).toBeGreaterThan(3);
      expect(perExample.reduce((sum, b) => sum + b.bytes, 0)).toBe(estimate!.bytesPerRow);
      expect(Math.max(...perExample.map((b) => b.bytes))).toBe(estimate!.widest.bytesPerRow);
    });
  }

  it('a batch the device cannot bind: on resume the advice is the device or a new run, not another batch', () => {
    const config = resolveGanConfig({ architecture: 'dcgan', channels: 3, dataDim: 3 * 64 * 64, batch: 1024 });
    const limits = { maxStorageBufferBindingSize: 128 * 2 ** 20, maxBufferSize: 2 ** 40 } as GPUSupportedLimits;
    expect(() => checkModelFits(config, limits, { resuming: true })).toThrow(
      'batch: 1024 needs 512.0 MiB for discriminator layer 0 (conv2d, [64,32,32]) in one binding, but this device ' +
        "binds at most 128.0 MiB; a resumed run keeps its checkpoint's batch of 1024: resume on a device that binds " +
        '512.0 MiB in one buffer, or start a new run with a batch of at most 256',
    );
    // Running out of memory making the trainer: the estimate, and advice that holds on resume too.
    const { bytesPerRow } = stepRowsEstimate(config);
    expect(bytesPerRow).toBeGreaterThan(stepRowsEstimate(config).widest.bytesPerRow);
    expect(trainerMemoryAdvice(config)).toBe(
      `its batch of 1024 takes about ${((bytesPerRow * 1024) / 2 ** 20).toFixed(1)} MiB of batch-sized buffers ` +
        `(${(bytesPerRow / 1024).toFixed(1)} KiB an example) besides the weights: a smaller batch needs less; a ` +
        'resumed run keeps its batch, so there only a GPU with more free memory will do',
    );
  });
});
