// The restoration benchmark (bench/restore.ts) end to end at tiny sizes: a 4-step checkpoint, two
// test digits, three degradations. Only the table's shape and the numbers' ranges are checked:
// a 4-step generator restores nothing, and no quality or speed is asserted.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { cli, TINY } from './support/cli.js';
import { useTempDirs } from './support/temp.js';

const tempDir = useTempDirs();
const ROOT = fileURLToPath(new URL('..', import.meta.url));

describe('bench/restore.ts', () => {
  it('scores ours, the nearest picture and the classical baselines for each degradation', { timeout: 300_000 }, () => {
    const out = tempDir('bench-restore-');
    const trained = cli(['train', '--steps', '4', '--out', out, ...TINY]);
    expect(trained.status, trained.errors.join('\n')).toBe(0);
    const bundle = join(ROOT, 'node_modules', '.cache', 'webgpu-gan', 'restore-bench-test.mjs');
    execFileSync(process.execPath, [join(ROOT, 'scripts', 'bundle.mjs'), join(ROOT, 'bench', 'restore.ts'), bundle]);
    const json = join(out, 'restore.json');
    const args = ['--quick', '--n', '2', '--train', '40', '--starts', '2', '--steps', '2', '--json', json];
    const degradations = ['--degradations', 'mask,blur,downscale:factor=4'];
    const stdout = execFileSync(
      process.execPath,
      [bundle, '--checkpoint', join(out, 'checkpoint.safetensors'), ...args, ...degradations],
      { cwd: ROOT, encoding: 'utf8', stdio: 'pipe', timeout: 240_000 },
    );
    expect(stdout).toMatch(/\| degradation \| method \| PSNR \(dB\) \| SSIM \| classifier accuracy \|/);
    const result = JSON.parse(readFileSync(json, 'utf8'));
    const methods = (spec: string) =>
      result.scores
        .filter((s: { degradation: string }) => s.degradation === spec)
        .map((s: { method: string }) => s.method);
    expect(methods('mask')).toEqual([
      'ours (latent search)',
      'nearest training picture',
      'degraded, as it is',
      'harmonic fill',
    ]);
    expect(methods('blur')).toEqual([
      'ours (latent search)',
      'nearest training picture',
      'degraded, as it is',
      'Richardson–Lucy (30 it.)',
    ]);
    expect(methods('downscale:factor=4')).toEqual(['ours (latent search)', 'nearest training picture', 'bicubic']);
    for (const s of result.scores) {
      expect(s.psnr).toBeGreaterThan(0);
      expect(s.psnr).toBeLessThanOrEqual(100);
      expect(s.ssim).toBeGreaterThan(-1);
      expect(s.ssim).toBeLessThanOrEqual(1);
      // Two digits: the accuracy is 0, 0.5 or 1.
      expect([0, 0.5, 1]).toContain(s.accuracy);
    }
    expect(result.settings).toMatchObject({ n: 2, train: 40, starts: 2, steps: 2 });
  });

  it('refuses a run without a checkpoint, by name', () => {
    const bundle = join(ROOT, 'node_modules', '.cache', 'webgpu-gan', 'restore-bench-test-2.mjs');
    execFileSync(process.execPath, [join(ROOT, 'scripts', 'bundle.mjs'), join(ROOT, 'bench', 'restore.ts'), bundle]);
    expect(() => execFileSync(process.execPath, [bundle, '--quick'], { cwd: ROOT, stdio: 'pipe' })).toThrow(
      /--checkpoint FILE is required/,
    );
  });
});
