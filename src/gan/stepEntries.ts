// Step entries of the training step (networkStep.ts) built apart from the networks' passes: Adam on
// one network, and the two parts of spectral normalisation.
import type { GpuContext } from '../gpu/context.js';
import { createAdam } from '../kernels/adam.js';
import type { StepCounter } from '../kernels/counter.js';
import type { TensorRef } from '../kernels/kernel.js';
import type { SpectralNorm } from '../kernels/spectralNorm.js';
import type { WeightNorm } from '../kernels/weightNorm.js';
import { learningRates, type GanConfig } from './config.js';

/** One entry of the step, as the trainer records it: a kernel (one or more dispatches), e.g. to time each (bench/). */
export interface StepKernel {
  readonly label: string;
  /** Dispatches it records (split-K matmuls record two). */
  readonly dispatches?: number;
  record(pass: GPUComputePassEncoder): void;
}

/** One entry of a step as these build it: a kernel that records its dispatches and is destroyed with the step. */
export interface StepEntry {
  readonly label: string;
  readonly dispatches?: number;
  record(pass: GPUComputePassEncoder): void;
  destroy(): void;
}

/** The trained state of one network that Adam updates: flat buffers of the same length. */
export interface OptimizedNetwork {
  readonly weights: GPUBuffer;
  readonly grads: GPUBuffer;
  readonly moment1: GPUBuffer;
  readonly moment2: GPUBuffer;
  /** The generator's moving average, updated in the same kernel. */
  readonly ema?: GPUBuffer | null;
}

/**
 * Adam on one network's `floats` floats at the step's t (counter word 1): the discriminator's, or
 * the generator's, which also commits the step counter and updates the moving average.
 */
export function adamUpdate(
  ctx: GpuContext,
  c: GanConfig,
  which: 'discriminator' | 'generator',
  net: OptimizedNetwork,
  floats: number,
  counter: StepCounter,
  nonFiniteFlag: TensorRef,
): Promise<StepEntry> {
  const generator = which === 'generator';
  return createAdam(ctx, {
    n: floats,
    weights: net.weights,
    grads: net.grads,
    moment1: net.moment1,
    moment2: net.moment2,
    stepCount: counter.buffer,
    stepWord: 1,
    ...(generator && { commitStep: true }),
    beta1: c.beta1,
    beta2: c.beta2,
    epsilon: c.epsilon,
    weightDecay: 0,
    lr: learningRates(c)[which],
    ...(generator && { ema: { weights: net.ema!, decay: c.emaDecay, warmup: c.emaWarmup } }),
    nonFiniteFlag,
    label: generator ? 'Adam G' : 'Adam D',
  });
}

/**
 * A step entry that records part of spectral normalisation (the MLP's step and the layer-list
 * networks' alike); the trainer owns the kernels.
 */
export function spectralStep(sn: SpectralNorm, part: 'normalize' | 'gradients'): StepEntry {
  return part === 'normalize'
    ? {
        label: `${sn.label}: power iteration, W / σ`,
        dispatches: 3,
        record: (p) => sn.recordNormalize(p),
        destroy() {},
      }
    : {
        label: `${sn.label}: gradients of W`,
        dispatches: 2,
        record: (p) => sn.recordGradientCorrection(p),
        destroy() {},
      };
}

/** A step entry that records part of weight normalisation; the trainer owns the kernels. */
export function weightNormStep(wn: WeightNorm, part: 'normalize' | 'gradients'): StepEntry {
  return part === 'normalize'
    ? { label: `${wn.label}: g · v / ‖v‖`, dispatches: 1, record: (p) => wn.recordNormalize(p), destroy() {} }
    : {
        label: `${wn.label}: gradients of v and g`,
        dispatches: 1,
        record: (p) => wn.recordGradientCorrection(p),
        destroy() {},
      };
}
