// The GAN trainer: one training step — noise, a real batch, both networks' forward and backward
// passes, both Adam updates and the generator's moving average — as a fixed list of bound
// kernels recorded into one compute pass. Every buffer, pipeline and bind group is made once in
// create(); stepping records, submits and never reads back.
//
// One step (fake rows first in the discriminator's 2B-row input X, so the generator's output and
// the generator step's discriminator pass both start at offset 0 of their buffers):
//   t = counter + 1;  z ~ N(0, 1) (Philox, counter t) and X[B:2B] = real batch t (seeded shuffle),
//     one dispatch (which also advances the GPU's step counter; Adam(G) commits it)
//   (conditional: the real batch's labels, by the same shuffle, for both networks' first layers)
//   X[0:B] = G(z);  logits = D(X);  the loss (config.loss: BCE, hinge or least squares) with
//     fake → 0, real → realLabel;  D gradients;  Adam(D)
//   logits' = D'(X[0:B]) with the updated D;  the generator's loss (BCE or least squares → 1,
//     hinge: −D(G(z)));  dX = dLoss/dX ⊙ tanh'(X[0:B]) through D';  G gradients;  Adam(G) with
//     the EMA fused in
// With spectral normalisation each pass through D reads W / σ, made by a power-iteration step
// just before it, and D's weight gradients are corrected for σ before Adam(D).
// D's last layer, the loss and the first gradients of each update are one fused kernel (the
// logit head, shaders/logit_head.wgsl).
// The fake batch of the D update is reused by the G update (as PyTorch's DCGAN example does).
// step.ts turns this into the list of kernels for the MLP, networkStep.ts for layer lists (DCGAN,
// whose batch norms in D see the fake and real halves apart); buildModel.ts picks by architecture.
import type { GpuContext } from '../gpu/context.js';
import { ArgumentError, DestroyedError, requirePositiveInteger, TrainingDivergedError } from '../base/errors.js';
import { AdamKernel } from '../kernels/adam.js';
import { createStepCounter, type StepCounter } from '../kernels/counter.js';
import { maxStepsForBatch } from '../kernels/gather.js';
import { GpuDataset } from '../data/dataset.js';
import { requireContext, requireInstance, requireObject } from '../base/arguments.js';
import { learningRates, requireGanConfig, resolveGanConfig, type GanConfig } from './config.js';
import { divergence, StatsReader, type TrainingStats } from './stats.js';
import { auxiliaryClasses } from './networks.js';
import type { StepKernel } from './stepEntries.js';
import { checkModelFits, trainerMemoryAdvice } from './modelMemory.js';
import { guardedCreation } from '../gpu/creation.js';
import { buildTrainerModel } from './buildModel.js';
import { checkLabeledSet, type LabeledSet } from './semiSupervised.js';
import type { GanNetwork, TrainerModel } from './trainerModel.js';

export type { StepKernel } from './stepEntries.js';

/** The settings setOptimizer can change during a run. */
const OPTIMIZER_SETTINGS = ['lr', 'discriminatorLr', 'generatorLr', 'beta1', 'beta2'] as const;
type OptimizerSetting = (typeof OPTIMIZER_SETTINGS)[number];

export interface TrainOptions {
  /** Steps recorded into one command buffer. Default 1. */
  stepsPerSubmit?: number;
  /** Read statistics back every this many steps (asynchronously). Default 100. */
  statsEvery?: number;
  onStats?: (stats: TrainingStats) => void;
  /** Checked between submits; training stops early when it returns true. */
  shouldStop?: () => boolean;
}

export class GanTrainer {
  private stepCount = 0;
  private stepsSinceStats = 0;
  private readonly inFlight: Promise<unknown>[] = [];
  private destroyed = false;
  private divergedError: TrainingDivergedError | null = null;
  private revisionCount = 0;

  private constructor(
    readonly ctx: GpuContext,
    readonly config: GanConfig,
    private readonly counter: StepCounter,
    private readonly stats: StatsReader,
    private readonly model: TrainerModel,
    private readonly optimizers: AdamKernel[],
  ) {}

