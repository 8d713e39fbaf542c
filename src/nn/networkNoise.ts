// A Gaussian-noise layer's kernels (Salimans et al. 2016's regulariser of a semi-supervised D):
// in training each value gains σ·n, n ~ N(0, 1) drawn by Philox from the pass's stream and the
// step counter, so a step's noise is new each step and the same on a resumed run; in eval mode the
// layer is the identity. Its backward is the identity too, and it is where the previous block's
// activation derivative is folded into the gradient, since the layer computes nothing of its own.
import { ArgumentError } from '../base/errors.js';
import { createActivationBackward, createActivationForward } from '../kernels/activation.js';
import { createNoise } from '../kernels/degrade.js';
import type { GpuContext } from '../gpu/context.js';
import type { Activation, Kernel, TensorRef } from '../kernels/kernel.js';

/** The numbers a pass's Gaussian-noise layers draw: Philox(seed; chunk, step, firstStream + block). */
export interface NoiseDraw {
  seed: number;
  /** A step counter: each step draws new noise with no upload. */
  stepCount: TensorRef;
  /** Which of its words holds the step (createBatchGather's advanced counter: 1). */
  stepWord: 0 | 1;
  /** Block b's layer draws from stream firstStream + b, so each pass through a network needs its own. */
  firstStream: number;
}

/** A kernel to build: what network.ts's planner calls a PlannedKernel. */
type Planned = { build: (ctx: GpuContext) => Promise<Kernel> };

/** Where and what a noise block runs on: `n` values of the pass from `input` into `output`. */
export interface NoiseBlock {
  sigma: number;
  n: number;
  input: TensorRef;
  output: TensorRef;
  label: string;
}

/**
 * A Gaussian-noise block's forward: x + σ·n in training, a copy in eval mode (or with σ = 0).
 * `draw` is the pass's (required for training noise) and `block` the block's index in its network.
 */
export function gaussianNoise(
  layer: NoiseBlock,
  mode: 'train' | 'eval',
  draw: NoiseDraw | undefined,
  block: number,
  network: string,
): Planned {
  const { sigma, n, input, output, label } = layer;
  if (mode === 'eval' || sigma === 0)
    return { build: (ctx) => createActivationForward(ctx, { activation: 'none', n, input, output, label }) };
  if (!draw) throw new ArgumentError('noise', `${network} has a Gaussian-noise layer: a training pass needs its draw`);
  return {
    build: (ctx) =>
      createNoise(ctx, {
        kind: 'gaussian',
        clamp: false,
        n,
        amount: sigma,
        seed: draw.seed,
        stream: draw.firstStream + block,
        stepCount: draw.stepCount,
        stepWord: draw.stepWord,
        source: input,
        result: output,
        label,
      }),
  };
}

/**
 * The block's backward, and an add-input block's: dL/d(input) = dL/d(output) over `n` values, times
 * f' of the block before it where that block's activation is to be folded in (`gated`, read from
 * that block's output).
 */
export function passThroughBackward(
  n: number,
  grad: TensorRef,
  target: TensorRef,
  gated: { gate: { kind: Exclude<Activation, 'none'>; output: TensorRef }; leakySlope: number } | undefined,
  label: string,
): Planned {
  return {
    build: (ctx) =>
      createActivationBackward(ctx, {
        activation: gated?.gate.kind ?? 'none',
        n,
        gradOutput: grad,
        output: gated?.gate.output ?? grad,
        gradInput: target,
        ...(gated && { leakySlope: gated.leakySlope }),
        label: `${label} (pass-through)`,
      }),
  };
}
