// The one reader of a set of pictures, whoever lists and reads the files: the CLI's folder walk
// in Node (imageFolderNode.ts) and the demo's drop or folder input in the page both give it each
// file's path below the chosen folder and its bytes, and it applies one rule for classes, hidden
// files, limits and skips, decodes (io/pictures.ts) and prepares the bytes. Only listing a folder
// and reading a file differ between the two.
import { requirePositiveInteger } from '../base/errors.js';
import { DatasetError } from '../io/idx.js';
import { decodePicture, MAX_PICTURE_BYTES, pictureFormat } from '../io/pictures.js';
import { type Channels, type DecodedImage, isColour, prepareImage, requireChannels, requireSide } from './images.js';
import { requireArrayLike, requireBoolean, requireFunction, requireObject } from '../base/arguments.js';

/** Labels are bytes. */
export const MAX_CLASSES = 255;

/**
 * Where a file stands, from the folders between the chosen folder and it. Without sub-folders
 * anywhere, every picture is unlabelled (class null). With them, each sub-folder is a class (as
 * torchvision's ImageFolder) and only the pictures directly inside one count: a picture beside
 * the class folders, or in a folder inside one, is skipped with the reason given.
 */
export function pictureClass(
  folders: readonly string[],
  withClasses: boolean,
): { className: string | null } | { reason: string } {
  requireArrayLike<string>('folders', folders, 'an array of folder names');
  requireBoolean('withClasses', withClasses);
  if (!withClasses) return { className: null };
  if (folders.length === 1) return { className: folders[0]! };
  if (folders.length === 0) return { reason: 'beside the class folders, so it has no class' };
  return { reason: 'in a folder inside a class folder' };
}

/** Pictures prepared for training: count × channels × side² bytes and, with classes, a label each. */
export interface PreparedPictureSet {
  pixels: Uint8Array;
  count: number;
  side: number;
  channels: Channels;
  /** The classes sorted by name (UTF-16 code units); empty without classes. */
  classNames: string[];
  /** Each picture's class, an index into classNames (0 for all without classes). */
  labels: Uint8Array;
}

/**
 * The prepared bytes of every picture so far. With channels 'auto' both grey and colour versions
 * are kept until the first colour picture settles it (colour if any picture is), so that each
 * file is decoded only once.
 */
export class PictureSetBuilder {
  private grey: Uint8Array[] | null;
  private colour: Uint8Array[] | null;
  private readonly classOf: Array<string | null> = [];

  constructor(
    private readonly side: number,
    private readonly wanted: Channels | 'auto' = 'auto',
  ) {
    requireSide(side);
    if (wanted !== 'auto') requireChannels(wanted);
    this.grey = wanted === 3 ? null : [];
    this.colour = wanted === 1 ? null : [];
  }

  get count(): number {
    return this.classOf.length;
  }

  add(image: DecodedImage, className: string | null): void {
    if (this.wanted === 'auto' && this.grey && isColour(image)) this.grey = null;
    this.grey?.push(prepareImage(image, this.side, 1));
    this.colour?.push(prepareImage(image, this.side, 3));
    this.classOf.push(className);
  }

  finish(): PreparedPictureSet {
    const channels: Channels = this.grey ? 1 : 3;
    const chunks = (this.grey ?? this.colour)!;
    const size = channels * this.side * this.side;
    const pixels = new Uint8Array(chunks.length * size);
    chunks.forEach((chunk, i) => {
      pixels.set(chunk, i * size);
    });
    const classNames = [...new Set(this.classOf.filter((c) => c !== null))].sort();
    const labels = Uint8Array.from(this.classOf, (c) => (c === null ? 0 : classNames.indexOf(c)));
    return { pixels, count: chunks.length, side: this.side, channels, classNames, labels };
  }
}

/** One thing a listing found below the chosen folder. */
export interface PictureEntry {
  /** Names below the chosen folder: ['cats', 'a.png'], or ['a.png'] for a file straight in it. */
  path: readonly string[];
  /** 'folder': a folder the listing did not go into (the CLI walks no deeper than class folders). */
  kind: 'file' | 'folder';
  /** Why the listing could not use it (not a regular file, cannot be read): skipped with this reason. */
  reason?: string;
  /** Its size in bytes, where the listing knows it before reading. */
  size?: number;
}

