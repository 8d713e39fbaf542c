// The trainer's full state as named tensors (for checkpoints): both networks' weights in
// torch.nn.Linear layout, the generator's moving average, both Adam moments, the step, and with
// spectral normalisation each discriminator layer's power-iteration vector
// ("discriminator.<i>.weight_u", as torch.nn.utils.spectral_norm names it; "discriminator.<i>.weight"
// holds the weights before normalisation, spectral_norm's weight_orig). A conditional first layer's
// weights take a plain one-hot, whatever hot value it trained with; its moments are as trained.
// Together with the configuration (seed included) this determines all future training, since
// noise and batches are pure functions of (seed, step). The names and shapes follow from the
// configuration alone, so a checkpoint is checked against them before any GPU work.
// Layer-list networks (DCGAN) keep the same prefixes under nn.Sequential's names: networkState.ts.
import { ArgumentError } from '../base/errors.js';
import type { GpuContext } from '../gpu/context.js';
import { MlpWeights, mlpLayout, type MlpLayout, type MlpParameters } from '../nn/mlp.js';
import type { NetworkParameters, NetworkWeights } from '../nn/network.js';
import { discriminatorSpec, generatorSpec, type GanConfig } from './config.js';
import type { GanTrainer } from './trainer.js';
import { usesLayerLists } from './networks.js';
import type { IntegerTensorMap, TensorMap } from '../io/safetensors.js';
import { addMlpTensors, flattenMlpTensors, mlpTensorProblem, type ScaleOf } from '../nn/tensors.js';
import {
  exportNetworkTensors,
  importNetworkTensors,
  networkCounters,
  networkStateProblem,
  PREFIXES,
  type LayerListState,
  type Role,
  type Network,
} from './networkState.js';

/** Weights are saved for a plain one-hot input; Adam's moments as trained (see nn/tensors.ts). */
function scaleOf(role: Role): ScaleOf {
  return role === 'moment1' || role === 'moment2' ? 'as-trained' : 'parameters';
}

function layouts(config: GanConfig): Record<Network, MlpLayout> {
  return { generator: mlpLayout(generatorSpec(config)), discriminator: mlpLayout(discriminatorSpec(config)) };
}

/**
 * Why `tensors` cannot be this configuration's state, or null: every tensor present with its
 * shape, every value finite, and Adam's second moments (running means of squares) not negative.
 */
export function tensorProblem(
  config: GanConfig,
  tensors: TensorMap,
  only?: (prefix: string) => boolean,
  integers: IntegerTensorMap = new Map(),
): string | null {
  if (usesLayerLists(config)) return networkStateProblem(config, tensors, integers, only);
  const byNetwork = layouts(config);
  for (const [prefix, network, role] of PREFIXES) {
    if (only && !only(prefix)) continue;
    const nonNegative = role === 'moment2' ? "Adam's running mean of squared gradients" : undefined;
    const problem = mlpTensorProblem(byNetwork[network], prefix, tensors, nonNegative ? { nonNegative } : {});
    if (problem) return problem;
  }
  if (only && !only('discriminator')) return null;
  for (const { name, rows } of spectralVectors(config)) {
    const tensor = tensors.get(name);
    if (!tensor) return `has no tensor "${name}" (spectral normalisation's vector)`;
    if (tensor.shape.join('x') !== String(rows))
      return `tensor "${name}" has shape [${tensor.shape}] but this model needs [${rows}]`;
    if (!tensor.data.every(Number.isFinite)) return `tensor "${name}" contains NaN or infinite values`;
  }
  return null;
}

/** The power-iteration vectors a configuration's state holds: one per discriminator layer, or none. */
function spectralVectors(config: GanConfig): Array<{ name: string; rows: number }> {
  if (!config.spectralNorm) return [];
  return layouts(config).discriminator.layers.map((layer) => ({
    name: `discriminator.${layer.weight.name}_u`,
    rows: layer.outFeatures,
  }));
}

/** The int64 tensors of a checkpoint at `step` (batch norms' counters; none for the MLP). */
export function exportIntegers(config: GanConfig, step: number, only?: (prefix: string) => boolean): IntegerTensorMap {
  return usesLayerLists(config) ? networkCounters(config, step, only) : new Map();
}

