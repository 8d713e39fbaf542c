// The user's own pictures as training data: prepareImage against a float64 area integral written
// here independently, and loadImageFolder on PNG/JPEG fixtures made in a temporary folder.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { encode as encodeJpeg } from 'jpeg-js';
import { PNG, type PackerOptions } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { ArgumentError } from '../../src/base/errors.js';
import { type Channels, type DecodedImage, isColour, packImages, prepareImage } from '../../src/data/images.js';
import { loadImageFolder } from '../../src/data/imageFolderNode.js';
import { pictureClass, PictureSetBuilder } from '../../src/data/pictureSet.js';
import { DatasetError } from '../../src/io/idx.js';
import { useTempDirs } from '../support/temp.js';

const tempDir = useTempDirs();

/** Deterministic bytes (mulberry32), so that a failure can be replayed. */
function randomBytes(length: number, seed: number): Uint8Array {
  let state = seed >>> 0;
  const bytes = new Uint8Array(length);
  for (let i = 0; i < length; i++) {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    bytes[i] = ((t ^ (t >>> 14)) >>> 0) & 0xff;
  }
  return bytes;
}

/** A random picture whose alpha is a mix of opaque, transparent and in-between, as real PNGs have. */
function randomImage(width: number, height: number, seed: number): DecodedImage {
  const rgba = randomBytes(width * height * 4, seed);
  for (let p = 3; p < rgba.length; p += 4) {
    const pick = rgba[p]! % 4;
    rgba[p] = pick === 0 ? 0 : pick === 1 ? rgba[p]! : 255;
  }
  return { width, height, rgba };
}

function uniformImage(width: number, height: number, [r, g, b, a]: number[]): DecodedImage {
  const rgba = new Uint8Array(width * height * 4);
  for (let p = 0; p < rgba.length; p += 4) rgba.set([r!, g!, b!, a!], p);
  return { width, height, rgba };
}

/**
 * The specification, computed the slow way: each output pixel is the integral of the (composited,
 * greyed) centre square over the output pixel's footprint, divided by the footprint's area.
 */
function reference(image: DecodedImage, side: number, channels: Channels): Float64Array {
  const square = Math.min(image.width, image.height);
  const left = Math.floor((image.width - square) / 2);
  const top = Math.floor((image.height - square) / 2);
  const scale = square / side;
  const value = (c: number, x: number, y: number) => {
    const p = ((top + y) * image.width + left + x) * 4;
    const [r, g, b, a] = [...image.rgba.subarray(p, p + 4)] as [number, number, number, number];
    const rgb = [r, g, b].map((v) => (v * a) / 255) as [number, number, number];
    return channels === 1 ? 0.299 * rgb[0] + 0.587 * rgb[1] + 0.114 * rgb[2] : rgb[c]!;
  };
  const overlap = (a0: number, a1: number, b0: number, b1: number) => Math.max(0, Math.min(a1, b1) - Math.max(a0, b0));
  const out = new Float64Array(channels * side * side);
  for (let c = 0; c < channels; c++) {
    for (let oy = 0; oy < side; oy++) {
      for (let ox = 0; ox < side; ox++) {
        let integral = 0;
        for (let sy = 0; sy < square; sy++) {
          const h = overlap(oy * scale, (oy + 1) * scale, sy, sy + 1);
          if (h === 0) continue;
          for (let sx = 0; sx < square; sx++) {
            const w = overlap(ox * scale, (ox + 1) * scale, sx, sx + 1);
            if (w > 0) integral += w * h * value(c, sx, sy);
          }
        }
        out[(c * side + oy) * side + ox] = integral / (scale * scale);
      }
    }
  }
  return out;
}

