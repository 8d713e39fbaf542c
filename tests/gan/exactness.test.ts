// The trainer against the float64 reference trainer (tests/reference/gan.ts): from the same
// initial weights, noise and batches, every tensor of both networks, the EMA, both Adam moments
// and the losses after 3 steps. And determinism: the same seed gives the same bits.
//
// Tolerances. Losses and D outputs: 1e-5 relative (float32 forward passes), for a loss relative
// to the sum of its rows' magnitudes. Adam moments:
// 1e-4·(|x| + rms of the tensor), since moments that cancel to near zero carry the rounding of
// the larger gradients they were summed from. Weights: 2e-6. Adam normalises each update to about
// ±lr whatever the gradient's size, so where a gradient is near zero a float32 rounding can flip
// an update's sign (up to 2·lr per step): all weights must be within 2·lr·steps, and every tensor
// must have all but 1% of its entries within tolerance, not counting the entries the reference saw
// updated from a gradient within 1e-5 of its terms' magnitudes (ReferenceGan.signUndecided: the
// hinge loss's ±1/B gradients cancel exactly in the bias of a unit that is active on every row).
// Precondition, checked: no leaky-ReLU pre-activation within 1e-5 of zero in the reference. A unit
// that close to the kink may take the other slope in float32, which legitimately changes its whole
// row of weights and everything downstream (seen with seed 5: one row of discriminator.0.weight).
// A conditional first layer's class columns are compared in the units they trained in: saved for a
// plain one-hot, they are the trained ones times the hot entry h, and so are their errors.
import { describe, expect, it } from 'vitest';
import { exportTensors } from '../../src/gan/state.js';
import { DEFAULT_GAN_CONFIG, type GanConfig } from '../../src/gan/config.js';
import type { TrainingStats } from '../../src/gan/stats.js';
import { ReferenceGan } from '../../reference/gan.js';
import { useGpu } from '../support/gpu.js';
import { byteImages, floatPoints, labelled, makeTrainer, type TestData } from './helpers.js';

const gpu = useGpu();
/** The training settings of the library's defaults (makeTrainer starts from the seed's recipe). */
const {
  noiseDim: _n,
  generatorHidden: _g,
  discriminatorHidden: _d,
  dataDim: _x,
  batch: _b,
  seed: _s,
  ...DEFAULT_RECIPE
} = DEFAULT_GAN_CONFIG;
const STEPS = 3;
/** A seed whose first 3 steps keep every leaky-ReLU input at least 1e-5 from zero (asserted). */
const SEED_AWAY_FROM_KINK = Number(process.env.EXACTNESS_SEED ?? 11);

