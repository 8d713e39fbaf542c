// Model files: a checkpoint's networks without Adam's moments, in F32 or F16. Read back, they hold
// exactly the checkpoint's weights (F16: each rounded to the nearest half), a generator loaded from
// one samples as the checkpoint's does, and resuming a run from one is refused by name. For the
// MLP and for the DCGAN (whose batch norms' counters are int64 tensors).
import { describe, expect, it } from 'vitest';
import { decodeCheckpoint, encodeCheckpoint, restoreCheckpoint } from '../../src/gan/checkpoint.js';
import { encodeModelFile } from '../../src/gan/modelFile.js';
import { GanSampler, loadGenerator } from '../../src/gan/sampler.js';
import { exportTensors } from '../../src/gan/state.js';
import { float16Bits, float16Value } from '../../src/io/float16.js';
import { CheckpointFormatError, decodeSafetensors, encodeSafetensors } from '../../src/io/safetensors.js';
import { useGpu } from '../support/gpu.js';
import { byteImages, makeTrainer } from './helpers.js';
import type { Checkpoint } from '../../src/gan/checkpoint.js';

const gpu = useGpu();

async function samples(checkpoint: Checkpoint): Promise<Float32Array> {
  const generator = loadGenerator(gpu.ctx, checkpoint);
  const sampler = await GanSampler.create(gpu.ctx, checkpoint.config, generator, { count: 3, seed: 2 });
  try {
    return await sampler.sample();
  } finally {
    sampler.destroy();
    generator.destroy();
  }
}

describe('model files', () => {
  for (const [name, config] of [
    ['the MLP', { batch: 4, seed: 3 }],
    ['the DCGAN', { architecture: 'dcgan', batch: 3, seed: 4, spectralNorm: true }],
  ] as const) {
    it(`${name}: the weights without Adam's moments, in F32 or F16, sample as the checkpoint does`, async () => {
      const { trainer, destroy } = await makeTrainer(gpu.ctx, byteImages(12, 784), config);
      const checkpointBytes = await (async () => {
        try {
          await trainer.train(2);
          return await encodeCheckpoint(trainer, { dataset: 'mnist' });
        } finally {
          destroy();
        }
      })();
      const checkpoint = decodeCheckpoint(checkpointBytes);
      const full = encodeModelFile(checkpoint);
      const half = encodeModelFile(checkpoint, { float16: true });
      expect(full.length).toBeLessThan(0.5 * checkpointBytes.length);
      expect(half.length).toBeLessThan(0.6 * full.length);

      const model = decodeCheckpoint(full);
      expect(model.weightsOnly).toBe(true);
      expect(model).toMatchObject({ step: 2, dataset: 'mnist', config: checkpoint.config });
      const weights = [...checkpoint.tensors.keys()].filter((n) => !n.startsWith('optimizer.'));
      expect([...model.tensors.keys()]).toEqual(weights);
      expect(weights.length).toBeLessThan(checkpoint.tensors.size);
      for (const n of weights) expect(model.tensors.get(n)!.data, n).toEqual(checkpoint.tensors.get(n)!.data);
      expect(model.integers).toEqual(checkpoint.integers);
      expect(await samples(model)).toEqual(await samples(checkpoint));

      const halved = decodeCheckpoint(half);
      for (const n of weights) {
        const widened = Array.from(checkpoint.tensors.get(n)!.data, (v) => float16Value(float16Bits(v)));
        expect(Array.from(halved.tensors.get(n)!.data), n).toEqual(widened);
      }
    }, 400_000);
  }

  it('is refused for resuming; damaged, by its checksum; with other contents, by name', async () => {
    const { trainer, destroy } = await makeTrainer(gpu.ctx, byteImages(12, 784), { batch: 4, seed: 3 });
    const checkpoint = decodeCheckpoint(await encodeCheckpoint(trainer));
    const model = encodeModelFile(checkpoint, { float16: true });
    try {
      expect(() => restoreCheckpoint(trainer, decodeCheckpoint(model))).toThrow(CheckpointFormatError);
      expect(() => restoreCheckpoint(trainer, decodeCheckpoint(model))).toThrow(/^checkpoint is a model file/);
      // Asked for, a run goes on from it: its weights and step, Adam's moments zeroed.
      await trainer.train(3);
      restoreCheckpoint(trainer, decodeCheckpoint(model), { freshOptimizer: true });
      expect(trainer.step).toBe(checkpoint.step);
      const restored = await exportTensors(trainer);
      const weights = decodeCheckpoint(model).tensors;
      for (const [name, t] of restored) {
        if (name.startsWith('optimizer.'))
          expect(
            t.data.every((v) => v === 0),
            name,
          ).toBe(true);
        else expect(t.data, name).toEqual(weights.get(name)!.data);
      }
      expect(await trainer.train(2)).toBe(2);
    } finally {
      destroy();
    }
    const damaged = model.slice();
    damaged[damaged.length - 3]! ^= 0x10;
    expect(() => decodeCheckpoint(damaged)).toThrow(/does not match its checksum/);
    const { tensors, integers, metadata } = decodeSafetensors(model);
    const other = encodeSafetensors(tensors, { ...metadata, contents: 'optimizer' }, integers, { float16: true });
    expect(() => decodeCheckpoint(other)).toThrow(
      'metadata contents is "optimizer"; a webgpu-gan file holds a run\'s state (no contents) or "weights"',
    );
    // Without its contents it reads as a run's checkpoint, which lacks Adam's moments.
    const { contents: _, ...asRun } = metadata;
    expect(() => decodeCheckpoint(encodeSafetensors(tensors, asRun, integers, { float16: true }))).toThrow(
      /has no tensor "optimizer\./,
    );
  });
});
