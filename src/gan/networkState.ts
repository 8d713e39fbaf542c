// The trainer's state as named tensors when its networks are layer lists (DCGAN): the same
// prefixes as the MLP's (state.ts) under nn.Sequential's names, so that `generator.*`,
// `generator_ema.*` and `discriminator.*` each load with load_state_dict(strict=True) into the
// Sequential of nn/presets.ts, batch norms' running statistics and int64 num_batches_tracked
// included (the moving average carries the trained generator's running statistics: it has none of
// its own). Adam's moments cover the parameters only. With spectral normalisation each normalised
// layer's power-iteration vector is "discriminator.<i>.weight_u", and "discriminator.<i>.weight"
// holds the weight before normalisation, as for the MLP. With weight normalisation each layer's g is
// "discriminator.<i>.weight_g" beside its v in "discriminator.<i>.weight": a Sequential whose layers
// are wrapped in torch.nn.utils.weight_norm loads them once weight is renamed weight_v.
import type { GpuContext } from '../gpu/context.js';
import type { IntegerTensorMap, TensorMap } from '../io/safetensors.js';
import type { ModelLayout } from '../nn/model.js';
import { networkLayout, NetworkParameters, type NetworkWeights } from '../nn/network.js';
import {
  batchCounterNames,
  networkTensorEntries,
  readEntry,
  writeEntry,
  type NetworkTensorEntry,
  type ScaleOf,
} from '../nn/networkTensors.js';
import type { GanConfig } from './config.js';
import { batchNormPassesPerStep } from './networkStep.js';
import { discriminatorNetworkSpec, generatorNetworkSpec } from './networks.js';

export type Role = 'weights' | 'ema' | 'moment1' | 'moment2';
export type Network = 'generator' | 'discriminator';

/** Each tensor-name prefix: which network's flat buffer it holds (as the MLP's state). */
export const PREFIXES: ReadonlyArray<[string, Network, Role]> = [
  ['generator', 'generator', 'weights'],
  ['generator_ema', 'generator', 'ema'],
  ['discriminator', 'discriminator', 'weights'],
  ['optimizer.generator.exp_avg', 'generator', 'moment1'],
  ['optimizer.generator.exp_avg_sq', 'generator', 'moment2'],
  ['optimizer.discriminator.exp_avg', 'discriminator', 'moment1'],
  ['optimizer.discriminator.exp_avg_sq', 'discriminator', 'moment2'],
];

/** Weights are saved for a plain one-hot input; Adam's moments as trained (nn/networkTensors.ts). */
function scaleOf(role: Role): ScaleOf {
  return role === 'moment1' || role === 'moment2' ? 'as-trained' : 'parameters';
}

function layouts(config: GanConfig): Record<Network, ModelLayout> {
  const g = generatorNetworkSpec(config);
  const d = discriminatorNetworkSpec(config);
  return { generator: networkLayout(g), discriminator: networkLayout(d) };
}

/** A role's tensors: a state_dict's (running statistics included) or, for Adam's moments, the parameters'. */
function entries(layout: ModelLayout, prefix: string, role: Role): NetworkTensorEntry[] {
  const all = networkTensorEntries(layout, prefix);
  return role === 'weights' || role === 'ema' ? all : all.filter((e) => e.buffer === 'parameters');
}

/** The normalised layers' vectors: one per linear or convolution weight of D, its output channels long. */
function spectralVectors(config: GanConfig): Array<{ name: string; rows: number }> {
  if (!config.spectralNorm) return [];
  const layout = layouts(config).discriminator;
  const weights = layout.layers
    .filter((p) => p.layer.kind === 'linear' || p.layer.kind === 'conv2d')
    .map((p) => p.weight!);
  if (layout.projection) weights.push(layout.projection);
  return weights.map((w) => ({ name: `discriminator.${w.name}_u`, rows: w.shape[0]! }));
}

function tensorShapeProblem(name: string, tensors: TensorMap, shape: readonly number[], nonNegative?: string) {
  const tensor = tensors.get(name);
  if (!tensor) return `has no tensor "${name}"`;
  if (tensor.shape.join('x') !== shape.join('x'))
    return `tensor "${name}" has shape [${tensor.shape}] but this model needs [${shape}]`;
  if (!tensor.data.every(Number.isFinite)) return `tensor "${name}" contains NaN or infinite values`;
  if (nonNegative && tensor.data.some((v) => v < 0))
    return `tensor "${name}" (${nonNegative}) has negative values, which it can never hold`;
  return null;
}

