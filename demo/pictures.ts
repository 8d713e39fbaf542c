// The visitor's own pictures as training data, read in the page: nothing is uploaded. This file
// only lists what was dropped or chosen and reads each file's bytes (File.arrayBuffer); the
// library's PictureSetReader applies the rule for classes and loose pictures, decodes PNG and
// JPEG and prepares the bytes exactly as the CLI does for a folder (webgpu-gan/node's
// loadImageFolder), so the page trains on the same bytes the CLI would make of the same folder.
import {
  type Channels,
  describeSkippedPictures,
  PICTURE_HEADER_BYTES,
  type PictureEntry,
  PictureSetReader,
} from 'webgpu-gan';

/** A file, with the folders between the dropped (or chosen) folder and it: [] for a loose file. */
export interface PictureFile {
  file: File;
  folders: string[];
}

export interface Skipped {
  /** Its path from the dropped folder, as the visitor knows it. */
  name: string;
  reason: string;
}

/** The files found, and those that could not even be listed. */
export interface Listing {
  files: PictureFile[];
  skipped: Skipped[];
  /** Files beyond MAX_FILES (the first in path order are read), left unread: set by readPictures. */
  leftOver: number;
}

/** Training images: MNIST's digits or the visitor's pictures, as bytes like MNIST's. */
export interface TrainingImages {
  /** count × channels × side² bytes, each image planar C×H×W. */
  pixels: Uint8Array;
  /** Each image's class, an index into classNames (0 for all when there are none). */
  labels: Uint8Array;
  /** The classes in label order; empty when the images have none. */
  classNames: string[];
  count: number;
  side: number;
  channels: Channels;
  source: 'mnist' | 'pictures';
}

export interface PictureSet extends TrainingImages {
  skipped: Skipped[];
  /** Files beyond MAX_FILES, left unread. */
  leftOver: number;
}

/** More files than this are left unread: decoding them would keep the page busy for many minutes. */
export const MAX_FILES = 20_000;
export const valuesPerImage = (images: TrainingImages) => images.channels * images.side * images.side;

/** Whether the images can train a conditional GAN: two classes at least, and not more than a grid can show. */
export const conditionalClasses = (images: TrainingImages, most: number) =>
  images.classNames.length >= 2 && images.classNames.length <= most ? images.classNames.length : 0;

/** Hidden files and folders (".DS_Store", ".git") are not the visitor's pictures; the CLI ignores them too. */
const hidden = (name: string) => name.startsWith('.');

/**
 * What a drop holds, taken while the drop event runs: the browser empties its DataTransfer once
 * the handler returns, so the entries (and the plain files, for when there are none) are
 * collected here and walked afterwards.
 */
export function dropContents(transfer: DataTransfer): { entries: FileSystemEntry[]; files: File[] } {
  const entries: FileSystemEntry[] = [];
  for (const item of Array.from(transfer.items)) {
    const entry = item.kind === 'file' ? item.webkitGetAsEntry?.() : null;
    if (entry) entries.push(entry);
  }
  return { entries, files: Array.from(transfer.files) };
}

/**
 * The files of a drop. One dropped folder is the folder of pictures; several dropped items are
 * its contents. Without entries (a DataTransfer made by a script, a browser without the API) the
 * files are loose pictures.
 */
export async function listDrop(drop: { entries: FileSystemEntry[]; files: File[] }): Promise<Listing> {
  const listing: Listing = { files: [], skipped: [], leftOver: 0 };
  if (drop.entries.length === 0) {
    for (const file of drop.files) listing.files.push({ file, folders: [] });
    return listing;
  }
  const [only] = drop.entries;
  if (drop.entries.length === 1 && only!.isDirectory) {
    await walkFolder(only as FileSystemDirectoryEntry, [], listing);
    return listing;
  }
  for (const entry of sortedEntries(drop.entries)) await walkEntry(entry, [], listing);
  return listing;
}

/** The files of a file input: with webkitdirectory each is named by its path from the chosen folder. */
export function listChosen(files: FileList | File[]): Listing {
  const listing: Listing = { files: [], skipped: [], leftOver: 0 };
  for (const file of Array.from(files)) {
    // "chosen/cats/a.png": the first part is the chosen folder itself, the last the file's name.
    const parts = file.webkitRelativePath.split('/').filter((part) => part !== '');
    const folders = parts.slice(1, -1);
    if (!hidden(file.name) && !folders.some(hidden)) listing.files.push({ file, folders });
  }
  return listing;
}

