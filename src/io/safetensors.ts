// The safetensors container (the format of Hugging Face's `safetensors`, readable by PyTorch):
//   u64 little-endian header length N · N bytes of JSON · the tensors' bytes, back to back.
// The JSON maps each tensor name to {dtype, shape, data_offsets: [begin, end)} relative to the
// data section, plus an optional "__metadata__" of string → string. We write and read F32, F16
// (read widened to float32; written on request, for models stored at half the size) and I64 for
// counters (a batch norm's num_batches_tracked, which PyTorch keeps as int64).
// Reading validates everything before trusting it, since a checkpoint may be truncated or foreign.
import { requireBytes, requireInstance, requireObject } from '../base/arguments.js';
import { ArgumentError } from '../base/errors.js';
import { FLOAT16_OVERFLOW, float16Bytes, floatsFromFloat16Bytes } from './float16.js';

/** A float32 tensor in row-major order, as safetensors stores it. */
export interface NamedTensor {
  shape: number[];
  data: Float32Array;
}

export type TensorMap = Map<string, NamedTensor>;

/** A 64-bit integer tensor (safetensors' I64), kept apart so that every float reader stays as it is. */
export interface IntegerTensor {
  shape: number[];
  data: BigInt64Array;
}

export type IntegerTensorMap = Map<string, IntegerTensor>;

export class CheckpointFormatError extends Error {
  override name = 'CheckpointFormatError';
}

/**
 * The largest header read. A GAN checkpoint's header is a few kB (a line of JSON per tensor plus
 * the configuration); even a model of a thousand tensors stays near 100 kB. 1 MiB leaves room for
 * that and refuses, from the 8-byte length alone, a crafted header that would take seconds and
 * gigabytes to parse.
 */
export const MAX_HEADER_BYTES = 2 ** 20;
/**
 * The format is flat: the header object (1) holds tensor entries and __metadata__ (2), whose
 * only nested value is a tensor's shape or data_offsets array (3). Deeper JSON is refused
 * before it is parsed.
 */
const MAX_HEADER_DEPTH = 3;

/**
 * How float tensors are stored: F32, or F16 (each value rounded to the nearest half) for all of
 * them (true) or for those whose name the function picks (e.g. weights in F16, statistics in F32).
 */
export interface SafetensorsOptions {
  float16?: boolean | ((name: string) => boolean);
}

const storesFloat16 = (name: string, options: SafetensorsOptions) =>
  typeof options.float16 === 'function' ? options.float16(name) : options.float16 === true;

