// Drawing samples from a generator: a fixed batch of noise (seeded, made on the GPU) pushed through
// the generator's moving-average weights (or the trained ones). Buffers and kernels are made once,
// in one workspace; the output buffer can be read back or drawn straight from the GPU (the demo's
// canvas).
import type { GpuContext } from '../gpu/context.js';
import { ArgumentError, DestroyedError, requirePositiveInteger } from '../base/errors.js';
import { Workspace } from '../gpu/workspace.js';
import { guardedCreation } from '../gpu/creation.js';
import { bindingLimit, checkRowsFit } from './modelMemory.js';
import { createClassInput } from '../kernels/classInput.js';
import type { BoundKernel, Kernel } from '../kernels/kernel.js';
import { createRandomFill } from '../kernels/random.js';
import { STREAMS } from '../kernels/streams.js';
import { buildPlan, forwardPlan, NetworkWeights, type ClassCondition } from '../nn/network.js';
import type { IntegerTensorMap, TensorMap } from '../io/safetensors.js';
import { requireGanConfig, type GanConfig } from './config.js';
import { generatorNetworkSpec } from './networks.js';
import { importGenerator } from './state.js';
import { describeValue, requireContext, requireInstance, requireObject } from '../base/arguments.js';

/** A generator to sample from: a layer list, the MLP or DCGAN (batch norms on their running estimates). */
export type SamplingGenerator = NetworkWeights;

export interface SamplerOptions {
  count: number;
  /** Seed of the fixed noise batch. Default: the training seed. */
  seed?: number;
  /** Sample from the moving average of the weights (default) or the trained weights. */
  useEma?: boolean;
  /**
   * A conditional generator's class for each sample (count labels). Default: sample r is of class
   * r mod classes, so that a grid `classes` wide shows one class per column.
   */
  labels?: ArrayLike<number>;
}

/**
 * Samples of a generator. Ownership: the sampler owns its noise, its outputs and its kernels; it
 * reads the generator's weights where they are (so a sampler of a training GanTrainer shows the
 * weights as they train) and keeps no copy of them. Destroy the sampler before its generator (a
 * trainer's destroy() frees the trainer's generator): a sampler whose generator was destroyed
 * refuses every call with a DestroyedError that says so, and the context works on.
 * For samples that outlive a trainer, load the generator from a checkpoint (loadGenerator).
 */
export class GanSampler {
  private destroyed = false;

  private constructor(
    private readonly ctx: GpuContext,
    readonly config: GanConfig,
    readonly count: number,
    /** Owns every buffer and kernel of the sampler. */
    private readonly ws: Workspace,
    private noiseKernel: BoundKernel,
    private readonly forward: Kernel[],
    /** Read, not owned: the trainer's generator (or loadGenerator()'s), whose weights each sample reads. */
    private readonly generator: SamplingGenerator,
  ) {}

  /** The fixed noise batch (count × noiseDim). */
  get noise(): GPUBuffer {
    return this.ws.buffer('noise');
  }

  /** count × dataDim: the samples after record()/sample(). */
  get output(): GPUBuffer {
    return this.ws.buffer('output');
  }

  static async create(
    ctx: GpuContext,
    config: GanConfig,
    generator: SamplingGenerator,
    options: SamplerOptions,
  ): Promise<GanSampler> {
    requireContext(ctx);
    requireGanConfig('config', config);
    requireGenerator('generator', generator);
    requireObject('options', options, 'an object of options (count, seed, useEma, labels)');
    const count = requirePositiveInteger('count', options.count);
    if (options.useEma !== false && !generator.ema)
      throw new ArgumentError('useEma', 'this generator keeps no moving average');
    const labels =
      config.classes > 0
        ? checkedLabels(options.labels ?? defaultLabels(count, config.classes), count, config.classes)
        : null;
    if (options.labels !== undefined && !labels)
      throw new ArgumentError('labels', 'are for a conditional generator; this one has no classes');
    checkRowsFit(ctx.device.limits, 'count', count, widestSampleRow(config, generator));
    return guardedCreation(ctx, 'GanSampler.create', () => GanSampler.build(ctx, config, generator, options, labels));
  }

