// A conditional MLP whose D takes the class by projection (conditioning: 'projection') or ends in
// an auxiliary classifier's class logits ('auxiliary'): trained as the MLP's layer lists, its
// checkpoint holds G's one-hot columns and D's class rows under the names PyTorch's modules would
// give them, resuming is bit-identical, the sampler draws each class from it, and repair's latent
// search refuses the projection by name and takes the auxiliary classifier. The auxiliary classifier's two
// heads (a real/fake logit after the class logits) the same, its classifier reading the class logits alone.
import { describe, expect, it } from 'vitest';
import { decodeCheckpoint, encodeCheckpoint } from '../../src/gan/checkpoint.js';
import type { GanConfig } from '../../src/gan/config.js';
import { GanClassifier } from '../../src/gan/ganClassifier.js';
import { requireRepairable } from '../../src/gan/networks.js';
import { GanSampler, loadGenerator } from '../../src/gan/sampler.js';
import { exportTensors } from '../../src/gan/state.js';
import { useGpu } from '../support/gpu.js';
import { byteImages, expectResumedStep, labelled, makeTrainer } from './helpers.js';

const gpu = useGpu();

const DATA = labelled(byteImages(12, 16), 3);
const CONFIG: Partial<GanConfig> = {
  classes: 3,
  conditioning: 'projection',
  batch: 4,
  seed: 5,
  noiseDim: 4,
  generatorHidden: [8],
  discriminatorHidden: [12, 6],
  spectralNorm: true,
  loss: 'hinge',
};

