// `restore` as a user runs it (a child process, the software adapter, a tiny model): make a
// degraded picture with --degrade-only, restore it, a strip, a downscaled picture; and one-line
// exit-2 errors for a bad spec, a missing checkpoint and a --mask the chain cannot use.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { cli as run, TINY } from './support/cli.js';
import { barPng, readPng } from './support/png.js';
import { useTempDirs } from './support/temp.js';

const tempDir = useTempDirs();
const cli = (...args: string[]) => run(args);

describe('restore', { timeout: 300_000 }, () => {
  it('degrades a clean picture, restores it, writes a strip; bad input is one line', () => {
    const out = tempDir('gan-restore-');
    const trained = cli('train', '--steps', '4', '--out', out, ...TINY);
    expect(trained.status, trained.errors.join('\n')).toBe(0);
    const checkpoint = join(out, 'checkpoint.safetensors');
    const clean = join(out, 'digit.png');
    writeFileSync(clean, barPng());

    const blurred = join(out, 'blurred.png');
    const d = cli('restore', '--image', clean, '--degradation', 'blur:sigma=2', '--degrade-only', '--out', blurred);
    expect(d.status, d.errors.join('\n')).toBe(0);
    expect(d.stdout).toMatch(/28×28 after blur:sigma=2/);
    const [original, soft] = [readPng(clean), readPng(blurred)];
    // The bar's edge is softened: a pixel just outside it is no longer black, one at its centre no longer white.
    expect(soft.data[(14 * 28 + 18) * 4]).toBeGreaterThan(0);
    expect(soft.data[(14 * 28 + 14) * 4]).toBeLessThan(original.data[(14 * 28 + 14) * 4]!);

    // A horizontal motion blur drawn as a 5×1 picture: the bar widens sideways, not up and down.
    const kernel = join(out, 'kernel.png');
    const line = new PNG({ width: 5, height: 1 });
    for (let x = 0; x < 5; x++) line.data.set([255, 255, 255, 255], x * 4);
    writeFileSync(kernel, PNG.sync.write(line));
    const moved = join(out, 'moved.png');
    const m = cli(
      'restore',
      '--image',
      clean,
      '--degradation',
      'blur',
      '--blur-kernel',
      kernel,
      '--degrade-only',
      '--out',
      moved,
    );
    expect(m.status, m.errors.join('\n')).toBe(0);
    const smear = readPng(moved);
    expect(smear.data[(14 * 28 + 18) * 4]).toBeGreaterThan(0);
    expect(smear.data[(2 * 28 + 14) * 4]).toBe(0);
    const even = join(out, 'even.png');
    writeFileSync(even, PNG.sync.write(new PNG({ width: 2, height: 1 })));

    const small = join(out, 'small.png');
    const s = cli(
      'restore',
      '--image',
      clean,
      '--degradation',
      'downscale:factor=4+noise:sigma=0.1',
      '--degrade-only',
      '--out',
      small,
    );
    expect(s.status, s.errors.join('\n')).toBe(0);
    expect([readPng(small).width, readPng(small).height]).toEqual([7, 7]);

    const restored = join(out, 'restored.png');
    const base = ['restore', '--checkpoint', checkpoint, '--steps', '20', '--starts', '4'];
    const r = cli(...base, '--image', blurred, '--degradation', 'blur:sigma=2', '--out', restored);
    expect(r.status, r.errors.join('\n')).toBe(0);
    expect(r.stdout).toMatch(/restored from blur:sigma=2; after 20 steps on 4 starts .* RMS error of [\d.]+/);
    expect([readPng(restored).width, readPng(restored).height]).toEqual([28, 28]);

    const strip = join(out, 'strip.png');
    const t = cli(...base, '--image', small, '--degradation', 'downscale:factor=4+noise', '--strip', '--out', strip);
    expect(t.status, t.errors.join('\n')).toBe(0);
    expect([readPng(strip).width, readPng(strip).height]).toEqual([2 * 30 + 2, 32]);

    const cases: Array<[string[], RegExp]> = [
      [[...base, '--image', blurred, '--degradation', 'blurr', '--out', restored], /degradation: unknown kind "blurr"/],
      [[...base, '--image', blurred, '--degradation', 'blur:sigma=NaN', '--out', restored], /finite number/],
      [
        ['restore', '--image', blurred, '--degradation', 'blur', '--out', restored],
        /--checkpoint is required to restore/,
      ],
      [
        [...base, '--image', blurred, '--degradation', 'blur', '--mask', clean, '--out', restored],
        /this chain has none/,
      ],
      [[...base, '--image', blurred, '--out', restored], /--degradation is required/],
      [[...base, '--image', blurred, '--degradation', 'blur', '--blur-kernel', even, '--out', restored], /must be odd/],
      [[...base, '--image', blurred, '--degradation', 'dark', '--blur-kernel', kernel, '--out', restored], /has none/],
    ];
    for (const [args, message] of cases) {
      const e = cli(...args);
      expect(e.status, args.join(' ')).toBe(2);
      expect(e.errors, args.join(' ')).toEqual([expect.stringMatching(message)]);
    }
  });
});
