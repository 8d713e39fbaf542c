// Forward and backward passes of an MLP as lists of bound kernels over buffers the caller owns.
// Backward follows the design: dZ = dY ⊙ f'(y) is fused into the matmul that produces dY (the
// gate epilogue), weight gradients are dZᵀ·X, and bias gradients (Σ_rows dZ) are the row sums
// that same matmul accumulates from its tiles.
import type { GpuContext } from '../gpu/context.js';
import { ArgumentError } from '../base/errors.js';
import { createMatmul, type MatmulSpec } from '../kernels/matmul.js';
import type { Kernel, TensorRef } from '../kernels/kernel.js';
import { viewRef, type MlpParameters, type MlpWeights } from './mlp.js';

export interface ForwardSpec {
  rows: number;
  /** rows × widths[0]. */
  input: TensorRef;
  /** One per layer: rows × widths[l + 1], the activated outputs (kept for backward). */
  outputs: TensorRef[];
  /** Use these weights instead of the trained ones (e.g. the EMA copy); same layout. */
  weights?: GPUBuffer;
  /** Only the first this many layers (the caller computes the rest, e.g. with a fused head). */
  layers?: number;
}

export async function forwardKernels(ctx: GpuContext, mlp: MlpWeights, spec: ForwardSpec): Promise<Kernel[]> {
  const kernels: Kernel[] = [];
  try {
    for (const matmul of forwardMatmulSpecs(mlp, spec)) kernels.push(await createMatmul(ctx, matmul));
    return kernels;
  } catch (error) {
    for (const k of kernels) k.destroy();
    throw error;
  }
}

/** The forward pass as matmul specs, one per layer, not yet built. */
export function forwardMatmulSpecs(mlp: MlpWeights, spec: ForwardSpec): MatmulSpec[] {
  const weights = spec.weights ?? mlp.weights;
  const specs: MatmulSpec[] = [];
  for (const [l, layer] of mlp.layout.layers.slice(0, layerCount(mlp, spec.layers)).entries()) {
    specs.push({
      m: spec.rows,
      n: layer.outFeatures,
      k: layer.inFeatures,
      a: l === 0 ? spec.input : spec.outputs[l - 1]!,
      b: viewRef(weights, layer.weight),
      transposeB: true,
      bias: viewRef(weights, layer.bias),
      c: spec.outputs[l]!,
      activation: layer.activation,
      leakySlope: mlp.spec.leakySlope,
      label: `${mlp.label} forward ${l}`,
    });
  }
  return specs;
}

export interface BackwardSpec {
  rows: number;
  input: TensorRef;
  outputs: TensorRef[];
  /**
   * One per layer: rows × widths[l + 1], dLoss/d(pre-activation). The top one (of layer
   * `layers` − 1) is filled by the caller (the loss gradient, or dLoss/dy ⊙ f'); the kernels fill
   * the others.
   */
  preActivationGrads: TensorRef[];
  /** Only the first this many layers: the caller has done the backward pass of the rest. */
  layers?: number;
  /** Also compute dLoss/d(input), optionally times f'(input) of the layer that made the input. */
  inputGrad?: { output: TensorRef; gate?: { kind: 'leaky-relu' | 'tanh' | 'sigmoid'; leakySlope: number } };
  /** Skip weight and bias gradients (when only the input gradient is wanted). */
  inputGradOnly?: boolean;
  /** The weights the forward pass used, if not the trained ones (e.g. spectrally normalised); same layout. */
  weights?: GPUBuffer;
}

export async function backwardKernels(
  ctx: GpuContext,
  mlp: MlpParameters | MlpWeights,
  spec: BackwardSpec,
): Promise<Kernel[]> {
  return createMatmuls(ctx, backwardMatmulSpecs(mlp, spec));
}

/**
 * The backward pass as matmul specs, in the order they run, not yet built. Forward-only weights
 * (MlpWeights) have no gradient buffers, so they take only an input gradient (inputGradOnly): the
 * latent search of image repair differentiates with respect to the noise, not the weights.
 */
export function backwardMatmulSpecs(mlp: MlpParameters | MlpWeights, spec: BackwardSpec): MatmulSpec[] {
  if (!spec.inputGradOnly && !('grads' in mlp))
    throw new ArgumentError(
      'inputGradOnly',
      `${mlp.label} holds no gradients: it can only pass an input gradient back`,
    );
  const specs: MatmulSpec[] = [];
  const layers = mlp.layout.layers;
  const weights = spec.weights ?? mlp.weights;
  for (let l = layerCount(mlp, spec.layers) - 1; l >= 0; l--) {
    const layer = layers[l]!;
    const dZ = spec.preActivationGrads[l]!;
    const x = l === 0 ? spec.input : spec.outputs[l - 1]!;
    if (!spec.inputGradOnly) {
      specs.push({
        m: layer.outFeatures,
        n: layer.inFeatures,
        k: spec.rows,
        a: dZ,
        transposeA: true,
        b: x,
        c: viewRef((mlp as MlpParameters).grads, layer.weight),
        rowSums: viewRef((mlp as MlpParameters).grads, layer.bias),
        label: `${mlp.label} weight+bias grad ${l}`,
      });
    }
    if (l > 0) {
      const previous = layers[l - 1]!;
      specs.push({
        m: spec.rows,
        n: layer.inFeatures,
        k: layer.outFeatures,
        a: dZ,
        b: viewRef(weights, layer.weight),
        c: spec.preActivationGrads[l - 1]!,
        gate: previous.activation === 'none' ? undefined : { kind: previous.activation, output: spec.outputs[l - 1]! },
        leakySlope: mlp.spec.leakySlope,
        label: `${mlp.label} input grad ${l}`,
      });
    } else if (spec.inputGrad) {
      const gate = spec.inputGrad.gate;
      specs.push({
        m: spec.rows,
        n: layer.inFeatures,
        k: layer.outFeatures,
        a: dZ,
        b: viewRef(weights, layer.weight),
        c: spec.inputGrad.output,
        gate: gate ? { kind: gate.kind, output: spec.input } : undefined,
        leakySlope: gate?.leakySlope ?? mlp.spec.leakySlope,
        label: `${mlp.label} input grad 0`,
      });
    }
  }
  return specs;
}

/** Builds specs in order; on a failure, destroys what was built and rethrows. */
async function createMatmuls(ctx: GpuContext, specs: MatmulSpec[]): Promise<Kernel[]> {
  const kernels: Kernel[] = [];
  try {
    for (const spec of specs) kernels.push(await createMatmul(ctx, spec));
    return kernels;
  } catch (error) {
    for (const k of kernels) k.destroy();
    throw error;
  }
}

function layerCount(mlp: MlpWeights, layers: number | undefined): number {
  const all = mlp.layout.layers.length;
  if (layers === undefined) return all;
  if (!Number.isInteger(layers) || layers < 0 || layers > all)
    throw new ArgumentError('layers', `must be an integer in [0, ${all}], got ${layers}`);
  return layers;
}
