// A trained restorer's file: safetensors with its network under PyTorch's nn.Sequential names
// ("restorer.0.weight", …) and, in the metadata, what it undoes and how it was trained, so that
// `restore --checkpoint F` needs nothing else. Weights only: a restorer trains in one go.
import { requireBytes, requireInstance, requireObject } from '../base/arguments.js';
import { ArgumentError } from '../base/errors.js';
import {
  CheckpointFormatError,
  decodeSafetensors,
  encodeSafetensors,
  headerLength,
  parseSafetensorsHeader,
} from '../io/safetensors.js';
import { flatFromTensors, networkTensorProblem, networkTensors } from '../nn/networkTensors.js';
import { networkLayout } from '../nn/network.js';
import { RECONSTRUCTION_LOSSES, type ReconstructionLoss } from '../kernels/reconstructionLoss.js';
import { restorerNetworkSpec } from './restorerModel.js';
import { resolveRestorerSettings, type ResolvedRestorerSettings } from './restorerTrainer.js';
import { formatDegradation, parseDegradation } from './spec.js';

export const RESTORER_FORMAT = 'webgpu-gan restorer';
const PREFIX = 'restorer';

export interface RestorerFile {
  settings: ResolvedRestorerSettings;
  /** Training steps taken. */
  step: number;
  /** The network's flat parameter buffer (restorerNetworkSpec's layout). */
  parameters: Float32Array;
  /** Its batch norms' running means and variances (the layout's state buffer). */
  state: Float32Array;
  /** What it was trained on, as the CLI names it (e.g. "mnist"), when known. */
  data?: string;
}

/** Refuses, by name, what is not a restorer file's contents; the settings come back resolved again. */
export function checkRestorerFile(file: RestorerFile): RestorerFile {
  requireObject('file', file, 'a restorer file ({ settings, step, parameters })');
  requireObject('file.settings', file.settings, "a restorer's settings (RestorerTrainer.settings)");
  const settings = resolveRestorerSettings(file.settings, file.settings);
  requireInstance('file.parameters', file.parameters, Float32Array, "a Float32Array of the network's parameters");
  const layout = networkLayout(restorerNetworkSpec(settings));
  if (file.parameters.length !== layout.parameterFloats)
    throw new ArgumentError(
      'file.parameters',
      `holds ${file.parameters.length} values; this network has ${layout.parameterFloats}`,
    );
  requireInstance('file.state', file.state, Float32Array, "a Float32Array of the batch norms' running statistics");
  if (file.state.length !== layout.stateFloats)
    throw new ArgumentError('file.state', `holds ${file.state.length} values; this network has ${layout.stateFloats}`);
  if (!Number.isSafeInteger(file.step) || file.step < 0)
    throw new ArgumentError('file.step', `must be a whole number ≥ 0, got ${String(file.step)}`);
  return { ...file, settings };
}

export function encodeRestorer(file: RestorerFile, options: { float16?: boolean } = {}): Uint8Array {
  const s = checkRestorerFile(file).settings;
  const layout = networkLayout(restorerNetworkSpec(s));
  const flat = { parameters: file.parameters, state: file.state };
  // Each training step runs the batch norms once in training mode, as PyTorch counts them.
  const { tensors, integers } = networkTensors(layout, PREFIX, flat, file.step);
  const metadata: Record<string, string> = {
    format: RESTORER_FORMAT,
    version: '1',
    degradation: formatDegradation(s.degradation),
    channels: String(s.channels),
    side: String(s.side),
    loss: s.loss,
    batch: String(s.batch),
    seed: String(s.seed),
    learning_rate: String(s.learningRate),
    adversarial: String(s.adversarial),
    // Only where there is one, so that a file trained without it is byte for byte as before.
    ...(s.edgeWeight > 0 && { edge_weight: String(s.edgeWeight) }),
    ...(s.residual && { residual: 'true' }),
    step: String(file.step),
    ...(file.data !== undefined && { data: file.data }),
  };
  return encodeSafetensors(tensors, metadata, integers, options);
}

