// The evaluator's samples made in passes (src/eval/samplePasses.ts) when the device cannot bind
// them all at once: the same values, bit for bit, as one sampler of all the rows makes, for an
// MLP, a conditional MLP (passes of whole rounds of its ten classes, so 25 a pass become 20) and a
// DCGAN, at awkward counts; the scores of an evaluator in passes equal those of one pass; the
// limit a device sets; and the refusals.
import { describe, expect, it } from 'vitest';
import { readClassifierFile } from '../../src/eval/classifierFile.js';
import { createGeneratorEvaluator } from '../../src/eval/evaluate.js';
import { SamplePasses } from '../../src/eval/samplePasses.js';
import type { GanConfig } from '../../src/gan/config.js';
import { GanSampler, samplesPerPassLimit } from '../../src/gan/sampler.js';
import { useGpu } from '../support/gpu.js';
import { byteImages, labelled, makeTrainer } from '../gan/helpers.js';

const gpu = useGpu();

const SMALL_MLP: Partial<GanConfig> = { generatorHidden: [16], discriminatorHidden: [8], noiseDim: 5, batch: 4 };
const cases: Array<[string, Partial<GanConfig>, number, number]> = [
  ['an MLP, 37 samples 8 a pass', SMALL_MLP, 37, 8],
  ['a conditional MLP, 97 samples 25 a pass', { ...SMALL_MLP, classes: 10 }, 97, 25],
  ['a DCGAN, 9 samples 4 a pass', { architecture: 'dcgan', batch: 2 }, 9, 4],
];

async function trainerFor(config: Partial<GanConfig>) {
  const data = config.classes ? labelled(byteImages(30, 784), config.classes) : byteImages(30, 784);
  return makeTrainer(gpu.ctx, data, config);
}

describe('samples made in passes', () => {
  it.each(cases)('%s: the values one pass of all of them makes', async (_, config, count, perPass) => {
    const { trainer, destroy } = await trainerFor(config);
    const target = gpu.ctx.memory.createStorage('samples', count * 784);
    const [passes, whole] = [
      await SamplePasses.create(gpu.ctx, trainer.config, trainer.generator, { count, useEma: true }, perPass),
      await GanSampler.create(gpu.ctx, trainer.config, trainer.generator, { count }),
    ];
    try {
      const encoder = gpu.ctx.device.createCommandEncoder();
      passes.record(encoder, target);
      gpu.ctx.submit([encoder.finish()]);
      const got = await gpu.ctx.readF32(target);
      const want = await whole.sample();
      expect(got.every(Number.isFinite)).toBe(true);
      expect(got).toEqual(want.subarray(0, count * 784));
    } finally {
      passes.destroy();
      whole.destroy();
      gpu.ctx.memory.release(target);
      destroy();
    }
  });

  it("an evaluator's scores in passes are those of one pass, class agreement included", async () => {
    const { trainer, destroy } = await trainerFor({ ...SMALL_MLP, classes: 10 });
    const { tensors: classifier, reference } = readClassifierFile();
    const spec = { classifier, reference, config: trainer.config, generator: trainer.generator, count: 53 };
    const [one, passes] = [
      await createGeneratorEvaluator(gpu.ctx, spec),
      await createGeneratorEvaluator(gpu.ctx, { ...spec, samplesPerPass: 12 }),
    ];
    try {
      const score = await one.evaluate();
      expect(score.classAgreement).toBeDefined();
      expect(await passes.evaluate()).toEqual(score);
    } finally {
      one.destroy();
      passes.destroy();
      destroy();
    }
  });

  it('takes as many a pass as the device binds for its widest rows, and refuses what cannot work', async () => {
    const { trainer, destroy } = await trainerFor({ ...SMALL_MLP, classes: 10 });
    try {
      const limits = (bytes: number) => ({ maxStorageBufferBindingSize: bytes, maxBufferSize: 2 ** 40 }) as never;
      // The widest rows are the samples': 784 floats.
      expect(samplesPerPassLimit(limits(784 * 4 * 7 + 3), trainer.config, trainer.generator)).toBe(7);
      expect(samplesPerPassLimit(limits(100), trainer.config, trainer.generator)).toBe(0);
      const make = (samplesPerPass: number) =>
        SamplePasses.create(gpu.ctx, trainer.config, trainer.generator, { count: 30, useEma: true }, samplesPerPass);
      await expect(make(0)).rejects.toThrow(/samplesPerPass/);
      await expect(make(6)).rejects.toThrow(/is 6, fewer than the generator's 10 classes in one pass/);
    } finally {
      destroy();
    }
  });
});
