// Scores a batch of images on the GPU: the classifier's features, their mean and covariance (the
// matmul kernels), and each image's class probabilities. Built once for a number of rows; every
// call records the same kernels and reads back only the mean, the covariance and the
// probabilities. The distance itself is float64 work on the CPU (frechet.ts).
import type { GpuContext } from '../gpu/context.js';
import { Workspace } from '../gpu/workspace.js';
import { ArgumentError, DestroyedError, requirePositiveInteger } from '../base/errors.js';
import type { TensorMap } from '../io/safetensors.js';
import { createMatmul } from '../kernels/matmul.js';
import type { Kernel } from '../kernels/kernel.js';
import { createSoftmaxCrossEntropy } from '../kernels/softmaxCrossEntropy.js';
import { forwardKernels } from '../nn/passes.js';
import {
  CLASS_COUNT,
  CLASSIFIER_SPEC,
  COVERED_SHARE,
  FEATURE_DIM,
  FEATURE_LAYER,
  loadClassifier,
  pixelsFromBytes,
} from './classifier.js';
import { frechetDistance, type FeatureStatistics } from './frechet.js';
import { requireBytes, requireContext, requireCreatorArguments, requireObject } from '../base/arguments.js';
import { guardedCreation } from '../gpu/creation.js';

export interface SampleScore {
  /** Fréchet classifier distance between these images' features and the reference's. */
  distance: number;
  /** Per digit class: the share of images the classifier puts in it. */
  classShares: number[];
  /** Classes with at least COVERED_SHARE of the images. */
  coveredClasses: number;
  /** Mean probability of each image's most likely class. */
  meanConfidence: number;
  count: number;
  /**
   * A generator conditioned on the ten digits: the share of samples drawn as digit k that the
   * classifier reads as k (0.1 is chance: the class is ignored).
   */
  classAgreement?: number;
}

export interface ScorerSpec {
  /** The classifier's tensors (models/mnist-classifier.safetensors). */
  classifier: TensorMap;
  /** Images per call (at least 2: a covariance needs two). */
  rows: number;
}

/** What one pass over `rows` images gives. */
export interface ImageStatistics {
  features: FeatureStatistics;
  /** rows × 10. */
  probabilities: Float32Array;
}

export async function createSampleScorer(ctx: GpuContext, spec: ScorerSpec): Promise<SampleScorer> {
  requireCreatorArguments(ctx, spec);
  const rows = requirePositiveInteger('rows', spec.rows);
  if (rows < 2) throw new ArgumentError('rows', 'must be at least 2: a covariance needs two images');
  return guardedCreation(ctx, 'createSampleScorer', () => buildScorer(ctx, spec, rows));
}

function buildScorer(ctx: GpuContext, spec: ScorerSpec, rows: number): Promise<SampleScorer> {
  return Workspace.build(ctx, 'scorer', async (ws) => {
    const classifier = ws.own(loadClassifier(ctx, spec.classifier));
    const widths = CLASSIFIER_SPEC.widths;
    const input = ws.rows('images', rows, widths[0]!);
    const outputs = widths.slice(1).map((w, l) => ws.rows(`layer ${l + 1}`, rows, w));
    const features = outputs[FEATURE_LAYER]!;
    const probabilities = ws.rows('probabilities', rows, CLASS_COUNT);
    const minusMeanWeights = ws.storage('−1/rows', new Float32Array(rows).fill(-1 / rows));
    const identity = ws.storage('identity', identityMatrix(FEATURE_DIM));
    const minusMean = ws.storage('−mean', FEATURE_DIM);
    const centred = ws.rows('centred features', rows, FEATURE_DIM);
    const scatter = ws.storage('Σ centredᵀ·centred', FEATURE_DIM * FEATURE_DIM);
    const kernels: Kernel[] = (await forwardKernels(ctx, classifier, { rows, input, outputs })).map((k) => ws.own(k));
    const add = async (kernel: Promise<Kernel>) => kernels.push(ws.own(await kernel));
    await add(
      createSoftmaxCrossEntropy(ctx, {
        rows,
        classes: CLASS_COUNT,
        logits: outputs.at(-1)!,
        probabilities,
        stats: ws.storage('softmax stats', 3),
      }),
    );
    // −mean = (−1/rows)·1ᵀ·F, then F − mean as F·I + (−mean), then Σ (F − mean)ᵀ(F − mean).
    const f = FEATURE_DIM;
    await add(createMatmul(ctx, { m: 1, n: f, k: rows, a: minusMeanWeights, b: features, c: minusMean }));
    await add(createMatmul(ctx, { m: rows, n: f, k: f, a: features, b: identity, bias: minusMean, c: centred }));
    await add(createMatmul(ctx, { m: f, n: f, k: rows, a: centred, transposeA: true, b: centred, c: scatter }));
    const results = { features, minusMean, scatter, probabilities };
    return new SampleScorer(ctx, rows, input, kernels, results, ws);
  });
}

