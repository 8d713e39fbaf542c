// Drawing samples from a generator: a fixed batch of noise (seeded, made on the GPU) pushed through
// the generator's moving-average weights (or the trained ones). Buffers and kernels are made once;
// the output buffer can be read back or drawn straight from the GPU (the demo's canvas).
import type { GpuContext } from '../gpu/context.js';
import { ArgumentError, DestroyedError, requirePositiveInteger } from '../base/errors.js';
import type { BoundKernel, Kernel } from '../kernels/kernel.js';
import { createRandomFill } from '../kernels/random.js';
import { MlpWeights } from '../nn/mlp.js';
import { forwardKernels } from '../nn/passes.js';
import type { TensorMap } from '../io/safetensors.js';
import { generatorSpec, type GanConfig } from './config.js';
import { importGenerator } from './state.js';
import { STREAM } from './trainer.js';

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

export class GanSampler {
  private noiseKernel: BoundKernel;
  private destroyed = false;

  private constructor(
    private readonly ctx: GpuContext,
    readonly config: GanConfig,
    readonly count: number,
    readonly noise: GPUBuffer,
    /** count × dataDim: the samples after record()/sample(). */
    readonly output: GPUBuffer,
    private readonly hidden: GPUBuffer[],
    noiseKernel: BoundKernel,
    private readonly forward: Kernel[],
    /** A conditional generator's labels (count) and its first layer's one-hot rows; null otherwise. */
    private readonly conditioning: { labels: GPUBuffer; onehot: GPUBuffer } | null,
  ) {
    this.noiseKernel = noiseKernel;
  }

  static async create(
    ctx: GpuContext,
    config: GanConfig,
    generator: MlpWeights,
    options: SamplerOptions,
  ): Promise<GanSampler> {
    const count = requirePositiveInteger('count', options.count);
    if (options.useEma !== false && !generator.ema)
      throw new ArgumentError('useEma', 'this generator keeps no moving average');
    const labels =
      config.classes > 0
        ? checkedLabels(options.labels ?? defaultLabels(count, config.classes), count, config.classes)
        : null;
    if (options.labels !== undefined && !labels)
      throw new ArgumentError('labels', 'are for a conditional generator; this one has no classes');
    const mem = ctx.memory;
    const noise = mem.createStorage('sample noise', count * config.noiseDim);
    const output = mem.createStorage('samples', count * config.dataDim);
    const hidden = config.generatorHidden.map((w, i) => mem.createStorage(`sample h${i + 1}`, count * w));
    const conditioning = labels
      ? {
          labels: mem.createStorage('sample labels', labels),
          onehot: mem.createStorage('sample one-hot labels', count * config.classes),
        }
      : null;
    const owned = [noise, output, ...hidden, ...(conditioning ? [conditioning.labels, conditioning.onehot] : [])];
    const kernels: Kernel[] = [];
    try {
      const noiseKernel = await GanSampler.noiseFill(ctx, config, noise, count, options.seed ?? config.seed);
      kernels.push(noiseKernel);
      const weights = options.useEma === false ? generator.weights : generator.ema!;
      const condition = conditioning && { labels: conditioning.labels, labelRows: count, onehot: conditioning.onehot };
      kernels.push(
        ...(await forwardKernels(ctx, generator, {
          rows: count,
          input: noise,
          outputs: [...hidden, output],
          weights,
          ...(condition && { condition }),
        })),
      );
      const sampler = new GanSampler(
        ctx,
        config,
        count,
        noise,
        output,
        hidden,
        noiseKernel,
        kernels.slice(1),
        conditioning,
      );
      sampler.regenerateNoise();
      return sampler;
    } catch (error) {
      for (const k of kernels) k.destroy();
      for (const b of owned) mem.release(b);
      throw error;
    }
  }

  private static noiseFill(
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
      stream: STREAM.sampleNoise,
      distribution: { kind: 'normal' },
      label: 'sample noise',
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
    const next = await GanSampler.noiseFill(this.ctx, this.config, this.noise, this.count, seed);
    this.noiseKernel.destroy();
    this.noiseKernel = next;
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
    if (!this.conditioning)
      throw new ArgumentError('labels', 'are for a conditional generator; this one has no classes');
    this.ctx.write(this.conditioning.labels, checkedLabels(labels, this.count, this.config.classes));
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
  }

  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.noiseKernel.destroy();
    for (const k of this.forward) k.destroy();
    for (const b of [this.noise, this.output, ...this.hidden]) this.ctx.memory.release(b);
    if (this.conditioning) for (const b of Object.values(this.conditioning)) this.ctx.memory.release(b);
  }
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

/** A generator (with its moving average) loaded from a checkpoint, for sampling without training. */
export function loadGenerator(ctx: GpuContext, checkpoint: { config: GanConfig; tensors: TensorMap }): MlpWeights {
  const generator = new MlpWeights(ctx, generatorSpec(checkpoint.config), 'generator', true);
  try {
    importGenerator(ctx, checkpoint.config, generator, checkpoint.tensors);
    return generator;
  } catch (error) {
    generator.destroy();
    throw error;
  }
}
