// A checkpoint's discriminator, loaded to run forward (and pass gradients back to its input)
// without training: image repair's realism term. A spectrally normalised discriminator is stored
// as its weights before normalisation with each layer's power-iteration vector u; what it computed
// with is W / σ, so that is what this loads, σ from one power-iteration step from the stored u
// (the step every use of W makes in training), in float64.
import type { GpuContext } from '../gpu/context.js';
import { ArgumentError } from '../base/errors.js';
import { MlpWeights, type MlpLayout } from '../nn/mlp.js';
import { flattenMlpTensors } from '../nn/tensors.js';
import type { TensorMap } from '../io/safetensors.js';
import { discriminatorSpec, requireGanConfig, type GanConfig } from './config.js';
import { tensorProblem } from './state.js';
import { requireMlp } from './networks.js';
import { requireContext, requireInstance, requireObject } from '../base/arguments.js';

export function loadDiscriminator(ctx: GpuContext, checkpoint: { config: GanConfig; tensors: TensorMap }): MlpWeights {
  requireContext(ctx);
  requireObject('checkpoint', checkpoint, 'a checkpoint (decodeCheckpoint())');
  requireGanConfig('checkpoint.config', checkpoint.config);
  requireInstance('checkpoint.tensors', checkpoint.tensors, Map, 'a Map of tensors');
  const { config, tensors } = checkpoint;
  requireMlp(config);
  const problem = tensorProblem(config, tensors, (prefix) => prefix === 'discriminator');
  if (problem) throw new ArgumentError('checkpoint', problem);
  const discriminator = new MlpWeights(ctx, discriminatorSpec(config), 'discriminator', false);
  const flat = flattenMlpTensors(discriminator.layout, 'discriminator', tensors);
  if (config.spectralNorm) normalizeSpectrally(discriminator.layout, flat, tensors);
  ctx.write(discriminator.weights, flat);
  return discriminator;
}

/** Divides each layer's weight in `flat` by its σ from the checkpoint's u. */
function normalizeSpectrally(layout: MlpLayout, flat: Float32Array, tensors: TensorMap): void {
  for (const layer of layout.layers) {
    const u = tensors.get(`discriminator.${layer.weight.name}_u`)!.data;
    const { offset } = layer.weight;
    const w = flat.subarray(offset, offset + layer.weight.count);
    const sigma = largestSingularValue(w, layer.outFeatures, layer.inFeatures, u);
    for (let i = 0; i < w.length; i++) w[i] = w[i]! / sigma;
  }
}

/** σ ≈ ‖W v‖ with v = Wᵀu / ‖Wᵀu‖: one power-iteration step, as training takes before each use. */
export function largestSingularValue(w: ArrayLike<number>, rows: number, cols: number, u: ArrayLike<number>): number {
  const t = new Float64Array(cols);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) t[j]! += w[i * cols + j]! * u[i]!;
  const tNorm = Math.max(Math.sqrt(t.reduce((sum, x) => sum + x * x, 0)), 1e-12);
  let sSquared = 0;
  for (let i = 0; i < rows; i++) {
    let s = 0;
    for (let j = 0; j < cols; j++) s += w[i * cols + j]! * t[j]!;
    sSquared += s * s;
  }
  return Math.max(Math.sqrt(sSquared) / tNorm, 1e-12);
}
