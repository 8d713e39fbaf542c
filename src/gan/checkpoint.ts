// Checkpoints: the trainer's state in a safetensors file (see safetensors.ts) that PyTorch can
// read: `generator.{0,2,4}.{weight,bias}` load straight into nn.Sequential(Linear, LeakyReLU,
// Linear, LeakyReLU, Linear, Tanh), `generator_ema.*` likewise, `discriminator.*`, and the Adam
// moments as `optimizer.<network>.exp_avg(_sq).*`. The metadata holds the configuration (seed
// included), the step and the generator's state; since noise and batches are pure functions of
// (seed, step), that is the whole random state, and resuming continues bit-identically.
// Every path that reads one (the CLI's --resume and sample, the demo's Load, the library) goes
// through decodeCheckpoint, which verifies a CRC-32 of the tensor data (metadata
// `tensors_crc32`) and refuses state that training cannot have produced; a checkpoint is only
// ever written from finite weights.
import { TrainingDivergedError } from '../base/errors.js';
import { requireGanConfig, resolveRecordedConfig, type GanConfig } from './config.js';
import { exportIntegers, exportTensors, importTensors, tensorProblem } from './state.js';
import { GanTrainer } from './trainer.js';
import { crc32Hex } from '../io/crc32.js';
import { maxStepsForBatch } from '../kernels/gather.js';
import {
  CheckpointFormatError,
  decodeSafetensors,
  encodeSafetensors,
  type IntegerTensorMap,
  type TensorMap,
} from '../io/safetensors.js';
import { requireBytes, requireInstance, requireObject } from '../base/arguments.js';

export const CHECKPOINT_FORMAT = 'webgpu-gan/1';

export interface Checkpoint {
  config: GanConfig;
  step: number;
  tensors: TensorMap;
  /** The int64 tensors: a DCGAN's batch norms' num_batches_tracked (none for the MLP; absent: none). */
  integers?: IntegerTensorMap;
  /** What a reader should be told, e.g. that an older file has no checksum to verify. */
  warnings: string[];
  /**
   * The built-in dataset it learned ('mnist', 'fashion-mnist'), where the writer named one: what
   * eval scores against and what a resumed run trains on unless told otherwise.
   */
  dataset?: string;
}

/** What a checkpoint records beside the trainer's state. */
export interface CheckpointAbout {
  /** The built-in dataset the run trains on (nothing for a folder or a file of the user's). */
  dataset?: string | null;
}

/**
 * The checksum stored in the metadata: CRC-32 of the tensors' bytes in the file's order (the
 * float tensors, then the int64 ones, as encodeSafetensors writes them).
 */
export function tensorChecksum(tensors: TensorMap, integers: IntegerTensorMap = new Map()): string {
  return crc32Hex(
    [...tensors.values(), ...integers.values()].map(
      (t) => new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength),
    ),
  );
}

/** The trainer's state as a checkpoint file. Refuses (TrainingDivergedError) when it is not finite. */
export async function encodeCheckpoint(trainer: GanTrainer, about: CheckpointAbout = {}): Promise<Uint8Array> {
  requireInstance('trainer', trainer, GanTrainer, 'a GanTrainer');
  requireObject('about', about);
  if (trainer.diverged) throw trainer.diverged;
  const { step, revision } = trainer;
  await trainer.ctx.sync();
  const tensors = await exportTensors(trainer);
  // The tensors are read one after another: a step taken or a checkpoint restored meanwhile would mix two states.
  if (trainer.revision !== revision) {
    throw new Error(
      'the trainer changed (a step was taken or a checkpoint restored) while its checkpoint was read; pause ' +
        'training before saving',
    );
  }
  const integers = exportIntegers(trainer.config, step);
  const problem = tensorProblem(trainer.config, tensors, undefined, integers);
  if (problem) throw new TrainingDivergedError(step, `${problem}, so no checkpoint was written`);
  return encodeSafetensors(
    tensors,
    {
      format: CHECKPOINT_FORMAT,
      step: String(step),
      config: JSON.stringify(trainer.config),
      rng: JSON.stringify({
        algorithm: 'philox4x32-10',
        seed: trainer.config.seed,
        counter: step,
        shuffle: 'feistel-4-round per epoch',
      }),
      tensors_crc32: tensorChecksum(tensors, integers),
      ...(about.dataset ? { dataset: about.dataset } : {}),
    },
    integers,
  );
}

/** The metadata keys a checkpoint is read for; any other key in a file is ignored, never carried on. */
const CHECKPOINT_METADATA = ['format', 'step', 'config', 'rng', 'tensors_crc32', 'dataset'] as const;
type CheckpointMetadata = Partial<Record<(typeof CHECKPOINT_METADATA)[number], string>>;

