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
// step.ts turns this into the list of kernels.
import type { GpuContext } from '../gpu/context.js';
import { ArgumentError, DestroyedError, requirePositiveInteger, TrainingDivergedError } from '../base/errors.js';
import { AdamKernel } from '../kernels/adam.js';
import { createStepCounter, type StepCounter } from '../kernels/counter.js';
import type { BoundKernel } from '../kernels/kernel.js';
import { createRandomFill } from '../kernels/random.js';
import { createSpectralNorm, type SpectralNorm } from '../kernels/spectralNorm.js';
import { maxStepsForBatch } from '../kernels/gather.js';
import type { GpuDataset } from '../data/dataset.js';
import { MlpParameters, viewRef, type TensorView } from '../nn/mlp.js';
import { discriminatorSpec, generatorSpec, learningRates, resolveGanConfig, type GanConfig } from './config.js';
import { divergence, StatsReader, type TrainingStats } from './stats.js';
import { buildStepKernels, StepActivations, type StepKernel } from './step.js';
import { initStream, NETWORKS, spectralNormStream } from '../kernels/streams.js';

export type { StepKernel } from './step.js';

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
    readonly generator: MlpParameters,
    readonly discriminator: MlpParameters,
    private readonly counter: StepCounter,
    private readonly workspace: StepActivations,
    private readonly stats: StatsReader,
    private readonly stepKernels: Array<StepKernel & { destroy(): void }>,
    private readonly optimizers: AdamKernel[],
    /** With config.spectralNorm: D's power-iteration state and normalised weights. */
    readonly spectralNorm: DiscriminatorNormalization | null,
  ) {}

  /**
   * A trainer for `dataset`; a conditional configuration (classes > 0) also needs each example's
   * label, as GpuDataset.fromLabels makes them. The trainer does not own either dataset.
   */
  static async create(
    ctx: GpuContext,
    partial: Partial<GanConfig>,
    dataset: GpuDataset,
    labels?: GpuDataset,
  ): Promise<GanTrainer> {
    const config = resolveGanConfig({ dataDim: dataset.dim, ...partial });
    if (config.dataDim !== dataset.dim)
      throw new ArgumentError('dataDim', `is ${config.dataDim} but the dataset has ${dataset.dim} values per example`);
    checkLabels(config, dataset, labels);
    GanTrainer.checkFits(config, ctx.device.limits);
    const generator = new MlpParameters(ctx, generatorSpec(config), 'generator', true);
    const discriminator = new MlpParameters(ctx, discriminatorSpec(config), 'discriminator', false);
    const counter = await createStepCounter(ctx);
    const workspace = new StepActivations(ctx, config);
    const stats = new StatsReader(ctx);
    let kernels: Array<StepKernel & { destroy(): void }> = [];
    let normalization: DiscriminatorNormalization | null = null;
    try {
      normalization = config.spectralNorm ? await DiscriminatorNormalization.create(ctx, discriminator) : null;
      kernels = await buildStepKernels(ctx, {
        spectralNorm: normalization ?? undefined,
        labels,
        config,
        dataset,
        generator,
        discriminator,
        counter,
        workspace,
        stats: stats.buffer,
      });
      const optimizers = kernels.filter((k): k is AdamKernel => k instanceof AdamKernel);
      const trainer = new GanTrainer(
        ctx,
        config,
        generator,
        discriminator,
        counter,
        workspace,
        stats,
        kernels,
        optimizers,
        normalization,
      );
      await trainer.initialiseWeights();
      return trainer;
    } catch (error) {
      for (const o of [...kernels, stats, workspace, counter, discriminator, generator]) o.destroy();
      normalization?.destroy();
      throw error;
    }
  }

  /**
   * Refuses, before anything is allocated, a configuration whose buffers this device cannot bind
   * (WebGPU would refuse them only when the step is built), naming the largest batch that fits.
   */
  static checkFits(config: GanConfig, limits: GPUSupportedLimits): void {
    const limit = Math.min(limits.maxStorageBufferBindingSize, limits.maxBufferSize);
    const { label, bytesPerRow } = StepActivations.widestPerBatchRow(config);
    const bytes = bytesPerRow * config.batch;
    if (bytes > limit) {
      const fits = Math.floor(limit / bytesPerRow);
      throw new ArgumentError(
        'batch',
        `${config.batch} needs ${mib(bytes)} MiB for ${label} in one binding, but this device binds at most ` +
          `${mib(limit)} MiB; use a batch of at most ${fits}`,
      );
    }
  }

  /** The most steps this configuration can take: the GPU's 32-bit sample counter sets it. */
  static maxSteps(config: GanConfig): number {
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

  /** PyTorch's nn.Linear default: W and b ~ U(−1/√fan_in, 1/√fan_in), drawn on the GPU from the seed. */
  private async initialiseWeights(): Promise<void> {
    const kernels: BoundKernel[] = [];
    try {
      for (const [n, mlp] of [this.generator, this.discriminator].entries()) {
        for (const [l, layer] of mlp.layout.layers.entries()) {
          // fan_in counts a conditional layer's class inputs, as for the joined torch.nn.Linear.
          const bound = 1 / Math.sqrt(layer.inFeatures + (layer.classWeight?.shape[1] ?? 0));
          const network = NETWORKS[n]!;
          const views: Array<[TensorView, number]> = [
            [layer.weight, initStream(network, l, 'weight')],
            [layer.bias, initStream(network, l, 'bias')],
          ];
          if (layer.classWeight) views.push([layer.classWeight, initStream(network, l, 'classWeight')]);
          for (const [view, stream] of views) {
            kernels.push(
              await createRandomFill(this.ctx, {
                n: view.count,
                output: viewRef(mlp.weights, view),
                seed: this.config.seed,
                stream,
                distribution: { kind: 'uniform', low: -bound, high: bound },
              }),
            );
          }
        }
      }
      // Spectral normalisation's u vectors: N(0, 1) (only their direction matters).
      for (const [l, view] of (this.spectralNorm?.vectors() ?? []).entries()) {
        kernels.push(
          await createRandomFill(this.ctx, {
            n: view.size / 4,
            output: view,
            seed: this.config.seed,
            stream: spectralNormStream(l),
            distribution: { kind: 'normal' },
          }),
        );
      }
      const encoder = this.ctx.device.createCommandEncoder({ label: 'init weights' });
      const pass = encoder.beginComputePass();
      for (const k of kernels) k.record(pass);
      pass.end();
      encoder.copyBufferToBuffer(this.generator.weights, 0, this.generator.ema!, 0, this.generator.weights.size);
      this.ctx.submit([encoder.finish()]);
      await this.ctx.sync();
    } finally {
      for (const k of kernels) k.destroy();
    }
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
    for (const o of [...this.stepKernels, this.stats, this.workspace, this.counter, this.discriminator, this.generator])
      o.destroy();
    this.spectralNorm?.destroy();
  }
}