function identityMatrix(n: number): Float32Array {
  const m = new Float32Array(n * n);
  for (let i = 0; i < n; i++) m[i * n + i] = 1;
  return m;
}

/** Made by createSampleScorer. */
export class SampleScorer {
  private destroyed = false;

  constructor(
    private readonly ctx: GpuContext,
    readonly rows: number,
    /** rows × 784 pixels in [−1, 1]: fill it (writeImageBytes, or a copy from a sampler) before a call. */
    readonly input: GPUBuffer,
    private readonly kernels: Kernel[],
    private readonly results: {
      features: GPUBuffer;
      minusMean: GPUBuffer;
      scatter: GPUBuffer;
      probabilities: GPUBuffer;
    },
    /** Owns the classifier, the buffers and the kernels. */
    private readonly ws: Workspace,
  ) {}

  /** Writes rows × 784 bytes (MNIST's pixels) as the pixels in [−1, 1] that training sees. */
  writeImageBytes(bytes: Uint8Array): void {
    this.check('writeImageBytes');
    if (bytes.length !== this.rows * CLASSIFIER_SPEC.widths[0]!)
      throw new ArgumentError('bytes', `has ${bytes.length} values, expected ${this.rows} images of 784`);
    this.ctx.write(this.input, pixelsFromBytes(bytes));
  }

  /** Records the scoring pass (after whatever fills `input` in the same encoder). */
  record(encoder: GPUCommandEncoder): void {
    this.check('record');
    const pass = encoder.beginComputePass({ label: 'score samples' });
    for (const k of this.kernels) k.record(pass);
    pass.end();
  }

  /** Features and probabilities of what `input` holds now. */
  async statistics(): Promise<ImageStatistics> {
    this.check('statistics');
    const encoder = this.ctx.device.createCommandEncoder({ label: 'score samples' });
    this.record(encoder);
    this.ctx.submit([encoder.finish()]);
    return this.readStatistics();
  }

  /** Reads what the last recorded pass computed. */
  async readStatistics(): Promise<ImageStatistics> {
    this.check('readStatistics');
    const [minusMean, scatter, probabilities] = await Promise.all([
      this.ctx.readF32(this.results.minusMean),
      this.ctx.readF32(this.results.scatter),
      this.ctx.readF32(this.results.probabilities),
    ]);
    const mean = Float64Array.from(minusMean, (v) => -v);
    const covariance = Float64Array.from(scatter, (v) => v / (this.rows - 1));
    return { features: { dim: FEATURE_DIM, mean, covariance, count: this.rows }, probabilities };
  }

  /** rows × FEATURE_DIM: the features of the last pass (for checks against a reference). */
  async readFeatures(): Promise<Float32Array> {
    this.check('readFeatures');
    return this.ctx.readF32(this.results.features);
  }

  /** Scores what `input` holds against the reference set's statistics. */
  async score(reference: FeatureStatistics): Promise<SampleScore> {
    return scoreStatistics(await this.statistics(), reference);
  }

  private check(method: string): void {
    if (this.destroyed) throw new DestroyedError('SampleScorer', method);
  }

  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.ws.destroy();
  }
}

/** The distance, class shares, coverage and confidence from one pass's statistics. */
export function scoreStatistics(images: ImageStatistics, reference: FeatureStatistics): SampleScore {
  requireObject('images', images, 'ImageStatistics');
  requireObject('images.features', images.features, 'ImageStatistics');
  requireObject('reference', reference, 'FeatureStatistics');
  const rows = images.features.count;
  const counts = new Array<number>(CLASS_COUNT).fill(0);
  let confidence = 0;
  for (let r = 0; r < rows; r++) {
    const row = images.probabilities.subarray(r * CLASS_COUNT, (r + 1) * CLASS_COUNT);
    let best = 0;
    for (let c = 1; c < CLASS_COUNT; c++) if (row[c]! > row[best]!) best = c;
    counts[best]!++;
    confidence += row[best]!;
  }
  const classShares = counts.map((c) => c / rows);
  return {
    distance: frechetDistance(images.features, reference),
    classShares,
    coveredClasses: classShares.filter((s) => s >= COVERED_SHARE).length,
    meanConfidence: confidence / rows,
    count: rows,
  };
}

/** The reference statistics of a set of images (e.g. MNIST's 10,000 test digits), as bytes. */
export async function referenceStatistics(
  ctx: GpuContext,
  classifier: TensorMap,
  bytes: Uint8Array,
  count: number,
): Promise<FeatureStatistics> {
  requireContext(ctx);
  requireObject('classifier', classifier, "a TensorMap (the classifier file's tensors)");
  requireBytes('bytes', bytes);
  const scorer = await createSampleScorer(ctx, { classifier, rows: count });
  try {
    scorer.writeImageBytes(bytes);
    return (await scorer.statistics()).features;
  } finally {
    scorer.destroy();
  }
}
