// Semi-supervised training (Salimans et al. 2016) through GanTrainer: which images are labelled
// (balanced over the classes, from the seed), the MLP's layers with class logits in D, resuming
// bit-identically, the classifier built from a checkpoint against a float64 forward pass of its
// discriminator (spectrally or weight normalised), and the refusals that name what is wrong.
import { describe, expect, it } from 'vitest';
import { GpuDataset } from '../../src/data/dataset.js';
import { chooseLabeled, labeledSetFromBytes } from '../../src/data/labeled.js';
import { decodeCheckpoint, encodeCheckpoint } from '../../src/gan/checkpoint.js';
import { resolveGanConfig, SEED_RECIPE, type GanConfig } from '../../src/gan/config.js';
import { GanClassifier, scoreClassification } from '../../src/gan/ganClassifier.js';
import { largestSingularValue, loadDiscriminator } from '../../src/gan/discriminator.js';
import { exportTensors } from '../../src/gan/state.js';
import { GanTrainer } from '../../src/gan/trainer.js';
import type { GpuContext } from '../../src/index.js';
import type { TensorMap } from '../../src/io/safetensors.js';
import { DestroyedError } from '../../src/base/errors.js';
import { useGpu } from '../support/gpu.js';
import { weightNormReference } from '../../reference/weightNorm.js';
import { checkpointAndNextStep, expectResumedStep } from './helpers.js';

const gpu = useGpu();

const COUNT = 40;
const DIM = 16;
const PIXELS = Uint8Array.from({ length: COUNT * DIM }, (_, i) => (i * 7919 + (i >> 5)) % 256);
const LABELS = Uint8Array.from({ length: COUNT }, (_, e) => (e * 3) % 4);
const CONFIG = {
  ...SEED_RECIPE,
  dataDim: DIM,
  batch: 5,
  seed: 3,
  generatorHidden: [8],
  discriminatorHidden: [12, 6],
  noiseDim: 4,
  labelClasses: 4,
  labeled: 8,
};

async function semiTrainer(ctx: GpuContext, config: Partial<GanConfig> = CONFIG) {
  const resolved = resolveGanConfig(config);
  const dataset = GpuDataset.fromBytes(ctx, PIXELS, COUNT, DIM);
  const chosen = chooseLabeled(LABELS, resolved.labeled, resolved.labelClasses, resolved.seed);
  const labeled = labeledSetFromBytes(ctx, PIXELS, DIM, LABELS, chosen, resolved.labelClasses);
  try {
    const trainer = await GanTrainer.create(ctx, resolved, dataset, undefined, labeled);
    return {
      trainer,
      destroy: () => {
        trainer.destroy();
        labeled.destroy();
        dataset.destroy();
      },
    };
  } catch (error) {
    labeled.destroy();
    dataset.destroy();
    throw error;
  }
}

describe('a classification scored against labels', () => {
  it('counts the right ones and the confusion by hand; refuses a label outside the classes', () => {
    const score = scoreClassification(Int32Array.of(0, 1, 2, 1, 0), Uint8Array.of(0, 2, 2, 0, 1), 3);
    expect(score).toEqual({
      accuracy: 2 / 5,
      right: 2,
      count: 5,
      confusion: [
        [1, 1, 0],
        [1, 0, 0],
        [0, 1, 1],
      ],
    });
    // Such a picture could never be read right, and a confusion matrix has no row for it: the
    // pictures are of other classes than D's (a 3-class model scored on MNIST's ten digits).
    expect(() => scoreClassification(Int32Array.of(0, 1, 2), Uint8Array.of(0, 7, 2), 3)).toThrow(
      /^labels: picture 1's label is 7, but D reads 3 classes \(0 to 2\): give pictures of its classes$/,
    );
    expect(() => scoreClassification(Int32Array.of(0, 1), Uint8Array.of(0), 3)).toThrow(
      /^labels: must be a Uint8Array of one label per picture \(2\)/,
    );
  });
});

