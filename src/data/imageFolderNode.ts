// Training data from a folder of the user's own PNG and JPEG pictures, read in Node: this file only
// lists the folder and reads the files' bytes; pictureSet.ts applies the rule for classes and
// skips, and decodes and prepares them as the demo's dropped pictures are. A file that cannot be
// used is skipped and reported, so one bad picture does not stop a run; a folder that gives
// nothing to train on is refused up front.
import { readdirSync, statSync } from 'node:fs';
import { readRegularFile, readRegularFileStart } from '../io/regularFileNode.js';
import { join } from 'node:path';
import { type Channels, type DecodedImage, requireChannels, requireSide } from './images.js';
import { describeSkippedPictures, inParentheses, type PictureEntry, PictureSetReader } from './pictureSet.js';
import { DatasetError } from '../io/idx.js';
import { decodePicture, PICTURE_HEADER_BYTES } from '../io/pictures.js';
import { requireObject, requireString } from '../base/arguments.js';

export interface ImageFolderOptions {
  /** Side of the square training images, in pixels (default 28, as MNIST). */
  side?: number;
  /** 1 (grey), 3 (colour) or 'auto' (the default): 3 if any picture is in colour, else 1. */
  channels?: Channels | 'auto';
}

export interface ImageFolder {
  /** count × channels × side × side bytes, each image planar C×H×W (see prepareImage). */
  pixels: Uint8Array;
  count: number;
  side: number;
  channels: Channels;
  /** With one sub-folder per class: each image's class, an index into classNames; null without. */
  labels: Uint8Array | null;
  classNames: string[] | null;
  /** Files that were not used, each with a one-line reason. */
  skipped: Array<{ path: string; reason: string }>;
}

/**
 * Reads every PNG and JPEG in `dir` as training images, by pictureSet.ts's rule: if `dir` holds
 * sub-folders, each is a class (classes sorted by name, label = index) and only the pictures
 * directly inside a class folder are read; folders deeper down, and files beside the class
 * folders, are skipped and reported. Hidden names (starting with '.') are ignored. Throws
 * DatasetError when nothing could be trained on, or a class folder has no usable picture.
 */
export function loadImageFolder(dir: string, options: ImageFolderOptions = {}): ImageFolder {
  requireString('dir', dir, 'a folder path');
  requireObject('options', options);
  const side = requireSide(options.side ?? 28);
  const channels = options.channels ?? 'auto';
  if (channels !== 'auto') requireChannels(channels);
  requireFolder(dir);
  const entries = listFolder(dir);
  const nameOf = (path: readonly string[]) => join(dir, ...path);
  const reader = new PictureSetReader(entries, { side, channels, where: dir, nameOf });
  for (const file of reader.files) {
    const path = nameOf(file.entry.path);
    try {
      // Only the first bytes of a file that is no picture (a video, an archive) are ever read.
      if (reader.check(file, readHeader(path))) reader.add(file, readRegularFile(path));
    } catch (error) {
      reader.skip(file, `cannot read it (${errorCode(error)})`);
    }
  }
  const set = reader.finish();
  if (set.count === 0) {
    const visible = entries.filter((e) => !e.path[0]!.startsWith('.')).length;
    throw nothingToTrainOn(dir, visible, inParentheses(describeSkippedPictures(set.skipped, nameOf)));
  }
  const { pixels, count, channels: found, labels, classNames } = set;
  const skipped = set.skipped.map((s) => ({ path: nameOf(s.path), reason: s.reason }));
  return set.withClasses
    ? { pixels, count, side, channels: found, labels, classNames, skipped }
    : { pixels, count, side, channels: found, labels: null, classNames: null, skipped };
}

function requireFolder(dir: string): void {
  let isFolder: boolean;
  try {
    isFolder = statSync(dir).isDirectory();
  } catch (error) {
    const code = errorCode(error);
    throw new DatasetError(
      code === 'ENOENT'
        ? `no folder at ${dir}: give a folder of PNG or JPEG pictures (or one sub-folder of them per class)`
        : `cannot open ${dir} (${code}): check that it exists and that you may read it`,
    );
  }
  if (!isFolder)
    throw new DatasetError(
      `${dir} is a file, but a folder of PNG or JPEG pictures is expected here (an IDX file such as MNIST's is ` +
        'read by loadMnistImages)',
    );
}

/**
 * The folder's entries and those of its sub-folders (the class folders), each by its path below
 * `dir`; folders inside a class folder are listed but not entered (pictureSet.ts skips them).
 */
function listFolder(dir: string): PictureEntry[] {
  const entries: PictureEntry[] = [];
  for (const top of entriesOf(dir, [])) {
    entries.push(top);
    if (top.kind === 'folder' && top.reason === undefined && !top.path[0]!.startsWith('.'))
      entries.push(...entriesOf(join(dir, top.path[0]!), top.path));
  }
  return entries;
}

function entriesOf(folder: string, below: readonly string[]): PictureEntry[] {
  let names: string[];
  try {
    names = readdirSync(folder);
  } catch (error) {
    throw new DatasetError(`cannot list the folder ${folder} (${errorCode(error)}): check that you may read it`);
  }
  return names.map((name): PictureEntry => {
    const path = [...below, name];
    try {
      // stat, not the directory entry's type, so that links to pictures and folders are followed.
      const stats = statSync(join(folder, name));
      if (stats.isDirectory()) return { path, kind: 'folder' };
      if (stats.isFile()) return { path, kind: 'file', size: stats.size };
      return { path, kind: 'file', reason: 'not a regular file' };
    } catch (error) {
      return { path, kind: 'file', reason: `cannot read it (${errorCode(error)})` };
    }
  });
}

/** The first bytes of a file, enough to tell what it is. */
function readHeader(path: string): Uint8Array {
  return readRegularFileStart(path, PICTURE_HEADER_BYTES);
}

function nothingToTrainOn(dir: string, entries: number, skips: string): DatasetError {
  if (entries === 0)
    return new DatasetError(
      `${dir} is empty: put PNG or JPEG pictures in it (or one sub-folder of them per class) to train on`,
    );
  return new DatasetError(
    `${dir} has no PNG or JPEG picture that could be read${skips}; ` +
      'put PNG or JPEG pictures in it (other formats: convert them first)',
  );
}

function errorCode(error: unknown): string {
  return (error as NodeJS.ErrnoException).code ?? String((error as Error)?.message ?? error);
}

/** One PNG or JPEG file, decoded (e.g. an image to repair); a DatasetError says why it cannot be. */
export function readImageFile(path: string): DecodedImage {
  let bytes: Uint8Array;
  try {
    bytes = readRegularFile(path);
  } catch (error) {
    throw new DatasetError(`${path}: cannot read it (${errorCode(error)})`);
  }
  const decoded = decodePicture(bytes);
  if ('reason' in decoded) throw new DatasetError(`${path}: ${decoded.reason}`);
  return decoded.image;
}