export function encodeSafetensors(
  tensors: TensorMap,
  metadata: Record<string, string>,
  integers: IntegerTensorMap = new Map(),
  options: SafetensorsOptions = {},
): Uint8Array {
  requireInstance('tensors', tensors, Map, 'a Map of names to Float32Arrays');
  requireObject('metadata', metadata, 'an object of string values');
  requireInstance('integers', integers, Map, 'a Map of names to integer tensors');
  requireObject('options', options, 'an object of options (float16)');
  const header: Record<string, unknown> = { __metadata__: metadata };
  let offset = 0;
  if (options.float16 !== undefined && typeof options.float16 !== 'boolean' && typeof options.float16 !== 'function')
    throw new ArgumentError('float16', 'must be true, false or a function of the tensor name');
  const all = [
    ...[...tensors].map(([name, t]) => ({
      name,
      dtype: storesFloat16(name, options) ? 'F16' : 'F32',
      shape: t.shape,
      bytes: floatBytes(name, t, options),
    })),
    ...[...integers].map(([name, t]) => ({ name, dtype: 'I64', shape: t.shape, bytes: bytesOf(t.data) })),
  ];
  for (const { name, dtype, shape, bytes } of all) {
    if (tensors.has(name) && integers.has(name)) throw new Error(`tensor "${name}" is given twice`);
    header[name] = { dtype, shape, data_offsets: [offset, offset + bytes.byteLength] };
    offset += bytes.byteLength;
  }
  let json = new TextEncoder().encode(JSON.stringify(header));
  // Pad the header with spaces so the data section starts 8-byte aligned, as the reference writer does.
  const padded = Math.ceil(json.length / 8) * 8;
  if (padded !== json.length)
    json = new TextEncoder().encode(JSON.stringify(header) + ' '.repeat(padded - json.length));
  const out = new Uint8Array(8 + json.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  let at = 8 + json.length;
  for (const { bytes } of all) {
    out.set(bytes, at);
    at += bytes.byteLength;
  }
  return out;
}

const bytesOf = (data: ArrayBufferView) => new Uint8Array(data.buffer, data.byteOffset, data.byteLength);

/**
 * A float tensor's bytes as encodeSafetensors stores it. F16 refuses a value past the largest
 * half (65504) by name rather than store it as infinity.
 */
export function floatBytes(name: string, t: NamedTensor, options: SafetensorsOptions = {}): Uint8Array {
  if (!storesFloat16(name, options)) return bytesOf(t.data);
  const overflow = t.data.find((v) => Number.isFinite(v) && Math.abs(v) >= FLOAT16_OVERFLOW);
  if (overflow !== undefined)
    throw new RangeError(
      `tensor "${name}": a value of ${overflow} does not fit float16 (at most 65504 in size); store it as F32`,
    );
  return float16Bytes(t.data);
}

/** A float tensor's values from its stored bytes, widened to float32 where they are F16. */
export function floatsFromBytes(dtype: 'F32' | 'F16', bytes: Uint8Array): Float32Array {
  if (dtype === 'F16') return floatsFromFloat16Bytes(bytes);
  // Copy (set, not slice: a Node Buffer's slice is a view): the data may not be aligned within the file.
  const copy = new Uint8Array(bytes.byteLength);
  copy.set(bytes);
  return new Float32Array(copy.buffer);
}

export interface DecodedSafetensors {
  tensors: TensorMap;
  /** The I64 tensors. */
  integers: IntegerTensorMap;
  metadata: Record<string, string>;
  /** The data section: every tensor's bytes, back to back. */
  data: Uint8Array;
}

/** One tensor as a header declares it: where its bytes lie in the data section. */
export interface TensorEntry {
  name: string;
  dtype: 'F32' | 'F16' | 'I64';
  shape: number[];
  /** Byte range [begin, end) in the data section. */
  begin: number;
  end: number;
}

/** What a header declares: the tensors (checked to tile the data section exactly) and the metadata. */
export interface SafetensorsHeader {
  entries: TensorEntry[];
  metadata: Record<string, string>;
}

/**
 * The header's length from the file's first 8 bytes, checked against the limit and against the
 * file's size, before the header is read.
 */
export function headerLength(start: Uint8Array, fileBytes: number): number {
  if (fileBytes < 8) throw new CheckpointFormatError(`file is ${fileBytes} bytes: too short to be a safetensors file`);
  const headerBytes = Number(new DataView(start.buffer, start.byteOffset, 8).getBigUint64(0, true));
  if (headerBytes > MAX_HEADER_BYTES)
    throw new CheckpointFormatError(
      `header length ${headerBytes} is over the ${MAX_HEADER_BYTES}-byte limit (a checkpoint's header is a few ` +
        'kB): not a webgpu-gan checkpoint, or a damaged one',
    );
  if (8 + headerBytes > fileBytes) {
    throw new CheckpointFormatError(
      `header length ${headerBytes} does not fit in a ${fileBytes}-byte file (truncated or not safetensors)`,
    );
  }
  return headerBytes;
}

/**
 * Parses and checks a header whose data section is `dataBytes` long: every tensor's dtype, shape
 * and range, and that the ranges cover the data section exactly, so that the sizes it declares are
 * known to be the file's before any tensor is read.
 */
export function parseSafetensorsHeader(json: Uint8Array, dataBytes: number): SafetensorsHeader {
  checkHeaderDepth(json);
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(json));
  } catch (error) {
    throw new CheckpointFormatError(`header is not valid JSON: ${(error as Error).message}`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header))
    throw new CheckpointFormatError('header is not a JSON object');
  const metadata = readMetadata(header.__metadata__);
  const entries: TensorEntry[] = [];
  for (const [name, entry] of Object.entries(header)) {
    if (name !== '__metadata__') entries.push(readEntry(name, entry, dataBytes));
  }
  checkRangesTileData(entries, dataBytes);
  return { entries, metadata };
}