/** The trainer's networks as layer lists, for networkState.ts (which is only called for them). */
function layerLists(trainer: GanTrainer): LayerListState {
  return {
    config: trainer.config,
    generator: trainer.generator as NetworkParameters,
    discriminator: trainer.discriminator as NetworkParameters,
    spectralNorm: trainer.spectralNorm,
  };
}

/** The MLP's networks (state.ts's own layout). */
function mlps(trainer: GanTrainer): Record<Network, MlpParameters> {
  return { generator: trainer.generator as MlpParameters, discriminator: trainer.discriminator as MlpParameters };
}

export async function exportTensors(trainer: GanTrainer, only?: (prefix: string) => boolean): Promise<TensorMap> {
  if (usesLayerLists(trainer.config)) return exportNetworkTensors(trainer.ctx, layerLists(trainer), only);
  const tensors: TensorMap = new Map();
  const networks = mlps(trainer);
  for (const [prefix, network, role] of PREFIXES) {
    if (only && !only(prefix)) continue;
    const mlp = networks[network];
    addMlpTensors(mlp.layout, prefix, await trainer.ctx.readF32(mlp.buffers()[role]!), tensors, scaleOf(role));
  }
  const vectors = trainer.spectralNorm?.vectors() ?? [];
  if (vectors.length > 0 && (!only || only('discriminator'))) {
    const all = await trainer.ctx.readF32(vectors[0]!.buffer);
    spectralVectors(trainer.config).forEach(({ name, rows }, l) => {
      const from = vectors[l]!.offset / 4;
      tensors.set(name, { shape: [rows], data: all.slice(from, from + rows) });
    });
  }
  return tensors;
}

/** Writes every tensor back. All must be valid state for the trainer's configuration; checked before any write. */
/** The networks' tensors, without the optimiser's: what a model file holds. */
export const isWeights = (prefix: string) => !prefix.startsWith('optimizer.');

/**
 * Writes checked tensors into the trainer. With `weightsOnly` (a model file's) Adam's moments are
 * not read but zeroed: the optimiser starts afresh on the restored weights.
 */
export function importTensors(
  trainer: GanTrainer,
  tensors: TensorMap,
  integers: IntegerTensorMap = new Map(),
  weightsOnly = false,
): void {
  const only = weightsOnly ? isWeights : undefined;
  const problem = tensorProblem(trainer.config, tensors, only, integers);
  if (problem) throw new ArgumentError('checkpoint', problem);
  const { ctx } = trainer;
  const networks = [trainer.generator, trainer.discriminator] as Array<MlpParameters | NetworkParameters>;
  if (weightsOnly)
    for (const net of networks)
      for (const moment of [net.moment1, net.moment2]) ctx.write(moment, new Float32Array(moment.size / 4));
  if (usesLayerLists(trainer.config)) {
    importNetworkTensors(ctx, layerLists(trainer), tensors, only);
    return;
  }
  const mlpNetworks = mlps(trainer);
  for (const [prefix, network, role] of PREFIXES) {
    if (only && !only(prefix)) continue;
    const mlp = mlpNetworks[network];
    ctx.write(mlp.buffers()[role]!, flattenMlpTensors(mlp.layout, prefix, tensors, scaleOf(role)));
  }
  const vectors = trainer.spectralNorm?.vectors() ?? [];
  spectralVectors(trainer.config).forEach(({ name }, l) => {
    const { buffer, offset } = vectors[l]!;
    ctx.write(buffer, tensors.get(name)!.data, offset);
  });
}

/** Writes a checkpoint's generator and its moving average into `generator` (for sampling only). */
export function importGenerator(
  ctx: GpuContext,
  config: GanConfig,
  generator: MlpWeights | NetworkWeights,
  tensors: TensorMap,
  integers: IntegerTensorMap = new Map(),
): void {
  const isGenerator = (prefix: string) => prefix === 'generator' || prefix === 'generator_ema';
  const problem = tensorProblem(config, tensors, isGenerator, integers);
  if (problem) throw new ArgumentError('checkpoint', problem);
  if (!(generator instanceof MlpWeights)) {
    const state = { config, generator, discriminator: null, spectralNorm: null };
    importNetworkTensors(ctx, state, tensors, isGenerator);
    return;
  }
  ctx.write(generator.weights, flattenMlpTensors(generator.layout, 'generator', tensors));
  ctx.write(generator.ema!, flattenMlpTensors(generator.layout, 'generator_ema', tensors));
}
