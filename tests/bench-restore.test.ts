// The restoration benchmark (bench/restore.ts) end to end at tiny sizes: a 4-step checkpoint, two
// 2-step restorers for blur, two test digits, three degradations, and the figure. Only the table's
// shape, the numbers' ranges and the figure's size are checked: such networks restore nothing,
// and no quality or speed is asserted.
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { PNG } from 'pngjs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { benchPictures, classCounts } from '../bench/restore/pictures.js';
import { cli, TINY } from './support/cli.js';
import { useTempDirs } from './support/temp.js';

const tempDir = useTempDirs();
const ROOT = fileURLToPath(new URL('..', import.meta.url));

describe('bench/restore.ts', () => {
  it('scores ours, the nearest picture and the classical baselines for each degradation', { timeout: 300_000 }, () => {
    const out = tempDir('bench-restore-');
    const trained = cli(['train', '--steps', '4', '--out', out, ...TINY]);
    expect(trained.status, trained.errors.join('\n')).toBe(0);
    const restorer = ['--task', 'restore', '--degradation', 'blur', '--steps', '2', '--batch', '4'];
    const r = cli(['train', ...restorer, '--out', join(out, 'restorers')]);
    expect(r.status, r.errors.join('\n')).toBe(0);
    // A second restorer for the same degradation is a row of its own, named by how it differs.
    const second = cli(['train', ...restorer, '--residual', '--out', join(out, 'restorers', 'second')]);
    expect(second.status, second.errors.join('\n')).toBe(0);
    const bundle = join(ROOT, 'node_modules', '.cache', 'webgpu-gan', 'restore-bench-test.mjs');
    execFileSync(process.execPath, [join(ROOT, 'scripts', 'bundle.mjs'), join(ROOT, 'bench', 'restore.ts'), bundle]);
    const json = join(out, 'restore.json');
    const figure = join(out, 'figure.png');
    const args = ['--quick', '--n', '2', '--train', '40', '--starts', '2', '--steps', '2', '--json', json];
    const degradations = ['--degradations', 'mask;blur;downscale:factor=4'];
    const models = ['--checkpoint', join(out, 'checkpoint.safetensors'), '--restorers', join(out, 'restorers')];
    const stdout = execFileSync(process.execPath, [bundle, ...models, ...args, ...degradations, '--figure', figure], {
      cwd: ROOT,
      encoding: 'utf8',
      stdio: 'pipe',
      timeout: 240_000,
    });
    expect(stdout).toMatch(/\| degradation \| method \| PSNR \(dB\) \| SSIM \| classifier accuracy \|/);
    const result = JSON.parse(readFileSync(json, 'utf8'));
    const methods = (spec: string) =>
      result.scores
        .filter((s: { degradation: string }) => s.degradation === spec)
        .map((s: { method: string }) => s.method);
    expect(methods('mask')).toEqual([
      'ours (latent search)',
      'ours (latent search, uniform context, copied fill)',
      'ours (latent search, sphere prior)',
      'nearest training picture',
      'degraded, as it is',
      'harmonic fill',
    ]);
    expect(methods('blur')).toEqual([
      'ours (latent search)',
      'ours (latent search, sphere prior)',
      'ours (trained restorer, 2 steps)',
      'ours (trained restorer, residual, 2 steps)',
      'nearest training picture',
      'degraded, as it is',
      'Richardson–Lucy (30 it.)',
    ]);
    expect(methods('downscale:factor=4')).toEqual([
      'ours (latent search)',
      'ours (latent search, sphere prior)',
      'nearest training picture',
      'bicubic',
    ]);
    for (const s of result.scores) {
      expect(s.psnr).toBeGreaterThan(0);
      expect(s.psnr).toBeLessThanOrEqual(100);
      expect(s.ssim).toBeGreaterThan(-1);
      expect(s.ssim).toBeLessThanOrEqual(1);
      // Two digits: the accuracy is 0, 0.5 or 1.
      expect([0, 0.5, 1]).toContain(s.accuracy);
    }
    expect(result.settings).toMatchObject({ n: 2, train: 40, starts: 2, steps: 2 });
    // Each of ours against the baseline read best, on the same two digits: a split of at most 2.
    expect(result.paired).toHaveLength(3 + 4 + 2);
    for (const c of result.paired) {
      expect(c.ours).toMatch(/^ours/);
      expect(c.baseline).not.toMatch(/^ours/);
      expect(c.onlyOurs + c.onlyBaseline).toBeLessThanOrEqual(2);
      // Of at most two pictures, only a 2 : 0 split is uneven enough to leave p under 1: 2 · ¼.
      const lopsided = c.onlyOurs + c.onlyBaseline === 2 && c.onlyOurs * c.onlyBaseline === 0;
      expect(c.p).toBe(lopsided ? 0.5 : 1);
    }
    expect(stdout).toMatch(
      /\nblur: ours \(trained restorer, 2 steps\) against .*: read right by ours alone \d+, by it/,
    );
    // The ceiling: the shipped classifier reads both clean test digits (a 7 and a 2) right.
    expect(result.cleanAccuracy).toBe(1);
    expect(stdout).toMatch(
      /The classifier reads 100\.0% of the clean pictures right, what giving back the truth would/,
    );
    // MNIST's first two test digits are a 7 and a 2; the header and the JSON say so.
    expect(stdout).toMatch(/MNIST test pictures 0–1 \(of each class 0–9: 0 0 1 0 0 0 0 1 0 0\)/);
    expect(result.classes.test).toEqual([0, 0, 1, 0, 0, 0, 0, 1, 0, 0]);
    // Two pictures of three degradations; blur's rows are the widest: degraded, seven methods, truth.
    const png = PNG.sync.read(readFileSync(figure));
    expect([png.width, png.height]).toEqual([9 * 30 + 2, 6 * 30 + 2]);
  });

  it("takes every class of Fashion-MNIST's interleaved splits, and no more pictures than there are", () => {
    // Until 2026-12-06 the benchmark spread its picks evenly through the split: every tenth
    // picture, which is one class of an interleaved split.
    const sets = benchPictures('fashion-mnist', { n: 30, train: 50 });
    expect(classCounts(sets.labels)).toEqual(new Array(10).fill(3));
    expect(classCounts(sets.trainLabels)).toEqual(new Array(10).fill(5));
    expect(sets.test).toHaveLength(30 * 784);
    expect(sets.train).toHaveLength(50 * 784);
    // MNIST's first 100 test digits, as its label file counts them.
    const digits = benchPictures('mnist', { n: 100, train: 1000 });
    expect(classCounts(digits.labels)).toEqual([8, 14, 8, 11, 14, 7, 10, 15, 2, 11]);
    expect(() => benchPictures('fashion-mnist', { n: 10_001, train: 10 })).toThrow(
      /--n 10001 asks for more than the 10000 pictures there are/,
    );
  });

  it('refuses a run with neither a checkpoint nor restorers, by name', () => {
    const bundle = join(ROOT, 'node_modules', '.cache', 'webgpu-gan', 'restore-bench-test-2.mjs');
    execFileSync(process.execPath, [join(ROOT, 'scripts', 'bundle.mjs'), join(ROOT, 'bench', 'restore.ts'), bundle]);
    expect(() => execFileSync(process.execPath, [bundle, '--quick'], { cwd: ROOT, stdio: 'pipe' })).toThrow(
      /give --checkpoint FILE .*, --restorers DIR, or both/,
    );
    // A mistyped flag: one line and the usage, exit 2; --help: the usage.
    const run = (...args: string[]) => spawnSync(process.execPath, [bundle, ...args], { cwd: ROOT, encoding: 'utf8' });
    const mistyped = run('--restorer', 'x');
    expect(mistyped.status).toBe(2);
    expect(mistyped.stderr).toMatch(/^bench:restore: Unknown option '--restorer'\nusage: npm run bench:restore/);
    expect(run('--help').stdout).toMatch(/^usage: npm run bench:restore -- \(--checkpoint FILE/);
  });
});
