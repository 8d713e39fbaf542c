// Checkpoints: the trainer's state in a safetensors file (see safetensors.ts) that PyTorch can
// read: `generator.{0,2,4}.{weight,bias}` load straight into nn.Sequential(Linear, LeakyReLU,
// Linear, LeakyReLU, Linear, Tanh), `generator_ema.*` likewise, `discriminator.*`, and the Adam
// moments as `optimizer.<network>.exp_avg(_sq).*`. The metadata holds the configuration (seed
// included), the step and the generator's state; since noise and batches are pure functions of
// (seed, step), that is the whole random state, and resuming continues bit-identically.
import { resolveGanConfig, type GanConfig } from '../gan/config.js';
import { exportTensors, importTensors, type TensorMap } from '../gan/state.js';
import type { GanTrainer } from '../gan/trainer.js';
import { CheckpointFormatError, decodeSafetensors, encodeSafetensors } from './safetensors.js';

export const CHECKPOINT_FORMAT = 'webgpu-gan/1';

export interface Checkpoint {
  config: GanConfig;
  step: number;
  tensors: TensorMap;
}

export async function encodeCheckpoint(trainer: GanTrainer): Promise<Uint8Array> {
  await trainer.ctx.sync();
  const tensors = await exportTensors(trainer);
  return encodeSafetensors(tensors, {
    format: CHECKPOINT_FORMAT,
    step: String(trainer.step),
    config: JSON.stringify(trainer.config),
    rng: JSON.stringify({ algorithm: 'philox4x32-10', seed: trainer.config.seed, counter: trainer.step, shuffle: 'feistel-4-round per epoch' }),
  });
}

export function decodeCheckpoint(bytes: Uint8Array): Checkpoint {
  const { tensors, metadata } = decodeSafetensors(bytes);
  if (metadata.format !== CHECKPOINT_FORMAT) {
    throw new CheckpointFormatError(`not a webgpu-gan checkpoint (metadata format is ${JSON.stringify(metadata.format ?? null)}, expected "${CHECKPOINT_FORMAT}")`);
  }
  const step = Number(metadata.step);
  if (!Number.isInteger(step) || step < 0) throw new CheckpointFormatError(`metadata step ${JSON.stringify(metadata.step)} is not a step count`);
  let config: GanConfig;
  try {
    config = resolveGanConfig(JSON.parse(metadata.config ?? 'null'));
  } catch (error) {
    throw new CheckpointFormatError(`metadata config is invalid: ${(error as Error).message}`);
  }
  return { config, step, tensors };
}

/** The settings that fix the shapes and the random streams: a checkpoint must agree on them. */
const STRUCTURAL: Array<keyof GanConfig> = ['noiseDim', 'generatorHidden', 'discriminatorHidden', 'dataDim', 'generatorOutput', 'batch', 'seed'];

export function configMismatches(a: GanConfig, b: GanConfig): string[] {
  return STRUCTURAL.filter((k) => JSON.stringify(a[k]) !== JSON.stringify(b[k])).map((k) => `${k}: checkpoint ${JSON.stringify(a[k])}, trainer ${JSON.stringify(b[k])}`);
}

/** Restores a checkpoint into a trainer built with the checkpoint's configuration. */
export function restoreCheckpoint(trainer: GanTrainer, checkpoint: Checkpoint): void {
  const mismatches = configMismatches(checkpoint.config, trainer.config);
  if (mismatches.length > 0) throw new CheckpointFormatError(`checkpoint does not match this model (${mismatches.join('; ')})`);
  importTensors(trainer, checkpoint.tensors);
  trainer.setStep(checkpoint.step);
}