export function decodeSafetensors(bytes: Uint8Array): DecodedSafetensors {
  bytes = requireBytes('bytes', bytes);
  const headerBytes = headerLength(bytes, bytes.length);
  const data = bytes.subarray(8 + headerBytes);
  const { entries, metadata } = parseSafetensorsHeader(bytes.subarray(8, 8 + headerBytes), data.length);
  const tensors: TensorMap = new Map();
  const integers: IntegerTensorMap = new Map();
  for (const entry of entries) {
    const bytes = data.subarray(entry.begin, entry.end);
    if (entry.dtype === 'I64') {
      const copy = new Uint8Array(bytes.byteLength); // aligned, unlike the bytes within the file
      copy.set(bytes);
      integers.set(entry.name, { shape: entry.shape, data: new BigInt64Array(copy.buffer) });
    } else tensors.set(entry.name, { shape: entry.shape, data: floatsFromBytes(entry.dtype, bytes) });
  }
  return { tensors, integers, metadata, data };
}

/**
 * The metadata as an object without a prototype: a key such as `constructor` or `__proto__` is
 * then only a string entry, never Object's own property mistaken for one or a prototype set.
 */
function readMetadata(value: unknown): Record<string, string> {
  const metadata: Record<string, string> = Object.create(null);
  if (value === undefined) return metadata;
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new CheckpointFormatError('__metadata__ must be an object');
  for (const [k, v] of Object.entries(value)) {
    if (typeof v !== 'string') throw new CheckpointFormatError(`__metadata__.${k} must be a string`);
    Object.defineProperty(metadata, k, { value: v, enumerable: true, writable: true, configurable: true });
  }
  return metadata;
}

const [QUOTE, BACKSLASH, OPEN_BRACE, OPEN_BRACKET, CLOSE_BRACE, CLOSE_BRACKET] = [0x22, 0x5c, 0x7b, 0x5b, 0x7d, 0x5d];

/** Refuses JSON nested deeper than the format allows, in one pass over the bytes, before parsing it. */
function checkHeaderDepth(json: Uint8Array): void {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < json.length; i++) {
    const byte = json[i];
    if (inString) {
      if (byte === BACKSLASH) i++;
      else if (byte === QUOTE) inString = false;
    } else if (byte === QUOTE) inString = true;
    else if (byte === OPEN_BRACE || byte === OPEN_BRACKET) {
      if (++depth > MAX_HEADER_DEPTH)
        throw new CheckpointFormatError(
          `header is nested deeper than ${MAX_HEADER_DEPTH} levels; a safetensors header is flat (tensor entries ` +
            'and a __metadata__ of strings): not a safetensors file',
        );
    } else if (byte === CLOSE_BRACE || byte === CLOSE_BRACKET) depth--;
  }
}

const BYTES = { F32: 4, F16: 2, I64: 8 } as const;

function readEntry(name: string, entry: unknown, dataBytes: number): TensorEntry {
  const e = entry as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
  if (e?.dtype !== 'F32' && e?.dtype !== 'F16' && e?.dtype !== 'I64')
    throw new CheckpointFormatError(
      `tensor "${name}" has dtype ${String(e?.dtype)}; only F32, F16 and I64 are supported`,
    );
  const size = BYTES[e.dtype];
  const shape = e.shape;
  if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0))
    throw new CheckpointFormatError(`tensor "${name}" has an invalid shape`);
  const offsets = e.data_offsets;
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isInteger(o) && o >= 0)) {
    throw new CheckpointFormatError(`tensor "${name}" has invalid data_offsets`);
  }
  const [begin, end] = offsets as [number, number];
  const count = shape.reduce((a: number, b: number) => a * b, 1);
  if (end - begin !== count * size)
    throw new CheckpointFormatError(
      `tensor "${name}": data_offsets span ${end - begin} bytes but shape [${shape}] needs ${count * size}`,
    );
  if (end > dataBytes)
    throw new CheckpointFormatError(
      `tensor "${name}" ends at byte ${end} of a ${dataBytes}-byte data section (file truncated?)`,
    );
  return { name, dtype: e.dtype, shape: shape as number[], begin, end };
}

/** The format requires the tensors to cover the data section exactly, without gaps or overlaps. */
function checkRangesTileData(entries: TensorEntry[], length: number): void {
  const sorted = [...entries].sort((a, b) => a.begin - b.begin);
  let at = 0;
  for (const { begin, end, name } of sorted) {
    if (begin !== at)
      throw new CheckpointFormatError(
        `tensor "${name}" starts at ${begin}, expected ${at} (gap or overlap in the data)`,
      );
    at = end;
  }
  if (at !== length)
    throw new CheckpointFormatError(
      `data section has ${length - at} bytes that belong to no tensor (the header declares ${at} bytes of ` +
        'tensors): the file is damaged or not a checkpoint',
    );
}
