// Do the unlabelled examples help? Semi-supervised training where the labels alone cannot decide.
//
// Two half-moons (moons-data.ts), 2000 training points of which 4 are labelled (2 per moon,
// chosen by the seed), a small MLP GAN with feature matching, 2000 steps; the classifier is D's
// class logits, scored on 2000 fresh points. The baseline is the (a): the same D trained
// on the same labelled batches alone (`labeledOnly`). Four points can only draw a boundary near
// the line between them, which cuts both moons; the unlabelled points and the generated ones
// between the moons have to move it into the gap.
//
// Measured on lavapipe (2026-12-04) at seeds 1, 2, 3: semi-supervised 84.4%, 99.5%, 100.0%;
// labelled-only 80.3%, 85.0%, 85.4%. Without feature matching (the non-saturating G loss) the
// semi-supervised runs read 80.5%, 84.7%, 85.5% at 4000 steps, no better than the baseline, and
// with the hinge loss and spectral normalisation 79.8%, 76.2%, 82.0%. So: for two of three seeds
// at least 95% and 10 points above that seed's baseline, and never below the baseline by more
// than a point; a trainer whose unlabelled loss does nothing meets neither bar.
import { describe, expect, it } from 'vitest';
import { GpuDataset } from '../../src/data/dataset.js';
import { chooseLabeled, labeledSetFromFloats } from '../../src/data/labeled.js';
import { resolveGanConfig, SEED_RECIPE } from '../../src/gan/config.js';
import { GanClassifier } from '../../src/gan/ganClassifier.js';
import { GanTrainer } from '../../src/gan/trainer.js';
import type { GpuContext } from '../../src/index.js';
import { useGpu } from '../support/gpu.js';
import { MOONS, moonPoints } from './moons-data.js';

const gpu = useGpu();

const TRAIN = moonPoints(2000, 7);
const TEST = moonPoints(2000, 8);
const STEPS = 2000;

async function testAccuracy(ctx: GpuContext, seed: number, labeledOnly: boolean): Promise<number> {
  const config = resolveGanConfig({
    ...SEED_RECIPE,
    lr: 1e-3,
    dataDim: 2,
    noiseDim: 8,
    generatorHidden: [64, 64],
    discriminatorHidden: [64, 64],
    generatorOutput: 'none',
    batch: 64,
    seed,
    labelClasses: MOONS.classes,
    labeled: 4,
    featureMatching: true,
    labeledOnly,
  });
  const count = TRAIN.labels.length;
  const dataset = GpuDataset.fromFloats(ctx, TRAIN.points, count, 2);
  const chosen = chooseLabeled(TRAIN.labels, config.labeled, MOONS.classes, seed);
  const labeled = labeledSetFromFloats(ctx, TRAIN.points, 2, TRAIN.labels, chosen, MOONS.classes);
  try {
    const trainer = await GanTrainer.create(ctx, config, dataset, undefined, labeled);
    try {
      await trainer.train(STEPS, { stepsPerSubmit: 100, statsEvery: 1000 });
      const classifier = await GanClassifier.fromTrainer(ctx, trainer, { batch: 500 });
      try {
        const { classes } = await classifier.classify(TEST.points);
        return classes.filter((k, i) => k === TEST.labels[i]).length / classes.length;
      } finally {
        classifier.destroy();
      }
    } finally {
      trainer.destroy();
    }
  } finally {
    labeled.destroy();
    dataset.destroy();
  }
}

describe('semi-supervised convergence', () => {
  it('two moons from 4 labels: the unlabelled points move the boundary into the gap', {
    timeout: 900_000,
  }, async () => {
    const runs = [];
    for (const seed of [1, 2, 3]) {
      const semi = await testAccuracy(gpu.ctx, seed, false);
      const alone = await testAccuracy(gpu.ctx, seed, true);
      console.log(`moons, seed ${seed}: semi-supervised ${pct(semi)}, labelled-only ${pct(alone)}`);
      runs.push({ semi, alone });
    }
    for (const { semi, alone } of runs) expect(semi).toBeGreaterThanOrEqual(alone - 0.01);
    const clear = runs.filter(({ semi, alone }) => semi >= 0.95 && semi >= alone + 0.1);
    expect(clear.length, 'seeds at ≥ 95% and 10 points above their baseline').toBeGreaterThanOrEqual(2);
  });
});

const pct = (f: number) => `${(f * 100).toFixed(1)}%`;