function knownMetadata(metadata: Record<string, string>): CheckpointMetadata {
  const known: CheckpointMetadata = Object.create(null);
  for (const key of CHECKPOINT_METADATA) if (Object.hasOwn(metadata, key)) known[key] = metadata[key];
  return known;
}

const DECIMAL = /^(0|[1-9][0-9]*)$/;

/** The recorded step: a plain decimal count ("", "0x10", "1e3" are refused) that the step counter can hold. */
export function parseCheckpointStep(recorded: string | undefined, batch: number): number {
  if (recorded === undefined || !DECIMAL.test(recorded))
    throw new CheckpointFormatError(
      `metadata step ${JSON.stringify(recorded ?? null)} is not a step count (a decimal integer such as "400")`,
    );
  const step = Number(recorded);
  const limit = maxStepsForBatch(batch);
  if (step > limit)
    throw new CheckpointFormatError(
      `metadata step ${recorded} is past ${limit}, the most steps at batch ${batch} (the GPU counts samples in ` +
        '32 bits): the file is damaged or was not written by webgpu-gan',
    );
  return step;
}

/** Reads and checks a checkpoint; throws CheckpointFormatError saying what is wrong. */
export function decodeCheckpoint(bytes: Uint8Array): Checkpoint {
  bytes = requireBytes('bytes', bytes);
  const { tensors, integers, metadata: recorded, data } = decodeSafetensors(bytes);
  const metadata = knownMetadata(recorded);
  if (metadata.format !== CHECKPOINT_FORMAT) {
    throw new CheckpointFormatError(
      `not a webgpu-gan checkpoint (metadata format is ${JSON.stringify(metadata.format ?? null)}, expected ` +
        `"${CHECKPOINT_FORMAT}")`,
    );
  }
  let config: GanConfig;
  try {
    config = resolveRecordedConfig(JSON.parse(metadata.config ?? 'null'));
  } catch (error) {
    throw new CheckpointFormatError(`metadata config is invalid: ${(error as Error).message}`);
  }
  const step = parseCheckpointStep(metadata.step, config.batch);
  const warnings: string[] = [];
  if (metadata.tensors_crc32 === undefined) {
    warnings.push('it has no checksum (written before checksums were added), so damage to its data cannot be detected');
  } else if (crc32Hex([data]) !== metadata.tensors_crc32) {
    throw new CheckpointFormatError(
      `the tensor data does not match its checksum (CRC-32 ${crc32Hex([data])}, recorded ` +
        `${metadata.tensors_crc32}): the file is damaged; use an earlier checkpoint`,
    );
  }
  const problem = tensorProblem(config, tensors, undefined, integers);
  if (problem) throw new CheckpointFormatError(`${problem}; it cannot be resumed or sampled from`);
  return {
    config,
    step,
    tensors,
    integers,
    warnings,
    ...(metadata.dataset !== undefined && { dataset: metadata.dataset }),
  };
}

/** The settings that fix the shapes and the random streams: a checkpoint must agree on them. */
const STRUCTURAL: Array<keyof GanConfig> = [
  'architecture',
  'noiseDim',
  'generatorHidden',
  'discriminatorHidden',
  'dataDim',
  'generatorOutput',
  'batch',
  'seed',
  'spectralNorm', // adds the power iteration's vectors to the state
  'classes',
  'oneHotValue', // the units of the class columns' Adam moments
  'labelClasses',
  'labeled', // which images come with labels, drawn from the seed
];

export function configMismatches(a: GanConfig, b: GanConfig): string[] {
  requireGanConfig('a', a);
  requireGanConfig('b', b);
  return STRUCTURAL.filter((k) => JSON.stringify(a[k]) !== JSON.stringify(b[k])).map(
    (k) => `${k}: checkpoint ${JSON.stringify(a[k])}, trainer ${JSON.stringify(b[k])}`,
  );
}

/** Restores a checkpoint into a trainer built with the checkpoint's configuration. */
export function restoreCheckpoint(trainer: GanTrainer, checkpoint: Checkpoint): void {
  requireInstance('trainer', trainer, GanTrainer, 'a GanTrainer');
  requireObject('checkpoint', checkpoint, 'a checkpoint (decodeCheckpoint())');
  requireGanConfig('checkpoint.config', checkpoint.config);
  const mismatches = configMismatches(checkpoint.config, trainer.config);
  if (mismatches.length > 0)
    throw new CheckpointFormatError(`checkpoint does not match this model (${mismatches.join('; ')})`);
  importTensors(trainer, checkpoint.tensors, checkpoint.integers);
  trainer.setStep(checkpoint.step);
}
