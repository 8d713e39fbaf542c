// A checkpoint's discriminator, loaded to run forward (and pass gradients back to its input)
// without training: image repair's realism term. A spectrally normalised discriminator is stored
// as its weights before normalisation with each layer's power-iteration vector u; what it computed
// with is W / σ, so that is what this loads, σ from one power-iteration step from the stored u
// (the step every use of W makes in training), in float64. A convolution's weight is the matrix
// [out, in·kh·kw], as training normalises it; a first layer's class columns are not normalised.
// A weight-normalised one is stored as v and g and loads as g · v / ‖v‖, also in float64.
// Its batch norms (a DCGAN's D without spectral normalisation) run on their running estimates.
import type { GpuContext } from '../gpu/context.js';
import { ArgumentError } from '../base/errors.js';
import { NetworkWeights } from '../nn/network.js';
import { flatFromTensors } from '../nn/networkTensors.js';
import { applyWeightNorm } from '../nn/networkWeightNorm.js';
import type { ModelLayout } from '../nn/model.js';
import type { IntegerTensorMap, TensorMap } from '../io/safetensors.js';
import { requireGanConfig, type GanConfig } from './config.js';
import { tensorProblem } from './state.js';
import { discriminatorNetworkSpec, requireRepairable } from './networks.js';
import { requireContext, requireInstance, requireObject } from '../base/arguments.js';

export function loadDiscriminator(
  ctx: GpuContext,
  checkpoint: { config: GanConfig; tensors: TensorMap; integers?: IntegerTensorMap },
): NetworkWeights {
  requireContext(ctx);
  requireObject('checkpoint', checkpoint, 'a checkpoint (decodeCheckpoint())');
  requireGanConfig('checkpoint.config', checkpoint.config);
  requireInstance('checkpoint.tensors', checkpoint.tensors, Map, 'a Map of tensors');
  const { config, tensors } = checkpoint;
  requireRepairable(config);
  const problem = tensorProblem(config, tensors, (prefix) => prefix === 'discriminator', checkpoint.integers);
  if (problem) throw new ArgumentError('checkpoint', problem);
  const discriminator = new NetworkWeights(ctx, discriminatorNetworkSpec(config), 'discriminator', false);
  const flat = flatFromTensors(discriminator.layout, 'discriminator', tensors);
  if (config.spectralNorm) normalizeSpectrally(discriminator.layout, flat.parameters, tensors);
  if (config.weightNorm) applyWeightNorm(discriminator.layout, flat.parameters);
  ctx.write(discriminator.weights, flat.parameters);
  ctx.write(discriminator.state, flat.state);
  return discriminator;
}

/** Divides each linear and convolution weight in `flat` by its σ from the checkpoint's u. */
function normalizeSpectrally(layout: ModelLayout, flat: Float32Array, tensors: TensorMap): void {
  for (const p of layout.layers) {
    if (p.layer.kind !== 'linear' && p.layer.kind !== 'conv2d') continue;
    const weight = p.weight!;
    const u = tensors.get(`discriminator.${weight.name}_u`)!.data;
    const w = flat.subarray(weight.offset, weight.offset + weight.count);
    const rows = weight.shape[0]!;
    const sigma = largestSingularValue(w, rows, weight.count / rows, u);
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
