// The trainer's full state as named tensors (for checkpoints): both networks' weights under
// nn.Sequential's names (torch.nn.Linear and convolution layouts), the generator's moving average,
// both Adam moments, batch norms' running statistics and counters, and with spectral normalisation
// each normalised layer's power-iteration vector ("discriminator.<i>.weight_u", as
// torch.nn.utils.spectral_norm names it; "discriminator.<i>.weight" holds the weights before
// normalisation, spectral_norm's weight_orig); with weight normalisation each layer's g is a parameter
// like the others, "discriminator.<i>.weight_g", beside its v. A first layer's class columns are saved for a plain
// one-hot, whatever hot value it trained with; its moments are as trained. Together with the
// configuration (seed included) this determines all future training, since noise and batches are
// pure functions of (seed, step). The names and shapes follow from the configuration alone, so a
// checkpoint is checked against them before any GPU work. The layout work is networkState.ts's;
// this file is the trainer's side of it, and the generator a sampler loads.
import { ArgumentError } from '../base/errors.js';
import type { GpuContext } from '../gpu/context.js';
import type { NetworkWeights } from '../nn/network.js';
import type { GanConfig } from './config.js';
import type { GanTrainer } from './trainer.js';
import type { IntegerTensorMap, TensorMap } from '../io/safetensors.js';
import {
  exportNetworkTensors,
  importNetworkTensors,
  networkCounters,
  networkStateProblem,
  type LayerListState,
} from './networkState.js';

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
  return networkStateProblem(config, tensors, integers, only);
}

/** The int64 tensors of a checkpoint at `step` (batch norms' counters; none for the MLP). */
export function exportIntegers(config: GanConfig, step: number, only?: (prefix: string) => boolean): IntegerTensorMap {
  return networkCounters(config, step, only);
}

function layerLists(trainer: GanTrainer): LayerListState {
  return {
    config: trainer.config,
    generator: trainer.generator,
    discriminator: trainer.discriminator,
    spectralNorm: trainer.spectralNorm,
  };
}

export async function exportTensors(trainer: GanTrainer, only?: (prefix: string) => boolean): Promise<TensorMap> {
  return exportNetworkTensors(trainer.ctx, layerLists(trainer), only);
}

/** The networks' tensors, without the optimiser's: what a model file holds. */
export const isWeights = (prefix: string) => !prefix.startsWith('optimizer.');

/**
 * Writes checked tensors into the trainer (all must be valid state for its configuration; checked
 * before any write). With `weightsOnly` (a model file's) Adam's moments are not read but zeroed:
 * the optimiser starts afresh on the restored weights.
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
  if (weightsOnly)
    for (const net of [trainer.generator, trainer.discriminator])
      for (const moment of [net.moment1, net.moment2]) ctx.write(moment, new Float32Array(moment.size / 4));
  importNetworkTensors(ctx, layerLists(trainer), tensors, only);
}

/** Writes a checkpoint's generator and its moving average into `generator` (for sampling only). */
export function importGenerator(
  ctx: GpuContext,
  config: GanConfig,
  generator: NetworkWeights,
  tensors: TensorMap,
  integers: IntegerTensorMap = new Map(),
): void {
  const isGenerator = (prefix: string) => prefix === 'generator' || prefix === 'generator_ema';
  const problem = tensorProblem(config, tensors, isGenerator, integers);
  if (problem) throw new ArgumentError('checkpoint', problem);
  const state = { config, generator, discriminator: null, spectralNorm: null };
  importNetworkTensors(ctx, state, tensors, isGenerator);
}
