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
import { exportIntegers, exportTensors, importTensors, isWeights, tensorProblem } from './state.js';
import { GanTrainer } from './trainer.js';
import { crc32Hex } from '../io/crc32.js';
import { maxStepsForBatch } from '../kernels/gather.js';
import {
  CheckpointFormatError,
  type DecodedSafetensors,
  decodeSafetensors,
  encodeSafetensors,
  type IntegerTensorMap,
  type SafetensorsHeader,
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
  /** The data the run trained on, where the writer recorded them (older files: absent). */
  data?: DataRecord;
  /**
   * A model file (modelFile.ts): the networks' weights without Adam's moments, to sample, repair,
   * restore and score with; a run cannot be resumed from it.
   */
  weightsOnly?: boolean;
}

/**
 * The data a run trains on, as a checkpoint records them so that a resumed run can tell whether it
 * is given the same: where they came from, their shape, and a CRC-32 of their bytes.
 */
export interface DataRecord {
  /** A built-in dataset's name, or the absolute path of the folder or IDX file. */
  source: string;
  count: number;
  side: number;
  channels: number;
  /** CRC-32 of the pixels (then the labels, if any), 8 hex digits. */
  crc32: string;
}

/** What a checkpoint records beside the trainer's state. */
export interface CheckpointAbout {
  /** The built-in dataset the run trains on (nothing for a folder or a file of the user's). */
  dataset?: string | null;
  /** The data the run trains on. */
  data?: DataRecord | null;
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
      ...(about.data ? { data: JSON.stringify(about.data) } : {}),
    },
    integers,
  );
}

/** The metadata keys a checkpoint is read for; any other key in a file is ignored, never carried on. */
const CHECKPOINT_METADATA = [
  'format',
  'step',
  'config',
  'rng',
  'tensors_crc32',
  'dataset',
  'data',
  'contents',
] as const;
type CheckpointMetadata = Partial<Record<(typeof CHECKPOINT_METADATA)[number], string>>;

function knownMetadata(metadata: Record<string, string>): CheckpointMetadata {
  const known: CheckpointMetadata = Object.create(null);
  for (const key of CHECKPOINT_METADATA) if (Object.hasOwn(metadata, key)) known[key] = metadata[key];
  return known;
}

/** The `contents` a model file records (a run's checkpoint records none: all its state). */
export const MODEL_CONTENTS = 'weights';

function contentsOf(metadata: CheckpointMetadata): string | undefined {
  if (metadata.contents !== undefined && metadata.contents !== MODEL_CONTENTS)
    throw new CheckpointFormatError(
      `metadata contents is ${JSON.stringify(metadata.contents)}; a webgpu-gan file holds a run's state (no ` +
        `contents) or "${MODEL_CONTENTS}"`,
    );
  return metadata.contents;
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
  const { tensors, integers, metadata, data } = decodeSafetensors(bytes);
  return checkpointFrom({ tensors, integers, metadata }, () => crc32Hex([data]));
}

/**
 * A checkpoint from the tensors a safetensors file holds, checked; `dataChecksum` is the CRC-32 of
 * their bytes in the file's order (a reader that took them one by one computes it as it goes).
 */
export function checkpointFrom(file: Omit<DecodedSafetensors, 'data'>, dataChecksum: () => string): Checkpoint {
  const { tensors, integers } = file;
  const metadata = knownMetadata(file.metadata);
  const config = recordedConfig(metadata);
  const step = parseCheckpointStep(metadata.step, config.batch);
  const warnings: string[] = [];
  if (metadata.tensors_crc32 === undefined) {
    warnings.push('it has no checksum (written before checksums were added), so damage to its data cannot be detected');
  } else if (dataChecksum() !== metadata.tensors_crc32) {
    throw new CheckpointFormatError(
      `the tensor data does not match its checksum (CRC-32 ${dataChecksum()}, recorded ` +
        `${metadata.tensors_crc32}): the file is damaged; use an earlier checkpoint`,
    );
  }
  const weightsOnly = contentsOf(metadata) === MODEL_CONTENTS;
  const problem = modelProblem(config, tensors, integers, weightsOnly);
  if (problem) throw new CheckpointFormatError(`${problem}; it cannot be resumed or sampled from`);
  return {
    ...(weightsOnly && { weightsOnly }),
    config,
    step,
    tensors,
    integers,
    warnings,
    ...(metadata.dataset !== undefined && { dataset: metadata.dataset }),
    ...(metadata.data !== undefined && { data: parseDataRecord(metadata.data) }),
  };
}

/** The format and the configuration a checkpoint's metadata records, checked. */
function recordedConfig(metadata: CheckpointMetadata): GanConfig {
  if (metadata.format !== CHECKPOINT_FORMAT) {
    throw new CheckpointFormatError(
      `not a webgpu-gan checkpoint (metadata format is ${JSON.stringify(metadata.format ?? null)}, expected ` +
        `"${CHECKPOINT_FORMAT}")`,
    );
  }
  try {
    return resolveRecordedConfig(JSON.parse(metadata.config ?? 'null'));
  } catch (error) {
    throw new CheckpointFormatError(`metadata config is invalid: ${(error as Error).message}`);
  }
}

