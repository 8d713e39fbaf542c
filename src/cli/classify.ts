// `webgpu-gan classify`: a semi-supervised checkpoint's discriminator as a classifier
// (src/gan/ganClassifier.ts). One picture (--image), or many (--data: a built-in set's test
// images, a folder, an IDX file); with labels (a built-in set's, a folder's sub-folders, an IDX
// --labels file) the accuracy and the confusion matrix too. `eval` reports the same test accuracy.
import { readdirSync } from 'node:fs';
import { loadFashionMnist } from '../data/fashionMnistNode.js';
import { readImageFile } from '../data/imageFolderNode.js';
import { prepareImage } from '../data/images.js';
import { loadMnistImages, loadMnistLabels, mnistFilePath } from '../data/mnistNode.js';
import type { Checkpoint } from '../gan/checkpoint.js';
import { GanClassifier, scoreClassification } from '../gan/ganClassifier.js';
import { classHeadClasses } from '../gan/networks.js';
import type { GpuContext } from '../gpu/context.js';
import { acquireGpu } from '../gpu/device.js';
import { imageSide } from '../render/grid.js';
import { type FlagTable, parseFlags, UsageError } from './args.js';
import { builtinData, loadTrainingData, type BuiltinData } from './data.js';
import { readCheckpointArgument } from './shipped.js';

export const CLASSIFY_FLAGS: FlagTable = {
  checkpoint: {
    kind: 'string',
    required: true,
    help: 'a checkpoint whose D reads classes (trained with --labeled N, or --conditioning auxiliary)',
  },
  image: { kind: 'string', help: 'one picture to classify, PNG or JPEG' },
  data: {
    kind: 'string',
    help:
      'pictures to classify: mnist or fashion-mnist (their 10,000 test images, with labels), a folder (labels: ' +
      'its sub-folders, if any) or an IDX images file (labels: --labels)',
  },
  labels: { kind: 'string', help: 'with an IDX --data file: its IDX labels file, to score the classes' },
  json: { kind: 'boolean', help: 'print one JSON object per picture ({"class", "probabilities"}), then the score' },
};

/** Pictures as the model takes them, with their labels where known. */
interface Pictures {
  what: string;
  /** count × dataDim bytes. */
  pixels: Uint8Array;
  count: number;
  labels: Uint8Array | null;
}

export async function classifyCommand(argv: string[]): Promise<number> {
  const flags = parseFlags(argv, CLASSIFY_FLAGS);
  if ((flags.image === undefined) === (flags.data === undefined))
    throw new UsageError('give one of --image FILE or --data (mnist, fashion-mnist, a folder or an IDX file)');
  if (flags.labels !== undefined && flags.data === undefined) throw new UsageError('--labels goes with --data FILE');
  // A shipped model's name reads that model, to be told it has no class head rather than that no such file exists.
  const checkpoint = readCheckpointArgument(flags.checkpoint as string);
  if (classHeadClasses(checkpoint.config) === 0)
    throw new UsageError(
      `${flags.checkpoint} has no class head: its discriminator tells real from fake only; train one with ` +
        '--labeled N or --conditional --conditioning auxiliary',
    );
  const pictures = readPictures(
    checkpoint,
    flags.image as string | undefined,
    flags.data as string | undefined,
    flags.labels as string | undefined,
  );
  const ctx = await acquireGpu();
  try {
    const { classes, probabilities } = await classifyPictures(ctx, checkpoint, pictures);
    const K = classHeadClasses(checkpoint.config);
    const score = pictures.labels ? scoreClassification(classes, pictures.labels, K) : null;
    if (flags.json) {
      for (let r = 0; r < pictures.count; r++) {
        const p = Array.from(probabilities.subarray(r * K, (r + 1) * K), (v) => Number(v.toFixed(6)));
        console.log(JSON.stringify({ class: classes[r], probabilities: p }));
      }
      if (score)
        console.log(JSON.stringify({ accuracy: score.accuracy, count: pictures.count, confusion: score.confusion }));
    } else if (pictures.count === 1) {
      const p = Array.from(probabilities.subarray(0, K));
      console.log(`class ${classes[0]} (probability ${p[classes[0]!]!.toFixed(3)}) for ${pictures.what}`);
      console.log(`probabilities  ${p.map((v, k) => `${k}: ${v.toFixed(3)}`).join('  ')}`);
    } else if (score) {
      console.log(`accuracy ${(100 * score.accuracy).toFixed(2)}% on ${pictures.what} (step ${checkpoint.step})`);
      console.log(confusionText(score.confusion));
    } else {
      const counts = Array.from({ length: K }, (_, k) => classes.filter((c) => c === k).length);
      console.log(`${pictures.what}, by class: ${counts.map((n, k) => `${k}: ${n}`).join('  ')}`);
    }
    return 0;
  } finally {
    ctx.destroy();
  }
}