const CASES: Array<[string, TestData, Partial<GanConfig>]> = [
  [
    "the design's GAN (100→128→256→784, 784→256→128→1), batch 8, smoothed labels",
    byteImages(40, 784),
    { batch: 8, seed: SEED_AWAY_FROM_KINK, realLabel: 0.9 },
  ],
  [
    'odd widths, unbounded output, f32 data, batch 5, a moving average with a warm-up of 10 steps',
    floatPoints(23, 3),
    {
      batch: 5,
      seed: 77,
      noiseDim: 7,
      generatorHidden: [9, 13],
      discriminatorHidden: [11, 5],
      generatorOutput: 'none',
      lr: 1e-3,
      emaDecay: 0.9,
      emaWarmup: 10,
    },
  ],
  [
    'the hinge loss (G: −D(G(z))), separate learning rates (D 4e-4, G 1e-4), batch 6',
    // Real points far out, so that some real rows pass the margin: with every row inside it the
    // ±1/B gradients cancel exactly in D's biases and float32 rounding picks their sign.
    floatPoints(31, 3, 20),
    {
      batch: 6,
      seed: 21,
      noiseDim: 4,
      generatorHidden: [10],
      discriminatorHidden: [12, 7],
      generatorOutput: 'none',
      loss: 'hinge',
      discriminatorLr: 4e-4,
      generatorLr: 1e-4,
    },
  ],
  [
    'the least-squares loss with smoothed labels, tanh images, batch 7',
    byteImages(19, 30),
    {
      batch: 7,
      seed: 5,
      noiseDim: 6,
      generatorHidden: [14],
      discriminatorHidden: [9],
      loss: 'least-squares',
      realLabel: 0.9,
      lr: 1e-3,
    },
  ],
  [
    "the library's default recipe (hinge, spectral normalisation, D 4e-4 / G 1e-4, a warmed-up average), batch 6",
    floatPoints(27, 6, 20),
    {
      ...DEFAULT_RECIPE,
      batch: 6,
      seed: 12,
      noiseDim: 5,
      generatorHidden: [8],
      discriminatorHidden: [9, 5],
      generatorOutput: 'none',
    },
  ],
  [
    'spectral normalisation of D (the hinge loss, as it is usually paired with), batch 6',
    floatPoints(25, 20, 20),
    {
      batch: 6,
      seed: 8,
      noiseDim: 5,
      generatorHidden: [11],
      discriminatorHidden: [13, 6],
      generatorOutput: 'none',
      spectralNorm: true,
      loss: 'hinge',
      lr: 1e-3,
    },
  ],
  [
    "spectral normalisation of the design's discriminator (784→256→128→1), BCE, batch 4",
    byteImages(12, 784),
    { batch: 4, seed: 20, spectralNorm: true },
  ],
  [
    'a conditional GAN over 3 classes (one-hot labels in both first layers), batch 6',
    labelled(floatPoints(29, 4), 3),
    {
      batch: 6,
      seed: 31,
      noiseDim: 5,
      generatorHidden: [9],
      discriminatorHidden: [10, 6],
      generatorOutput: 'none',
      classes: 3,
      spectralNorm: false,
      lr: 1e-3,
    },
  ],
  [
    'a conditional GAN over 10 classes with a one-layer generator (tanh on the conditioned layer), batch 5',
    labelled(byteImages(33, 16), 10),
    {
      batch: 5,
      seed: 4,
      noiseDim: 6,
      generatorHidden: [],
      discriminatorHidden: [7],
      classes: 10,
      spectralNorm: false,
      lr: 1e-3,
    },
  ],
  [
    // The class columns of D's first layer are used as trained; its image columns are divided by σ.
    'a conditional GAN with the default recipe (spectral normalisation of the image columns), batch 6',
    labelled(floatPoints(31, 5), 4),
    {
      ...DEFAULT_RECIPE,
      batch: 6,
      seed: 43,
      noiseDim: 5,
      generatorHidden: [9],
      discriminatorHidden: [8, 6],
      generatorOutput: 'none',
      classes: 4,
    },
  ],
  // No hidden layers: D's logit head reads the data and hands dX straight to G. Batch 600 puts
  // 1200 rows through D, more than one workgroup of the head takes, so its two-dispatch form runs.
  [
    'linear networks, batch 600 (the logit head in workgroups of 64 rows)',
    floatPoints(700, 4),
    {
      batch: 600,
      seed: 3,
      noiseDim: 5,
      generatorHidden: [],
      discriminatorHidden: [],
      generatorOutput: 'tanh',
      lr: 1e-3,
    },
  ],
];