export interface SkippedPicture {
  path: readonly string[];
  reason: string;
}

/** A file to read, in training order, with its class (null: unlabelled) or why it has none. */
export interface PictureToRead<E extends PictureEntry = PictureEntry> {
  entry: E;
  className: string | null;
  /** Where it lies gives it no class: it is skipped, with this reason if it is a PNG or JPEG. */
  misplaced?: string;
}

export interface PictureSetResult extends PreparedPictureSet {
  /** Whether the chosen folder has sub-folders, which are then the classes. */
  withClasses: boolean;
  skipped: SkippedPicture[];
  /** Files past maxFiles, in path order, left unread. */
  leftOver: number;
}

export interface PictureSetOptions {
  /** Side of the square training images, in pixels. */
  side: number;
  /** 1 or 3, or 'auto' (the default): colour as soon as one picture is. */
  channels?: Channels | 'auto';
  /** Read at most this many files, the first in path order (default: all). */
  maxFiles?: number;
  /** How an error message names the chosen folder (default 'the folder'). */
  where?: string;
  /** How an error message names a path below it (default: the names joined by '/'). */
  nameOf?: (path: readonly string[]) => string;
}

const hidden = (path: readonly string[]) => path.some((name) => name.startsWith('.'));

/** Name by name, each compared by UTF-16 code units: the same order on every machine and locale. */
export function comparePaths(a: readonly string[], b: readonly string[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i]! < b[i]! ? -1 : 1;
  return a.length - b.length;
}

/**
 * A set of pictures from a listing, by one rule: names starting with '.' are ignored; the entries
 * are taken in path order; if any sub-folder is there, each is a class (as torchvision's
 * ImageFolder: classes sorted by name, label = index) and only the files directly inside one are
 * read, while a file beside the class folders or deeper down is skipped with its reason; without
 * sub-folders every picture is unlabelled. For each of `files` the caller gives the first bytes
 * (check) and, when check says so, all of them (add), or the reason it could not read them (skip).
 */
export class PictureSetReader<E extends PictureEntry = PictureEntry> {
  readonly files: PictureToRead<E>[] = [];
  private readonly skipped: SkippedPicture[] = [];
  private readonly builder: PictureSetBuilder;
  private readonly classFolders: string[];
  private readonly withClasses: boolean;
  private readonly leftOver: PictureToRead<E>[];
  private readonly where: string;
  private readonly nameOf: (path: readonly string[]) => string;

  /** Throws DatasetError past MAX_CLASSES. */
  constructor(entries: readonly E[], options: PictureSetOptions) {
    requireArrayLike('entries', entries, 'an array of pictures to read');
    requireObject('options', options, 'an object of options (side, channels)');
    const wanted = options.channels ?? 'auto';
    if (wanted !== 'auto') requireChannels(wanted);
    this.builder = new PictureSetBuilder(requireSide(options.side), wanted);
    this.where = options.where ?? 'the folder';
    this.nameOf = options.nameOf ?? ((path) => path.join('/'));
    const visible = entries.filter((e) => !hidden(e.path)).sort((a, b) => comparePaths(a.path, b.path));
    const folders = new Set<string>();
    for (const { path, kind } of visible) if (path.length > 1 || kind === 'folder') folders.add(path[0]!);
    this.classFolders = [...folders].sort();
    this.withClasses = folders.size > 0;
    if (folders.size > MAX_CLASSES)
      throw new DatasetError(
        `${this.where} has ${folders.size} sub-folders, each a class, but at most ${MAX_CLASSES} classes are ` +
          'supported (labels are bytes): merge classes, or put all the pictures in one folder to train without labels',
      );
    for (const entry of visible) {
      const placed = pictureClass(entry.path.slice(0, -1), this.withClasses);
      if (entry.reason !== undefined) this.skipped.push({ path: entry.path, reason: entry.reason });
      else if (entry.kind === 'folder') {
        const deeper = pictureClass(entry.path, true); // a class folder itself has a class
        if ('reason' in deeper) this.skipped.push({ path: entry.path, reason: deeper.reason });
      } else if ('reason' in placed) this.files.push({ entry, className: null, misplaced: placed.reason });
      else this.files.push({ entry, className: placed.className });
    }
    this.leftOver = this.files.splice(requireMaxFiles(options.maxFiles));
  }

