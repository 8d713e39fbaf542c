// Does it learn? Two runs sized for the software adapter in CI.
//
// 8 Gaussians on a ring (σ = 0.05, radius 2), a small MLP GAN, 6000 steps, samples from the moving
// average. A mode counts as covered when at least 1% of 2000 samples lie within 3σ of it (a fair
// share is 12.5%; a collapsed generator leaves modes near 0%), and at least 70% of all samples
// must lie within 3σ of some mode (a perfect generator: 98.9%; the untrained one: ~0%). We require
// 7 of 8 modes covered, as the issue asks: plain GANs often starve one mode for long stretches.
//
// Which modes starve depends on float rounding: grouping the logit head's sums differently
// (2026-11-27) moved seed 1 from 7 covered modes to 6, and at lr 1e-3 seeds 1 and 2 then both
// left two modes under 1%. At lr 5e-4 seeds 1, 2 and 3 covered 7, 7 and 8 modes with 75–81% of
// samples near one. So three seeds train, and at least two must meet both bars: a broken trainer
// fails all three, a change of rounding moves one.
//
// Conditional: the same ring, each point labelled with its mode, a conditional GAN over 8 classes.
// The class must decide the mode: of 800 samples (100 per class) at least 90% must lie nearest the
// mode of their class, and 60% within 3σ of it (an unconditional generator puts 12.5% nearest).
//
// Conditional MNIST: the default recipe conditioned on the ten digits, 1500 steps at batch 64; of
// 1000 samples from the moving average (100 per digit) the committed classifier must read at least
// 40% as the digit they were drawn as (chance: 10%). On lavapipe (2026-12-02, `train --conditional
// --eval-every 500`) the default one-hot of hot entry 16 read 91% at 1500 steps and 8 read 77%;
// this test with a plain one-hot (oneHotValue 1) read 8.2% and failed.
//
// MNIST smoke: 60 steps at batch 32. The untrained generator's tanh outputs sit near 0 (grey);
// MNIST is mostly black background (mean pixel −0.74 in [−1, 1]). After the run, the generated
// mean must have moved at least a third of the way toward MNIST's, with every reported loss and
// D output finite and D(x), D(G(z)) strictly inside (0, 1).
import { describe, expect, it } from 'vitest';
import { GpuDataset } from '../../src/data/dataset.js';
import { loadMnistImages, loadMnistLabels } from '../../src/data/mnistNode.js';
import { readClassifierFile } from '../../src/eval/classifierFile.js';
import { createGeneratorEvaluator } from '../../src/eval/evaluate.js';
import { SEED_RECIPE, type GanConfig } from '../../src/gan/config.js';
import { GanSampler } from '../../src/gan/sampler.js';
import type { TrainingStats } from '../../src/gan/stats.js';
import { GanTrainer } from '../../src/gan/trainer.js';
import { useGpu } from '../support/gpu.js';
import { modeCentre, modeCoverage, ringPoints, RING } from './ring-data.js';

const gpu = useGpu();

/** The ring's GAN: small MLPs on 2-D points. */
const RING_GAN: Partial<GanConfig> = {
  ...SEED_RECIPE,
  dataDim: 2,
  noiseDim: 8,
  generatorHidden: [64, 64],
  discriminatorHidden: [64, 64],
  generatorOutput: 'none',
  batch: 256,
  lr: 5e-4,
  emaDecay: 0.99,
};
const CONDITIONAL_STEPS = 1500;