describe('which images are labelled', () => {
  it('balanced over the classes, the same for the same seed, another for another', () => {
    const labels = Array.from({ length: 1000 }, (_, i) => i % 10);
    const chosen = chooseLabeled(labels, 100, 10, 1);
    expect(chosen).toHaveLength(100);
    expect(new Set(chosen).size).toBe(100);
    const perClass = Array.from({ length: 10 }, (_, k) => chosen.filter((e) => labels[e] === k).length);
    expect(perClass).toEqual(new Array(10).fill(10));
    expect(chooseLabeled(labels, 100, 10, 1)).toEqual(chosen);
    expect(chooseLabeled(labels, 100, 10, 2)).not.toEqual(chosen);
    // 23 over 10 classes: 3 for the first three, 2 for the rest.
    const odd = chooseLabeled(labels, 23, 10, 5).map((e) => labels[e]!);
    expect(Array.from({ length: 10 }, (_, k) => odd.filter((l) => l === k).length)).toEqual([
      3, 3, 3, 2, 2, 2, 2, 2, 2, 2,
    ]);
  });

  it('fills from the larger classes where one is short, and refuses more than there are', () => {
    const labels = [0, 1, 1, 1, 1, 1];
    const chosen = chooseLabeled(labels, 4, 2, 9);
    expect(chosen.map((e) => labels[e])).toEqual([0, 1, 1, 1]);
    expect(() => chooseLabeled(labels, 7, 2, 9)).toThrow(/^labeled: is 7, but there are only 6 labelled/);
    expect(() => chooseLabeled([0, 3], 1, 2, 9)).toThrow(/^labels: label 1 is 3, not a class in \[0, 2\)/);
  });
});