/** The classifier's classes and probabilities for every picture. */
export async function classifyPictures(ctx: GpuContext, checkpoint: Checkpoint, pictures: Pictures) {
  const classifier = await GanClassifier.create(ctx, checkpoint);
  try {
    const values = Float32Array.from(pictures.pixels, (b) => (2 * b - 255) / 255);
    return await classifier.classify(values);
  } finally {
    classifier.destroy();
  }
}

/** The confusion matrix as a table: a row per true class, a column per predicted class. */
function confusionText(confusion: number[][]): string {
  const width = Math.max(6, ...confusion.flat().map((n) => String(n).length + 1));
  const pad = (text: string | number) => String(text).padStart(width);
  const header = `${pad('true')} ${confusion.map((_, k) => pad(k)).join('')}  ← predicted`;
  return ['confusion:', header, ...confusion.map((row, k) => `${pad(k)} ${row.map(pad).join('')}`)].join('\n');
}

/** A built-in set's test split, which no run trains on, with its labels. */
export function builtinTestPictures(builtin: BuiltinData): Pictures & { labels: Uint8Array } {
  if (builtin === 'mnist') {
    const images = loadMnistImages(mnistFilePath('t10k-images'));
    const labels = loadMnistLabels(mnistFilePath('t10k-labels'));
    return {
      what: `${images.count.toLocaleString('en-US')} MNIST test digits`,
      pixels: images.pixels,
      count: images.count,
      labels,
    };
  }
  const set = loadFashionMnist('test');
  return { what: `${set.count.toLocaleString('en-US')} Fashion-MNIST held-out test images`, ...set };
}

/** A built-in set's test images, or the user's pictures at the checkpoint's size and colours. */
export function readPictures(
  checkpoint: Checkpoint,
  image: string | undefined,
  data: string | undefined,
  labelsPath: string | undefined,
): Pictures {
  const { config } = checkpoint;
  const side = imageSide(config.dataDim, config.channels);
  if (image !== undefined) {
    const pixels = prepareImage(readImageFile(image), side, config.channels);
    return { what: image, pixels, count: 1, labels: null };
  }
  const builtin = builtinData(data);
  if (builtin && side !== 28)
    throw new UsageError(`--data ${data}: its 28×28 pictures do not fit this ${side}×${side} model`);
  if (builtin && labelsPath !== undefined)
    throw new UsageError(
      `--labels: --data ${data} is a built-in set whose test pictures have labels of their own; drop --labels`,
    );
  if (builtin) return builtinTestPictures(builtin);
  const loaded = loadTrainingData({
    path: data,
    ...(labelsPath !== undefined && { labelsPath }),
    conditional: false,
    semiSupervised: labelsPath !== undefined || hasClassFolders(data!),
    side,
    channels: config.channels,
  });
  return {
    what: `${loaded.count} pictures of ${data}`,
    pixels: loaded.pixels,
    count: loaded.count,
    labels: loaded.labels,
  };
}

/** Whether `path` is a folder with sub-folders (its classes). */
function hasClassFolders(path: string): boolean {
  try {
    return readdirSync(path, { withFileTypes: true }).some((entry) => entry.isDirectory());
  } catch {
    return false; // not a folder: an IDX file, whose labels come with --labels
  }
}