describe('prepareImage', () => {
  const cases: Array<[width: number, height: number, side: number, channels: Channels]> = [
    [1, 1, 28, 1],
    [1, 1, 32, 3],
    [3, 7, 28, 1],
    [3, 7, 32, 3],
    [7, 3, 28, 3],
    [37, 100, 32, 1],
    [37, 100, 28, 3],
    [100, 37, 28, 1],
    [10, 13, 28, 3], // smaller than side: enlarged
    [28, 28, 28, 3],
    [29, 31, 28, 1],
    [64, 48, 32, 1],
  ];
  it.each(cases)('%i×%i to side %i with %i channel(s) matches the area integral', (width, height, side, channels) => {
    const image = randomImage(width, height, width * 1000 + height * 10 + channels);
    const actual = prepareImage(image, side, channels);
    const expected = reference(image, side, channels);
    expect(actual.length).toBe(side * side * channels);
    // Rounded to nearest: never more than half a level from the exact value.
    let worst = 0;
    for (let i = 0; i < actual.length; i++) worst = Math.max(worst, Math.abs(actual[i]! - expected[i]!));
    expect(worst).toBeLessThanOrEqual(0.5 + 1e-9);
  });

  it('at its own size gives back exactly the grey input', () => {
    const image = randomImage(28, 28, 7);
    for (let p = 0; p < image.rgba.length; p += 4)
      image.rgba.fill(image.rgba[p]!, p + 1, p + 3).fill(255, p + 3, p + 4);
    const greys = image.rgba.filter((_, i) => i % 4 === 0);
    expect([...prepareImage(image, 28, 1)]).toEqual([...greys]);
    expect([...prepareImage(image, 28, 3)]).toEqual([...greys, ...greys, ...greys]);
  });

  it('lays colour out as planes C×H×W: all R, then all G, then all B', () => {
    // Red, green / blue, white.
    const rgba = Uint8Array.from([255, 0, 0, 255, 0, 255, 0, 255, 0, 0, 255, 255, 255, 255, 255, 255]);
    const image = { width: 2, height: 2, rgba };
    expect([...prepareImage(image, 2, 3)]).toEqual([255, 0, 0, 255, 0, 255, 0, 255, 0, 0, 255, 255]);
    // BT.601 luma: 0.299·255 = 76.2, 0.587·255 = 149.7, 0.114·255 = 29.1.
    expect([...prepareImage(image, 2, 1)]).toEqual([76, 150, 29, 255]);
    // One output pixel: the mean of the four.
    expect([...prepareImage(image, 1, 3)]).toEqual([128, 128, 128]);
  });

  it('crops the centre square of a tall or wide picture', () => {
    const column = { width: 1, height: 3, rgba: Uint8Array.from([10, 10, 10, 255, 20, 20, 20, 255, 30, 30, 30, 255]) };
    expect([...prepareImage(column, 1, 1)]).toEqual([20]);
    const row = { width: 4, height: 2, rgba: new Uint8Array(32) };
    [0, 90, 200, 0].forEach((v, x) => {
      for (const y of [0, 1]) row.rgba.set([v, v, v, 255], (y * 4 + x) * 4);
    });
    expect([...prepareImage(row, 2, 1)]).toEqual([90, 200, 90, 200]);
  });

  it('composites over black: transparent is 0, half-transparent white is half grey', () => {
    expect([...prepareImage(uniformImage(3, 3, [255, 255, 255, 0]), 2, 1)]).toEqual([0, 0, 0, 0]);
    expect([...prepareImage(uniformImage(3, 3, [255, 0, 0, 0]), 1, 3)]).toEqual([0, 0, 0]);
    expect([...prepareImage(uniformImage(3, 3, [255, 255, 255, 128]), 2, 1)]).toEqual([128, 128, 128, 128]);
    expect([...prepareImage(uniformImage(3, 3, [255, 255, 255, 127]), 1, 3)]).toEqual([127, 127, 127]);
  });

  it('refuses bad arguments with the argument named', () => {
    const image = uniformImage(2, 2, [1, 2, 3, 255]);
    expect(() => prepareImage(image, 0, 1)).toThrow(ArgumentError);
    expect(() => prepareImage(image, 257, 1)).toThrow(/side: must be at most 256/);
    expect(() => prepareImage(image, 2.5, 1)).toThrow(/side: must be a positive integer/);
    expect(() => prepareImage(image, 8, 2 as Channels)).toThrow(/channels: must be 1 \(grey\) or 3/);
    expect(() => prepareImage({ width: 2, height: 3, rgba: image.rgba }, 8, 1)).toThrow(
      /rgba has 16 bytes, expected 4 × 2 × 3 = 24/,
    );
    expect(() => prepareImage({ width: 0, height: 2, rgba: new Uint8Array(0) }, 8, 1)).toThrow(/at least 1×1/);
  });

  it('accepts a canvas Uint8ClampedArray as it is', () => {
    const image = randomImage(9, 5, 3);
    const clamped = { ...image, rgba: new Uint8ClampedArray(image.rgba) };
    expect([...prepareImage(clamped, 4, 3)]).toEqual([...prepareImage(image, 4, 3)]);
  });
});