  /** The generator: a layer list (NetworkParameters), whatever the architecture. */
  get generator(): GanNetwork {
    return this.model.generator;
  }

  get discriminator(): GanNetwork {
    return this.model.discriminator;
  }

  /** With config.spectralNorm: D's power-iteration state and normalised weights. */
  get spectralNorm(): TrainerModel['spectralNorm'] {
    return this.model.spectralNorm;
  }

  /** With config.weightNorm: the copy of D's weights that its passes read. */
  get weightNorm(): TrainerModel['weightNorm'] {
    return this.model.weightNorm;
  }

  private get stepKernels(): readonly StepKernel[] {
    return this.model.kernels;
  }

  /**
   * A trainer for `dataset`; a conditional configuration (classes > 0) also needs each example's
   * label, as GpuDataset.fromLabels makes them, and a semi-supervised one (labeled > 0) its
   * labelled images and their classes (chooseLabeled picks them). The trainer owns none of them.
   */
  static async create(
    ctx: GpuContext,
    partial: Partial<GanConfig>,
    dataset: GpuDataset,
    labels?: GpuDataset,
    labeled?: LabeledSet,
  ): Promise<GanTrainer> {
    requireContext(ctx);
    requireInstance('dataset', dataset, GpuDataset, 'a GpuDataset (GpuDataset.fromBytes() makes one)');
    requireObject('config', partial, 'an object of GAN settings');
    if (labels !== undefined) requireInstance('labels', labels, GpuDataset, 'a GpuDataset (GpuDataset.fromLabels())');
    if (labeled !== undefined) requireObject('labeled', labeled, 'a LabeledSet (labeledSetFromBytes())');
    const config = resolveGanConfig({ dataDim: dataset.dim, ...partial });
    if (config.dataDim !== dataset.dim)
      throw new ArgumentError('dataDim', `is ${config.dataDim} but the dataset has ${dataset.dim} values per example`);
    checkLabels(config, dataset, labels);
    checkLabeledSet(config, dataset, labeled);
    GanTrainer.checkFits(config, ctx.device.limits);
    return guardedCreation(
      ctx,
      'GanTrainer.create',
      () => GanTrainer.build(ctx, config, dataset, labels, labeled),
      trainerMemoryAdvice(config),
    );
  }

  private static async build(
    ctx: GpuContext,
    config: GanConfig,
    dataset: GpuDataset,
    labels?: GpuDataset,
    labeled?: LabeledSet,
  ): Promise<GanTrainer> {
    const counter = await createStepCounter(ctx);
    const stats = new StatsReader(ctx, 3, config.labelClasses > 0, auxiliaryClasses(config) > 0);
    try {
      const model = await buildTrainerModel(ctx, config, {
        dataset,
        ...(labels && { labels }),
        ...(labeled && { labeled }),
        counter,
        stats: stats.buffer,
      });
      const optimizers = model.kernels.filter((k): k is AdamKernel => k instanceof AdamKernel);
      return new GanTrainer(ctx, config, counter, stats, model, optimizers);
    } catch (error) {
      stats.destroy();
      counter.destroy();
      throw error;
    }
  }

  /**
   * Refuses, before anything is allocated, a configuration whose buffers this device cannot bind
   * (WebGPU would refuse them only when the step is built), naming the largest batch that fits.
   */
  static checkFits(config: GanConfig, limits: GPUSupportedLimits, options: { resuming?: boolean } = {}): void {
    requireGanConfig('config', config);
    requireObject('limits', limits, "a device's limits (ctx.device.limits)");
    requireObject('options', options, 'an object of options (resuming)');
    checkModelFits(config, limits, options);
  }

  /** The most steps this configuration can take: the GPU's 32-bit sample counter sets it. */
  static maxSteps(config: GanConfig): number {
    requireGanConfig('config', config);
    return maxStepsForBatch(config.batch);
  }

