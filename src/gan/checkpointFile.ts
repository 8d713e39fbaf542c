// Checkpoint files in Node, written atomically: the bytes go to a temporary file in the same
// folder, are flushed to disk, and only then renamed over the target, so a crash or a full disk
// leaves the previous good checkpoint in place. Reading checks the header before any tensor is
// read, and the whole file before use.
import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { type Checkpoint, checkCheckpointHeader, checkpointFrom } from './checkpoint.js';
import { crc32Hex } from '../io/crc32.js';
import {
  CheckpointFormatError,
  headerLength,
  type IntegerTensorMap,
  floatsFromBytes,
  parseSafetensorsHeader,
  type TensorMap,
} from '../io/safetensors.js';
import { MAX_FILE_BYTES, type RegularFile, UnreadableFileError, withRegularFile } from '../io/regularFileNode.js';
import { requireBytes, requireString } from '../base/arguments.js';

export function writeFileAtomic(path: string, bytes: Uint8Array): void {
  requireString('path', path, 'a file path');
  requireBytes('bytes', bytes);
  const temporary = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  try {
    const fd = openSync(temporary, 'w');
    try {
      let written = 0;
      while (written < bytes.length) written += writeSync(fd, bytes, written, bytes.length - written);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temporary, path);
  } catch (error) {
    rmSync(temporary, { force: true });
    throw error;
  }
}

/**
 * Reads a checkpoint in the order that spends nothing on a file that is not one: the header's
 * length, the header (at most MAX_HEADER_BYTES), its tensors checked against the file's size and
 * against the model its configuration describes, and only then each tensor, straight into an
 * array of its own: a huge or sparse file is refused from its header, and no copy of the whole
 * file is ever made.
 */
export function readCheckpointFile(path: string): Checkpoint {
  requireString('path', path, 'a file path');
  try {
    return withRegularFile(path, MAX_FILE_BYTES, readCheckpoint);
  } catch (error) {
    if (error instanceof CheckpointFormatError) throw new CheckpointFormatError(`${path}: ${error.message}`);
    if (error instanceof UnreadableFileError) throw new CheckpointFormatError(error.message);
    const code = (error as NodeJS.ErrnoException).code;
    throw new CheckpointFormatError(
      code === 'ENOENT' ? `no checkpoint at ${path}` : `cannot read ${path}: ${(error as Error).message}`,
    );
  }
}

function readCheckpoint(file: RegularFile): Checkpoint {
  const start = new Uint8Array(8);
  file.readAt(0, start);
  const headerBytes = headerLength(start, file.size);
  const header = parseSafetensorsHeader(readExactly(file, 8, headerBytes), file.size - 8 - headerBytes);
  checkCheckpointHeader(header);
  const tensors: TensorMap = new Map();
  const integers: IntegerTensorMap = new Map();
  const parts: Array<[number, Uint8Array]> = [];
  for (const { name, dtype, shape, begin, end } of header.entries) {
    const bytes = readExactly(file, 8 + headerBytes + begin, end - begin);
    parts.push([begin, bytes]);
    if (dtype === 'I64') integers.set(name, { shape, data: new BigInt64Array(bytes.buffer) });
    else tensors.set(name, { shape, data: floatsFromBytes(dtype, bytes) });
  }
  // The checksum covers the data section, which the tensors tile in the order of their offsets.
  const inFileOrder = parts.sort((a, b) => a[0] - b[0]).map(([, bytes]) => bytes);
  return checkpointFrom({ tensors, integers, metadata: header.metadata }, () => crc32Hex(inFileOrder));
}

/** `count` bytes from `position`, in a buffer of their own; a file cut short meanwhile is refused. */
function readExactly(file: RegularFile, position: number, count: number): Uint8Array {
  const bytes = new Uint8Array(count);
  const read = file.readAt(position, bytes);
  if (read < count)
    throw new CheckpointFormatError(
      `the file ended at byte ${position + read} while it was read (it shrank meanwhile)`,
    );
  return bytes;
}
