// The CLI on a user's own pictures and on image repair, as a user runs it (a child process, the
// software adapter, tiny runs): `train --data DIR` with bad files among the pictures, class
// sub-folders, colour, an IDX file resized; `sample` in colour; `repair` writing the repaired
// picture or a strip; and one-line exit-2 errors for what a user can get wrong.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { decodeCheckpoint } from '../src/gan/checkpoint.js';
import { mnistFilePath } from '../src/data/mnistNode.js';
import { cli as run, TINY } from './support/cli.js';
import { useTempDirs } from './support/temp.js';

const tempDir = useTempDirs();
const cli = (...args: string[]) => run(args);

/** A PNG of width × height whose pixel (x, y) is colour(x, y) = [r, g, b]. */
function pngOf(width: number, height: number, colour: (x: number, y: number) => number[]): Buffer {
  const png = new PNG({ width, height });
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) png.data.set([...colour(x, y), 255], (y * width + x) * 4);
  return PNG.sync.write(png);
}

function jpegOf(width: number, height: number, colour: (x: number, y: number) => number[]): Buffer {
  const data = Buffer.alloc(width * height * 4);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) data.set([...colour(x, y), 255], (y * width + x) * 4);
  return jpeg.encode({ data, width, height }, 90).data;
}

/** Two classes of striped pictures (red and blue, PNG and JPEG, of other sizes) and two bad files. */
function pictureFolder(): string {
  const dir = tempDir('gan-pictures-');
  for (const [name, ink] of [
    ['blue', [30, 40, 230]],
    ['red', [230, 40, 30]],
  ] as const) {
    mkdirSync(join(dir, name));
    for (let i = 0; i < 12; i++) {
      const colour = (x: number) => ((x + i) % 6 < 3 ? [...ink] : [5, 5, 5]);
      const file = i % 3 === 0 ? jpegOf(30, 20, colour) : pngOf(24, 24, colour);
      writeFileSync(join(dir, name, `${i}.${i % 3 === 0 ? 'jpg' : 'png'}`), file);
    }
  }
  writeFileSync(join(dir, 'red', 'broken.png'), pngOf(24, 24, () => [1, 2, 3]).subarray(0, 60));
  writeFileSync(join(dir, 'blue', 'notes.txt'), 'not a picture');
  return dir;
}

function readPng(path: string): PNG {
  return PNG.sync.read(readFileSync(path));
}

/** Whether some pixel has red, green and blue apart (a colour picture). */
function hasColour(png: PNG): boolean {
  for (let i = 0; i < png.data.length; i += 4) {
    const [r, g, b] = [png.data[i]!, png.data[i + 1]!, png.data[i + 2]!];
    if (Math.max(r, g, b) - Math.min(r, g, b) > 30) return true;
  }
  return false;
}

