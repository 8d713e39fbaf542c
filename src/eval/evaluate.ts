// Scores a generator: `count` samples from fixed noise, generated and scored on the GPU in one
// submit (the samples never leave it), against the reference statistics of the test set. Built
// once; the CLI's eval runs it once, `train --eval-every` and the demo run it between steps.
// Where the device cannot bind the generator's layers for all the samples at once (a DCGAN's
// 10,000 on a 128 MiB binding), they are made in passes of as many as it can (samplePasses.ts),
// the same samples a single pass makes, and scored together.
import type { GpuContext } from '../gpu/context.js';
import { ArgumentError } from '../base/errors.js';
import type { TensorMap } from '../io/safetensors.js';
import type { GanConfig } from '../gan/config.js';
import type { SamplingGenerator } from '../gan/sampler.js';
import { SamplePasses } from './samplePasses.js';
import { CLASSIFIER_SPEC } from './classifier.js';
import type { FeatureStatistics } from './frechet.js';
import { createSampleScorer, scoreStatistics, type SampleScore, type SampleScorer } from './scorer.js';
import { requireCreatorArguments } from '../base/arguments.js';
import { guardedCreation } from '../gpu/creation.js';
import { requireGanConfig } from '../gan/config.js';

export interface GeneratorEvaluatorSpec {
  classifier: TensorMap;
  /** The test set's statistics (referenceStatistics). */
  reference: FeatureStatistics;
  config: GanConfig;
  generator: SamplingGenerator;
  /** Samples per evaluation. */
  count: number;
  /** Noise seed of the samples. Default: the training seed. */
  seed?: number;
  /** Score the moving average (default, what `sample` and the demo show) or the trained weights. */
  useEma?: boolean;
  /**
   * The most samples the generator makes in one pass (by default, and at most, as many as the
   * device binds). The scores do not depend on it; a smaller one takes less GPU memory.
   */
  samplesPerPass?: number;
}

export async function createGeneratorEvaluator(
  ctx: GpuContext,
  spec: GeneratorEvaluatorSpec,
): Promise<GeneratorEvaluator> {
  requireCreatorArguments(ctx, spec);
  requireGanConfig('config', spec.config);
  if (spec.config.dataDim !== CLASSIFIER_SPEC.widths[0])
    throw new ArgumentError(
      'config',
      `makes images of ${spec.config.dataDim} pixels; the classifier scores 28×28 digits (784)`,
    );
  const options = {
    count: spec.count,
    useEma: spec.useEma ?? true,
    ...(spec.seed !== undefined ? { seed: spec.seed } : {}),
  };
  return guardedCreation(ctx, 'createGeneratorEvaluator', async () => {
    const sampler = await SamplePasses.create(ctx, spec.config, spec.generator, options, spec.samplesPerPass);
    try {
      const scorer = await createSampleScorer(ctx, { classifier: spec.classifier, rows: spec.count });
      return new GeneratorEvaluator(ctx, sampler, scorer, spec.reference, spec.config.classes);
    } catch (error) {
      sampler.destroy();
      throw error;
    }
  });
}

/** Made by createGeneratorEvaluator; owns its sampler and scorer. */
export class GeneratorEvaluator {
  constructor(
    private readonly ctx: GpuContext,
    private readonly sampler: SamplePasses,
    private readonly scorer: SampleScorer,
    private readonly reference: FeatureStatistics,
    /** A conditional generator's classes (sample r is of class r mod classes), or 0. */
    private readonly classes: number,
  ) {}

  get count(): number {
    return this.scorer.rows;
  }

  /** Generates the samples from the generator's current weights and scores them. */
  async evaluate(): Promise<SampleScore> {
    const encoder = this.ctx.device.createCommandEncoder({ label: 'evaluate generator' });
    this.sampler.record(encoder, this.scorer.input);
    this.scorer.record(encoder);
    this.ctx.submit([encoder.finish()]);
    const statistics = await this.scorer.readStatistics();
    if (!statistics.probabilities.every(Number.isFinite))
      throw new ArgumentError('generator', 'produced NaN or infinite pixels: there is nothing to score');
    const score = scoreStatistics(statistics, this.reference);
    // A generator conditioned on MNIST's ten digits: does the class decide the digit drawn?
    if (this.classes === DIGITS) score.classAgreement = classAgreement(statistics.probabilities, DIGITS);
    return score;
  }

  destroy(): void {
    this.scorer.destroy();
    this.sampler.destroy();
  }
}

const DIGITS = 10;

/** The share of rows whose most likely class is r mod classes, the class row r was drawn as. */
export function classAgreement(probabilities: Float32Array, classes: number): number {
  const rows = probabilities.length / classes;
  let agreeing = 0;
  for (let r = 0; r < rows; r++) {
    let best = 0;
    for (let c = 1; c < classes; c++)
      if (probabilities[r * classes + c]! > probabilities[r * classes + best]!) best = c;
    if (best === r % classes) agreeing++;
  }
  return agreeing / rows;
}
