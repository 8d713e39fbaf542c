// A conditional MLP whose D takes the class by projection (conditioning: 'projection'): trained as
// the MLP's layer lists, its checkpoint holds G's one-hot columns and D's class rows under the
// names PyTorch's modules would give them, resuming is bit-identical, the sampler draws each class
// from it, and what only the one-hot MLP has yet (repair's latent search) refuses it by name.
import { describe, expect, it } from 'vitest';
import { decodeCheckpoint, encodeCheckpoint } from '../../src/gan/checkpoint.js';
import type { GanConfig } from '../../src/gan/config.js';
import { requireMlp } from '../../src/gan/networks.js';
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
      expect(() => requireMlp(checkpoint.config)).toThrow(/^checkpoint: is a class-projecting model; repair takes/);
    } finally {
      destroy();
    }
  });
});
