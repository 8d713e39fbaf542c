// The visitor's own pictures as training data, read in the page: nothing is uploaded. A dropped
// or chosen folder's sub-folders are its classes (sorted by name, as the CLI's folders are), and
// pictures straight in a folder without sub-folders are unlabelled, by the library's one rule
// (pictureClass, which the CLI's folders follow too). Each file is decoded by the browser, read
// back from a canvas as RGBA and prepared by the library's PictureSetBuilder, as the CLI prepares
// its own, so the page trains on the same bytes the CLI would make of the same folder.
import { type Channels, type DecodedImage, PictureSetBuilder, pictureClass } from 'webgpu-gan';

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
  /** Files beyond MAX_FILES, left unread. */
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
}

/** More files than this are left unread: decoding them would keep the page busy for many minutes. */
export const MAX_FILES = 20_000;
/** A bigger picture is refused rather than read back whole (width × height × 4 bytes). */
const MAX_MEGAPIXELS = 64;
/** How many skipped files a message names before it says how many more there are. */
const NAMED_SKIPS = 5;

export const valuesPerImage = (images: TrainingImages) => images.channels * images.side * images.side;

/** Whether the images can train a conditional GAN: two classes at least, and not more than a grid can show. */
export const conditionalClasses = (images: TrainingImages, most: number) =>
  images.classNames.length >= 2 && images.classNames.length <= most ? images.classNames.length : 0;

/** Hidden files and folders (".DS_Store", ".git") are not the visitor's pictures; the CLI ignores them too. */
const hidden = (name: string) => name.startsWith('.');

const pathOf = (p: PictureFile) => [...p.folders, p.file.name].join('/');

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
    for (const file of drop.files) addFile(listing, { file, folders: [] });
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
    if (!hidden(file.name) && !folders.some(hidden)) addFile(listing, { file, folders });
  }
  return listing;
}

function addFile(listing: Listing, picture: PictureFile): void {
  if (listing.files.length >= MAX_FILES) listing.leftOver++;
  else listing.files.push(picture);
}

function sortedEntries(entries: FileSystemEntry[]): FileSystemEntry[] {
  return entries.filter((e) => !hidden(e.name)).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

async function walkEntry(entry: FileSystemEntry, folders: string[], listing: Listing): Promise<void> {
  if (entry.isDirectory) {
    await walkFolder(entry as FileSystemDirectoryEntry, [...folders, entry.name], listing);
    return;
  }
  if (listing.files.length >= MAX_FILES) {
    listing.leftOver++;
    return;
  }
  try {
    addFile(listing, { file: await fileOf(entry as FileSystemFileEntry), folders });
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

/** Which class each file is in, by the library's one rule (pictureClass, as the CLI reads folders). */
function classify(files: PictureFile[]): {
  files: Array<{ picture: PictureFile; className: string | null }>;
  skipped: Skipped[];
} {
  const withClasses = files.some((p) => p.folders.length > 0);
  const skipped: Skipped[] = [];
  const classified: Array<{ picture: PictureFile; className: string | null }> = [];
  for (const picture of files) {
    const placed = pictureClass(picture.folders, withClasses);
    if ('reason' in placed) skipped.push({ name: pathOf(picture), reason: placed.reason });
    else classified.push({ picture, className: placed.className });
  }
  return { files: classified, skipped };
}

/** Decodes pictures one after another through a single reused canvas. */
class PictureDecoder {
  private readonly canvas = new OffscreenCanvas(1, 1);
  private readonly context = this.canvas.getContext('2d', { willReadFrequently: true })!;

  async decode(file: File): Promise<DecodedImage | { reason: string }> {
    let bitmap: ImageBitmap;
    try {
      bitmap = await createImageBitmap(file);
    } catch {
      return {
        reason: file.type.startsWith('image/')
          ? 'could not be decoded: damaged, or a format this browser cannot read'
          : 'not a picture',
      };
    }
    try {
      const { width, height } = bitmap;
      if (width * height > MAX_MEGAPIXELS * 1e6)
        return { reason: `${width}×${height} is more than ${MAX_MEGAPIXELS} megapixels; scale it down first` };
      // Setting the size clears the canvas, so a transparent picture is never drawn over the last one.
      this.canvas.width = width;
      this.canvas.height = height;
      this.context.clearRect(0, 0, width, height);
      this.context.drawImage(bitmap, 0, 0);
      return { width, height, rgba: this.context.getImageData(0, 0, width, height).data };
    } finally {
      bitmap.close();
    }
  }
}

/** Decodes and prepares every listed file; `onProgress` hears how many are done. */
export async function readPictures(
  listing: Listing,
  side: number,
  onProgress: (done: number, total: number) => void,
): Promise<PictureSet> {
  const sorted = [...listing.files].sort((a, b) => (pathOf(a) < pathOf(b) ? -1 : pathOf(a) > pathOf(b) ? 1 : 0));
  const { files, skipped } = classify(sorted);
  const all = [...listing.skipped, ...skipped];
  const decoder = new PictureDecoder();
  const prepared = new PictureSetBuilder(side);
  for (const [i, { picture, className }] of files.entries()) {
    onProgress(i, files.length);
    const decoded = await decoder.decode(picture.file);
    if ('reason' in decoded) all.push({ name: pathOf(picture), reason: decoded.reason });
    else prepared.add(decoded, className);
  }
  onProgress(files.length, files.length);
  return { ...prepared.finish(), source: 'pictures', skipped: all };
}

/** "3 files skipped: a.txt (not a picture), …", naming the first few. */
export function describeSkipped(skipped: Skipped[]): string {
  if (skipped.length === 0) return '';
  const named = skipped.slice(0, NAMED_SKIPS).map((s) => `${s.name} (${s.reason})`);
  const more = skipped.length > NAMED_SKIPS ? `, and ${skipped.length - NAMED_SKIPS} more` : '';
  return `${skipped.length} file${skipped.length === 1 ? '' : 's'} skipped: ${named.join(', ')}${more}.`;
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