describe('convergence', () => {
  it('8 Gaussians on a ring: for two of three seeds, ≥ 7 modes covered and ≥ 70% of samples near a mode', {
    timeout: 900_000,
  }, async () => {
    const results = [];
    for (const seed of [1, 2, 3]) results.push({ seed, ...(await trainRing(seed)) });
    for (const r of results) {
      console.log(
        `ring, seed ${r.seed}: ${(r.nearFraction * 100).toFixed(1)}% near a mode; per mode ` +
          `${r.perMode.map((f) => (f * 100).toFixed(1)).join(' ')} %`,
      );
    }
    const good = results.filter((r) => r.perMode.filter((f) => f >= 0.01).length >= 7 && r.nearFraction >= 0.7);
    expect(good.length, 'seeds that met both bars').toBeGreaterThanOrEqual(2);
  });

  it('conditional ring: the class decides the mode (≥ 90% nearest their class, ≥ 60% within 3σ of it)', {
    timeout: 600_000,
  }, async () => {
    const { ctx } = gpu;
    const count = 8192;
    const dataset = GpuDataset.fromFloats(ctx, ringPoints(count, 1), count, 2);
    const labels = GpuDataset.fromLabels(
      ctx,
      Array.from({ length: count }, (_, i) => i % RING.modes),
      RING.modes,
    );
    const config = { ...RING_GAN, classes: RING.modes, seed: 1 };
    const trainer = await GanTrainer.create(ctx, config, dataset, labels);
    const sampleLabels = Array.from({ length: 800 }, (_, r) => r % RING.modes);
    const sampler = await GanSampler.create(ctx, trainer.config, trainer.generator, {
      count: 800,
      seed: 99,
      labels: sampleLabels,
    });
    try {
      await trainer.train(CONDITIONAL_STEPS, { stepsPerSubmit: 50, statsEvery: 1000 });
      const points = await sampler.sample();
      let nearest = 0,
        within = 0;
      sampleLabels.forEach((k, r) => {
        const [x, y] = [points[2 * r]!, points[2 * r + 1]!];
        const distances = Array.from({ length: RING.modes }, (_, m) =>
          Math.hypot(x - modeCentre(m)[0], y - modeCentre(m)[1]),
        );
        if (distances.indexOf(Math.min(...distances)) === k) nearest++;
        if (distances[k]! <= 3 * RING.sigma) within++;
      });
      console.log(`conditional ring: ${nearest / 8}% nearest their class's mode, ${within / 8}% within 3σ of it`);
      expect(nearest / 800).toBeGreaterThanOrEqual(0.9);
      expect(within / 800).toBeGreaterThanOrEqual(0.6);
    } finally {
      sampler.destroy();
      trainer.destroy();
      labels.destroy();
      dataset.destroy();
    }
  });

  it('conditional MNIST: the class decides the digit (≥ 40% of samples read as their class)', {
    timeout: 900_000,
  }, async () => {
    const { ctx } = gpu;
    const images = loadMnistImages();
    const dataset = GpuDataset.fromBytes(ctx, images.pixels, images.count, 784, 'MNIST');
    const labels = GpuDataset.fromLabels(ctx, loadMnistLabels(), 10);
    const trainer = await GanTrainer.create(ctx, { classes: 10 }, dataset, labels);
    const { tensors: classifier, reference } = readClassifierFile();
    const evaluator = await createGeneratorEvaluator(ctx, {
      classifier,
      reference,
      config: trainer.config,
      generator: trainer.generator,
      count: 1000,
    });
    try {
      await trainer.train(1500, { stepsPerSubmit: 50, statsEvery: 500 });
      const score = await evaluator.evaluate();
      const agreement = `${(100 * score.classAgreement!).toFixed(1)}%`;
      console.log(`conditional MNIST: class agreement ${agreement}, FCD ${score.distance.toFixed(1)}`);
      expect(score.classAgreement).toBeGreaterThanOrEqual(0.4);
    } finally {
      evaluator.destroy();
      trainer.destroy();
      labels.destroy();
      dataset.destroy();
    }
  });

  it('MNIST smoke: samples move toward MNIST, D outputs stay in (0, 1), losses finite', {
    timeout: 300_000,
  }, async () => {
    const { ctx } = gpu;
    const images = loadMnistImages();
    const dataset = GpuDataset.fromBytes(ctx, images.pixels, images.count, 784, 'MNIST');
    // The seed's BCE recipe, whose D outputs are probabilities (least squares reads raw outputs).
    const trainer = await GanTrainer.create(ctx, { ...SEED_RECIPE, batch: 32, seed: 4 }, dataset);
    const sampler = await GanSampler.create(ctx, trainer.config, trainer.generator, { count: 64, useEma: false });
    const meanPixel = (v: Float32Array) => v.reduce((a, b) => a + b, 0) / v.length;
    try {
      const before = meanPixel(await sampler.sample());
      const stats: TrainingStats[] = [];
      await trainer.train(60, { stepsPerSubmit: 10, statsEvery: 10, onStats: (s) => stats.push(s) });
      const after = meanPixel(await sampler.sample());
      let mnistMean = 0;
      for (const p of images.pixels) mnistMean += (2 * p - 255) / 255;
      mnistMean /= images.pixels.length;
      const means = `${before.toFixed(3)} → ${after.toFixed(3)} (MNIST ${mnistMean.toFixed(3)})`;
      console.log(`MNIST smoke: mean pixel ${means}`);
      expect(Math.abs(after - mnistMean)).toBeLessThan((2 / 3) * Math.abs(before - mnistMean));
      // Reads that find every staging buffer busy are skipped, never waited for: the sums then
      // cover more steps. Together the records must account for every step exactly once.
      expect(stats.reduce((n, s) => n + s.steps, 0)).toBe(60);
      for (const s of stats) {
        for (const v of [s.lossD, s.lossG, s.dReal, s.dFake, s.dFakeAfter]) expect(Number.isFinite(v)).toBe(true);
        for (const p of [s.dReal, s.dFake, s.dFakeAfter]) expect(p > 0 && p < 1).toBe(true);
      }
    } finally {
      sampler.destroy();
      trainer.destroy();
      dataset.destroy();
    }
  });
});

/** The ring GAN trained 6000 steps from `seed`; coverage of 2000 moving-average samples. */
async function trainRing(seed: number): Promise<{ perMode: number[]; nearFraction: number }> {
  const { ctx } = gpu;
  const count = 8192;
  const dataset = GpuDataset.fromFloats(ctx, ringPoints(count, 1), count, 2);
  const trainer = await GanTrainer.create(ctx, { ...RING_GAN, seed }, dataset);
  const sampler = await GanSampler.create(ctx, trainer.config, trainer.generator, { count: 2000, seed: 99 });
  try {
    await trainer.train(6000, { stepsPerSubmit: 50, statsEvery: 1000 });
    return modeCoverage(await sampler.sample(), 3 * RING.sigma);
  } finally {
    sampler.destroy();
    trainer.destroy();
    dataset.destroy();
  }
}