describe('a semi-supervised GAN through GanTrainer', () => {
  it('keeps the MLP’s layers with class logits in D, resumes bit-identically, reports labelled batches', async () => {
    const { trainer, destroy } = await semiTrainer(gpu.ctx);
    try {
      const stats: Array<{ labeledLoss?: number; labeledAccuracy?: number }> = [];
      await trainer.train(2, { statsEvery: 1, onStats: (s) => stats.push(s) });
      const bytes = await encodeCheckpoint(trainer);
      await trainer.train(1);
      const straight = await exportTensors(trainer);
      const checkpoint = decodeCheckpoint(bytes);
      expect(checkpoint.tensors.get('discriminator.4.weight')!.shape).toEqual([4, 6]);
      expect(checkpoint.config).toMatchObject({ labelClasses: 4, labeled: 8 });
      expect(stats.length).toBeGreaterThan(0);
      for (const s of stats) {
        expect(s.labeledLoss).toBeGreaterThan(0);
        expect(s.labeledAccuracy).toBeGreaterThanOrEqual(0);
        expect(s.labeledAccuracy).toBeLessThanOrEqual(1);
      }

      await expectResumedStep(checkpoint, straight, () => semiTrainer(gpu.ctx));
    } finally {
      destroy();
    }
  });

  it("with Salimans et al.'s noisy D and batch-normed G: resumes bit-identically, classifies noiselessly", async () => {
    const noisy = {
      ...CONFIG,
      discriminatorInputNoise: 0.6,
      discriminatorHiddenNoise: 0.5,
      featureMatching: true,
      generatorBatchNorm: true,
    };
    const { trainer, destroy } = await semiTrainer(gpu.ctx, noisy);
    try {
      const { checkpoint, straight } = await checkpointAndNextStep(trainer);
      // Noise layers hold nothing: the linear layers sit at 1, 4 and 7 of the Sequential.
      expect(checkpoint.tensors.get('discriminator.7.weight')!.shape).toEqual([4, 6]);
      expect([...checkpoint.tensors.keys()].some((name) => name.startsWith('discriminator.0.'))).toBe(false);
      // G: Linear without bias, BatchNorm1d (its running estimates saved), LeakyReLU, Linear, Tanh.
      expect(checkpoint.tensors.has('generator.0.bias')).toBe(false);
      expect(checkpoint.tensors.get('generator.1.running_var')!.shape).toEqual([8]);
      await expectResumedStep(checkpoint, straight, () => semiTrainer(gpu.ctx, noisy));

      // Two classifications of the same pictures agree (no noise drawn), and with the float64 forward.
      const classifier = await GanClassifier.create(gpu.ctx, checkpoint, { batch: 3 });
      try {
        const images = Float32Array.from(PIXELS.subarray(0, 7 * DIM), (b) => Math.fround((2 * b - 255) / 255));
        const got = await classifier.classify(images);
        expect((await classifier.classify(images)).probabilities).toEqual(got.probabilities);
        const want = referenceProbabilities(checkpoint.tensors, images, 7, [1, 4, 7]);
        for (let i = 0; i < want.length; i++) expect(Math.abs(got.probabilities[i]! - want[i]!)).toBeLessThan(1e-5);
      } finally {
        classifier.destroy();
      }
    } finally {
      destroy();
    }
  });

  it('classifies as a float64 forward pass of the checkpoint’s discriminator (on W / σ) does', async () => {
    const { trainer, destroy } = await semiTrainer(gpu.ctx, { ...CONFIG, spectralNorm: true, loss: 'hinge' });
    try {
      await trainer.train(3);
      const checkpoint = decodeCheckpoint(await encodeCheckpoint(trainer));
      const classifier = await GanClassifier.create(gpu.ctx, checkpoint, { batch: 3 });
      try {
        const images = Float32Array.from(PIXELS.subarray(0, 7 * DIM), (b) => Math.fround((2 * b - 255) / 255));
        const got = await classifier.classify(images);
        const want = referenceProbabilities(checkpoint.tensors, images, 7);
        for (let i = 0; i < want.length; i++) expect(Math.abs(got.probabilities[i]! - want[i]!)).toBeLessThan(1e-5);
        for (let r = 0; r < 7; r++) {
          const row = Array.from(want.subarray(r * 4, (r + 1) * 4));
          expect(got.classes[r]).toBe(row.indexOf(Math.max(...row)));
        }
        await expect(classifier.classify(new Float32Array(5))).rejects.toThrow(/^images: must be a Float32Array/);
        // Scored from bytes, a batch (3) at a time over 7 pictures: the float64 classes against labels.
        const labels = LABELS.subarray(0, 7);
        const score = await classifier.score(PIXELS.subarray(0, 7 * DIM), labels);
        const wantClasses = Int32Array.from({ length: 7 }, (_, r) => {
          const row = Array.from(want.subarray(r * 4, (r + 1) * 4));
          return row.indexOf(Math.max(...row));
        });
        const right = wantClasses.filter((c, r) => c === labels[r]).length;
        expect(score).toMatchObject({ right, count: 7, accuracy: right / 7 });
        expect(score.confusion.flat().reduce((a, b) => a + b, 0)).toBe(7);
        for (const [r, c] of wantClasses.entries()) expect(score.confusion[labels[r]!]![c]).toBeGreaterThan(0);
        await expect(classifier.score(PIXELS.subarray(0, 6 * DIM), labels)).rejects.toThrow(
          /^pictures: must be a Uint8Array of 16 bytes for each of the 7 labels/,
        );
        // From the trainer directly: W / σ made on the GPU as the checkpoint's path makes it, one
        // power-iteration step from the current u.
        const live = await GanClassifier.fromTrainer(gpu.ctx, trainer, { batch: 4 });
        try {
          const fromTrainer = await live.classify(images);
          for (let i = 0; i < want.length; i++)
            expect(Math.abs(fromTrainer.probabilities[i]! - want[i]!)).toBeLessThan(1e-5);
        } finally {
          live.destroy();
        }
      } finally {
        classifier.destroy();
      }
    } finally {
      destroy();
    }
  });

  it('with a weight-normalised D: saves g, resumes bit-identically, classifies as g · v / ‖v‖ in float64', async () => {
    const weightNormed = { ...CONFIG, weightNorm: true, featureMatching: true };
    const { trainer, destroy } = await semiTrainer(gpu.ctx, weightNormed);
    try {
      const { checkpoint, straight } = await checkpointAndNextStep(trainer);
      expect(checkpoint.tensors.get('discriminator.4.weight_g')!.shape).toEqual([4, 1]);
      // Adam trains g as any parameter: its moments are saved beside the others.
      expect(checkpoint.tensors.get('optimizer.discriminator.exp_avg_sq.0.weight_g')!.shape).toEqual([12, 1]);
      // g started at 1 and has trained away from it.
      const g = Array.from(checkpoint.tensors.get('discriminator.0.weight_g')!.data);
      expect(g.some((x) => x !== 1)).toBe(true);
      await expectResumedStep(checkpoint, straight, () => semiTrainer(gpu.ctx, weightNormed));

      const images = Float32Array.from(PIXELS.subarray(0, 7 * DIM), (b) => Math.fround((2 * b - 255) / 255));
      const want = referenceProbabilities(checkpoint.tensors, images, 7);
      const classifier = await GanClassifier.create(gpu.ctx, checkpoint, { batch: 3 });
      try {
        const got = await classifier.classify(images);
        for (let i = 0; i < want.length; i++) expect(Math.abs(got.probabilities[i]! - want[i]!)).toBeLessThan(1e-5);
      } finally {
        classifier.destroy();
      }
    } finally {
      destroy();
    }
    // From a trainer at the checkpoint's step: the copy its last pass read, the same network; and
    // from one that has not stepped yet, whose copy the classifier writes first (it would be zeros).
    const again = await semiTrainer(gpu.ctx, weightNormed);
    try {
      const images = Float32Array.from(PIXELS.subarray(0, 7 * DIM), (b) => Math.fround((2 * b - 255) / 255));
      const first = decodeCheckpoint(await encodeCheckpoint(again.trainer));
      const unstepped = await GanClassifier.fromTrainer(gpu.ctx, again.trainer, { batch: 4 });
      try {
        const got = await unstepped.classify(images);
        const want = referenceProbabilities(first.tensors, images, 7);
        for (let i = 0; i < want.length; i++) expect(Math.abs(got.probabilities[i]! - want[i]!)).toBeLessThan(1e-5);
      } finally {
        unstepped.destroy();
      }
      await again.trainer.train(2);
      const checkpoint = decodeCheckpoint(await encodeCheckpoint(again.trainer));
      const want = referenceProbabilities(checkpoint.tensors, images, 7);
      const live = await GanClassifier.fromTrainer(gpu.ctx, again.trainer, { batch: 4 });
      try {
        const got = await live.classify(images);
        for (let i = 0; i < want.length; i++) expect(Math.abs(got.probabilities[i]! - want[i]!)).toBeLessThan(1e-5);
      } finally {
        live.destroy();
      }
      // Repair's D loads g · v / ‖v‖ from the file: the copy the trainer's passes read, to rounding.
      const loaded = loadDiscriminator(gpu.ctx, checkpoint);
      try {
        const used = await gpu.ctx.readF32(again.trainer.weightNorm!.normalized);
        const fromFile = await gpu.ctx.readF32(loaded.weights);
        expect(fromFile.length).toBe(used.length);
        for (let i = 0; i < used.length; i++)
          expect(Math.abs(fromFile[i]! - used[i]!)).toBeLessThan(1e-6 + 1e-6 * Math.abs(used[i]!));
      } finally {
        loaded.destroy();
      }
    } finally {
      again.destroy();
    }
  });

  it('a classifier of a spectrally normalised trainer reads it before a step and leaves its u alone', async () => {
    const normalized = { ...CONFIG, spectralNorm: true, loss: 'hinge' } as const;
    const images = Float32Array.from(PIXELS.subarray(0, 7 * DIM), (b) => Math.fround((2 * b - 255) / 255));
    const watched = await semiTrainer(gpu.ctx, normalized);
    const alone = await semiTrainer(gpu.ctx, normalized);
    const live = await GanClassifier.fromTrainer(gpu.ctx, watched.trainer, { batch: 4 });
    try {
      // Before any step the trainer's copy is zeros: the classifier writes W / σ itself.
      const first = decodeCheckpoint(await encodeCheckpoint(watched.trainer));
      const want = referenceProbabilities(first.tensors, images, 7);
      const got = await live.classify(images);
      for (let i = 0; i < want.length; i++) expect(Math.abs(got.probabilities[i]! - want[i]!)).toBeLessThan(1e-5);
      // Refreshed between steps, the trainer trains bit for bit as one that nobody watched.
      for (let step = 0; step < 2; step++) {
        await watched.trainer.train(1);
        live.refresh();
        await live.classify(images);
        await alone.trainer.train(1);
      }
      const [a, b] = [await exportTensors(watched.trainer), await exportTensors(alone.trainer)];
      for (const [name, tensor] of b) expect(a.get(name)!.data, name).toEqual(tensor.data);
    } finally {
      live.destroy();
      watched.destroy();
      alone.destroy();
    }
  });

  it('a classifier from the trainer reads its D as it is when refreshed, with no new GPU object', async () => {
    const { trainer, destroy } = await semiTrainer(gpu.ctx);
    const images = Float32Array.from(PIXELS.subarray(0, 7 * DIM), (b) => Math.fround((2 * b - 255) / 255));
    const live = await GanClassifier.fromTrainer(gpu.ctx, trainer, { batch: 4 });
    try {
      const before = await live.classify(images);
      await trainer.train(3);
      // Until refreshed it keeps the weights it copied; then it reads what a new classifier reads.
      expect((await live.classify(images)).probabilities).toEqual(before.probabilities);
      const buffers = gpu.ctx.memory.liveBuffers().length;
      live.refresh();
      expect(gpu.ctx.memory.liveBuffers().length).toBe(buffers);
      const refreshed = await live.classify(images);
      expect(refreshed.probabilities).not.toEqual(before.probabilities);
      const fresh = await GanClassifier.fromTrainer(gpu.ctx, trainer, { batch: 4 });
      expect(refreshed.probabilities).toEqual((await fresh.classify(images)).probabilities);
      fresh.destroy();
      destroy();
      expect(() => live.refresh()).toThrow(DestroyedError);
      expect(() => live.refresh()).toThrow('GanClassifier.refresh(): its trainer was destroyed; make a new classifier');
      expect(gpu.ctx.error).toBeNull();
    } finally {
      live.destroy();
      destroy();
    }
  });

  it('refuses what does not make a semi-supervised GAN, naming it', async () => {
    expect(() => resolveGanConfig({ labeled: 8 })).toThrow(/^labeled: is 8, but D has no class logits/);
    expect(() => resolveGanConfig({ labelClasses: 4 })).toThrow(/^labeled: is 0, but D has 4 class logits/);
    expect(() => resolveGanConfig({ labelClasses: 4, labeled: 3 })).toThrow(/^labeled: must be at least one image/);
    expect(() => resolveGanConfig({ labelClasses: 4, labeled: 8, classes: 4 })).toThrow(/^classes: a semi-supervised/);
    expect(() =>
      resolveGanConfig({ architecture: 'dcgan', labelClasses: 10, labeled: 100, spectralNorm: false }),
    ).toThrow(/^spectralNorm: is off, which gives a DCGAN batch norms in D/);
    const ctx = gpu.ctx;
    const dataset = GpuDataset.fromBytes(ctx, PIXELS, COUNT, DIM);
    try {
      await expect(GanTrainer.create(ctx, resolveGanConfig(CONFIG), dataset)).rejects.toThrow(
        /^labeled: are needed: the configuration learns from 8 labelled images/,
      );
      const plain = resolveGanConfig({ ...CONFIG, labelClasses: 0, labeled: 0 });
      const trainer = await GanTrainer.create(ctx, plain, dataset);
      try {
        const checkpoint = decodeCheckpoint(await encodeCheckpoint(trainer));
        await expect(GanClassifier.create(ctx, checkpoint)).rejects.toThrow(/^checkpoint: has no class head/);
      } finally {
        trainer.destroy();
      }
    } finally {
      dataset.destroy();
    }
  });
});