/** Why `tensors` and `integers` cannot be this configuration's state, or null (see state.ts). */
export function networkStateProblem(
  config: GanConfig,
  tensors: TensorMap,
  integers: IntegerTensorMap,
  only?: (prefix: string) => boolean,
): string | null {
  const byNetwork = layouts(config);
  for (const [prefix, network, role] of PREFIXES) {
    if (only && !only(prefix)) continue;
    for (const e of entries(byNetwork[network], prefix, role)) {
      const nonNegative =
        role === 'moment2'
          ? "Adam's running mean of squared gradients"
          : e.name.endsWith('.running_var')
            ? 'a running variance'
            : undefined;
      const problem = tensorShapeProblem(e.name, tensors, e.shape, nonNegative);
      if (problem)
        return integers.has(e.name) ? `tensor "${e.name}" is an integer tensor; it must be float32` : problem;
    }
    if (role !== 'weights' && role !== 'ema') continue;
    for (const name of batchCounterNames(byNetwork[network], prefix)) {
      const counter = integers.get(name);
      if (!counter)
        return tensors.has(name) ? `tensor "${name}" must be int64, as PyTorch keeps it` : `has no tensor "${name}"`;
      if (counter.data.length !== 1 || counter.data[0]! < 0n)
        return `tensor "${name}" must hold one count of at least 0`;
    }
  }
  if (only && !only('discriminator')) return null;
  for (const { name, rows } of spectralVectors(config)) {
    const problem = tensorShapeProblem(name, tensors, [rows]);
    if (problem) return problem.replace(/"$/, '" (spectral normalisation\'s vector)');
  }
  return null;
}

/** Each batch norm's num_batches_tracked after `step` steps, as PyTorch would have counted them. */
export function networkCounters(config: GanConfig, step: number, only?: (prefix: string) => boolean) {
  const integers: IntegerTensorMap = new Map();
  const byNetwork = layouts(config);
  for (const [prefix, network, role] of PREFIXES) {
    if ((only && !only(prefix)) || (role !== 'weights' && role !== 'ema')) continue;
    // PyTorch counts every training-mode pass: G runs once a step, D on each half and once more for G.
    const count = BigInt(step) * BigInt(batchNormPassesPerStep(network));
    for (const name of batchCounterNames(byNetwork[network], prefix))
      integers.set(name, { shape: [], data: BigInt64Array.of(count) });
  }
  return integers;
}

/** The GPU buffer behind a role; running statistics are the trained network's for both weights and ema. */
function source(net: NetworkWeights, role: Role, buffer: NetworkTensorEntry['buffer']): GPUBuffer {
  if (buffer === 'state') return net.state;
  // A network loaded to run forward (loadGenerator) keeps no moments.
  const moments = net instanceof NetworkParameters ? { moment1: net.moment1, moment2: net.moment2 } : {};
  const parameters = { weights: net.weights, ema: net.ema, ...moments }[role];
  if (!parameters) throw new Error(`${net.label} keeps no ${role}`);
  return parameters;
}

export interface LayerListState {
  config: GanConfig;
  generator: NetworkParameters;
  discriminator: NetworkParameters;
  spectralNorm: { vectors(): Array<{ buffer: GPUBuffer; offset: number; size: number }> } | null;
}

/** Reads the float tensors from the GPU. */
export async function exportNetworkTensors(
  ctx: GpuContext,
  state: LayerListState,
  only?: (prefix: string) => boolean,
): Promise<TensorMap> {
  const tensors: TensorMap = new Map();
  for (const [prefix, network, role] of PREFIXES) {
    if (only && !only(prefix)) continue;
    const net = state[network];
    const flat = new Map<GPUBuffer, Float32Array>();
    for (const e of entries(net.layout, prefix, role)) {
      const buffer = source(net, role, e.buffer);
      if (!flat.has(buffer)) flat.set(buffer, await ctx.readF32(buffer));
      tensors.set(e.name, { shape: [...e.shape], data: readEntry(flat.get(buffer)!, e, scaleOf(role)) });
    }
  }
  const vectors = state.spectralNorm?.vectors() ?? [];
  if (vectors.length > 0 && (!only || only('discriminator'))) {
    const all = await ctx.readF32(vectors[0]!.buffer);
    spectralVectors(state.config).forEach(({ name, rows }, l) => {
      const from = vectors[l]!.offset / 4;
      tensors.set(name, { shape: [rows], data: all.slice(from, from + rows) });
    });
  }
  return tensors;
}

/** Writes checked tensors (networkStateProblem first) into the networks' buffers. */
export function importNetworkTensors(
  ctx: GpuContext,
  state: Omit<LayerListState, 'generator' | 'discriminator'> & {
    generator: NetworkWeights;
    discriminator: NetworkWeights | null;
  },
  tensors: TensorMap,
  only?: (prefix: string) => boolean,
): void {
  for (const [prefix, network, role] of PREFIXES) {
    const net = state[network];
    if ((only && !only(prefix)) || !net) continue;
    // The ema's running statistics are the trained network's, which `generator` restores.
    const parts = entries(net.layout, prefix, role).filter((e) => role !== 'ema' || e.buffer === 'parameters');
    const flat = new Map<GPUBuffer, Float32Array>();
    for (const e of parts) {
      const buffer = source(net, role, e.buffer);
      if (!flat.has(buffer)) flat.set(buffer, new Float32Array(buffer.size / 4));
      writeEntry(flat.get(buffer)!, e, tensors.get(e.name)!.data, scaleOf(role));
    }
    for (const [buffer, data] of flat) ctx.write(buffer, data);
  }
  const vectors = state.spectralNorm?.vectors() ?? [];
  if (only && !only('discriminator')) return;
  spectralVectors(state.config).forEach(({ name }, l) => {
    const { buffer, offset } = vectors[l]!;
    ctx.write(buffer, tensors.get(name)!.data, offset);
  });
}