  /**
   * Changes whenever the state does (a step submitted, a step or checkpoint set), so that a
   * reader can tell whether what it read is consistent.
   */
  get revision(): number {
    return this.revisionCount;
  }

  /** Set once the statistics showed non-finite values: the error that train() and submitSteps() then throw. */
  get diverged(): TrainingDivergedError | null {
    return this.divergedError;
  }

  /** Compute dispatches recorded per training step. */
  get dispatchesPerStep(): number {
    return this.stepKernels.reduce((n, k) => n + (k.dispatches ?? 1), 0);
  }

  /** The step's kernels in order, e.g. to time each with timestamp queries (bench/). */
  get stepKernelList(): ReadonlyArray<StepKernel> {
    return this.stepKernels;
  }

  /** Steps taken (submitted) so far. */
  get step(): number {
    return this.stepCount;
  }

  private checkUsable(method: string): void {
    if (this.destroyed) throw new DestroyedError('GanTrainer', method);
  }

  private checkTrainable(method: string, steps: number): void {
    this.checkUsable(method);
    if (this.divergedError) throw this.divergedError;
    if (this.stepCount + steps > GanTrainer.maxSteps(this.config)) {
      throw new ArgumentError(
        'steps',
        `training past step ${GanTrainer.maxSteps(this.config)} at batch ${this.config.batch} would overflow the ` +
          `GPU's 32-bit sample counter`,
      );
    }
  }

  /** Notes the first statistics that show divergence; later training throws its error. */
  private inspect(stats: TrainingStats[]): TrainingStats[] {
    for (const s of stats) {
      const detail = divergence(s);
      if (detail && !this.divergedError) this.divergedError = new TrainingDivergedError(s.step, detail);
    }
    return stats;
  }

  /** Records `steps` training steps into one compute pass of `encoder`. */
  recordSteps(encoder: GPUCommandEncoder, steps: number): void {
    this.checkUsable('recordSteps');
    requirePositiveInteger('steps', steps);
    const pass = encoder.beginComputePass({ label: `${steps} GAN steps` });
    for (let s = 0; s < steps; s++) for (const k of this.stepKernels) k.record(pass);
    pass.end();
  }

  /** Submits `steps` steps (and a stats read when one is due); does not wait. */
  submitSteps(steps: number, statsEvery = 100): void {
    requirePositiveInteger('steps', steps);
    requirePositiveInteger('statsEvery', statsEvery);
    this.checkTrainable('submitSteps', steps);
    const encoder = this.ctx.device.createCommandEncoder({ label: 'train' });
    this.recordSteps(encoder, steps);
    this.stepCount += steps;
    this.revisionCount++;
    this.stepsSinceStats += steps;
    if (this.stepsSinceStats >= statsEvery && this.stats.record(encoder, this.stepCount, this.stepsSinceStats)) {
      this.stepsSinceStats = 0;
    }
    this.ctx.submit([encoder.finish()]);
    this.stats.afterSubmit();
  }

  /**
   * Trains `steps` more steps (0 or more). At most a few submits are in flight; statistics arrive
   * through onStats as their asynchronous reads complete. Returns the steps actually taken.
   * Throws a TrainingDivergedError, after passing on the statistics that show it, once the run
   * has produced non-finite values; nothing is trained after that.
   */
  async train(steps: number, options: TrainOptions = {}): Promise<number> {
    if (steps !== 0) requirePositiveInteger('steps', steps);
    const perSubmit = requirePositiveInteger('stepsPerSubmit', options.stepsPerSubmit ?? 1);
    const statsEvery = requirePositiveInteger('statsEvery', options.statsEvery ?? 100);
    this.checkTrainable('train', steps);
    let done = 0;
    while (done < steps && !options.shouldStop?.() && !this.divergedError) {
      const n = Math.min(perSubmit, steps - done, statsEvery - (this.stepsSinceStats % statsEvery));
      this.submitSteps(n, statsEvery);
      done += n;
      await this.throttle();
      for (const s of this.inspect(this.stats.drain())) options.onStats?.(s);
    }
    await this.ctx.sync();
    for (const s of this.inspect(await this.stats.flush())) options.onStats?.(s);
    if (this.divergedError) throw this.divergedError;
    return done;
  }

