// A model file: a trained model to ship or hand on, without what only training needs. It is a
// checkpoint of the networks' weights (the generator, its moving average, the discriminator with
// its power-iteration vectors and batch norms' statistics) without Adam's moments, which are two
// thirds of a checkpoint, and optionally in F16, which halves the rest. sample, repair, restore,
// eval and the library's loaders take it like a checkpoint; a run is not resumed from it.
import { requireObject } from '../base/arguments.js';
import { crc32Hex } from '../io/crc32.js';
import { encodeSafetensors, floatBytes, type SafetensorsOptions, type TensorMap } from '../io/safetensors.js';
import { CHECKPOINT_FORMAT, type Checkpoint, MODEL_CONTENTS } from './checkpoint.js';
import { isWeights } from './state.js';
import { requireGanConfig } from './config.js';

/** The model file of a checkpoint (decodeCheckpoint's or readCheckpointFile's), as its bytes. */
export function encodeModelFile(checkpoint: Checkpoint, options: SafetensorsOptions = {}): Uint8Array {
  requireObject('checkpoint', checkpoint, 'a checkpoint (decodeCheckpoint())');
  requireGanConfig('checkpoint.config', checkpoint.config);
  requireObject('options', options, 'an object of options (float16)');
  const tensors: TensorMap = new Map([...checkpoint.tensors].filter(([name]) => isWeights(name)));
  const integers = checkpoint.integers ?? new Map();
  // The checksum covers the data section as stored: in F16, the halves.
  const stored = [
    ...[...tensors].map(([name, t]) => floatBytes(name, t, options)),
    ...[...integers.values()].map((t) => new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength)),
  ];
  const metadata: Record<string, string> = {
    format: CHECKPOINT_FORMAT,
    contents: MODEL_CONTENTS,
    step: String(checkpoint.step),
    config: JSON.stringify(checkpoint.config),
    tensors_crc32: crc32Hex(stored),
    ...(checkpoint.dataset !== undefined && { dataset: checkpoint.dataset }),
    ...(checkpoint.data !== undefined && { data: JSON.stringify(checkpoint.data) }),
  };
  return encodeSafetensors(tensors, metadata, integers, options);
}
