// One score computed the same way in a page and in Node: the first 500 MNIST test digits against
// the classifier file's reference statistics. tests/browser.test.ts compares the two numbers.
import { acquireGpu } from '../../src/index.js';
import { decodeClassifierFile } from '../../src/eval/classifier.js';
import { createSampleScorer, type SampleScore } from '../../src/eval/scorer.js';
import { parseIdxImages } from '../../src/io/idx.js';

export const SCORED_IMAGES = 500;

/** The first SCORED_IMAGES digits' pixels of an IDX image file. */
export function firstDigits(idxBytes: Uint8Array): Uint8Array {
  return parseIdxImages(idxBytes).pixels.slice(0, SCORED_IMAGES * 784);
}

/** Scores SCORED_IMAGES digits (784 bytes each) with the classifier file's bytes. */
export async function scoreDigits(classifierBytes: Uint8Array, digits: Uint8Array): Promise<SampleScore> {
  const { tensors, reference } = decodeClassifierFile(classifierBytes);
  const ctx = await acquireGpu();
  try {
    const scorer = await createSampleScorer(ctx, { classifier: tensors, rows: SCORED_IMAGES });
    try {
      scorer.writeImageBytes(digits);
      return await scorer.score(reference);
    } finally {
      scorer.destroy();
    }
  } finally {
    ctx.destroy();
  }
}

/** In the page: the classifier from the dev server, the digits from the test (as base64). */
export async function scoreDigitsInPage(digitsBase64: string): Promise<SampleScore> {
  const response = await fetch('/models/mnist-classifier.safetensors');
  const digits = Uint8Array.from(atob(digitsBase64), (c) => c.charCodeAt(0));
  return scoreDigits(new Uint8Array(await response.arrayBuffer()), digits);
}
