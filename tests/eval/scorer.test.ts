// The sample scorer on the GPU. Exactness, with random classifier weights: its features against a
// float64 forward pass, and its mean and covariance (three matmuls) against float64 statistics of
// those same features. Meaning, with the committed classifier: its test accuracy, real training
// digits score near 0 against the test set, while noise and one digit repeated score far off.
import { beforeAll, describe, expect, it } from 'vitest';
import {
  CLASSIFIER_PREFIX,
  CLASSIFIER_SPEC,
  FEATURE_DIM,
  FEATURE_LAYER,
  loadClassifier,
  pixelsFromBytes,
} from '../../src/eval/classifier.js';
import { readClassifierFile } from '../../src/eval/classifierFile.js';
import { createAccuracyMeter } from '../../src/eval/accuracy.js';
import { frechetDistance } from '../../src/eval/frechet.js';
import type { FeatureStatistics } from '../../src/eval/frechet.js';
import { createSampleScorer, referenceStatistics } from '../../src/eval/scorer.js';
import { classAgreement } from '../../src/eval/evaluate.js';
import type { TensorMap } from '../../src/io/safetensors.js';
import { loadMnistImages, loadMnistLabels, mnistFilePath } from '../../src/data/mnistNode.js';
import { mlpLayout } from '../../src/nn/mlp.js';
import { addMlpTensors } from '../../src/nn/tensors.js';
import { ArgumentError } from '../../src/index.js';
import { featureStatisticsReference, mlpForwardReference } from '../../reference/cpu.js';
import { float32Tolerance, randomArray } from '../../reference/numeric.js';
import { expectClose, useGpu } from '../support/gpu.js';

const gpu = useGpu();

function randomClassifier(seed: number): TensorMap {
  const layout = mlpLayout(CLASSIFIER_SPEC);
  const flat = randomArray(layout.totalFloats, seed, -0.08, 0.08);
  const tensors: TensorMap = new Map();
  addMlpTensors(layout, CLASSIFIER_PREFIX, flat, tensors);
  return tensors;
}

function randomBytes(count: number, seed: number): Uint8Array {
  return Uint8Array.from(randomArray(count, seed, 0, 255.99), Math.floor);
}

describe('sample scorer: exact against float64', () => {
  for (const rows of [2, 37, 300]) {
    it(`features, mean and covariance of ${rows} images`, async () => {
      const classifier = randomClassifier(rows);
      const bytes = randomBytes(rows * 784, rows + 1);
      const scorer = await createSampleScorer(gpu.ctx, { classifier, rows });
      try {
        scorer.writeImageBytes(bytes);
        const { features, probabilities } = await scorer.statistics();
        const gpuFeatures = await scorer.readFeatures();
        const ref = mlpForwardReference(classifier, CLASSIFIER_PREFIX, CLASSIFIER_SPEC, pixelsFromBytes(bytes), rows);
        const refFeatures = ref.outputs[FEATURE_LAYER]!;
        const magnitude = ref.magnitudes[FEATURE_LAYER]!;
        expectClose(gpuFeatures, refFeatures, (i) => float32Tolerance(magnitude[i]!), 'features');
        // Statistics of the GPU's own features: the three matmuls and nothing else.
        const want = featureStatisticsReference(gpuFeatures, rows, FEATURE_DIM);
        const scale = Math.max(...Array.from(gpuFeatures, Math.abs));
        expectClose(features.mean, want.mean, () => float32Tolerance(scale), 'mean');
        expectClose(features.covariance, want.covariance, () => float32Tolerance(4 * scale * scale, 1e-6), 'cov');
        for (let r = 0; r < rows; r++) {
          const sum = probabilities.subarray(r * 10, r * 10 + 10).reduce((a, b) => a + b, 0);
          expect(sum).toBeCloseTo(1, 5);
        }
      } finally {
        scorer.destroy();
      }
    });
  }

  it('refuses one row, wrong bytes and a foreign classifier by name, and use after destroy', async () => {
    const classifier = randomClassifier(1);
    await expect(createSampleScorer(gpu.ctx, { classifier, rows: 1 })).rejects.toThrow(/at least 2/);
    const wrong: TensorMap = new Map([...classifier].filter(([name]) => name !== 'classifier.2.bias'));
    await expect(createSampleScorer(gpu.ctx, { classifier: wrong, rows: 4 })).rejects.toThrow(
      'classifier: has no tensor "classifier.2.bias"',
    );
    const scorer = await createSampleScorer(gpu.ctx, { classifier, rows: 4 });
    expect(() => scorer.writeImageBytes(new Uint8Array(5))).toThrow(ArgumentError);
    scorer.destroy();
    await expect(scorer.statistics()).rejects.toThrow(/destroy/);
  });
});

