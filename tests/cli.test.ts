// The CLI as a user runs it: `node bin/webgpu-gan.js ...` in a child process, on the software
// adapter, with tiny runs. Covers the output files, resume (bit-identical to a straight run),
// Ctrl-C, sampling, and one-line exit-2 errors for what a user can get wrong.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeCheckpoint } from '../src/gan/checkpoint.js';
import { useTempDirs } from './support/temp.js';
import { BIN, cli as run, ROOT, TINY } from './support/cli.js';

const tempDir = useTempDirs();

const cli = (...args: string[]) => run(args);

function tmp(): string {
  return tempDir('gan-cli-');
}

function pngSize(path: string): [number, number] {
  const bytes = readFileSync(path);
  expect([...bytes.subarray(0, 8)]).toEqual([137, 80, 78, 71, 13, 10, 26, 10]);
  return [bytes.readUInt32BE(16), bytes.readUInt32BE(20)];
}

describe('webgpu-gan CLI', { timeout: 300_000 }, () => {
  it('train writes checkpoint, samples and a log; resume continues bit-identically', () => {
    const [a, b] = [tmp(), tmp()];
    const first = cli('train', '--steps', '6', '--out', a, ...TINY);
    expect(first.status, first.errors.join('\n')).toBe(0);
    expect(first.stdout).toMatch(/^adapter: /m);
    for (const f of ['checkpoint.safetensors', 'samples.png', 'samples-0000004.png', 'log.jsonl'])
      expect(existsSync(join(a, f)), f).toBe(true);
    expect(pngSize(join(a, 'samples.png'))).toEqual([8 * 30 + 2, 8 * 30 + 2]);
    const log = readFileSync(join(a, 'log.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(log.map((l) => l.step)).toEqual([2, 4, 6]);
    for (const key of ['step', 'lossD', 'lossG', 'dReal', 'dFake', 'stepsPerSec'])
      expect(Number.isFinite(log[0][key]), key).toBe(true);

    const resumed = cli('train', '--steps', '10', '--out', a, '--resume', '--log-every', '2', '--sample-every', '4');
    expect(resumed.status, resumed.errors.join('\n')).toBe(0);
    expect(resumed.stdout).toContain('resuming at step 6');
    const straight = cli('train', '--steps', '10', '--out', b, ...TINY);
    expect(straight.status).toBe(0);
    const [x, y] = [a, b].map((d) => decodeCheckpoint(readFileSync(join(d, 'checkpoint.safetensors'))));
    expect(x!.step).toBe(10);
    for (const [name, t] of x!.tensors)
      expect(Buffer.from(t.data.buffer).equals(Buffer.from(y!.tensors.get(name)!.data.buffer)), name).toBe(true);

    const grid = join(a, 'grid.png');
    expect(cli('sample', '--checkpoint', join(a, 'checkpoint.safetensors'), '--out', grid, '--n', '12').status).toBe(0);
    expect(pngSize(grid)).toEqual([4 * 30 + 2, 3 * 30 + 2]);
    const strip = join(a, 'strip.png');
    expect(
      cli('sample', '--checkpoint', join(a, 'checkpoint.safetensors'), '--out', strip, '--interpolate', '--n', '7')
        .status,
    ).toBe(0);
    expect(pngSize(strip)).toEqual([7 * 30 + 2, 30 + 2]);
  });

  it('train --eval-every logs and shows the score; eval scores the checkpoint the same way', () => {
    const out = tmp();
    const trained = cli('train', '--steps', '4', '--out', out, ...TINY, '--eval-every', '2', '--eval-n', '64');
    expect(trained.status, trained.errors.join('\n')).toBe(0);
    const scored = readFileSync(join(out, 'log.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l))
      .filter((l) => l.quality);
    expect(scored.map((l) => l.step)).toEqual([2, 4]);
    for (const { quality } of scored) {
      expect(Number.isFinite(quality.distance)).toBe(true);
      expect(quality.count).toBe(64);
      expect(quality.classShares).toHaveLength(10);
    }
    expect(trained.stderr).toMatch(/FCD \d+\.\d\d \(\d+\/10 classes\)/);
    // The run's last progress line shows its last score, not the one before it (which differs).
    expect(scored[0].quality.distance.toFixed(2)).not.toBe(scored[1].quality.distance.toFixed(2));
    const lastLine = trained.stderr
      .trim()
      .split('\n')
      .filter((l: string) => l.includes('steps/s'))
      .at(-1);
    expect(lastLine).toContain(`4/4 100%`);
    expect(lastLine).toContain(`FCD ${scored.at(-1).quality.distance.toFixed(2)} `);
    const checkpoint = join(out, 'checkpoint.safetensors');
    const json = cli('eval', '--checkpoint', checkpoint, '--n', '64', '--json');
    expect(json.status, json.errors.join('\n')).toBe(0);
    const score = JSON.parse(json.stdout.trim().split('\n').at(-1)!);
    expect(score).toMatchObject({ step: 4, weights: 'moving-average', count: 64 });
    // The same generator, noise seed and count as the run's last score: the same samples.
    expect(score.distance).toBeCloseTo(scored.at(-1).quality.distance, 8);
    const text = cli('eval', '--checkpoint', checkpoint, '--n', '64', '--raw');
    expect(text.status).toBe(0);
    expect(text.stdout).toMatch(/^Fréchet classifier distance \d+\.\d{3} \(64 samples from step 4, trained weights/m);
    expect(text.stdout).toMatch(/^classes with at least 5% of the samples: \d+ of 10; mean confidence 0\.\d{3}$/m);
  });

  it('Ctrl-C saves a checkpoint before it exits', async () => {
    const out = tmp();
    const child = spawn(process.execPath, [BIN, 'train', '--steps', '100000', '--out', out, ...TINY], { cwd: ROOT });
    let stdout = '';
    child.stdout.on('data', (d) => (stdout += d));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    // Interrupt once training is under way (the first log line exists).
    while (!existsSync(join(out, 'log.jsonl'))) await new Promise((r) => setTimeout(r, 100));
    child.kill('SIGINT');
    expect(await exited).toBe(130);
    const checkpoint = decodeCheckpoint(readFileSync(join(out, 'checkpoint.safetensors')));
    expect(checkpoint.step).toBeGreaterThan(0);
    expect(stdout).toContain(`at step ${checkpoint.step}`);
    expect(existsSync(join(out, 'train.lock'))).toBe(false);
  });

  const bad: Array<[string, string[], RegExp]> = [
    ['a non-numeric flag', ['train', '--steps', 'many'], /--steps must be a number, got "many"/],
    ['a missing --steps', ['train', '--batch', '8'], /--steps is required/],
    ['an unknown flag', ['train', '--steps', '5', '--epochs', '3'], /unknown flag --epochs/],
    [
      'a missing dataset',
      ['train', '--steps', '5', '--data', '/nonexistent/images'],
      /--data \/nonexistent\/images: no such file or folder \(give mnist, fashion-mnist, a folder/,
    ],
    [
      '--resume without a checkpoint',
      ['train', '--steps', '5', '--resume', '--out', '/nonexistent-run'],
      /no checkpoint at \/nonexistent-run/,
    ],
    [
      'a missing checkpoint to sample',
      ['sample', '--checkpoint', '/nonexistent.safetensors', '--out', '/tmp/x.png'],
      /no checkpoint at \/nonexistent.safetensors/,
    ],
    ['eval without a checkpoint', ['eval', '--n', '100'], /--checkpoint is required/],
    ['--eval-n without --eval-every', ['train', '--steps', '5', '--eval-n', '100'], /--eval-n needs --eval-every/],
    ['an unknown command', ['fit'], /unknown command "fit"/],
    [
      'label smoothing with the default (hinge) loss',
      ['train', '--steps', '5', '--label-smoothing', '0.9'],
      /--label-smoothing: is 0\.9, but the hinge loss has no targets to smooth \(hinge is the default loss\)/,
    ],
    [
      '--spectral-norm with --no-spectral-norm',
      ['train', '--steps', '5', '--spectral-norm', '--no-spectral-norm'],
      /give one of them/,
    ],
    [
      'an unknown loss',
      ['train', '--steps', '5', '--loss', 'wasserstein'],
      /--loss: must be one of bce, hinge, least-squares, got "wasserstein"/,
    ],
    [
      '--conditional with --data but no --labels',
      ['train', '--steps', '5', '--conditional', '--data', BIN],
      /--data with a conditional GAN needs the labels of those images: add --labels FILE/,
    ],
    [
      'a missing labels file',
      ['train', '--steps', '5', '--conditional', '--data', BIN, '--labels', '/nonexistent/labels'],
      /--labels \/nonexistent\/labels: no such file or folder \(give the IDX labels file/,
    ],
    [
      'label smoothing with the hinge loss',
      ['train', '--steps', '5', '--loss', 'hinge', '--label-smoothing', '0.9'],
      /--label-smoothing: is 0\.9, but the hinge loss has no targets to smooth/,
    ],
  ];
  for (const [name, args, message] of bad) {
    it(`${name}: one line, exit 2`, () => {
      const r = cli(...args);
      expect(r.status).toBe(2);
      expect(r.errors[0]).toMatch(message);
      if (name !== 'an unknown command') expect(r.errors).toHaveLength(1);
    });
  }

  it('--loss, --lr-d, --lr-g, --spectral-norm train and are recorded; a different one on --resume is refused', () => {
    const run = tmp();
    const flags = ['--loss', 'least-squares', '--lr-d', '4e-4', '--lr-g', '1e-4', '--label-smoothing', '0.9'];
    expect(cli('train', '--steps', '2', '--out', run, ...TINY, ...flags, '--spectral-norm').status).toBe(0);
    const { config, tensors } = decodeCheckpoint(readFileSync(join(run, 'checkpoint.safetensors')));
    expect(config).toMatchObject({
      loss: 'least-squares',
      discriminatorLr: 4e-4,
      generatorLr: 1e-4,
      realLabel: 0.9,
      spectralNorm: true,
    });
    expect(tensors.has('discriminator.0.weight_u')).toBe(true);
    // It resumes, and samples and scores like any other checkpoint.
    expect(cli('train', '--steps', '3', '--out', run, '--resume').status).toBe(0);
    const sample = cli('sample', '--checkpoint', join(run, 'checkpoint.safetensors'), '--out', join(run, 'g.png'));
    expect(sample.status).toBe(0);
    const conflict = cli('train', '--steps', '4', '--out', run, '--resume', '--loss', 'hinge');
    expect(conflict.status).toBe(2);
    expect(conflict.errors).toEqual([
      expect.stringMatching(/--loss hinge differs from the checkpoint's least-squares/),
    ]);
  });

  it('--conditional trains on the digits with their labels; sample draws a row per class, or one --class', () => {
    const run = tmp();
    const trained = cli('train', '--steps', '2', '--out', run, ...TINY, '--conditional');
    expect(trained.status).toBe(0);
    // The conditional recipe, said in a line: an auxiliary classifier in D, and G of 512-1024.
    expect(trained.stdout).toMatch(/conditional recipe: --conditioning auxiliary, --g-hidden 512,1024 \(a flag given/);
    const file = join(run, 'checkpoint.safetensors');
    const { config, tensors } = decodeCheckpoint(readFileSync(file));
    expect(config).toMatchObject({ classes: 10, conditioning: 'auxiliary', generatorHidden: [512, 1024] });
    expect(tensors.get('generator.0.weight')!.shape).toEqual([512, 110]);
    expect(cli('train', '--steps', '3', '--out', run, '--resume').status).toBe(0);
    const grid = cli('sample', '--checkpoint', file, '--out', join(run, 'grid.png'));
    expect(grid.status).toBe(0);
    expect(grid.stdout).toMatch(/80 samples, a row per class/);
    // 8 columns and 10 rows of 28-pixel cells with 2 pixels of padding.
    const png = readFileSync(join(run, 'grid.png'));
    expect([png.readUInt32BE(16), png.readUInt32BE(20)]).toEqual([8 * 30 + 2, 10 * 30 + 2]);
    const seven = cli('sample', '--checkpoint', file, '--out', join(run, 'seven.png'), '--class', '7', '--n', '9');
    expect(seven.status).toBe(0);
    expect(seven.stdout).toMatch(/9 samples of class 7/);
    const past = cli('sample', '--checkpoint', file, '--out', join(run, 'x.png'), '--class', '10');
    expect(past.status).toBe(2);
    expect(past.errors[0]).toMatch(/--class 10: the checkpoint has classes 0 to 9/);
    const score = cli('eval', '--checkpoint', file, '--n', '100', '--json');
    expect(score.status).toBe(0);
    const scored = JSON.parse(score.stdout.trim().split('\n').at(-1)!);
    expect(scored.classShares).toHaveLength(10);
    // A conditional checkpoint is also scored on whether the class decides the digit.
    expect(scored.classAgreement).toBeGreaterThanOrEqual(0);
    expect(scored.classAgreement).toBeLessThanOrEqual(1);
  });

  it('--class on an unconditional checkpoint, --labels without --conditional: one line, exit 2', () => {
    const run = tmp();
    expect(cli('train', '--steps', '2', '--out', run, ...TINY).status).toBe(0);
    const file = join(run, 'checkpoint.safetensors');
    const r = cli('sample', '--checkpoint', file, '--out', join(run, 'x.png'), '--class', '3');
    expect(r.status).toBe(2);
    expect(r.errors).toEqual([expect.stringMatching(/--class: .* is not conditional/)]);
    const labels = cli('train', '--steps', '2', '--out', tmp(), '--labels', file);
    expect(labels.status).toBe(2);
    expect(labels.errors).toEqual([
      expect.stringMatching(/--labels are for a conditional or semi-supervised GAN: add --conditional or --labeled N/),
    ]);
    const resumed = cli('train', '--steps', '4', '--out', run, '--resume', '--conditional');
    expect(resumed.status).toBe(2);
    expect(resumed.errors).toEqual([expect.stringMatching(/checkpoint is of an unconditional GAN/)]);
    const withLabels = cli('train', '--steps', '4', '--out', run, '--resume', '--labels', file);
    expect(withLabels.status).toBe(2);
    expect(withLabels.errors).toEqual([expect.stringMatching(/--labels: the checkpoint is of an unconditional GAN/)]);
  });

  it('a corrupt checkpoint and a conflicting --resume flag: one line, exit 2', () => {
    const out = tmp();
    writeFileSync(join(out, 'checkpoint.safetensors'), 'not a checkpoint');
    const corrupt = cli('sample', '--checkpoint', join(out, 'checkpoint.safetensors'), '--out', join(out, 'g.png'));
    expect(corrupt.status).toBe(2);
    expect(corrupt.errors).toEqual([
      expect.stringMatching(/checkpoint\.safetensors: header length \d+ is over the 1048576-byte limit/),
    ]);
    const run = tmp();
    expect(cli('train', '--steps', '2', '--out', run, ...TINY).status).toBe(0);
    const conflict = cli('train', '--steps', '4', '--out', run, '--resume', '--batch', '16');
    expect(conflict.status).toBe(2);
    expect(conflict.errors).toEqual([expect.stringMatching(/--batch 16 differs from the checkpoint's 8/)]);
  });
});