/**
 * Whether a file is a restorer's (rather than a GAN checkpoint), from its header alone: `size` is
 * the file's length and `read(position, count)` its bytes there, so that a file on disk is not
 * read whole to find out.
 */
export function isRestorerHeader(size: number, read: (position: number, count: number) => Uint8Array): boolean {
  try {
    const length = headerLength(read(0, 8), size);
    return parseSafetensorsHeader(read(8, length), size - 8 - length).metadata.format === RESTORER_FORMAT;
  } catch {
    return false;
  }
}

/** Whether these bytes are a restorer's file (rather than a GAN checkpoint), from the header alone. */
export function isRestorerFile(bytes: Uint8Array): boolean {
  if (!(bytes instanceof Uint8Array)) return false;
  return isRestorerHeader(bytes.length, (position, count) => bytes.subarray(position, position + count));
}

/** Reads and checks a restorer's file; a foreign or damaged one is refused with what is wrong. */
export function decodeRestorer(bytes: Uint8Array): RestorerFile {
  requireBytes('bytes', bytes);
  const { tensors, integers, metadata } = decodeSafetensors(bytes);
  if (metadata.format !== RESTORER_FORMAT)
    throw new CheckpointFormatError(
      `not a restorer file (its format is ${JSON.stringify(metadata.format ?? null)}); ` +
        'make one with `webgpu-gan train --task restore --degradation KIND`',
    );
  if (metadata.version !== '1')
    throw new CheckpointFormatError(`restorer file version ${metadata.version} is not one this version reads (1)`);
  const number = (key: string) => {
    const value = Number(metadata[key]);
    if (metadata[key] === undefined || !Number.isFinite(value))
      throw new CheckpointFormatError(`restorer file: metadata "${key}" is missing or not a number`);
    return value;
  };
  const channels = number('channels');
  if (channels !== 1 && channels !== 3)
    throw new CheckpointFormatError(`restorer file: channels must be 1 or 3, got ${channels}`);
  const loss = metadata.loss as ReconstructionLoss;
  if (!RECONSTRUCTION_LOSSES.includes(loss))
    throw new CheckpointFormatError(`restorer file: loss must be ${RECONSTRUCTION_LOSSES.join(' or ')}`);
  let settings: ResolvedRestorerSettings;
  try {
    const degradation = parseDegradation(metadata.degradation ?? '');
    settings = resolveRestorerSettings(
      {
        degradation,
        batch: number('batch'),
        seed: number('seed'),
        learningRate: number('learning_rate'),
        loss,
        // Files from before the critic trained with the reconstruction loss alone.
        adversarial: metadata.adversarial === undefined ? 0 : number('adversarial'),
        // Files without the key were trained without the edge term.
        edgeWeight: metadata.edge_weight === undefined ? 0 : number('edge_weight'),
        // …and without the input added to the output: its network ends at tanh.
        residual: residualOf(metadata.residual),
      },
      { channels, side: number('side') },
    );
    restorerNetworkSpec(settings); // refuses a side the network cannot take
  } catch (error) {
    throw new CheckpointFormatError(`restorer file: ${(error as Error).message}`);
  }
  const layout = networkLayout(restorerNetworkSpec(settings));
  const problem = networkTensorProblem(layout, PREFIX, tensors, integers);
  if (problem) throw new CheckpointFormatError(`restorer file ${problem}`);
  const step = number('step');
  if (!Number.isSafeInteger(step) || step < 0)
    throw new CheckpointFormatError(`restorer file: step must be a whole number ≥ 0, got ${metadata.step}`);
  const { parameters, state } = flatFromTensors(layout, PREFIX, tensors);
  return { settings, step, parameters, state, ...(metadata.data !== undefined && { data: metadata.data }) };
}

function residualOf(value: string | undefined): boolean {
  if (value === undefined) return false;
  if (value !== 'true' && value !== 'false')
    throw new CheckpointFormatError(
      `restorer file: metadata "residual" must be true or false, got ${JSON.stringify(value)}`,
    );
  return value === 'true';
}