describe('sample scorer: the committed classifier', () => {
  const test = loadMnistImages(mnistFilePath('t10k-images'));
  const train = loadMnistImages(mnistFilePath('train-images'));
  const file = readClassifierFile();
  const classifier = file.tensors;
  const ROWS = 2000;
  let reference: FeatureStatistics;

  beforeAll(async () => {
    reference = await referenceStatistics(gpu.ctx, classifier, test.pixels, test.count);
  }, 120_000);

  it("holds the test set's statistics as this adapter computes them", () => {
    expect(file.reference.count).toBe(10000);
    expectClose(file.reference.mean, reference.mean, (i) => float32Tolerance(Math.abs(reference.mean[i]!)), 'mean');
    expect(frechetDistance(file.reference, reference)).toBeLessThan(1e-3);
  });

  async function score(bytes: Uint8Array) {
    const scorer = await createSampleScorer(gpu.ctx, { classifier, rows: ROWS });
    try {
      scorer.writeImageBytes(bytes);
      return await scorer.score(reference);
    } finally {
      scorer.destroy();
    }
  }

  it('states a test accuracy of at least 97% in its file, and has it', async () => {
    expect(Number(file.metadata.test_accuracy)).toBeGreaterThanOrEqual(0.97);
    const labels = loadMnistLabels(mnistFilePath('t10k-labels'));
    // The same measure the training script stated (src/eval/accuracy.ts), on the loaded weights.
    const network = loadClassifier(gpu.ctx, classifier);
    const meter = await createAccuracyMeter(gpu.ctx, network, test.pixels, labels);
    try {
      const accuracy = await meter.measure();
      expect(accuracy).toBeCloseTo(Number(file.metadata.test_accuracy), 4);
      // Picture by picture: the classes it reads agree with the accuracy, and with float64's on the first 200.
      const predictions = await meter.predictions();
      expect(predictions.reduce((right, c, i) => right + (c === labels[i] ? 1 : 0), 0)).toBe(
        Math.round(accuracy * labels.length),
      );
      const rows = 200;
      const input = pixelsFromBytes(test.pixels.subarray(0, rows * 784));
      const logits = mlpForwardReference(classifier, CLASSIFIER_PREFIX, CLASSIFIER_SPEC, input, rows).outputs.at(-1)!;
      const argmax = Array.from({ length: rows }, (_, r) => {
        const row = Array.from(logits.subarray(r * 10, (r + 1) * 10));
        return row.indexOf(Math.max(...row));
      });
      expect(Array.from(predictions.subarray(0, rows))).toEqual(argmax);
    } finally {
      meter.destroy();
      network.destroy();
    }
  });

  it('scores real training digits near 0, noise and one repeated digit far off', async () => {
    const real = await score(train.pixels.subarray(0, ROWS * 784));
    const noise = await score(randomBytes(ROWS * 784, 5));
    const one = new Uint8Array(ROWS * 784);
    for (let r = 0; r < ROWS; r++) one.set(train.pixels.subarray(0, 784), r * 784);
    const repeated = await score(one);
    console.log(
      `distance to the test set (2000 images): real ${real.distance.toFixed(3)}, noise ${noise.distance.toFixed(1)}, ` +
        `one digit repeated ${repeated.distance.toFixed(1)}`,
    );
    expect(real.coveredClasses).toBe(10);
    expect(real.meanConfidence).toBeGreaterThan(0.95);
    expect(real.distance).toBeLessThan(noise.distance / 50);
    expect(real.distance).toBeLessThan(repeated.distance / 20);
    expect(repeated.coveredClasses).toBe(1);
    expect(Math.max(...repeated.classShares)).toBe(1);
  });
});

describe('classAgreement', () => {
  it('is the share of rows whose most likely class is their row number mod the classes', () => {
    // Three classes, four rows drawn as classes 0, 1, 2, 0: rows 0 and 2 agree, rows 1 and 3 do not.
    const probabilities = Float32Array.from([0.8, 0.1, 0.1, 0.6, 0.3, 0.1, 0.1, 0.2, 0.7, 0.2, 0.5, 0.3]);
    expect(classAgreement(probabilities, 3)).toBe(0.5);
    expect(classAgreement(Float32Array.from([0, 1, 1, 0]), 2)).toBe(0);
  });
});
