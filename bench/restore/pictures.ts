// The benchmark's pictures: the test pictures with their labels, and the training pictures the
// nearest-picture baseline searches. Both are prefixes of their split: MNIST's splits come
// shuffled, and the built-in Fashion-MNIST splits interleave the classes (picture k is of class
// k mod 10), so any prefix is as balanced as the split allows. (Spreading the picks evenly through
// the Fashion-MNIST split, as this benchmark did until 2026-12-06, took every tenth picture: one
// class alone.)
import { loadFashionMnist } from '../../src/data/fashionMnistNode.js';
import { loadMnistImages, loadMnistLabels, mnistFilePath } from '../../src/data/mnistNode.js';

const PIXELS = 28 * 28;

export interface BenchPictures {
  /** n × 784 bytes, and their labels. */
  test: Uint8Array;
  labels: Uint8Array;
  /** `train` × 784 bytes: the nearest-picture baseline's candidates. */
  train: Uint8Array;
  trainLabels: Uint8Array;
}

export function benchPictures(data: 'mnist' | 'fashion-mnist', counts: { n: number; train: number }): BenchPictures {
  const [test, train] =
    data === 'mnist'
      ? [
          { ...loadMnistImages(mnistFilePath('t10k-images')), labels: loadMnistLabels(mnistFilePath('t10k-labels')) },
          { ...loadMnistImages(), labels: loadMnistLabels() },
        ]
      : [loadFashionMnist('test'), loadFashionMnist('train')];
  const take = (set: { pixels: Uint8Array; labels: Uint8Array }, count: number, flag: string) => {
    const available = set.labels.length;
    if (count > available) throw new Error(`--${flag} ${count} asks for more than the ${available} pictures there are`);
    return { pixels: set.pixels.subarray(0, count * PIXELS), labels: set.labels.subarray(0, count) };
  };
  const chosen = take(test, counts.n, 'n');
  const candidates = take(train, counts.train, 'train');
  return { test: chosen.pixels, labels: chosen.labels, train: candidates.pixels, trainLabels: candidates.labels };
}

/** How many of `labels` are of each class 0 … 9: the benchmark prints it, so a lopsided choice shows. */
export function classCounts(labels: ArrayLike<number>): number[] {
  const counts = new Array<number>(10).fill(0);
  for (let i = 0; i < labels.length; i++) counts[labels[i]!]!++;
  return counts;
}
