// Training data from a folder of the user's own PNG and JPEG pictures, read in Node. Files are
// recognised by their content, never their name, and decoded by pure-JS decoders (pngjs, jpeg-js)
// so that no native build is needed. A file that cannot be used is skipped and reported, so one
// bad picture does not stop a run; a folder that gives nothing to train on is refused up front.
import { closeSync, openSync, readdirSync, readFileSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { decode as decodeJpeg } from 'jpeg-js';
import { PNG } from 'pngjs';
import { type Channels, type DecodedImage, requireChannels, requireSide } from './images.js';
import { pictureClass, PictureSetBuilder } from './pictureSet.js';
import { DatasetError } from '../io/idx.js';

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

/** Larger pictures are skipped: decoding one would take gigabytes for a training image of ≤ 256². */
const MAX_MEGAPIXELS = 64;
/** jpeg-js's own cap on what it allocates while decoding (RGBA output included). */
const JPEG_MEMORY_MB = 1024;
/** No PNG or JPEG of at most MAX_MEGAPIXELS comes near this; a bigger file is something else. */
const MAX_FILE_BYTES = 512 * 1024 * 1024;
/** Labels are bytes. */
const MAX_CLASSES = 255;
/** How many skipped files an error message names before it says "and N more". */
const NAMED_SKIPS = 5;

type Skipped = ImageFolder['skipped'][number];
type Entry = { name: string; path: string; kind: 'folder' | 'file' } | { name: string; path: string; reason: string };

/**
 * Reads every PNG and JPEG in `dir` as training images, files in sorted order. If `dir` holds
 * sub-folders, each is a class (as torchvision's ImageFolder: classes sorted by name, label = index)
 * and only the pictures directly inside a class folder are read; folders deeper down are skipped
 * and reported, and so are pictures beside the class folders (pictureSet.ts has the rule, which
 * the demo shares). Hidden names (starting with '.') are ignored. Throws DatasetError when
 * nothing could be trained on.
 */
export function loadImageFolder(dir: string, options: ImageFolderOptions = {}): ImageFolder {
  const side = requireSide(options.side ?? 28);
  const wanted = options.channels ?? 'auto';
  if (wanted !== 'auto') requireChannels(wanted);
  requireFolder(dir);
  const entries = listFolder(dir);
  const skipped: Skipped[] = [];
  const folders = entries.filter((e) => 'kind' in e && e.kind === 'folder');
  const images = new PictureSetBuilder(side, wanted);
  if (folders.length === 0) {
    readImages(entries, null, images, skipped);
    if (images.count === 0) throw nothingToTrainOn(dir, entries.length, skipped);
    return folderOf(images, false, skipped);
  }
  if (folders.length > MAX_CLASSES)
    throw new DatasetError(
      `${dir} has ${folders.length} sub-folders, each a class, but at most ${MAX_CLASSES} classes are supported ` +
        '(labels are bytes): merge classes, or put all the pictures in one folder to train without labels',
    );
  skipLooseFiles(entries, skipped);
  for (const folder of folders) {
    const [before, skippedBefore] = [images.count, skipped.length];
    readImages(listFolder(folder.path), folder.name, images, skipped);
    if (images.count === before) {
      const own = skipped.slice(skippedBefore);
      throw new DatasetError(
        `class folder ${folder.path} has no PNG or JPEG picture that could be read${describeSkips(own)}; ` +
          'every class needs examples: add pictures to it or remove it',
      );
    }
  }
  return folderOf(images, true, skipped);
}

function folderOf(images: PictureSetBuilder, withClasses: boolean, skipped: Skipped[]): ImageFolder {
  const { pixels, count, side, channels, labels, classNames } = images.finish();
  return withClasses
    ? { pixels, count, side, channels, labels, classNames, skipped }
    : { pixels, count, side, channels, labels: null, classNames: null, skipped };
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

/** The folder's visible entries, sorted by name (UTF-16 code units, the same on every machine and locale). */
function listFolder(dir: string): Entry[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (error) {
    throw new DatasetError(`cannot list the folder ${dir} (${errorCode(error)}): check that you may read it`);
  }
  return names
    .filter((name) => !name.startsWith('.'))
    .sort()
    .map((name) => {
      const path = join(dir, name);
      try {
        // stat, not the directory entry's type, so that links to pictures and folders are followed.
        const stats = statSync(path);
        if (stats.isDirectory()) return { name, path, kind: 'folder' };
        if (stats.isFile()) return { name, path, kind: 'file' };
        return { name, path, reason: 'not a regular file' };
      } catch (error) {
        return { name, path, reason: `cannot read it (${errorCode(error)})` };
      }
    });
}

/** Pictures lying beside class folders would have no class: say so rather than guess one. */
/** The files beside the class folders: each skipped, as pictureClass says, with the reason. */
function skipLooseFiles(entries: Entry[], skipped: Skipped[]): void {
  for (const entry of entries) {
    if ('reason' in entry) skipped.push({ path: entry.path, reason: entry.reason });
    else if (entry.kind === 'file') {
      const format = sniffFile(entry.path);
      const placed = pictureClass([], true);
      if (format.kind === 'other') skipped.push({ path: entry.path, reason: format.reason });
      else if ('reason' in placed) skipped.push({ path: entry.path, reason: placed.reason });
    }
  }
}

function readImages(entries: Entry[], className: string | null, into: PictureSetBuilder, skipped: Skipped[]): void {
  for (const entry of entries) {
    if ('reason' in entry) {
      skipped.push({ path: entry.path, reason: entry.reason });
    } else if (entry.kind === 'folder') {
      const placed = pictureClass([className ?? '', entry.name], className !== null);
      skipped.push({ path: entry.path, reason: 'reason' in placed ? placed.reason : 'a folder' });
    } else {
      const decoded = decodeFile(entry.path);
      if ('reason' in decoded) skipped.push({ path: entry.path, reason: decoded.reason });
      else into.add(decoded.image, className);
    }
  }
}

type Format = { kind: 'png' | 'jpeg' } | { kind: 'other'; reason: string };

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const HEADER_BYTES = 32;

/** What a file's first bytes say it is; other common picture formats get a reason that names them. */
function formatOf(header: Uint8Array): Format {
  const startsWith = (bytes: number[], at = 0) => bytes.every((b, i) => header[at + i] === b);
  const ascii = (text: string) => [...text].map((c) => c.charCodeAt(0));
  if (startsWith(PNG_SIGNATURE)) return { kind: 'png' };
  if (startsWith([0xff, 0xd8, 0xff])) return { kind: 'jpeg' };
  const named = (name: string): Format => ({
    kind: 'other',
    reason: `a ${name} picture: only PNG and JPEG are read, convert it to one of those`,
  });
  if (startsWith(ascii('GIF8'))) return named('GIF');
  if (startsWith(ascii('RIFF')) && startsWith(ascii('WEBP'), 8)) return named('WebP');
  if (startsWith(ascii('BM'))) return named('BMP');
  if (startsWith(ascii('II*\0')) || startsWith(ascii('MM\0*'))) return named('TIFF');
  if (startsWith(ascii('ftyp'), 4) && ['heic', 'heix', 'mif1', 'avif'].some((b) => startsWith(ascii(b), 8)))
    return named('HEIC/AVIF');
  return { kind: 'other', reason: 'not a PNG or JPEG picture (judged by its content, not its name)' };
}

/** Reads only the first bytes, so that a large non-picture (a video, an archive) is never read whole. */
function sniffFile(path: string): Format {
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    const header = new Uint8Array(HEADER_BYTES);
    const length = readSync(fd, header, 0, HEADER_BYTES, 0);
    return formatOf(header.subarray(0, length));
  } catch (error) {
    return { kind: 'other', reason: `cannot read it (${errorCode(error)})` };
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

function decodeFile(path: string): { image: DecodedImage } | { reason: string } {
  const format = sniffFile(path);
  if (format.kind === 'other') return { reason: format.reason };
  let bytes: Buffer;
  try {
    if (statSync(path).size > MAX_FILE_BYTES)
      return { reason: `larger than ${MAX_FILE_BYTES / 1024 / 1024} MB, far more than a picture this reads` };
    bytes = readFileSync(path);
  } catch (error) {
    return { reason: `cannot read it (${errorCode(error)})` };
  }
  try {
    return format.kind === 'png' ? decodePng(bytes) : decodeJpegFile(bytes);
  } catch (error) {
    return { reason: `corrupt or truncated ${format.kind.toUpperCase()} (${oneLine(error)})` };
  }
}

function decodePng(bytes: Buffer): { image: DecodedImage } | { reason: string } {
  // The size is in the IHDR chunk right after the signature; refuse a huge picture before pngjs
  // allocates for it (pngjs has no limit of its own, unlike jpeg-js).
  if (bytes.length >= 24 && bytes.toString('latin1', 12, 16) === 'IHDR') {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const tooLarge = tooManyPixels(view.getUint32(16, false), view.getUint32(20, false));
    if (tooLarge) return { reason: tooLarge };
  }
  // pngjs gives 8-bit RGBA whatever the file holds: grey, palette, 16-bit and tRNS are converted.
  const png = PNG.sync.read(bytes);
  return { image: { width: png.width, height: png.height, rgba: png.data } };
}

function decodeJpegFile(bytes: Buffer): { image: DecodedImage } {
  const jpeg = decodeJpeg(bytes, {
    useTArray: true,
    formatAsRGBA: true,
    maxResolutionInMP: MAX_MEGAPIXELS,
    maxMemoryUsageInMB: JPEG_MEMORY_MB,
  });
  return { image: { width: jpeg.width, height: jpeg.height, rgba: jpeg.data } };
}

function tooManyPixels(width: number, height: number): string | null {
  if (width * height <= MAX_MEGAPIXELS * 1e6) return null;
  return `${width}×${height} pixels is more than the ${MAX_MEGAPIXELS} megapixels read; scale it down first`;
}

function nothingToTrainOn(dir: string, entries: number, skipped: Skipped[]): DatasetError {
  if (entries === 0)
    return new DatasetError(
      `${dir} is empty: put PNG or JPEG pictures in it (or one sub-folder of them per class) to train on`,
    );
  return new DatasetError(
    `${dir} has no PNG or JPEG picture that could be read${describeSkips(skipped)}; ` +
      'put PNG or JPEG pictures in it (other formats: convert them first)',
  );
}

/** ": 3 files skipped — a.txt: reason; b.png: reason" with the first few, for an error message. */
function describeSkips(skipped: Skipped[]): string {
  if (skipped.length === 0) return '';
  const named = skipped.slice(0, NAMED_SKIPS).map((s) => `${s.path}: ${s.reason}`);
  const more = skipped.length > NAMED_SKIPS ? `; and ${skipped.length - NAMED_SKIPS} more` : '';
  return ` (${skipped.length} file${skipped.length === 1 ? '' : 's'} skipped — ${named.join('; ')}${more})`;
}

function errorCode(error: unknown): string {
  return (error as NodeJS.ErrnoException).code ?? oneLine(error);
}

/** A decoder's message on one line, short enough for a list of skipped files. */
function oneLine(error: unknown): string {
  const message = String((error as Error)?.message ?? error)
    .split('\n')[0]!
    .trim();
  return message.length > 160 ? `${message.slice(0, 157)}...` : message;
}

/** One PNG or JPEG file, decoded (e.g. an image to repair); a DatasetError says why it cannot be. */
export function readImageFile(path: string): DecodedImage {
  const decoded = decodeFile(path);
  if ('reason' in decoded) throw new DatasetError(`${path}: ${decoded.reason}`);
  return decoded.image;
}