  /** Judges a file by its first bytes (at least PICTURE_HEADER_BYTES): true if it is worth reading whole. */
  check(file: PictureToRead<E>, header: Uint8Array): boolean {
    const format = pictureFormat(header);
    if (format.kind === 'other') return this.skip(file, format.reason);
    if (file.misplaced !== undefined) return this.skip(file, file.misplaced);
    if ((file.entry.size ?? 0) > MAX_PICTURE_BYTES)
      return this.skip(file, `larger than ${MAX_PICTURE_BYTES / 1024 / 1024} MB, far more than a picture this reads`);
    return true;
  }

  /** A file's bytes: decoded and prepared, or skipped with the reason. */
  add(file: PictureToRead<E>, bytes: Uint8Array): void {
    if (!this.check(file, bytes)) return;
    const decoded = decodePicture(bytes);
    if ('reason' in decoded) this.skip(file, decoded.reason);
    else this.builder.add(decoded.image, file.className);
  }

  /** A file that could not be read, with the reason; returns false, for check. */
  skip(file: PictureToRead<E>, reason: string): false {
    this.skipped.push({ path: file.entry.path, reason });
    return false;
  }

  /**
   * The prepared set. Throws DatasetError when a class folder has no usable picture (every class
   * needs examples), naming the files skipped in it; one left unread past maxFiles is no reason.
   */
  finish(): PictureSetResult {
    const set = this.builder.finish();
    const skipped = [...this.skipped].sort((a, b) => comparePaths(a.path, b.path));
    const cut = new Set(this.leftOver.map((file) => file.entry.path[0]!));
    const empty = this.classFolders.find((name) => !set.classNames.includes(name) && !cut.has(name));
    if (empty !== undefined) {
      const own = skipped.filter((s) => s.path.length > 1 && s.path[0] === empty);
      throw new DatasetError(
        `class folder ${this.nameOf([empty])} has no PNG or JPEG picture that could be read` +
          `${inParentheses(describeSkippedPictures(own, this.nameOf))}; ` +
          'every class needs examples: add pictures to it or remove it',
      );
    }
    return { ...set, withClasses: this.withClasses, skipped, leftOver: this.leftOver.length };
  }
}

/** How many skipped files a message names before it says how many more there are. */
const NAMED_SKIPS = 5;

/**
 * "3 files skipped — a.txt: not a PNG …; b.png: …", naming the first few; '' when none was. The
 * CLI's errors and the demo's messages say it alike.
 */
export function describeSkippedPictures(
  skipped: readonly SkippedPicture[],
  nameOf: (path: readonly string[]) => string = (path) => path.join('/'),
): string {
  requireArrayLike('skipped', skipped, 'an array of skipped pictures');
  requireFunction('nameOf', nameOf);
  if (skipped.length === 0) return '';
  const named = skipped.slice(0, NAMED_SKIPS).map((s) => `${nameOf(s.path)}: ${s.reason}`);
  const more = skipped.length > NAMED_SKIPS ? `; and ${skipped.length - NAMED_SKIPS} more` : '';
  return `${skipped.length} file${skipped.length === 1 ? '' : 's'} skipped — ${named.join('; ')}${more}`;
}

/** " (3 files skipped — …)", or '' when none was: for the middle of an error message. */
export const inParentheses = (text: string) => (text === '' ? '' : ` (${text})`);

function requireMaxFiles(maxFiles: number | undefined): number {
  return maxFiles === undefined ? Number.POSITIVE_INFINITY : requirePositiveInteger('maxFiles', maxFiles);
}