describe('a class-projecting conditional MLP', () => {
  it('saves G’s one-hot columns and D’s class rows, resumes bit-identically, samples each class', async () => {
    const { trainer, destroy } = await makeTrainer(gpu.ctx, DATA, CONFIG);
    try {
      await trainer.train(2);
      const checkpoint = decodeCheckpoint(await encodeCheckpoint(trainer));
      expect(checkpoint.config.conditioning).toBe('projection');
      const shape = (name: string) => checkpoint.tensors.get(name)?.shape;
      expect(shape('generator.0.weight')).toEqual([8, 4 + 3]);
      expect(shape('discriminator.0.weight')).toEqual([12, 16]);
      expect(shape('discriminator.projection.weight')).toEqual([3, 6]);
      expect(shape('discriminator.projection.weight_u')).toEqual([3]);
      await trainer.train(1);
      const straight = await exportTensors(trainer);

      await expectResumedStep(checkpoint, straight, () => makeTrainer(gpu.ctx, DATA, checkpoint.config));
      await samplesEachClass(checkpoint);
      expect(() => requireRepairable(checkpoint.config)).toThrow(
        /^checkpoint: is a class-projecting model; the latent search \(repair, and restore/,
      );
    } finally {
      destroy();
    }
  });
});

describe('an auxiliary-classifier conditional MLP (AC-GAN)', () => {
  it('ends D in class logits, reports how D reads both batches’ classes, resumes bit-identically', async () => {
    const config = { ...CONFIG, conditioning: 'auxiliary' as const };
    const { trainer, destroy } = await makeTrainer(gpu.ctx, DATA, config);
    try {
      const stats: Array<Record<string, unknown>> = [];
      await trainer.train(2, { statsEvery: 2, onStats: (s) => stats.push({ ...s }) });
      const checkpoint = decodeCheckpoint(await encodeCheckpoint(trainer));
      expect(checkpoint.config.conditioning).toBe('auxiliary');
      const shape = (name: string) => checkpoint.tensors.get(name)?.shape;
      expect(shape('generator.0.weight')).toEqual([8, 4 + 3]);
      expect(shape('discriminator.4.weight')).toEqual([3, 6]);
      expect(shape('discriminator.projection.weight')).toBeUndefined();
      const last = stats.at(-1)!;
      for (const key of ['realClassLoss', 'realClassAccuracy', 'fakeClassLoss', 'fakeClassAccuracy']) {
        expect(Number.isFinite(last[key]), key).toBe(true);
      }
      expect(last.fakeClassAccuracy).toBeGreaterThanOrEqual(0);
      expect(last.fakeClassAccuracy).toBeLessThanOrEqual(1);
      // ln 3 is the cross-entropy of a D that cannot tell 3 classes apart; it starts near that.
      expect(Math.abs((last.realClassLoss as number) - Math.log(3))).toBeLessThan(1);
      await trainer.train(1);
      const straight = await exportTensors(trainer);
      await expectResumedStep(checkpoint, straight, () => makeTrainer(gpu.ctx, DATA, checkpoint.config));
      await samplesEachClass(checkpoint);
      // Its real/fake logit is the class logits' log-sum-exp: the latent search reads it there.
      expect(() => requireRepairable(checkpoint.config)).not.toThrow();
      // Its D is a classifier of the classes too, as a semi-supervised D is.
      const classifier = await GanClassifier.create(gpu.ctx, checkpoint);
      try {
        expect(classifier.classes).toBe(3);
        const read = await classifier.classify(new Float32Array(2 * 16).fill(0.25));
        expect(read.probabilities).toHaveLength(6);
        expect(read.probabilities[0]! + read.probabilities[1]! + read.probabilities[2]!).toBeCloseTo(1, 5);
      } finally {
        classifier.destroy();
      }
    } finally {
      destroy();
    }
  });
});

describe("an auxiliary classifier's two heads (Odena et al.'s form)", () => {
  it('ends D in the class logits and a real/fake logit, classifies by the class logits alone, resumes', async () => {
    const config = {
      ...CONFIG,
      conditioning: 'auxiliary' as const,
      auxiliaryHead: 'two-heads' as const,
      classWeight: 2,
      spectralNorm: false,
      loss: 'bce' as const,
    };
    const { trainer, destroy } = await makeTrainer(gpu.ctx, DATA, config);
    try {
      const stats: Array<Record<string, unknown>> = [];
      await trainer.train(2, { statsEvery: 2, onStats: (s) => stats.push({ ...s }) });
      const checkpoint = decodeCheckpoint(await encodeCheckpoint(trainer));
      expect(checkpoint.config.auxiliaryHead).toBe('two-heads');
      expect(checkpoint.config.classWeight).toBe(2);
      expect(checkpoint.tensors.get('discriminator.4.weight')?.shape).toEqual([4, 6]);
      expect(Number.isFinite(stats.at(-1)!.realClassAccuracy)).toBe(true);
      await trainer.train(1);
      const straight = await exportTensors(trainer);
      await expectResumedStep(checkpoint, straight, () => makeTrainer(gpu.ctx, DATA, checkpoint.config));
      // The classifier reads the three class logits: a real/fake row of the last layer changed out
      // of all measure changes none of its probabilities.
      const pictures = Float32Array.from({ length: 2 * 16 }, (_, i) => ((i * 7) % 11) / 11 - 0.5);
      const read = async (tensors: typeof checkpoint.tensors) => {
        const classifier = await GanClassifier.create(gpu.ctx, { ...checkpoint, tensors });
        try {
          expect(classifier.classes).toBe(3);
          return (await classifier.classify(pictures)).probabilities;
        } finally {
          classifier.destroy();
        }
      };
      const probabilities = await read(checkpoint.tensors);
      expect(probabilities).toHaveLength(6);
      expect(probabilities[3]! + probabilities[4]! + probabilities[5]!).toBeCloseTo(1, 5);
      const weight = checkpoint.tensors.get('discriminator.4.weight')!;
      const changed = new Map(checkpoint.tensors);
      const data = Float32Array.from(weight.data);
      data.fill(1000, 3 * 6, 4 * 6);
      changed.set('discriminator.4.weight', { ...weight, data });
      expect(await read(changed)).toEqual(probabilities);
    } finally {
      destroy();
    }
  });
});

/** The sampler reads the class columns of the checkpoint's generator. */
async function samplesEachClass(checkpoint: ReturnType<typeof decodeCheckpoint>): Promise<void> {
  const generator = loadGenerator(gpu.ctx, checkpoint);
  const sampler = await GanSampler.create(gpu.ctx, checkpoint.config, generator, {
    count: 3,
    seed: 1,
    labels: [0, 1, 2],
  });
  try {
    const images = await sampler.sample();
    // One noise seed per row, so rows differ by their noise and their class alike: what this
    // checks is that the class columns are read (the same rows with one class differ again).
    sampler.setLabels([2, 2, 2]);
    const relabelled = await sampler.sample();
    expect(relabelled.subarray(32, 48)).toEqual(images.subarray(32, 48));
    expect(relabelled.subarray(0, 16)).not.toEqual(images.subarray(0, 16));
    expect(images.every(Number.isFinite)).toBe(true);
  } finally {
    sampler.destroy();
    generator.destroy();
  }
}
