// The committed classifier file, read from the package in Node (the demo fetches the same file).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { DatasetError } from '../io/idx.js';
import { decodeClassifierFile, type ClassifierFile } from './classifier.js';

/**
 * Where the package keeps it: models/ beside dist/ and src/ (this module is one level down in
 * either). Code bundled into one file elsewhere (as bench/ is) must pass the path itself.
 */
export function classifierWeightsPath(): string {
  return fileURLToPath(new URL('../../models/mnist-classifier.safetensors', import.meta.url));
}

/** The classifier's tensors and the test set's reference statistics. */
export function readClassifierFile(path = classifierWeightsPath()): ClassifierFile {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    throw new DatasetError(`cannot read the classifier's weights at ${path}: ${code}`);
  }
  return decodeClassifierFile(bytes, path);
}
