// `train --task restore` and `restore --checkpoint RESTORER` as a user runs them (child processes,
// the software adapter, a few steps): the restorer file and its log, a downscaled picture made and
// restored at full size, a strip; and one-line exit-2 errors for what a restorer cannot do.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeRestorer } from '../src/restore/restorerFile.js';
import { describe, expect, it } from 'vitest';
import { cli as run } from './support/cli.js';
import { barPng, readPng } from './support/png.js';
import { useTempDirs } from './support/temp.js';

const tempDir = useTempDirs();
const cli = (...args: string[]) => run(args);

describe('a trained restorer from the command line', { timeout: 300_000 }, () => {
  it('trains, restores a downscaled picture at full size, and refuses what it cannot do in one line', () => {
    const out = tempDir('gan-restorer-');
    const train = ['train', '--task', 'restore', '--degradation', 'downscale:factor=2', '--out', out];
    const trained = cli(...train, '--steps', '6', '--batch', '4', '--log-every', '3');
    expect(trained.status, trained.errors.join('\n')).toBe(0);
    expect(trained.stdout).toMatch(/step 6\/6 {2}l1 loss \d/);
    expect(trained.stdout).toMatch(/undoes downscale:factor=2/);
    const restorer = join(out, 'restorer.safetensors');
    expect(existsSync(restorer)).toBe(true);
    const log = readFileSync(join(out, 'restorer-log.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(log.map((l) => l.step)).toEqual([3, 6]);
    expect(log.every((l) => Number.isFinite(l.loss) && l.loss > 0)).toBe(true);

    const again = cli(...train, '--steps', '6');
    expect(again.status).toBe(2);
    expect(again.stderr).toMatch(/restorer\.safetensors exists; give --force/);

    const clean = join(out, 'bar.png');
    writeFileSync(clean, barPng());
    const small = join(out, 'small.png');
    const d = cli(
      'restore',
      '--checkpoint',
      restorer,
      '--image',
      clean,
      '--degradation',
      'downscale:factor=2',
      '--degrade-only',
      '--out',
      small,
    );
    expect(d.status, d.errors.join('\n')).toBe(0);
    expect(readPng(small).width).toBe(14);

    const restored = join(out, 'restored.png');
    const r = cli('restore', '--checkpoint', restorer, '--image', small, '--out', restored);
    expect(r.status, r.errors.join('\n')).toBe(0);
    expect(r.stdout).toMatch(/undid downscale:factor=2 with the restorer .* \(trained 6 steps\)/);
    expect([readPng(restored).width, readPng(restored).height]).toEqual([28, 28]);
    const strip = join(out, 'strip.png');
    const s = cli(
      'restore',
      '--checkpoint',
      restorer,
      '--image',
      small,
      '--out',
      strip,
      '--strip',
      '--degradation',
      'downscale',
    );
    expect(s.status, s.errors.join('\n')).toBe(0);
    expect(readPng(strip).width).toBeGreaterThan(2 * 28);

    const other = cli(
      'restore',
      '--checkpoint',
      restorer,
      '--image',
      small,
      '--out',
      restored,
      '--degradation',
      'blur',
    );
    expect(other.status).toBe(2);
    expect(other.stderr).toMatch(/was trained to undo downscale:factor=2; drop --degradation, or train a restorer/);
    const search = cli('restore', '--checkpoint', restorer, '--image', small, '--out', restored, '--starts', '4');
    expect(search.status).toBe(2);
    expect(search.stderr).toMatch(/--starts: .* is a trained restorer/);

    // With pix2pix's critic of pairs: its loss and how real it finds each kind of pair, logged too.
    const adversarial = tempDir('gan-restorer-critic-');
    const withCritic = cli(
      ...['train', '--task', 'restore', '--degradation', 'blur', '--out', adversarial, '--steps', '4'],
      ...['--batch', '4', '--log-every', '2', '--adversarial', '0.01'],
    );
    expect(withCritic.status, withCritic.errors.join('\n')).toBe(0);
    expect(withCritic.stdout).toMatch(
      /step 4\/4 {2}l1 loss [\d.]+ {2}critic loss [\d.]+ \(σ: clean [\d.]+, restored [\d.]+\)/,
    );
    const criticLog = JSON.parse(readFileSync(join(adversarial, 'restorer-log.jsonl'), 'utf8').trim().split('\n')[1]!);
    expect(Object.keys(criticLog.critic).sort()).toEqual(['adversarialLoss', 'cleanReal', 'loss', 'restoredReal']);

    // With the edge term: named on the progress line and kept in the file.
    const edged = tempDir('gan-restorer-edges-');
    const withEdges = cli(
      ...['train', '--task', 'restore', '--degradation', 'blur', '--out', edged, '--steps', '2'],
      ...['--batch', '4', '--edge-weight', '0.5'],
    );
    expect(withEdges.status, withEdges.errors.join('\n')).toBe(0);
    expect(withEdges.stdout).toMatch(/step 2\/2 {2}l1 \+ 0\.5 × edges loss [\d.]+ {2}/);
    const edgedFile = decodeRestorer(new Uint8Array(readFileSync(join(edged, 'restorer.safetensors'))));
    expect(edgedFile.settings).toMatchObject({ edgeWeight: 0.5, loss: 'l1', adversarial: 0 });
    const edgedLog = JSON.parse(readFileSync(join(edged, 'restorer-log.jsonl'), 'utf8').trim().split('\n').at(-1)!);
    expect(edgedLog).toMatchObject({ step: 2, edgeWeight: 0.5 });

    // A residual restorer: kept in the file and the log, and `restore` takes it as any other.
    const residual = tempDir('gan-restorer-residual-');
    const withResidual = cli(
      ...['train', '--task', 'restore', '--degradation', 'noise', '--out', residual, '--steps', '2'],
      ...['--batch', '4', '--residual'],
    );
    expect(withResidual.status, withResidual.errors.join('\n')).toBe(0);
    const residualFile = join(residual, 'restorer.safetensors');
    expect(decodeRestorer(new Uint8Array(readFileSync(residualFile))).settings.residual).toBe(true);
    const residualLog = JSON.parse(readFileSync(join(residual, 'restorer-log.jsonl'), 'utf8').trim().split('\n')[0]!);
    expect(residualLog).toMatchObject({ step: 2, residual: true });
    const denoised = join(residual, 'denoised.png');
    const n = cli('restore', '--checkpoint', residualFile, '--image', clean, '--out', denoised);
    expect(n.status, n.errors.join('\n')).toBe(0);
    expect(n.stdout).toMatch(/undid noise.* with the restorer .* \(trained 2 steps\)/);

    for (const [args, message] of [
      [['--task', 'restore', '--degradation', 'blur', '--steps', '3', '--adversarial', '-1'], /--adversarial/],
      [['--task', 'restore', '--degradation', 'blur', '--steps', '3', '--edge-weight', '-1'], /--edge-weight/],
      [
        ['--task', 'restore', '--degradation', 'downscale', '--steps', '3', '--residual'],
        /--residual: a residual restorer .* cannot undo downscaling \(14 to 28 pixels\)/,
      ],
      [['--task', 'restore', '--steps', '3'], /--degradation is required/],
      [['--task', 'restore', '--degradation', 'blur', '--steps', '3', '--arch', 'dcgan'], /unknown flag --arch/],
      [['--degradation', 'blur', '--steps', '3'], /add --task restore/],
      [['--task', 'restore', '--degradation', 'blur', '--steps', '3', '--size', '30'], /multiple of 4/],
    ] as const) {
      const result = cli('train', ...args, '--out', tempDir('gan-restorer-bad-'));
      expect(result.status, result.stdout).toBe(2);
      expect(result.stderr).toMatch(message);
      expect(result.stderr.trim().split('\n')).toHaveLength(1);
    }
  });
});