/** softmax(D(x)) in float64 from the checkpoint: Linear, LeakyReLU, Linear, LeakyReLU, Linear on W / σ. */
/** D's class probabilities in float64 from its three linear layers (at `indices` of the Sequential), noise off. */
function referenceProbabilities(
  tensors: TensorMap,
  images: Float32Array,
  count: number,
  indices = [0, 2, 4],
): Float64Array {
  const layer = (i: number) => {
    const w = tensors.get(`discriminator.${i}.weight`)!;
    const [rows, cols] = w.shape as [number, number];
    const u = tensors.get(`discriminator.${i}.weight_u`);
    const sigma = u ? largestSingularValue(w.data, rows, cols, u.data) : 1;
    const g = tensors.get(`discriminator.${i}.weight_g`);
    return {
      w: g ? weightNormReference(w.data, g.data, rows, cols) : Float64Array.from(w.data, (v) => v / sigma),
      b: tensors.get(`discriminator.${i}.bias`)!.data,
      rows,
      cols,
    };
  };
  const layers = indices.map(layer);
  const out = new Float64Array(count * 4);
  for (let r = 0; r < count; r++) {
    let x = Array.from(images.subarray(r * DIM, (r + 1) * DIM), Number);
    layers.forEach((l, n) => {
      const y = Array.from({ length: l.rows }, (_, o) => {
        let sum = l.b[o]!;
        for (let k = 0; k < l.cols; k++) sum += l.w[o * l.cols + k]! * x[k]!;
        return n < 2 && sum < 0 ? 0.2 * sum : sum;
      });
      x = y;
    });
    const top = Math.max(...x);
    const total = x.reduce((s, v) => s + Math.exp(v - top), 0);
    x.forEach((v, k) => {
      out[r * 4 + k] = Math.exp(v - top) / total;
    });
  }
  return out;
}