  private static build(
    ctx: GpuContext,
    config: GanConfig,
    generator: SamplingGenerator,
    options: SamplerOptions,
    labels: Float32Array | null,
  ): Promise<GanSampler> {
    const count = options.count;
    return Workspace.build(ctx, 'sample', async (ws) => {
      const noise = ws.rows('noise', count, config.noiseDim);
      const output = ws.rows('output', count, config.dataDim);
      const labelBuffer = labels && ws.storage('labels', labels);
      const noiseKernel = ws.own(await sampleNoiseFill(ctx, config, noise, count, options.seed ?? config.seed));
      const weights = options.useEma === false ? generator.weights : generator.ema!;
      // A generator takes the class beside the noise, or (one-hot conditioning) in its first layer.
      const condition =
        labelBuffer && generator.layout.layers[0]!.classWeight
          ? { labels: labelBuffer, labelRows: count, onehot: ws.rows('one-hot labels', count, config.classes) }
          : undefined;
      const besideNoise = labelBuffer && !condition;
      const forward = (
        await buildPlan(ctx, [
          ...(besideNoise ? classInput(ws, config, count, noise, labelBuffer) : []),
          ...networkForward(ws, generator, count, besideNoise ? ws.buffer('input') : noise, {
            output,
            weights,
            ...(condition && { condition }),
          }),
        ])
      ).map((k) => ws.own(k));
      const sampler = new GanSampler(ctx, config, count, ws, noiseKernel, forward, generator);
      sampler.regenerateNoise();
      return sampler;
    });
  }

  private regenerateNoise(): void {
    const encoder = this.ctx.device.createCommandEncoder({ label: 'sample noise' });
    this.noiseKernel.record(encoder);
    this.ctx.submit([encoder.finish()]);
  }

  /** A new fixed noise batch from another seed (the demo's "re-roll"). */
  async reseed(seed: number): Promise<void> {
    this.checkUsable('reseed');
    const next = await sampleNoiseFill(this.ctx, this.config, this.noise, this.count, seed);
    this.noiseKernel = this.ws.replace(this.noiseKernel, next);
    this.regenerateNoise();
  }

  /** Replaces the noise with given vectors (count × noiseDim), e.g. for a latent interpolation. */
  setNoise(values: Float32Array): void {
    this.checkUsable('setNoise');
    if (values.length !== this.count * this.config.noiseDim)
      throw new ArgumentError(
        'values',
        `must hold count × noiseDim = ${this.count * this.config.noiseDim} numbers, got ${values.length}`,
      );
    if (!values.every(Number.isFinite)) throw new ArgumentError('values', 'contains NaN or infinite values');
    this.ctx.write(this.noise, values);
  }

  /** A conditional generator's class for each sample from now on (count labels). */
  setLabels(labels: ArrayLike<number>): void {
    this.checkUsable('setLabels');
    if (this.config.classes === 0)
      throw new ArgumentError('labels', 'are for a conditional generator; this one has no classes');
    this.ctx.write(this.ws.buffer('labels'), checkedLabels(labels, this.count, this.config.classes));
  }

  /** Records the generator's forward pass on the current noise into `encoder`. */
  record(encoder: GPUCommandEncoder): void {
    this.checkUsable('record');
    const pass = encoder.beginComputePass({ label: 'sample' });
    for (const k of this.forward) k.record(pass);
    pass.end();
  }

  /** Generates and reads back count × dataDim values. */
  async sample(): Promise<Float32Array> {
    this.checkUsable('sample');
    const encoder = this.ctx.device.createCommandEncoder({ label: 'sample' });
    this.record(encoder);
    this.ctx.submit([encoder.finish()]);
    return this.ctx.readF32(this.output);
  }

  private checkUsable(method: string): void {
    if (this.destroyed) throw new DestroyedError('GanSampler', method);
    if (this.generator.destroyed)
      throw new DestroyedError(
        'GanSampler',
        method,
        "its generator was destroyed (by its GanTrainer's destroy(), or its own): a sampler reads the " +
          'weights it was made from and keeps no copy; destroy the sampler first, or make a new one from a ' +
          'live trainer or from loadGenerator()',
      );
  }

  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.ws.destroy();
  }
}

/**
 * A layer list's forward pass in evaluation mode: batch norms normalise by their running
 * estimates, so that a sample depends on its own noise alone (not on the others drawn with it).
 */
function networkForward(
  ws: Workspace,
  generator: NetworkWeights,
  count: number,
  noise: GPUBuffer,
  into: { output: GPUBuffer; weights: GPUBuffer; condition?: ClassCondition },
) {
  const { output, ...pass } = into;
  const blocks = generator.blocks;
  const outputs = blocks.map((b, i) => (i + 1 < blocks.length ? ws.rows(`block ${i}`, count, b.width) : output));
  return forwardPlan(generator, { rows: count, input: noise, outputs, stats: [], mode: 'eval', ...pass });
}

