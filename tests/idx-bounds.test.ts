// IDX files are read no further than they declare: a gzip bomb is refused at the size its header
// declares (and a header that declares more than a dataset file may hold, before decompressing),
// and an IDX file's own image size is held to --size's limits.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { loadTrainingData } from '../src/cli/data.js';
import { UsageError } from '../src/cli/args.js';
import { loadMnistImages, loadMnistLabels } from '../src/data/mnistNode.js';
import { DatasetError } from '../src/io/idx.js';
import { cli } from './support/cli.js';
import { useTempDirs } from './support/temp.js';

const tempDir = useTempDirs();

/** An IDX images header: count images of rows × cols. */
function bigEndian(...words: number[]): Buffer {
  const header = Buffer.alloc(4 * words.length);
  for (const [i, word] of words.entries()) header.writeUInt32BE(word, i * 4);
  return header;
}

const imagesHeader = (count: number, rows: number, cols: number) => bigEndian(0x803, count, rows, cols);
const labelsHeader = (count: number) => bigEndian(0x801, count);

function file(name: string, bytes: Uint8Array): string {
  const path = join(tempDir('gan-idx-'), name);
  writeFileSync(path, bytes);
  return path;
}

describe('IDX files within what they declare', () => {
  it('a gzip bomb is refused at the size its header declares, images or labels', () => {
    // 64 MB of zeros after a header that declares one 2×2 image: some 60 kB compressed.
    const bomb = file('bomb.gz', gzipSync(Buffer.concat([imagesHeader(1, 2, 2), Buffer.alloc(2 ** 26)])));
    expect(() => loadMnistImages(bomb)).toThrow(DatasetError);
    expect(() => loadMnistImages(bomb)).toThrow(
      /bomb\.gz: the gzip data hold more than the 20 bytes its IDX header declares \(1 images of 2×2\): a damaged/,
    );
    const labels = file('labels.gz', gzipSync(Buffer.concat([labelsHeader(3), Buffer.alloc(2 ** 26)])));
    expect(() => loadMnistLabels(labels)).toThrow(/hold more than the 11 bytes its IDX header declares \(3 labels\)/);
  });

  it('a header that declares more than a dataset file may hold is refused before decompressing', () => {
    const huge = file('huge.gz', gzipSync(imagesHeader(100_000, 1000, 1000)));
    expect(() => loadMnistImages(huge)).toThrow(
      /huge\.gz: its IDX header declares 100000 images of 1000×1000 \(100000000016 bytes\), more than the 2147483647/,
    );
  });

  it('what it declares, it gives: a gzipped file of its size reads; a shorter one is named', () => {
    const pixels = Buffer.from(Array.from({ length: 12 }, (_, i) => i * 20));
    const good = file('good.gz', gzipSync(Buffer.concat([imagesHeader(3, 2, 2), pixels])));
    expect([...loadMnistImages(good).pixels]).toEqual([...pixels]);
    const short = file('short.gz', gzipSync(Buffer.concat([imagesHeader(4, 2, 2), pixels])));
    expect(() => loadMnistImages(short)).toThrow(/header says 4 images of 2×2 \(32 bytes\) but the file has 28 bytes/);
  });

  it("an IDX file's own image size is held to --size's limits; --size resizes it", () => {
    const big = file('big.idx', Buffer.concat([imagesHeader(2, 200, 200), Buffer.alloc(2 * 200 * 200, 128)]));
    expect(() => loadTrainingData({ path: big, conditional: false })).toThrow(UsageError);
    expect(() => loadTrainingData({ path: big, conditional: false })).toThrow(
      /big\.idx: its images are 200×200, outside the 4 to 128 pixels a side that --size allows; add --size/,
    );
    expect(loadTrainingData({ path: big, conditional: false, side: 16 })).toMatchObject({ side: 16, count: 2 });
    const tiny = file('tiny.idx', Buffer.concat([imagesHeader(2, 2, 2), Buffer.alloc(8)]));
    expect(() => loadTrainingData({ path: tiny, conditional: false })).toThrow(/its images are 2×2, outside/);
    const r = cli(['train', '--steps', '2', '--data', big, '--out', tempDir('gan-idx-run-')]);
    expect(r.status).toBe(2);
    expect(r.errors).toEqual([expect.stringMatching(/its images are 200×200, outside the 4 to 128 pixels/)]);
    expect(r.stdout).not.toMatch(/adapter:/);
  });
});
