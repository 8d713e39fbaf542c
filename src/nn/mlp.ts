// A multilayer perceptron's parameters on the GPU: every layer's weight and bias laid end to end
// in one flat buffer (so one Adam dispatch updates the whole network and a checkpoint is a few
// contiguous reads), with gradients and Adam moments beside it for training (MlpParameters) or
// without them for running forward only (MlpWeights), and optionally a moving average.
// Weights are stored [out_features, in_features] like torch.nn.Linear, so checkpoints need no
// transposes; the forward pass multiplies by Wᵀ through the matmul's transposeB.
import { ArgumentError, requireFinite, requirePositiveInteger } from '../base/errors.js';
import type { GpuContext } from '../gpu/context.js';
import type { Activation } from '../kernels/kernel.js';

export interface MlpSpec {
  /** [inputs, hidden…, outputs]. */
  widths: number[];
  /** After every layer but the last. */
  hidden: Exclude<Activation, 'none'>;
  /** After the last layer ('none' for logits). */
  output: Activation;
  leakySlope: number;
}

export interface TensorView {
  /** torch-style name within the network, e.g. "0.weight" (index of the Linear in nn.Sequential). */
  name: string;
  /** In floats from the start of the flat buffer. */
  offset: number;
  shape: number[];
  count: number;
}

export interface LayerLayout {
  inFeatures: number;
  outFeatures: number;
  activation: Activation;
  weight: TensorView;
  bias: TensorView;
}

export interface MlpLayout {
  layers: LayerLayout[];
  /** Floats in the flat buffer, padding included. */
  totalFloats: number;
  /** Real parameters (no padding). */
  parameterCount: number;
}

/** Views start on 256-byte boundaries, the largest minStorageBufferOffsetAlignment WebGPU allows. */
const VIEW_ALIGNMENT_FLOATS = 64;

export function checkMlpSpec(spec: MlpSpec, argument = 'mlp'): MlpSpec {
  if (!Array.isArray(spec.widths) || spec.widths.length < 2)
    throw new ArgumentError(`${argument}.widths`, 'needs at least an input and an output width');
  spec.widths.forEach((w, i) => {
    requirePositiveInteger(`${argument}.widths[${i}]`, w);
  });
  requireFinite(`${argument}.leakySlope`, spec.leakySlope);
  return spec;
}

export function mlpLayout(spec: MlpSpec): MlpLayout {
  checkMlpSpec(spec);
  const layers: LayerLayout[] = [];
  let offset = 0;
  let parameterCount = 0;
  const view = (name: string, shape: number[]): TensorView => {
    const count = shape.reduce((a, b) => a * b, 1);
    const v = { name, offset, shape, count };
    offset += Math.ceil(count / VIEW_ALIGNMENT_FLOATS) * VIEW_ALIGNMENT_FLOATS;
    parameterCount += count;
    return v;
  };
  for (let l = 0; l + 1 < spec.widths.length; l++) {
    const [inFeatures, outFeatures] = [spec.widths[l]!, spec.widths[l + 1]!];
    const last = l + 2 === spec.widths.length;
    // In nn.Sequential(Linear, act, Linear, act, …) the Linear layers sit at indices 0, 2, 4, …
    layers.push({
      inFeatures,
      outFeatures,
      activation: last ? spec.output : spec.hidden,
      weight: view(`${2 * l}.weight`, [outFeatures, inFeatures]),
      bias: view(`${2 * l}.bias`, [outFeatures]),
    });
  }
  return { layers, totalFloats: offset, parameterCount };
}

/**
 * A one-hot's hot entry: a power of two (1 to 64), so that scaling the class columns by it to save
 * them, and back to load them, is exact and a resumed run continues bit for bit.
 */
export function requireOneHotValue(argument: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(Math.log2(value)) || value < 1 || value > 64)
    throw new ArgumentError(argument, `must be a power of two from 1 to 64 (e.g. 16), got ${String(value)}`);
  return value;
}

/** A binding range for a view inside a flat buffer. */
export function viewRef(buffer: GPUBuffer, view: TensorView): { buffer: GPUBuffer; offset: number; size: number } {
  return { buffer, offset: view.offset * 4, size: view.count * 4 };
}

/**
 * A network's weights on the GPU, and optionally a moving average of them: all that running it
 * forward needs (sampling, scoring).
 */
export class MlpWeights {
  readonly layout: MlpLayout;
  readonly weights: GPUBuffer;
  readonly ema: GPUBuffer | null;
  private freed = false;

  constructor(
    protected readonly ctx: GpuContext,
    readonly spec: MlpSpec,
    readonly label: string,
    withEma: boolean,
  ) {
    this.layout = mlpLayout(spec);
    const floats = this.layout.totalFloats;
    this.weights = ctx.memory.createStorage(`${label} weights`, floats);
    this.ema = withEma ? ctx.memory.createStorage(`${label} ema weights`, floats) : null;
  }

  /** Whether destroy() has freed the weights (a sampler made from them then refuses to run). */
  get destroyed(): boolean {
    return this.freed;
  }

  destroy(): void {
    this.freed = true;
    for (const buffer of [this.weights, this.ema]) {
      if (buffer) this.ctx.memory.release(buffer);
    }
  }
}

/** The GPU state of one network in training: its weights, gradients, Adam moments and optional EMA copy. */
export class MlpParameters extends MlpWeights {
  readonly grads: GPUBuffer;
  readonly moment1: GPUBuffer;
  readonly moment2: GPUBuffer;

  constructor(ctx: GpuContext, spec: MlpSpec, label: string, withEma: boolean) {
    super(ctx, spec, label, withEma);
    const floats = this.layout.totalFloats;
    this.grads = ctx.memory.createStorage(`${label} grads`, floats);
    this.moment1 = ctx.memory.createStorage(`${label} adam m`, floats);
    this.moment2 = ctx.memory.createStorage(`${label} adam v`, floats);
  }

  /** The flat buffers by role, for checkpoints. */
  buffers(): Record<string, GPUBuffer> {
    const all: Record<string, GPUBuffer> = { weights: this.weights, moment1: this.moment1, moment2: this.moment2 };
    if (this.ema) all.ema = this.ema;
    return all;
  }

  override destroy(): void {
    super.destroy();
    for (const buffer of [this.grads, this.moment1, this.moment2]) this.ctx.memory.release(buffer);
  }
}