function sortedEntries(entries: FileSystemEntry[]): FileSystemEntry[] {
  return entries.filter((e) => !hidden(e.name)).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

async function walkEntry(entry: FileSystemEntry, folders: string[], listing: Listing): Promise<void> {
  if (entry.isDirectory) {
    await walkFolder(entry as FileSystemDirectoryEntry, [...folders, entry.name], listing);
    return;
  }
  try {
    listing.files.push({ file: await fileOf(entry as FileSystemFileEntry), folders });
  } catch (error) {
    listing.skipped.push({ name: [...folders, entry.name].join('/'), reason: `cannot be read (${why(error)})` });
  }
}

async function walkFolder(folder: FileSystemDirectoryEntry, folders: string[], listing: Listing): Promise<void> {
  let children: FileSystemEntry[];
  try {
    children = await readAllEntries(folder.createReader());
  } catch (error) {
    listing.skipped.push({ name: `${folder.name}/`, reason: `the folder cannot be listed (${why(error)})` });
    return;
  }
  for (const child of sortedEntries(children)) await walkEntry(child, folders, listing);
}

/** readEntries hands a folder over in batches (of 100 in Chrome): it is called until one comes back empty. */
async function readAllEntries(reader: FileSystemDirectoryReader): Promise<FileSystemEntry[]> {
  const all: FileSystemEntry[] = [];
  for (;;) {
    const batch = await new Promise<FileSystemEntry[]>((resolve, reject) => reader.readEntries(resolve, reject));
    if (batch.length === 0) return all;
    all.push(...batch);
  }
}

function fileOf(entry: FileSystemFileEntry): Promise<File> {
  return new Promise((resolve, reject) => entry.file(resolve, reject));
}

function why(error: unknown): string {
  return (error as Error)?.message || String(error);
}

/** A listed file as the library takes it: its path below the dropped or chosen folder. */
type FileEntry = PictureEntry & { file: File };

/** Reads and prepares every listed file, by the library's one rule; `onProgress` hears how many are done. */
export async function readPictures(
  listing: Listing,
  side: number,
  onProgress: (done: number, total: number) => void,
): Promise<PictureSet> {
  const entries = listing.files.map(
    ({ file, folders }): FileEntry => ({ path: [...folders, file.name], kind: 'file', size: file.size, file }),
  );
  const reader = new PictureSetReader(entries, { side, maxFiles: MAX_FILES, where: 'the folder' });
  const total = reader.files.length;
  for (const [i, picture] of reader.files.entries()) {
    onProgress(i, total);
    const { file } = picture.entry;
    try {
      // The first bytes first, so that a large file that is no picture (a video) is not read whole.
      const header = new Uint8Array(await file.slice(0, PICTURE_HEADER_BYTES).arrayBuffer());
      if (reader.check(picture, header)) reader.add(picture, new Uint8Array(await file.arrayBuffer()));
    } catch (error) {
      reader.skip(picture, `cannot be read (${why(error)})`);
    }
  }
  onProgress(total, total);
  // Throws DatasetError, naming the folder, when a class folder has no usable picture, as the CLI does.
  const { pixels, labels, classNames, count, channels, skipped, leftOver } = reader.finish();
  const named = skipped.map((s) => ({ name: s.path.join('/'), reason: s.reason }));
  listing.leftOver = leftOver;
  return {
    pixels,
    labels,
    classNames,
    count,
    side,
    channels,
    source: 'pictures',
    skipped: [...listing.skipped, ...named],
    leftOver,
  };
}

/** "3 files skipped — a.txt: not a PNG or JPEG picture …; ….", naming the first few, as the CLI does. */
export function describeSkipped(skipped: Skipped[]): string {
  const text = describeSkippedPictures(skipped.map((s) => ({ path: [s.name], reason: s.reason })));
  return text === '' ? '' : `${text}.`;
}

/** "120 of your pictures, 32×32 colour, 2 classes (cats, dogs)" or "MNIST: 1000 digits, 28×28 grey". */
export function describeImages(images: TrainingImages): string {
  const shape = `${images.side}×${images.side} ${images.channels === 3 ? 'colour' : 'grey'}`;
  if (images.source === 'mnist') return `MNIST: ${images.count} digits, ${shape}`;
  const n = images.classNames.length;
  const shown = images.classNames.slice(0, 4).join(', ') + (n > 4 ? ', …' : '');
  const classes = n === 0 ? '' : `, ${n} class${n === 1 ? '' : 'es'} (${shown})`;
  return `${images.count} of your picture${images.count === 1 ? '' : 's'}, ${shape}${classes}`;
}
