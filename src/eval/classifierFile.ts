// The committed classifier files, read from the package in Node (the demo fetches the MNIST one).
// Each built-in dataset is scored by a classifier trained on it (scripts/train-classifier.ts
// --data NAME), whose file holds the reference statistics of that dataset's test images.
import { readRegularFile } from '../io/regularFileNode.js';
import { fileURLToPath } from 'node:url';
import { DatasetError } from '../io/idx.js';
import { decodeClassifierFile, type ClassifierFile } from './classifier.js';
import { requireString } from '../base/arguments.js';

/** Each dataset a classifier is trained for → its file in models/. */
export const CLASSIFIER_FILES = {
  mnist: 'mnist-classifier.safetensors',
  'fashion-mnist': 'fashion-mnist-classifier.safetensors',
} as const;

export type ClassifiedDataset = keyof typeof CLASSIFIER_FILES;

/**
 * Where the package keeps a dataset's classifier (default: MNIST's): models/ beside dist/ and src/
 * (this module is one level down in either). Code bundled into one file elsewhere (as bench/ is)
 * must pass the path itself.
 */
export function classifierWeightsPath(dataset: ClassifiedDataset = 'mnist'): string {
  if (!Object.hasOwn(CLASSIFIER_FILES, dataset))
    throw new DatasetError(
      `no classifier is trained for ${JSON.stringify(dataset)}: the quality score takes ` +
        `${Object.keys(CLASSIFIER_FILES).join(' or ')}`,
    );
  return fileURLToPath(new URL(`../../models/${CLASSIFIER_FILES[dataset]}`, import.meta.url));
}

/** The classifier's tensors and the test set's reference statistics. */
export function readClassifierFile(path = classifierWeightsPath()): ClassifierFile {
  requireString('path', path, 'a file path');
  return decodeClassifierFile(
    readWeights(path, (code) => `cannot read the classifier's weights at ${path}: ${code}`),
    path,
  );
}

/**
 * The classifier that scores samples of `dataset`, from the package's models/; a dataset whose
 * classifier file is missing is refused by name, with the command that trains one.
 */
export function readDatasetClassifier(
  dataset: ClassifiedDataset,
  path = classifierWeightsPath(dataset),
): ClassifierFile {
  requireString('dataset', dataset, 'the name of a dataset with a classifier');
  requireString('path', path, 'a file path');
  const missing = (code: string) =>
    `scoring ${dataset} needs its classifier, ${path} (${code}); train it with: npm run train:classifier -- ` +
    `--data ${dataset}`;
  return decodeClassifierFile(readWeights(path, missing), path);
}

function readWeights(path: string, message: (code: string) => string): Uint8Array {
  try {
    return readRegularFile(path);
  } catch (error) {
    throw new DatasetError(message((error as NodeJS.ErrnoException).code ?? (error as Error).message));
  }
}
