// Gzipped IDX files (as MNIST is distributed), decompressed in Node no further than they declare:
// the IDX header comes from the first kilobyte, and the whole is then decompressed with the
// header's size as the limit, so a gzip bomb is refused at that size, never expanded in memory.
import { constants, gunzipSync } from 'node:zlib';
import { DatasetError } from './idx.js';
import { MAX_FILE_BYTES } from './regularFileNode.js';

/**
 * How much of the compressed stream gives the IDX header: deflate expands by at most about 1,000
 * times, so this decompresses to 1 MB at most, and holds the gzip header (with its file name).
 */
const HEADER_PROBE = 1024;
const IDX_U8_IMAGES = 0x00000803;
const IDX_U8_LABELS = 0x00000801;

export function isGzip(bytes: Uint8Array): boolean {
  return bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/** The decompressed IDX file; refused (DatasetError) when it is corrupt or holds more than its header declares. */
export function gunzipIdx(bytes: Uint8Array, source: string): Uint8Array {
  const start = gunzip(bytes.subarray(0, HEADER_PROBE), source, { finishFlush: constants.Z_SYNC_FLUSH });
  const declared = declaredSize(start);
  // Not an IDX header: what was decompressed is enough for the parser to say what is wrong.
  if (declared === null) return start.length >= 16 ? start : gunzip(bytes, source, { maxOutputLength: HEADER_PROBE });
  if (declared.bytes > MAX_FILE_BYTES)
    throw new DatasetError(
      `${source}: its IDX header declares ${declared.what} (${declared.bytes} bytes), more than the ` +
        `${MAX_FILE_BYTES} bytes a dataset file may hold`,
    );
  try {
    return gunzipSync(bytes, { maxOutputLength: declared.bytes });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ERR_BUFFER_TOO_LARGE') throw corrupt(source, error);
    throw new DatasetError(
      `${source}: the gzip data hold more than the ${declared.bytes} bytes its IDX header declares ` +
        `(${declared.what}): a damaged file or a gzip bomb; decompress it yourself to look`,
    );
  }
}

/** The size an IDX header (images or labels) declares, or null for anything else. */
function declaredSize(start: Uint8Array): { bytes: number; what: string } | null {
  if (start.length < 8) return null;
  const view = new DataView(start.buffer, start.byteOffset, start.byteLength);
  const [magic, count] = [view.getUint32(0, false), view.getUint32(4, false)];
  if (magic === IDX_U8_LABELS) return { bytes: 8 + count, what: `${count} labels` };
  if (magic !== IDX_U8_IMAGES || start.length < 16) return null;
  const [rows, cols] = [view.getUint32(8, false), view.getUint32(12, false)];
  return { bytes: 16 + count * rows * cols, what: `${count} images of ${rows}×${cols}` };
}

function gunzip(bytes: Uint8Array, source: string, options: object): Uint8Array {
  try {
    return gunzipSync(bytes, options);
  } catch (error) {
    throw corrupt(source, error);
  }
}

const corrupt = (source: string, error: unknown) =>
  new DatasetError(`${source}: gzip data is corrupt (${(error as Error).message})`);