const mib = (bytes: number) => (bytes / 2 ** 20).toFixed(1);

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

/** Spectral normalisation of the discriminator: its kernels and the normalised copy of its weights. */
export class DiscriminatorNormalization {
  private constructor(
    private readonly ctx: GpuContext,
    readonly kernels: SpectralNorm,
    readonly normalized: GPUBuffer,
  ) {}

  static async create(ctx: GpuContext, discriminator: MlpParameters): Promise<DiscriminatorNormalization> {
    const layers = discriminator.layout.layers.map((layer) => ({
      rows: layer.outFeatures,
      cols: layer.inFeatures,
      weightOffset: layer.weight.offset,
      biasOffset: layer.bias.offset,
    }));
    const floats = discriminator.layout.totalFloats;
    const normalized = ctx.memory.createStorage('discriminator weights / σ', floats);
    try {
      const kernels = await createSpectralNorm(ctx, {
        layers,
        floats,
        weights: discriminator.weights,
        normalized,
        grads: discriminator.grads,
        label: 'spectral norm D',
      });
      return new DiscriminatorNormalization(ctx, kernels, normalized);
    } catch (error) {
      ctx.memory.release(normalized);
      throw error;
    }
  }

  /** Each layer's u (its output width) as a range of the u buffer, in layer order. */
  vectors(): Array<{ buffer: GPUBuffer; offset: number; size: number }> {
    return this.kernels.vectors();
  }

  destroy(): void {
    this.kernels.destroy();
    this.ctx.memory.release(this.normalized);
  }
}
