// The trainer's full state as named tensors (for checkpoints): both networks' weights in
// torch.nn.Linear layout, the generator's moving average, both Adam moments, and the step.
// Together with the configuration (seed included) this determines all future training, since
// noise and batches are pure functions of (seed, step). The names and shapes follow from the
// configuration alone, so a checkpoint is checked against them before any GPU work.
import { ArgumentError } from '../gpu/errors.js';
import type { GpuContext } from '../gpu/context.js';
import { mlpLayout, type MlpLayout, type MlpParameters } from '../nn/mlp.js';
import { discriminatorSpec, generatorSpec, type GanConfig } from './config.js';
import type { GanTrainer } from './trainer.js';
import type { TensorMap } from '../checkpoint/safetensors.js';

type Role = 'weights' | 'ema' | 'moment1' | 'moment2';
type Network = 'generator' | 'discriminator';

/** Each tensor-name prefix: which network's flat buffer it holds. */
const PREFIXES: ReadonlyArray<[string, Network, Role]> = [
  ['generator', 'generator', 'weights'],
  ['generator_ema', 'generator', 'ema'],
  ['discriminator', 'discriminator', 'weights'],
  ['optimizer.generator.exp_avg', 'generator', 'moment1'],
  ['optimizer.generator.exp_avg_sq', 'generator', 'moment2'],
  ['optimizer.discriminator.exp_avg', 'discriminator', 'moment1'],
  ['optimizer.discriminator.exp_avg_sq', 'discriminator', 'moment2'],
];

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
): string | null {
  const byNetwork = layouts(config);
  for (const [prefix, network, role] of PREFIXES) {
    if (only && !only(prefix)) continue;
    for (const layer of byNetwork[network].layers) {
      for (const view of [layer.weight, layer.bias]) {
        const name = `${prefix}.${view.name}`;
        const tensor = tensors.get(name);
        if (!tensor) return `has no tensor "${name}"`;
        if (tensor.shape.join('x') !== view.shape.join('x'))
          return `tensor "${name}" has shape [${tensor.shape}] but this model needs [${view.shape}]`;
        if (!tensor.data.every(Number.isFinite)) return `tensor "${name}" contains NaN or infinite values`;
        if (role === 'moment2' && tensor.data.some((v) => v < 0))
          return (
            `tensor "${name}" (Adam's running mean of squared gradients) has negative values, ` +
            'which Adam cannot produce'
          );
      }
    }
  }
  return null;
}

export async function exportTensors(trainer: GanTrainer, only?: (prefix: string) => boolean): Promise<TensorMap> {
  const tensors: TensorMap = new Map();
  const networks = { generator: trainer.generator, discriminator: trainer.discriminator };
  for (const [prefix, network, role] of PREFIXES) {
    if (only && !only(prefix)) continue;
    const mlp = networks[network];
    const flat = await trainer.ctx.readF32(mlp.buffers()[role]!);
    for (const layer of mlp.layout.layers) {
      for (const view of [layer.weight, layer.bias]) {
        tensors.set(`${prefix}.${view.name}`, {
          shape: view.shape,
          data: flat.slice(view.offset, view.offset + view.count),
        });
      }
    }
  }
  return tensors;
}

/** The flat buffer contents for one prefix, from tensors already checked by tensorProblem. */
function flatten(mlp: MlpParameters, prefix: string, tensors: TensorMap): Float32Array {
  const flat = new Float32Array(mlp.layout.totalFloats);
  for (const layer of mlp.layout.layers) {
    for (const view of [layer.weight, layer.bias]) flat.set(tensors.get(`${prefix}.${view.name}`)!.data, view.offset);
  }
  return flat;
}

/** Writes every tensor back. All must be valid state for the trainer's configuration; checked before any write. */
export function importTensors(trainer: GanTrainer, tensors: TensorMap): void {
  const problem = tensorProblem(trainer.config, tensors);
  if (problem) throw new ArgumentError('checkpoint', problem);
  const networks = { generator: trainer.generator, discriminator: trainer.discriminator };
  for (const [prefix, network, role] of PREFIXES) {
    const mlp = networks[network];
    trainer.ctx.write(mlp.buffers()[role]!, flatten(mlp, prefix, tensors));
  }
}

/** Writes a checkpoint's generator and its moving average into `generator` (for sampling only). */
export function importGenerator(
  ctx: GpuContext,
  config: GanConfig,
  generator: MlpParameters,
  tensors: TensorMap,
): void {
  const isGenerator = (prefix: string) => prefix === 'generator' || prefix === 'generator_ema';
  const problem = tensorProblem(config, tensors, isGenerator);
  if (problem) throw new ArgumentError('checkpoint', problem);
  ctx.write(generator.weights, flatten(generator, 'generator', tensors));
  ctx.write(generator.ema!, flatten(generator, 'generator_ema', tensors));
}