/** A map that remembers which names were looked up: the tensors a model's check asked for. */
class LookupRecorder<V> extends Map<string, V> {
  readonly asked = new Set<string>();
  constructor(entries: Map<string, V>) {
    super(entries);
  }
  override get(name: string): V | undefined {
    this.asked.add(name);
    return super.get(name);
  }
  override has(name: string): boolean {
    this.asked.add(name);
    return super.has(name);
  }
}

/**
 * Why the tensors cannot be the state of the model `config` describes (a missing one, a shape, a
 * value) or one is not part of it, or null.
 */
function modelProblem(
  config: GanConfig,
  tensors: TensorMap,
  integers: IntegerTensorMap,
  weightsOnly = false,
): string | null {
  const floats = new LookupRecorder(tensors);
  const counters = new LookupRecorder(integers);
  const problem = tensorProblem(config, floats, weightsOnly ? isWeights : undefined, counters);
  if (problem) return problem;
  const extra = [...tensors.keys(), ...integers.keys()].find(
    (name) => !floats.asked.has(name) && !counters.asked.has(name),
  );
  return extra === undefined ? null : `tensor "${extra}" is not part of the model its configuration describes`;
}

/**
 * Checks a checkpoint's header before any tensor is read: its format and configuration, and that
 * it declares the tensors of the model that configuration describes, of their shapes, and no
 * others, so that every byte it asks to read is a byte the model needs.
 */
export function checkCheckpointHeader({ entries, metadata: recorded }: SafetensorsHeader): void {
  const metadata = knownMetadata(recorded);
  const config = recordedConfig(metadata);
  parseCheckpointStep(metadata.step, config.batch);
  // The model's check run on the declared shapes alone: empty data, so nothing is read or allocated.
  const floats: TensorMap = new Map();
  const integers: IntegerTensorMap = new Map();
  for (const { name, dtype, shape } of entries) {
    // A counter holds one value (a zero stands in for it); any other declared size is refused as it is.
    const counter = shape.reduce((a, b) => a * b, 1) === 1 ? 1 : 0;
    if (dtype === 'I64') integers.set(name, { shape, data: new BigInt64Array(counter) });
    else floats.set(name, { shape, data: new Float32Array(0) });
  }
  const problem = modelProblem(config, floats, integers, contentsOf(metadata) === MODEL_CONTENTS);
  if (problem) throw new CheckpointFormatError(`${problem}; it cannot be resumed or sampled from`);
}

const DATA_RECORD_FIELDS = { source: 'string', count: 'number', side: 'number', channels: 'number', crc32: 'string' };

/** The recorded data, checked field by field (only those fields are kept). */
function parseDataRecord(recorded: string): DataRecord {
  let value: Record<string, unknown> | null = null;
  try {
    value = JSON.parse(recorded);
  } catch {}
  const fields = Object.entries(DATA_RECORD_FIELDS);
  if (typeof value !== 'object' || value === null || fields.some(([k, type]) => typeof value[k] !== type))
    throw new CheckpointFormatError(
      'metadata data is not a record of the data trained on ({source, count, side, channels, crc32}): the file is ' +
        'damaged or was not written by webgpu-gan',
    );
  return Object.fromEntries(fields.map(([k]) => [k, value[k]])) as unknown as DataRecord;
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
  'weightNorm', // adds each normalised layer's g to D's parameters
  'classes',
  'conditioning', // where the class weights live
  'auxiliaryHead', // D's outputs: class logits, and a real/fake logit with two heads
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

/**
 * Restores a checkpoint into a trainer built with the checkpoint's configuration. A model file
 * (weights only) is restored only with { freshOptimizer: true }: its weights and step, with Adam's
 * moments zeroed (a run goes on from a shipped model, as the demo's pretrained start does).
 */
export function restoreCheckpoint(
  trainer: GanTrainer,
  checkpoint: Checkpoint,
  options: { freshOptimizer?: boolean } = {},
): void {
  requireInstance('trainer', trainer, GanTrainer, 'a GanTrainer');
  requireObject('checkpoint', checkpoint, 'a checkpoint (decodeCheckpoint())');
  requireGanConfig('checkpoint.config', checkpoint.config);
  requireObject('options', options, 'an object of options (freshOptimizer)');
  if (checkpoint.weightsOnly && !options.freshOptimizer)
    throw new CheckpointFormatError(
      "checkpoint is a model file: the networks' weights without Adam's moments, for sampling, repair, restoration " +
        "and scoring; training goes on from a run's own checkpoint.safetensors (or, in the library, from this file " +
        'with { freshOptimizer: true }: Adam starts afresh)',
    );
  const mismatches = configMismatches(checkpoint.config, trainer.config);
  if (mismatches.length > 0)
    throw new CheckpointFormatError(`checkpoint does not match this model (${mismatches.join('; ')})`);
  importTensors(trainer, checkpoint.tensors, checkpoint.integers, checkpoint.weightsOnly === true);
  trainer.setStep(checkpoint.step);
}