describe('isColour and packImages', () => {
  it('grey and JPEG-ish near-grey are not colour; one red pixel, unless transparent, is', () => {
    const grey = randomImage(6, 5, 11);
    for (let p = 0; p < grey.rgba.length; p += 4) grey.rgba.fill(grey.rgba[p]!, p + 1, p + 3);
    expect(isColour(grey)).toBe(false);
    const nearGrey = { ...grey, rgba: grey.rgba.slice() };
    const jitter = randomBytes(nearGrey.rgba.length, 5);
    for (let p = 0; p < nearGrey.rgba.length; p += 4) {
      for (const c of [0, 1, 2]) {
        const v = nearGrey.rgba[p + c]! + (jitter[p + c]! % 7) - 3; // ±3
        nearGrey.rgba[p + c] = Math.min(255, Math.max(0, v));
      }
    }
    expect(isColour(nearGrey)).toBe(false);
    const red = { ...grey, rgba: grey.rgba.slice() };
    red.rgba.set([200, 30, 30, 255], 4 * 7);
    expect(isColour(red)).toBe(true);
    red.rgba[4 * 7 + 3] = 0;
    expect(isColour(red)).toBe(false);
  });

  it('packImages is prepareImage of each, one after another', () => {
    const images = [randomImage(5, 9, 1), randomImage(30, 30, 2), randomImage(1, 1, 3)];
    const packed = packImages(images, 6, 3);
    expect(packed.length).toBe(3 * 6 * 6 * 3);
    images.forEach((image, i) => {
      expect([...packed.subarray(i * 108, (i + 1) * 108)]).toEqual([...prepareImage(image, 6, 3)]);
    });
    expect(() => packImages([images[0]!, { width: 1, height: 1, rgba: new Uint8Array(3) }], 6, 1)).toThrow(
      /images\[1\]: rgba has 3 bytes/,
    );
  });
});

// Fixtures: real files written by pngjs and jpeg-js.

function pngBytes(image: DecodedImage, options: PackerOptions = {}): Buffer {
  const png = new PNG({ width: image.width, height: image.height });
  png.data = Buffer.from(image.rgba);
  return PNG.sync.write(png, options);
}

function writePng(path: string, image: DecodedImage, options: PackerOptions = {}): void {
  writeFileSync(path, pngBytes(image, options));
}

function readPng(path: string): DecodedImage {
  const png = PNG.sync.read(readFileSync(path));
  return { width: png.width, height: png.height, rgba: png.data };
}

function writeGrey16Png(path: string, width: number, height: number, value: number): void {
  const options = { bitDepth: 16, colorType: 0, inputColorType: 0, inputHasAlpha: false } as const;
  const png = new PNG({ width, height, ...options });
  // pngjs reads 16-bit input as native-endian u16 from the buffer's start: give it its own buffer.
  png.data = Buffer.from(new Uint16Array(width * height).fill(value).buffer);
  writeFileSync(path, PNG.sync.write(png, options));
}