  /** Keeps at most three submits queued, so the CPU cannot run far ahead of the GPU. */
  private async throttle(): Promise<void> {
    this.inFlight.push(this.ctx.device.queue.onSubmittedWorkDone());
    while (this.inFlight.length > 3) await this.inFlight.shift();
    this.ctx.throwIfFailed();
  }

  /** Statistics whose asynchronous reads have completed since the last call (for custom loops). */
  drainStats(): TrainingStats[] {
    this.checkUsable('drainStats');
    return this.inspect(this.stats.drain());
  }

  /**
   * Changes the learning rates and Adam's betas for steps submitted from now on (validated first;
   * the configuration is updated so checkpoints record it). `lr` sets the rate of each network
   * whose own rate (discriminatorLr, generatorLr) is null.
   */
  setOptimizer(changes: Partial<Pick<GanConfig, OptimizerSetting>>): void {
    this.checkUsable('setOptimizer');
    const next = resolveGanConfig({ ...this.config, ...changes });
    const lr = learningRates(next);
    const [adamD, adamG] = this.optimizers; // in step order: D's update, then G's
    const betas = { beta1: next.beta1, beta2: next.beta2 };
    adamD!.setHyperparameters({ lr: lr.discriminator, ...betas });
    adamG!.setHyperparameters({ lr: lr.generator, ...betas });
    for (const key of OPTIMIZER_SETTINGS) Object.assign(this.config, { [key]: next[key] });
  }

  /** Forces a read of the statistics accumulated since the last one (e.g. at the end of a run). */
  async readStats(): Promise<TrainingStats | null> {
    this.checkUsable('readStats');
    if (this.stepsSinceStats === 0) return null;
    const encoder = this.ctx.device.createCommandEncoder({ label: 'stats' });
    if (!this.stats.record(encoder, this.stepCount, this.stepsSinceStats)) {
      this.inspect(await this.stats.flush());
      return this.readStats();
    }
    this.stepsSinceStats = 0;
    this.ctx.submit([encoder.finish()]);
    this.stats.afterSubmit();
    return this.inspect(await this.stats.flush()).at(-1) ?? null;
  }

  /** Sets the step (after loading a checkpoint): the counter drives noise, batches and Adam's t. */
  setStep(step: number): void {
    this.checkUsable('setStep');
    if (!Number.isInteger(step) || step < 0)
      throw new ArgumentError('step', `must be a non-negative integer, got ${step}`);
    this.counter.set(step);
    this.stepCount = step;
    this.revisionCount++;
    this.stepsSinceStats = 0;
    // A step is set after weights are loaded (restoreCheckpoint): training starts over from them,
    // with none of the old run's statistics (its divergence alarm included).
    this.stats.reset();
    this.divergedError = null;
  }

  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.model.destroy();
    this.stats.destroy();
    this.counter.destroy();
  }
}

/** Labels are given exactly when the configuration is conditional, one per example, of its classes. */
function checkLabels(config: GanConfig, dataset: GpuDataset, labels: GpuDataset | undefined): void {
  if (config.classes === 0) {
    if (labels) throw new ArgumentError('labels', 'are given, but the configuration is unconditional (classes 0)');
    return;
  }
  if (!labels)
    throw new ArgumentError('labels', `are needed: the configuration is conditional (classes ${config.classes})`);
  if (labels.classes !== config.classes)
    throw new ArgumentError(
      'labels',
      `have ${labels.classes ?? 'no'} classes and the configuration ${config.classes}: make them with ` +
        'GpuDataset.fromLabels',
    );
  if (labels.count !== dataset.count)
    throw new ArgumentError('labels', `are ${labels.count}, one per example is ${dataset.count}`);
}