describe('trainer vs float64 reference, 3 steps', () => {
  for (const [name, data, config] of CASES) {
    it(name, async () => {
      const { trainer, destroy } = await makeTrainer(gpu.ctx, data, config);
      try {
        const ref = new ReferenceGan(trainer.config, await exportTensors(trainer), data.reference);
        for (let s = 0; s < STEPS; s++) {
          const stats: TrainingStats[] = [];
          await trainer.train(1, { statsEvery: 1, onStats: (x) => stats.push(x) });
          const want = ref.trainStep();
          expect(stats).toHaveLength(1);
          for (const key of ['lossD', 'lossG', 'dReal', 'dFake'] as const) {
            const scale = key === 'lossD' || key === 'lossG' ? want.magnitude[key] : Math.abs(want[key]);
            expect(Math.abs(stats[0]![key] - want[key]), `${key} at step ${s + 1}`).toBeLessThanOrEqual(
              1e-5 * scale + 1e-7,
            );
          }
        }
        // The precondition that makes tight tolerances meaningful (see the header).
        expect(
          ref.nearestKink,
          'a leaky-ReLU pre-activation came within 1e-5 of the kink: pick another seed',
        ).toBeGreaterThan(1e-5);
        const got = await exportTensors(trainer);
        const undecided = ref.signUndecided();
        const lr = Math.max(trainer.config.lr, trainer.config.discriminatorLr ?? 0, trainer.config.generatorLr ?? 0);
        for (const [tensor, want] of ref.tensors()) {
          const actual = got.get(tensor)!.data;
          // In the units the weights trained in: saved class columns are h times those.
          const unit = trainedUnits(trainer.config, tensor, got.get(tensor)!.shape);
          const errors = Array.from(want, (w, i) => Math.abs(actual[i]! - w) / unit(i));
          const rms = Math.sqrt(want.reduce((a, w) => a + w * w, 0) / want.length);
          const tolerance = tensor.startsWith('optimizer')
            ? (i: number) => 1e-4 * (Math.abs(want[i]!) + rms)
            : () => 2e-6;
          // Entries a near-zero gradient stepped (see the header) are held to the 2·lr·steps bound only.
          const decided = undecided.get(tensor) ?? new Set<number>();
          const off = errors.filter((e, i) => !decided.has(i) && !(e <= tolerance(i))).length;
          expect(off, `${tensor}: entries outside tolerance`).toBeLessThanOrEqual(0.01 * want.length);
          if (!tensor.startsWith('optimizer')) {
            expect(
              errors.reduce((a, b) => Math.max(a, b), 0),
              `${tensor} worst`,
            ).toBeLessThanOrEqual(2 * lr * STEPS);
          }
        }
      } finally {
        destroy();
      }
    });
  }
});

/**
 * Per entry of a saved tensor, what one unit of the weights as trained is in it: the hot entry h
 * for a conditional first layer's class columns (saved times h for a plain one-hot), else 1.
 */
function trainedUnits(config: GanConfig, tensor: string, shape: number[]): (i: number) => number {
  if (config.classes === 0 || tensor.startsWith('optimizer') || !tensor.endsWith('.0.weight')) return () => 1;
  const columns = shape[1]!;
  return (i) => (i % columns >= columns - config.classes ? config.oneHotValue : 1);
}

describe('determinism', () => {
  it('the same seed on the same adapter gives bit-identical weights after 4 steps', async () => {
    const runs: Uint8Array[][] = [];
    for (let r = 0; r < 2; r++) {
      const { trainer, destroy } = await makeTrainer(gpu.ctx, byteImages(30, 784), { batch: 6, seed: 9 });
      try {
        await trainer.train(4, { stepsPerSubmit: 2 });
        runs.push([...(await exportTensors(trainer)).values()].map((t) => new Uint8Array(t.data.buffer)));
      } finally {
        destroy();
      }
    }
    runs[0]!.forEach((bytes, i) => {
      expect(Buffer.from(bytes).equals(Buffer.from(runs[1]![i]!))).toBe(true);
    });
  });

  it('another seed gives other weights', async () => {
    const weights: Float32Array[] = [];
    for (const seed of [1, 2]) {
      const { trainer, destroy } = await makeTrainer(gpu.ctx, floatPoints(20, 2), {
        batch: 4,
        seed,
        noiseDim: 3,
        generatorHidden: [8],
        discriminatorHidden: [8],
        generatorOutput: 'none',
      });
      try {
        await trainer.train(2);
        weights.push((await exportTensors(trainer)).get('generator.0.weight')!.data);
      } finally {
        destroy();
      }
    }
    expect([...weights[0]!]).not.toEqual([...weights[1]!]);
  });
});
