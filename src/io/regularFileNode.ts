// Reading a file the user named, in Node. Every such read (checkpoints, data, pictures, the log,
// classifier files) goes through readRegularFile: a device (/dev/zero, /dev/urandom), a FIFO or a
// socket would be read without end, so only regular files are read, and never more than a limit
// that is checked from the file's size before a byte is read.
import { closeSync, constants, fstatSync, openSync, readSync, type Stats, statSync } from 'node:fs';

/**
 * The most any reader takes by default: what one Node buffer holds (2 GiB − 1), far above a
 * checkpoint, a dataset file or a picture, so that a larger file is refused by name rather than
 * by an allocation failure.
 */
export const MAX_FILE_BYTES = 2 ** 31 - 1;

/** A path names something other than a regular file, or a file larger than its reader takes. */
export class UnreadableFileError extends Error {
  override name = 'UnreadableFileError';
}

/** What a non-regular file is, for the message. */
function kindOf(stats: Stats): string {
  if (stats.isDirectory()) return 'a folder';
  if (stats.isCharacterDevice() || stats.isBlockDevice()) return 'a device';
  if (stats.isFIFO()) return 'a FIFO (named pipe)';
  if (stats.isSocket()) return 'a socket';
  return 'not a plain file';
}

function checkRegular(stats: Stats, path: string, maxBytes: number): void {
  if (!stats.isFile())
    throw new UnreadableFileError(`${path} is not a regular file (it is ${kindOf(stats)}); name a regular file`);
  if (stats.size > maxBytes)
    throw new UnreadableFileError(
      `${path} is ${stats.size} bytes, more than the ${maxBytes} this reader takes; it cannot be the file expected`,
    );
}

/**
 * The whole of a regular file, at most `maxBytes` long. Checked by path before opening (so a FIFO
 * is never opened), opened non-blocking (in case the path was swapped for one meanwhile) and checked
 * again on the open descriptor, so what is read is what was checked. File-system errors (ENOENT,
 * EACCES) are thrown as Node throws them; a wrong kind or size as an UnreadableFileError.
 */
export function readRegularFile(path: string, maxBytes = MAX_FILE_BYTES): Buffer {
  return readChecked(path, maxBytes, Number.POSITIVE_INFINITY);
}

/** The first `count` bytes of a regular file (fewer if it is shorter), checked as readRegularFile checks. */
export function readRegularFileStart(path: string, count: number): Buffer {
  return readChecked(path, MAX_FILE_BYTES, count);
}

function readChecked(path: string, maxBytes: number, count: number): Buffer {
  return withRegularFile(path, maxBytes, (file) => {
    // The size read at open: a file that grows meanwhile is read to that size, one that shrinks to its end.
    const bytes = Buffer.alloc(Math.min(file.size, count));
    const at = file.readAt(0, bytes);
    return at === bytes.length ? bytes : bytes.subarray(0, at);
  });
}

/** A regular file open for reading, with its size as checked at open. */
export interface RegularFile {
  size: number;
  /** Reads into `target` from `position`; returns how many bytes were read (fewer at the file's end). */
  readAt(position: number, target: Uint8Array): number;
}

/**
 * Opens a regular file of at most `maxBytes`, checked as readRegularFile checks, for a reader that
 * takes only the parts it needs (a checkpoint's header, then each tensor into its own array).
 */
export function withRegularFile<T>(path: string, maxBytes: number, use: (file: RegularFile) => T): T {
  checkRegular(statSync(path), path, maxBytes);
  const fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    const stats = fstatSync(fd);
    checkRegular(stats, path, maxBytes);
    return use({
      size: stats.size,
      readAt(position, target) {
        let at = 0;
        while (at < target.length) {
          const read = readSync(fd, target, at, target.length - at, position + at);
          if (read === 0) break;
          at += read;
        }
        return at;
      },
    });
  } finally {
    closeSync(fd);
  }
}
