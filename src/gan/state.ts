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
import { addMlpTensors, flattenMlpTensors, mlpTensorProblem } from '../nn/tensors.js';

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
    const nonNegative = role === 'moment2' ? "Adam's running mean of squared gradients" : undefined;
    const problem = mlpTensorProblem(byNetwork[network], prefix, tensors, nonNegative ? { nonNegative } : {});
    if (problem) return problem;
  }
  return null;
}

export async function exportTensors(trainer: GanTrainer, only?: (prefix: string) => boolean): Promise<TensorMap> {
  const tensors: TensorMap = new Map();
  const networks = { generator: trainer.generator, discriminator: trainer.discriminator };
  for (const [prefix, network, role] of PREFIXES) {
    if (only && !only(prefix)) continue;
    const mlp = networks[network];
    addMlpTensors(mlp.layout, prefix, await trainer.ctx.readF32(mlp.buffers()[role]!), tensors);
  }
  return tensors;
}

/** Writes every tensor back. All must be valid state for the trainer's configuration; checked before any write. */
export function importTensors(trainer: GanTrainer, tensors: TensorMap): void {
  const problem = tensorProblem(trainer.config, tensors);
  if (problem) throw new ArgumentError('checkpoint', problem);
  const networks = { generator: trainer.generator, discriminator: trainer.discriminator };
  for (const [prefix, network, role] of PREFIXES) {
    const mlp = networks[network];
    trainer.ctx.write(mlp.buffers()[role]!, flattenMlpTensors(mlp.layout, prefix, tensors));
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
  ctx.write(generator.weights, flattenMlpTensors(generator.layout, 'generator', tensors));
  ctx.write(generator.ema!, flattenMlpTensors(generator.layout, 'generator_ema', tensors));
}