describe('train --data, sample and repair', { timeout: 300_000 }, () => {
  it('trains a conditional GAN on a folder of colour pictures, skipping and naming the bad files', () => {
    const data = pictureFolder();
    const out = tempDir('gan-run-');
    const r = cli('train', '--data', data, '--conditional', '--size', '16', '--steps', '4', '--out', out, ...TINY);
    expect(r.status, r.errors.join('\n')).toBe(0);
    expect(r.stdout).toMatch(/data: .*: 24 pictures as 16×16 RGB, 2 classes \(blue, red\); 2 files skipped/);
    expect(r.stderr).toMatch(/skipped .*broken\.png: corrupt or truncated PNG/);
    expect(r.stderr).toMatch(/skipped .*notes\.txt: not a PNG or JPEG/);
    expect(r.stderr).toMatch(/2 files skipped in all/);
    const checkpoint = decodeCheckpoint(readFileSync(join(out, 'checkpoint.safetensors')));
    expect(checkpoint.config).toMatchObject({ dataDim: 768, channels: 3, classes: 2 });
    // samples.png: a row of 8 per class, each 16 + 2 pixels, in colour.
    const samples = readPng(join(out, 'samples.png'));
    expect([samples.width, samples.height]).toEqual([8 * 18 + 2, 2 * 18 + 2]);
    expect(hasColour(samples)).toBe(true);

    const resumed = cli('train', '--data', data, '--resume', '--steps', '6', '--out', out, ...TINY);
    expect(resumed.status, resumed.errors.join('\n')).toBe(0);
    const other = cli('train', '--data', data, '--size', '20', '--resume', '--steps', '8', '--out', out, ...TINY);
    expect(other.status).toBe(2);
    expect(other.errors).toEqual([expect.stringMatching(/--size 20 differs from the checkpoint's 16/)]);

    const grid = join(out, 'grid.png');
    const sampled = cli('sample', '--checkpoint', join(out, 'checkpoint.safetensors'), '--out', grid, '--class', '1');
    expect(sampled.status, sampled.errors.join('\n')).toBe(0);
    expect(hasColour(readPng(grid))).toBe(true);
  });

  it('an IDX file at another size, grey', () => {
    const out = tempDir('gan-run-');
    const r = cli(
      'train',
      '--data',
      mnistFilePath('t10k-images'),
      '--size',
      '12',
      '--steps',
      '2',
      '--out',
      out,
      ...TINY,
    );
    expect(r.status, r.errors.join('\n')).toBe(0);
    expect(r.stdout).toMatch(/10000 images of 28×28 resized to 12×12/);
    const checkpoint = decodeCheckpoint(readFileSync(join(out, 'checkpoint.safetensors')));
    expect(checkpoint.config).toMatchObject({ dataDim: 144, channels: 1 });
  });

  it('refuses, in one line with exit 2, data it cannot train on', () => {
    const data = pictureFolder();
    const empty = tempDir('gan-empty-');
    const bad = tempDir('gan-bad-');
    writeFileSync(join(bad, 'a.txt'), 'no');
    writeFileSync(join(bad, 'b.png'), 'no');
    const flat = tempDir('gan-flat-');
    writeFileSync(
      join(flat, 'one.png'),
      pngOf(8, 8, () => [200, 200, 200]),
    );
    const cases: Array<[string[], RegExp]> = [
      [['--data', empty], /is empty: put PNG or JPEG pictures in it/],
      [['--data', bad], /2 files/],
      [['--data', data, '--labels', 'x.idx', '--conditional'], /is a folder, whose classes are its sub-folders/],
      [['--data', flat, '--conditional'], /has no sub-folders/],
      [['--data', data, '--eval-every', '2'], /MNIST's 28×28 grey digits/],
      [['--data', data, '--channels', '2'], /--channels must be one of 1, 3, got "2"/],
      [['--data', mnistFilePath('t10k-images'), '--channels', '3'], /IDX files hold grey images/],
      [['--data', join(empty, 'missing')], /missing/],
    ];
    for (const [args, message] of cases) {
      const r = cli('train', '--steps', '2', '--out', tempDir('gan-run-'), ...args);
      expect(r.status, args.join(' ')).toBe(2);
      // Warnings name the folder's bad files first; then the one line of the error.
      const errors = r.errors.filter((line) => !line.startsWith('warning: '));
      expect(errors, args.join(' ')).toEqual([expect.stringMatching(message)]);
    }
  });

  it('repair fills in the black part of the mask, writes the picture or a strip; bad input is one line', () => {
    const out = tempDir('gan-repair-');
    const trained = cli('train', '--steps', '4', '--out', out, ...TINY);
    expect(trained.status, trained.errors.join('\n')).toBe(0);
    const checkpoint = join(out, 'checkpoint.safetensors');
    const image = join(out, 'digit.png');
    writeFileSync(
      image,
      pngOf(28, 28, (x, y) => (Math.abs(x - 14) < 3 && y > 4 && y < 24 ? [255, 255, 255] : [0, 0, 0])),
    );
    const mask = join(out, 'mask.png');
    writeFileSync(
      mask,
      pngOf(28, 28, (_, y) => (y < 14 ? [255, 255, 255] : [0, 0, 0])),
    );
    const repaired = join(out, 'repaired.png');
    const command = (picture: string, known: string) => [
      'repair',
      '--checkpoint',
      checkpoint,
      '--image',
      picture,
      '--mask',
      known,
      '--steps',
      '20',
    ];
    const base = command(image, mask);
    const r = cli(...base, '--starts', '4', '--out', repaired);
    expect(r.status, r.errors.join('\n')).toBe(0);
    expect(r.stdout).toMatch(/392 of 784 values known; after 20 steps on 4 starts .* RMS error of [\d.]+/);
    const picture = readPng(repaired);
    expect([picture.width, picture.height]).toEqual([28, 28]);
    // The known half is the input's own pixels.
    const input = readPng(image);
    for (let i = 0; i < 28 * 14 * 4; i += 4) expect(picture.data[i]).toBe(input.data[i]);

    const strip = join(out, 'strip.png');
    const s = cli(...base, '--starts', '2', '--strip', '--realism', '0', '--out', strip);
    expect(s.status, s.errors.join('\n')).toBe(0);
    expect([readPng(strip).width, readPng(strip).height]).toEqual([3 * 30 + 2, 32]);

    const black = join(out, 'black.png');
    writeFileSync(
      black,
      pngOf(28, 28, () => [0, 0, 0]),
    );
    const cases: Array<[string[], RegExp]> = [
      [['repair', '--checkpoint', checkpoint, '--image', image, '--out', repaired], /--mask is required/],
      [[...command(image, black), '--out', repaired], /black everywhere: nothing is known/],
      [
        [...base, '--class', '3', '--out', repaired],
        /--class: is for a conditional generator; this one has no classes/,
      ],
      [[...command(join(out, 'nope.png'), mask), '--out', repaired], /nope\.png: cannot read it/],
      [[...base, '--out', join(out, 'no-folder', 'x.png')], /does not exist/],
    ];
    for (const [args, message] of cases) {
      const e = cli(...args);
      expect(e.status, args.join(' ')).toBe(2);
      expect(e.errors, args.join(' ')).toEqual([expect.stringMatching(message)]);
    }
  });
});