/** A conditional layer-list generator's input, made from the noise and labels before each forward pass. */
function classInput(ws: Workspace, config: GanConfig, count: number, noise: GPUBuffer, labels: GPUBuffer) {
  const input = ws.rows('input', count, config.noiseDim + config.classes);
  return [
    {
      build: (ctx: GpuContext) =>
        createClassInput(ctx, {
          rows: count,
          noiseWidth: config.noiseDim,
          classes: config.classes,
          noise,
          labels,
          output: input,
          label: 'sample input: noise and one-hot',
        }),
    },
  ];
}

/**
 * The sampler's noise, count × noiseDim normal values of one Philox stream: a fill of more rows
 * begins with the same values, element by element, so samples made in passes match one pass's.
 */
export function sampleNoiseFill(
  ctx: GpuContext,
  config: GanConfig,
  noise: GPUBuffer,
  count: number,
  seed: number,
): Promise<BoundKernel> {
  return createRandomFill(ctx, {
    n: count * config.noiseDim,
    output: noise,
    seed,
    stream: STREAMS.sampleNoise,
    distribution: { kind: 'normal' },
    label: 'sample noise',
  });
}

/** The most samples one pass of this generator can make on a device (0: not even one row binds). */
export function samplesPerPassLimit(
  limits: GPUSupportedLimits,
  config: GanConfig,
  generator: SamplingGenerator,
): number {
  return Math.floor(bindingLimit(limits) / widestSampleRow(config, generator).bytesPerRow);
}

/** The sampler's buffer with the most bytes per sample: its count's limit on a device. */
function widestSampleRow(config: GanConfig, generator: SamplingGenerator): { label: string; bytesPerRow: number } {
  const widths = [
    { label: 'the noise (and one-hot classes)', floats: config.noiseDim + config.classes },
    { label: 'the samples', floats: config.dataDim },
    ...generator.blocks.map((b, i) => ({ label: `generator block ${i}`, floats: b.width })),
  ];
  const widest = widths.reduce((a, b) => (b.floats > a.floats ? b : a));
  return { label: widest.label, bytesPerRow: widest.floats * 4 };
}

/** Sample r of class r mod classes. */
function defaultLabels(count: number, classes: number): Float32Array {
  return Float32Array.from({ length: count }, (_, r) => r % classes);
}

/** `count` class indices in [0, classes) as the floats the class-conditioning kernel reads. */
function checkedLabels(labels: ArrayLike<number>, count: number, classes: number): Float32Array {
  if (labels.length !== count)
    throw new ArgumentError('labels', `must be one per sample (${count}), got ${labels.length}`);
  for (let r = 0; r < count; r++) {
    const label = labels[r]!;
    if (!Number.isInteger(label) || label < 0 || label >= classes)
      throw new ArgumentError('labels', `label ${r} is ${label}, not a class in [0, ${classes})`);
  }
  return Float32Array.from(labels);
}

/** A generator to sample from: a trainer's (trainer.generator) or one loadGenerator() made. */
export function requireGenerator(argument: string, value: unknown): SamplingGenerator {
  if (!(value instanceof NetworkWeights))
    throw new ArgumentError(
      argument,
      `must be a generator (a trainer's generator, or loadGenerator()'s), got ${describeValue(value)}`,
    );
  return value;
}

/** A generator (with its moving average) loaded from a checkpoint, for sampling without training. */
export function loadGenerator(
  ctx: GpuContext,
  checkpoint: { config: GanConfig; tensors: TensorMap; integers?: IntegerTensorMap },
): SamplingGenerator {
  requireContext(ctx);
  requireObject('checkpoint', checkpoint, 'a checkpoint (decodeCheckpoint())');
  requireGanConfig('checkpoint.config', checkpoint.config);
  requireInstance('checkpoint.tensors', checkpoint.tensors, Map, 'a Map of tensors');
  const { config } = checkpoint;
  const generator = new NetworkWeights(ctx, generatorNetworkSpec(config), 'generator', true);
  try {
    importGenerator(ctx, config, generator, checkpoint.tensors, checkpoint.integers);
    return generator;
  } catch (error) {
    generator.destroy();
    throw error;
  }
}
