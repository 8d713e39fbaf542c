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
import { builtinData, loadTrainingData } from '../src/cli/data.js';
import { UsageError, flagHelp } from '../src/cli/args.js';
import { TRAIN_FLAGS } from '../src/cli/trainFlags.js';
import { EVAL_FLAGS } from '../src/cli/eval.js';
import { FASHION_MNIST_CLASSES } from '../src/data/fashionMnistNode.js';
import { classifierWeightsPath, readDatasetClassifier } from '../src/eval/classifierFile.js';
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

    // The conditional recipe's D is an auxiliary classifier: repair reads its real/fake logit off
    // the class logits, and G draws the class given.
    expect(checkpoint.config.conditioning).toBe('auxiliary');
    const picture = join(out, 'picture.png');
    writeFileSync(
      picture,
      pngOf(16, 16, () => [200, 40, 40]),
    );
    const half = join(out, 'half.png');
    writeFileSync(
      half,
      pngOf(16, 16, (x) => (x < 8 ? [255, 255, 255] : [0, 0, 0])),
    );
    const repaired = join(out, 'repaired.png');
    const repair = ['repair', '--checkpoint', join(out, 'checkpoint.safetensors'), '--image', picture];
    const r2 = cli(...repair, '--mask', half, '--class', '1', '--steps', '10', '--starts', '4', '--out', repaired);
    expect(r2.status, r2.errors.join('\n')).toBe(0);
    expect(r2.stdout).toMatch(/384 of 768 values known; after 10 steps on 4 starts .* RMS error of [\d.]+/);
    expect([readPng(repaired).width, readPng(repaired).height]).toEqual([16, 16]);
  });

  it('trains a conditional DCGAN on the class folders at 32×32 in colour, and samples one class', () => {
    const data = pictureFolder();
    const out = tempDir('gan-dcgan-');
    const flags = ['--arch', 'dcgan', '--conditional', '--size', '32', '--steps', '2', '--out', out];
    const r = cli('train', '--data', data, ...flags, '--batch', '2', '--sample-every', '2', '--log-every', '1');
    expect(r.status, r.errors.join('\n')).toBe(0);
    const checkpoint = decodeCheckpoint(readFileSync(join(out, 'checkpoint.safetensors')));
    expect(checkpoint.config).toMatchObject({ architecture: 'dcgan', dataDim: 3072, channels: 3, classes: 2 });
    // The one-hot beside the noise in G's first weight; D's class projection on its 256×4×4 features.
    expect(checkpoint.tensors.get('generator.0.weight')!.shape).toEqual([102, 256, 4, 4]);
    expect(checkpoint.tensors.get('discriminator.projection.weight')!.shape).toEqual([2, 4096]);
    const samples = readPng(join(out, 'samples.png'));
    expect([samples.width, samples.height]).toEqual([8 * 34 + 2, 2 * 34 + 2]);
    const grid = join(out, 'grid.png');
    const sampled = cli('sample', '--checkpoint', join(out, 'checkpoint.safetensors'), '--out', grid, '--class', '0');
    expect(sampled.status, sampled.errors.join('\n')).toBe(0);
    expect(sampled.stdout).toMatch(/64 samples of class 0 from step 2/);
    const drawn = readPng(grid);
    expect([drawn.width, drawn.height]).toEqual([8 * 34 + 2, 8 * 34 + 2]);
    // Its D projects the class: repair does not take a projection yet, and says so in one line.
    const picture = join(out, 'picture.png');
    writeFileSync(
      picture,
      pngOf(32, 32, () => [40, 90, 200]),
    );
    const half = join(out, 'half.png');
    writeFileSync(
      half,
      pngOf(32, 32, (x) => (x < 16 ? [255, 255, 255] : [0, 0, 0])),
    );
    const refused = cli(
      'repair',
      '--checkpoint',
      join(out, 'checkpoint.safetensors'),
      '--image',
      picture,
      '--mask',
      half,
      '--class',
      '0',
      '--out',
      join(out, 'repaired.png'),
    );
    expect(refused.status).toBe(2);
    expect(refused.errors.join('\n')).toMatch(
      /is a class-projecting model; the latent search \(repair, and restore without a trained restorer\) takes/,
    );
  });

  it('repairs with a DCGAN checkpoint, its batch norms on their running estimates', () => {
    const out = tempDir('gan-dcgan-repair-');
    const flags = ['--arch', 'dcgan', '--no-spectral-norm', '--steps', '2', '--batch', '2', '--out', out];
    const trained = cli('train', ...flags, '--sample-every', '2');
    expect(trained.status, trained.errors.join('\n')).toBe(0);
    const image = join(out, 'digit.png');
    writeFileSync(
      image,
      pngOf(28, 28, (x) => (x > 10 && x < 16 ? [255, 255, 255] : [0, 0, 0])),
    );
    const mask = join(out, 'mask.png');
    writeFileSync(
      mask,
      pngOf(28, 28, (_, y) => (y < 14 ? [255, 255, 255] : [0, 0, 0])),
    );
    const repaired = join(out, 'repaired.png');
    const checkpoint = join(out, 'checkpoint.safetensors');
    const r = cli(
      'repair',
      '--checkpoint',
      checkpoint,
      '--image',
      image,
      '--mask',
      mask,
      '--steps',
      '10',
      ...['--starts', '4', '--out', repaired],
    );
    expect(r.status, r.errors.join('\n')).toBe(0);
    expect(r.stdout).toMatch(/392 of 784 values known; after 10 steps on 4 starts .* RMS error of [\d.]+/);
    const picture = readPng(repaired);
    expect([picture.width, picture.height]).toEqual([28, 28]);
    const input = readPng(image);
    for (let i = 0; i < 28 * 14 * 4; i += 4) expect(picture.data[i]).toBe(input.data[i]);
  });

  it("eval scores a two-class D learnt from a folder without the ten digits' test accuracy", () => {
    // Its D reads classes 0 and 1 only: MNIST's labels up to 9 once ended eval with a refusal.
    const out = tempDir('gan-run-');
    const trained = cli(
      'train',
      '--labeled',
      '4',
      '--data',
      pictureFolder(),
      '--channels',
      '1',
      '--steps',
      '2',
      '--out',
      out,
      ...TINY,
    );
    expect(trained.status, trained.errors.join('\n')).toBe(0);
    const scored = cli('eval', '--checkpoint', join(out, 'checkpoint.safetensors'), '--n', '64');
    expect(scored.status, scored.errors.join('\n')).toBe(0);
    expect(scored.stdout).toContain('Fréchet classifier distance');
    expect(scored.stdout).not.toContain('classifier accuracy');
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

    // Yeh et al.'s search: the known pixels weighted by nearness to the hole, the fill blended in.
    const yeh = cli(...base, '--starts', '2', '--context', 'nearness', '--blend', 'poisson', '--out', repaired);
    expect(yeh.status, yeh.errors.join('\n')).toBe(0);
    expect(yeh.stdout).toMatch(/matches them, weighted by nearness to the hole, to an RMS error of/);
    const blended = readPng(repaired);
    for (let i = 0; i < 28 * 14 * 4; i += 4) expect(blended.data[i]).toBe(input.data[i]);
    const smudge = cli(...base, '--blend', 'smudge', '--out', repaired);
    expect(smudge.status).toBe(2);
    expect(smudge.errors.join('\n')).toMatch(/--blend/);

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

describe('--data mnist and --data fashion-mnist, the built-in datasets', { timeout: 120_000 }, () => {
  it('names a built-in set by its exact name only; no --data is MNIST', () => {
    expect(builtinData(undefined)).toBe('mnist');
    expect(builtinData('mnist')).toBe('mnist');
    expect(builtinData('fashion-mnist')).toBe('fashion-mnist');
    for (const path of ['./mnist', 'MNIST', 'fashion-mnist/', 'data/mnist', 'fashion_mnist'])
      expect(builtinData(path)).toBe(null);
    expect(flagHelp(TRAIN_FLAGS.data!)).toMatch(/^mnist .*fashion-mnist .*write \.\/mnist for the path/);
    expect(EVAL_FLAGS.data!.choices).toEqual(['mnist', 'fashion-mnist']);
  });

  it("loads Fashion-MNIST's training split, with its ten classes for --conditional, resized for --size", () => {
    const data = loadTrainingData({ path: 'fashion-mnist', conditional: true });
    expect(data).toMatchObject({ dataset: 'fashion-mnist', count: 60_000, side: 28, channels: 1, classes: 10 });
    expect(data.labels!.length).toBe(60_000);
    expect(Array.from(data.labels!.subarray(0, 10))).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(data.description).toBe(
      `Fashion-MNIST: 60000 training images of 28×28, 10 classes (${FASHION_MNIST_CLASSES.join(', ')})`,
    );
    const plain = loadTrainingData({ path: 'fashion-mnist', conditional: false, side: 14 });
    expect(plain).toMatchObject({ labels: null, classes: 0, side: 14, dataset: 'fashion-mnist' });
    expect(plain.pixels.length).toBe(60_000 * 14 * 14);
    expect(plain.description).toMatch(/resized to 14×14$/);
  });

  it('loads MNIST for --data mnist as without --data, and a folder called mnist only as ./mnist', () => {
    const named = loadTrainingData({ path: 'mnist', conditional: true });
    const implicit = loadTrainingData({ conditional: true });
    expect(named).toMatchObject({ dataset: 'mnist', count: 60_000, classes: 10, description: implicit.description });
    expect(Buffer.compare(named.pixels, implicit.pixels)).toBe(0); // toEqual walks 47 M bytes for minutes
    const cwd = process.cwd();
    const dir = tempDir('gan-cwd-');
    mkdirSync(join(dir, 'mnist', 'a'), { recursive: true });
    mkdirSync(join(dir, 'mnist', 'b'));
    for (const c of ['a', 'b'])
      writeFileSync(
        join(dir, 'mnist', c, '1.png'),
        pngOf(8, 8, () => [9, 9, 9]),
      );
    process.chdir(dir);
    try {
      expect(loadTrainingData({ path: 'mnist', conditional: false }).count).toBe(60_000);
      const folder = loadTrainingData({ path: './mnist', conditional: true, side: 8 });
      expect(folder).toMatchObject({ dataset: null, count: 2, classes: 2 });
    } finally {
      process.chdir(cwd);
    }
  });

  it('refuses --labels and --channels 3 with a built-in set', () => {
    for (const name of ['mnist', 'fashion-mnist']) {
      const request = { path: name, labelsPath: mnistFilePath('train-labels'), conditional: true };
      expect(() => loadTrainingData(request)).toThrow(UsageError);
      expect(() => loadTrainingData(request)).toThrow(
        new RegExp(`^--labels: --data ${name} is a built-in dataset with labels of its own; drop --labels`),
      );
    }
    expect(() => loadTrainingData({ path: 'fashion-mnist', conditional: false, channels: 3 })).toThrow(
      /--channels 3: Fashion-MNIST is grey/,
    );
  });

  it('scores Fashion-MNIST with its own classifier, against its held-out test split', () => {
    const file = readDatasetClassifier('fashion-mnist');
    expect(file.metadata).toMatchObject({ dataset: 'fashion-mnist', reference_count: '10000' });
    expect(Number(file.metadata.test_accuracy)).toBeGreaterThan(0.85);
    expect(classifierWeightsPath('fashion-mnist')).toMatch(/models[\\/]fashion-mnist-classifier\.safetensors$/);
    const missing = () => readDatasetClassifier('fashion-mnist', join(tempDir('gan-no-model-'), 'x.safetensors'));
    expect(missing).toThrow(/^scoring fashion-mnist needs its classifier, .*x\.safetensors \(ENOENT\); /);
    expect(missing).toThrow(/; train it with: npm run train:classifier -- --data fashion-mnist$/);
    const out = tempDir('gan-fashion-run-');
    const trained = cli(
      ...['train', '--data', 'fashion-mnist', '--conditional', '--steps', '4', '--out', out, ...TINY],
      ...['--eval-every', '4', '--eval-n', '100'],
    );
    expect(trained.status, trained.errors.join('\n')).toBe(0);
    expect(trained.stdout).toMatch(/data: Fashion-MNIST: 60000 training images of 28×28, 10 classes \(T-shirt\/top, /);
    const checkpoint = join(out, 'checkpoint.safetensors');
    const scored = cli('eval', '--checkpoint', checkpoint, '--data', 'fashion-mnist', '--n', '100', '--json');
    expect(scored.status, scored.errors.join('\n')).toBe(0);
    expect(JSON.parse(scored.stdout)).toMatchObject({ step: 4, classShares: expect.any(Array) });
    // The checkpoint names the data it learned: eval scores against it and a resumed run trains on it.
    const text = cli('eval', '--checkpoint', checkpoint, '--n', '100');
    expect(text.stdout).toMatch(/against 10,000 Fashion-MNIST held-out test images\)/);
    const other = cli('train', '--data', 'mnist', '--resume', '--steps', '6', '--out', out, ...TINY);
    expect(other.status).toBe(2);
    expect(other.errors.join('\n')).toMatch(/--data mnist: the checkpoint learned fashion-mnist; drop --data/);
    const resumed = cli('train', '--resume', '--steps', '6', '--out', out, ...TINY);
    expect(resumed.status, resumed.errors.join('\n')).toBe(0);
    expect(resumed.stdout).toMatch(/data: Fashion-MNIST: 60000 training images/);
  });

  it('the CLI refuses --labels with a built-in name in one line, before any GPU work', () => {
    const out = tempDir('gan-run-');
    const labels = mnistFilePath('train-labels');
    const r = cli(
      'train',
      '--steps',
      '2',
      '--out',
      out,
      '--data',
      'fashion-mnist',
      '--conditional',
      '--labels',
      labels,
    );
    expect(r.status).toBe(2);
    expect(r.errors).toEqual([expect.stringMatching(/^.*--labels: --data fashion-mnist is a built-in dataset/)]);
    const help = cli('train', '--help');
    expect(help.stdout).toMatch(/--data .*mnist \(the default/);
  });
});
