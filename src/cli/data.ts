// What `train` trains on: MNIST from its package (the default), an IDX image file (Fashion-MNIST,
// EMNIST, KMNIST ship so) with an IDX labels file for a conditional GAN, or a folder of PNG/JPEG
// pictures (one sub-folder per class for a conditional GAN). Everything is decoded, resized and
// checked here, before the GPU is touched, and held as bytes as MNIST is.
import { statSync } from 'node:fs';
import { loadImageFolder } from '../data/imageFolderNode.js';
import { type Channels, prepareImage } from '../data/images.js';
import { loadMnistImages, loadMnistLabels, mnistFilePath } from '../data/mnistNode.js';
import { UsageError } from './args.js';

export interface TrainingData {
  /** count × channels × side² bytes, 0 … 255. */
  pixels: Uint8Array;
  count: number;
  side: number;
  channels: Channels;
  /** One class per image (a conditional GAN), or null. */
  labels: Uint8Array | null;
  /** Classes 0 to the largest label, or 0 without labels. */
  classes: number;
  /** One line for the console: what was loaded, and what was skipped. */
  description: string;
  /** Files that could not be used, each with its reason (a folder's bad pictures). */
  skipped: Array<{ path: string; reason: string }>;
}

export interface DataRequest {
  /** --data: a folder or an IDX file; undefined for MNIST from its package. */
  path?: string;
  /** --labels: an IDX labels file for an IDX --data (or MNIST). */
  labelsPath?: string;
  conditional: boolean;
  /** The side to resize to (--size, or the checkpoint's); undefined: 28, or the IDX file's own. */
  side?: number;
  /** --channels, or the checkpoint's; undefined: a folder decides (colour if any picture is). */
  channels?: Channels;
}

export function loadTrainingData(request: DataRequest): TrainingData {
  if (request.path !== undefined && isFolder(request.path)) return fromFolder(request.path, request);
  return fromIdx(request);
}

function isFolder(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false; // a missing path is reported by the IDX reader, which names it
  }
}

function fromFolder(dir: string, request: DataRequest): TrainingData {
  if (request.labelsPath !== undefined)
    throw new UsageError(
      `--labels: ${dir} is a folder, whose classes are its sub-folders; drop --labels (or give an IDX --data file)`,
    );
  const folder = loadImageFolder(dir, { side: request.side ?? 28, channels: request.channels ?? 'auto' });
  if (request.conditional && !folder.labels)
    throw new UsageError(
      `--conditional: ${dir} has no sub-folders; put each class's pictures in a sub-folder of its own (e.g. ` +
        `${dir}/cat, ${dir}/dog)`,
    );
  const labels = request.conditional ? folder.labels : null;
  const classes = labels ? folder.classNames!.length : 0;
  if (labels && classes < 2) throw new UsageError(`--conditional: ${dir} has one class; a conditional GAN needs two`);
  const kind = folder.channels === 3 ? 'RGB' : 'grey';
  const classText = labels ? `, ${classes} classes (${folder.classNames!.join(', ')})` : '';
  const skippedText = folder.skipped.length > 0 ? `; ${folder.skipped.length} files skipped` : '';
  return {
    pixels: folder.pixels,
    count: folder.count,
    side: folder.side,
    channels: folder.channels,
    labels,
    classes,
    description: `${dir}: ${folder.count} pictures as ${folder.side}×${folder.side} ${kind}${classText}${skippedText}`,
    skipped: folder.skipped,
  };
}

function fromIdx(request: DataRequest): TrainingData {
  // MNIST's own labels only go with MNIST's images: other images need theirs.
  if (request.conditional && request.path !== undefined && request.labelsPath === undefined)
    throw new UsageError('--data with a conditional GAN needs the labels of those images: add --labels FILE');
  if (request.channels === 3)
    throw new UsageError('--channels 3: IDX files hold grey images; give a folder of colour pictures instead');
  const images = loadMnistImages(request.path);
  const side = request.side ?? images.rows;
  const pixels = side === images.rows && side === images.cols ? images.pixels : resizeGrey(images.pixels, images, side);
  const labels = request.conditional ? loadLabels(request.labelsPath) : null;
  if (labels && labels.length !== images.count)
    throw new UsageError(`the labels are ${labels.length} but the images ${images.count}: give one label per image`);
  const source = request.path ?? 'MNIST';
  const resized = side === images.rows && side === images.cols ? '' : ` resized to ${side}×${side}`;
  return {
    pixels,
    count: images.count,
    side,
    channels: 1,
    labels,
    classes: labels ? classCount(labels) : 0,
    description: `${source}: ${images.count} images of ${images.rows}×${images.cols}${resized}`,
    skipped: [],
  };
}

/** IDX images of another size, each resized (and centre-cropped if not square) to side × side. */
function resizeGrey(pixels: Uint8Array, shape: { count: number; rows: number; cols: number }, side: number) {
  const plane = shape.rows * shape.cols;
  const out = new Uint8Array(shape.count * side * side);
  const rgba = new Uint8Array(plane * 4);
  for (let i = 0; i < shape.count; i++) {
    for (let p = 0; p < plane; p++) {
      const v = pixels[i * plane + p]!;
      rgba.set([v, v, v, 255], p * 4);
    }
    out.set(prepareImage({ width: shape.cols, height: shape.rows, rgba }, side, 1), i * side * side);
  }
  return out;
}

/** A conditional run's labels: MNIST's training digits, or an IDX labels file. */
function loadLabels(path: string | undefined): Uint8Array {
  const labels = loadMnistLabels(path ?? mnistFilePath('train-labels'));
  if (labels.length === 0) throw new UsageError(`${path}: holds no labels`);
  return labels;
}

function classCount(labels: Uint8Array): number {
  const largest = labels.reduce((a, b) => Math.max(a, b), 0);
  if (largest < 1) throw new UsageError('--labels: every label is 0; a conditional GAN needs at least two classes');
  return largest + 1;
}