function jpegBytes(image: DecodedImage, quality = 95): Buffer {
  return encodeJpeg({ width: image.width, height: image.height, data: image.rgba }, quality).data;
}

const grey = (v: number, w = 6, h = 6) => uniformImage(w, h, [v, v, v, 255]);

/** Each image's mean byte, in the order loaded. */
function imageMeans(folder: { pixels: Uint8Array; count: number }): number[] {
  const size = folder.pixels.length / folder.count;
  return Array.from({ length: folder.count }, (_, i) => {
    const image = folder.pixels.subarray(i * size, (i + 1) * size);
    return image.reduce((a, b) => a + b, 0) / size;
  });
}

function expectDatasetError(load: () => unknown, message: RegExp): void {
  let thrown: unknown;
  try {
    load();
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(DatasetError);
  expect((thrown as Error).message).toMatch(message);
}

/** One folder with every kind of file: five good pictures, three bad files, one hidden. */
function mixedFolder(): string {
  const dir = tempDir('images-mixed-');
  writePng(join(dir, 'c-grey.png'), grey(80, 5, 5), { colorType: 0 });
  writePng(join(dir, 'a-rgba.png'), grey(40, 6, 4));
  writeGrey16Png(join(dir, 'b-grey16.png'), 3, 3, 0x8080); // 32896 of 65535 = 128 of 255
  writeFileSync(join(dir, 'd-photo.jpg'), jpegBytes(grey(160, 8, 8)));
  writePng(join(dir, 'e-png-named.jpg'), grey(200, 4, 4)); // a PNG whatever its name says
  const png = pngBytes(grey(10));
  writeFileSync(join(dir, 'f-corrupt.png'), Buffer.concat([png.subarray(0, 8), Buffer.from('not a chunk at all')]));
  const jpeg = jpegBytes(grey(10, 16, 16));
  writeFileSync(join(dir, 'g-truncated.jpg'), jpeg.subarray(0, Math.floor(jpeg.length / 2)));
  writeFileSync(join(dir, 'notes.txt'), 'these are my pictures\n');
  writePng(join(dir, '.hidden.png'), grey(255)); // would change the means if it were read
  return dir;
}

describe('loadImageFolder', () => {
  it('reads PNG (RGBA, grey, 16-bit) and JPEG by content, in sorted order, and reports what it skipped', () => {
    const dir = mixedFolder();
    const folder = loadImageFolder(dir, { side: 4 });
    expect([folder.count, folder.side, folder.channels]).toEqual([5, 4, 1]);
    expect(folder.pixels.length).toBe(5 * 16);
    expect([folder.labels, folder.classNames]).toEqual([null, null]);
    // a-rgba, b-grey16, c-grey, d-photo (JPEG is lossy: within 2 of 160), e-png-named.
    const [a, b, c, d, e] = imageMeans(folder);
    expect([a, b, c, e]).toEqual([40, 128, 80, 200]);
    expect(Math.abs(d! - 160)).toBeLessThanOrEqual(2);
    expect(folder.skipped.map((s) => s.path)).toEqual(
      ['f-corrupt.png', 'g-truncated.jpg', 'notes.txt'].map((name) => join(dir, name)),
    );
    const reasons = folder.skipped.map((s) => s.reason);
    expect(reasons[0]).toMatch(/^corrupt or truncated PNG \(/);
    expect(reasons[1]).toMatch(/^corrupt or truncated JPEG \(/);
    expect(reasons[2]).toBe('not a PNG or JPEG picture (judged by its content, not its name)');
    for (const reason of reasons) expect(reason).not.toMatch(/\n/);
  });

  it("channels 'auto' is 3 when one picture is in colour, else 1; a number forces it", () => {
    const dir = tempDir('images-colour-');
    writePng(join(dir, 'a.png'), grey(100, 5, 7));
    writePng(join(dir, 'b.png'), grey(50));
    expect(loadImageFolder(dir, { side: 3 }).channels).toBe(1);
    const forced = loadImageFolder(dir, { side: 3, channels: 3 });
    expect([forced.channels, forced.pixels.length]).toEqual([3, 2 * 27]);
    expect(imageMeans(forced)).toEqual([100, 50]);

    const red = grey(50);
    red.rgba.set([250, 0, 0, 255], 0);
    writePng(join(dir, 'c.png'), red);
    const colour = loadImageFolder(dir, { side: 3 });
    expect([colour.count, colour.channels, colour.pixels.length]).toEqual([3, 3, 3 * 27]);
    // The grey pictures read before the colour one are in colour too: three equal planes.
    expect([...colour.pixels.subarray(0, 27)]).toEqual(new Array(27).fill(100));
    expect(colour.pixels[2 * 27]).toBeGreaterThan(colour.pixels[2 * 27 + 9]!); // more red than green
    const greyOnly = loadImageFolder(dir, { side: 3, channels: 1 });
    expect([greyOnly.channels, greyOnly.pixels.length]).toEqual([1, 27]);
    expect([...greyOnly.pixels.subarray(18)]).toEqual([...prepareImage(readPng(join(dir, 'c.png')), 3, 1)]);
  });

  it('takes sub-folders as classes sorted by name, skipping folders deeper down and non-pictures', () => {
    const dir = tempDir('images-classes-');
    for (const sub of ['dogs', 'cats', 'dogs/puppies', '.git']) mkdirSync(join(dir, sub));
    writePng(join(dir, 'cats', 'b.png'), grey(20));
    writePng(join(dir, 'cats', 'a.png'), grey(10));
    writeFileSync(join(dir, 'dogs', 'rex.jpg'), jpegBytes(grey(200)));
    writePng(join(dir, 'dogs', 'puppies', 'p.png'), grey(255));
    writePng(join(dir, '.git', 'x.png'), grey(255));
    writeFileSync(join(dir, 'README.md'), '# my pets\n');
    const folder = loadImageFolder(dir, { side: 2 });
    expect(folder.classNames).toEqual(['cats', 'dogs']);
    expect([...folder.labels!]).toEqual([0, 0, 1]);
    expect(imageMeans(folder).map(Math.round)).toEqual([10, 20, 200]);
    expect(folder.skipped.map((s) => s.path)).toEqual([join(dir, 'README.md'), join(dir, 'dogs', 'puppies')]);
    expect(folder.skipped[1]!.reason).toMatch(/folder inside a class folder/);
  });

  it('skips a picture beside the class folders with the reason the demo gives, and trains on the classes', () => {
    const loose = tempDir('images-loose-');
    mkdirSync(join(loose, 'cats'));
    writePng(join(loose, 'cats', 'a.png'), grey(1));
    writePng(join(loose, 'stray.png'), grey(2));
    const folder = loadImageFolder(loose, { side: 2 });
    expect([folder.count, folder.classNames]).toEqual([1, ['cats']]);
    expect(folder.skipped).toEqual([
      { path: join(loose, 'stray.png'), reason: 'beside the class folders, so it has no class' },
    ]);
  });

  it('refuses, saying what to do: nothing readable, a missing path, a file, an empty class', () => {
    const empty = tempDir('images-empty-');
    writeFileSync(join(empty, '.DS_Store'), 'x');
    expectDatasetError(() => loadImageFolder(empty), /is empty: put PNG or JPEG pictures in it/);

    const bad = tempDir('images-bad-');
    writeFileSync(join(bad, 'a.txt'), 'hello');
    writeFileSync(join(bad, 'b.png'), Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3]));
    writeFileSync(join(bad, 'c.gif'), 'GIF89a......');
    const inBad = (name: string) => join(bad, name).replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    expectDatasetError(
      () => loadImageFolder(bad),
      new RegExp(
        `has no PNG or JPEG picture that could be read \\(3 files skipped — ${inBad('a.txt')}: not a PNG or ` +
          `JPEG picture .*; ${inBad('b.png')}: corrupt or truncated PNG .*; ${inBad('c.gif')}: a GIF picture`,
      ),
    );

    expectDatasetError(() => loadImageFolder(join(bad, 'nowhere')), /^no folder at .*nowhere: give a folder of PNG/);
    expectDatasetError(() => loadImageFolder(join(bad, 'a.txt')), /a\.txt is a file, but a folder of PNG or JPEG/);

    const emptyClass = tempDir('images-empty-class-');
    for (const sub of ['cats', 'dogs']) mkdirSync(join(emptyClass, sub));
    writePng(join(emptyClass, 'cats', 'a.png'), grey(1));
    writeFileSync(join(emptyClass, 'dogs', 'rex.txt'), 'woof');
    expectDatasetError(
      () => loadImageFolder(emptyClass),
      /class folder .*dogs has no PNG or JPEG picture that could be read \(1 file skipped — .*rex\.txt: not a PNG/,
    );
  });

  it('refuses more than 255 classes, and bad options', () => {
    const dir = tempDir('images-many-');
    for (let i = 0; i < 256; i++) mkdirSync(join(dir, `class-${i}`));
    expectDatasetError(() => loadImageFolder(dir), /256 sub-folders, each a class, but at most 255 classes/);
    expect(() => loadImageFolder(dir, { side: 0 })).toThrow(ArgumentError);
    expect(() => loadImageFolder(dir, { channels: 4 as Channels })).toThrow(/channels: must be 1/);
  });

  it('skips a picture too large to decode without reading its pixels', () => {
    const dir = tempDir('images-huge-');
    writePng(join(dir, 'small.png'), grey(9));
    const huge = pngBytes(grey(9, 1, 1));
    huge.writeUInt32BE(20_000, 16); // IHDR width and height: 400 megapixels
    huge.writeUInt32BE(20_000, 20);
    writeFileSync(join(dir, 'huge.png'), huge);
    const folder = loadImageFolder(dir, { side: 2 });
    expect(folder.count).toBe(1);
    expect(folder.skipped).toEqual([
      {
        path: join(dir, 'huge.png'),
        reason: expect.stringMatching(/20000×20000 pixels is more than the 64 megapixels/),
      },
    ]);
  });
});

describe('the picture set rule shared by the CLI and the demo (pictureSet.ts)', () => {
  it('without sub-folders every picture is unlabelled; with them only those directly in a class folder count', () => {
    expect(pictureClass([], false)).toEqual({ className: null });
    expect(pictureClass(['cats'], true)).toEqual({ className: 'cats' });
    expect(pictureClass([], true)).toEqual({ reason: 'beside the class folders, so it has no class' });
    expect(pictureClass(['cats', 'old'], true)).toEqual({ reason: 'in a folder inside a class folder' });
  });

  it('labels follow the class names sorted, whatever the order pictures come in; colour if any is', () => {
    const builder = new PictureSetBuilder(2);
    builder.add(grey(10), 'dogs');
    builder.add(grey(20), 'cats');
    builder.add(grey(30), 'dogs');
    const set = builder.finish();
    expect([set.classNames, [...set.labels], set.channels, set.count]).toEqual([['cats', 'dogs'], [1, 0, 1], 1, 3]);
    const red: DecodedImage = { width: 1, height: 1, rgba: Uint8Array.of(255, 0, 0, 255) };
    builder.add(red, null);
    expect(builder.finish().channels).toBe(3);
    const forcedGrey = new PictureSetBuilder(2, 1);
    forcedGrey.add(red, null);
    expect(forcedGrey.finish().channels).toBe(1);
  });
});
