// Checkpoint files in Node, written atomically: the bytes go to a temporary file in the same
// folder, are flushed to disk, and only then renamed over the target, so a crash or a full disk
// leaves the previous good checkpoint in place. Reading checks the whole file before use.
import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { decodeCheckpoint, type Checkpoint } from './checkpoint.js';
import { CheckpointFormatError } from '../io/safetensors.js';
import { readRegularFile, UnreadableFileError } from '../io/regularFileNode.js';
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

export function readCheckpointFile(path: string): Checkpoint {
  requireString('path', path, 'a file path');
  let bytes: Uint8Array;
  try {
    bytes = readRegularFile(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (error instanceof UnreadableFileError) throw new CheckpointFormatError(error.message);
    throw new CheckpointFormatError(
      code === 'ENOENT' ? `no checkpoint at ${path}` : `cannot read ${path}: ${(error as Error).message}`,
    );
  }
  try {
    return decodeCheckpoint(bytes);
  } catch (error) {
    throw new CheckpointFormatError(`${path}: ${(error as Error).message}`);
  }
}
