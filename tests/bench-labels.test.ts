// The few-labels benchmark (bench/labels.ts) end to end at a tiny size: one label count, one seed,
// two steps. Checks that each run trains what its column says (the baseline's D on labels alone),
// that the table and the JSON agree with the runs' logs, that a second bench reads the logs instead
// of training again, and that a bad flag gets one line and the usage. No accuracy is asserted:
// two steps learn nothing.
import { execFileSync, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { decodeCheckpoint } from '../src/gan/checkpoint.js';
import { useTempDirs } from './support/temp.js';

const tempDir = useTempDirs();
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BUNDLE = join(ROOT, 'node_modules', '.cache', 'webgpu-gan', 'labels-bench-test.mjs');

const bench = (args: string[]) =>
  spawnSync(process.execPath, [BUNDLE, ...args], { cwd: ROOT, encoding: 'utf8', timeout: 240_000 });

describe('bench/labels.ts', { timeout: 300_000 }, () => {
  let out = '';
  let first: ReturnType<typeof bench>;
  const args = () => [
    ...['--labels', '20', '--seeds', '3', '--steps', '2', '--batch', '8', '--out', out],
    ...['--json', join(out, 'labels.json'), '--', '--steps-per-submit', '2', '--sample-every', '2'],
  ];

  /** A run's folder: named by what varies, the batch, and a digest of the flags after --. */
  const runFolder = (kind: string) => {
    const name = readdirSync(out).find((f) => f.startsWith(`mlp-labels20-seed3-${kind}-batch8-`));
    expect(name, kind).toBeDefined();
    return join(out, name!);
  };

  beforeAll(() => {
    execFileSync(process.execPath, [join(ROOT, 'scripts', 'bundle.mjs'), join(ROOT, 'bench', 'labels.ts'), BUNDLE]);
    out = tempDir('bench-labels-');
    first = bench(args());
    expect(first.status, first.stderr).toBe(0);
  });

  it('trains the baseline on labels alone and the semi-supervised D, and tables their test error', () => {
    const runs = ['labels-alone', 'semi-supervised'].map(runFolder);
    const [alone, semi] = runs.map((dir) => decodeCheckpoint(readFileSync(join(dir, 'checkpoint.safetensors'))));
    expect(alone!.config).toMatchObject({ labeled: 20, seed: 3, labeledOnly: true, batch: 8 });
    expect(semi!.config).toMatchObject({ labeled: 20, seed: 3, labeledOnly: false, batch: 8 });
    const logged = runs.map((dir) =>
      readFileSync(join(dir, 'log.jsonl'), 'utf8')
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line))
        .find((entry) => entry.testAccuracy !== undefined),
    );
    const { results } = JSON.parse(readFileSync(join(out, 'labels.json'), 'utf8'));
    expect(results.map((r: { kind: string }) => r.kind)).toEqual(['labels-alone', 'semi-supervised']);
    expect(results.map((r: { accuracy: number }) => r.accuracy)).toEqual(logged.map((l) => l.testAccuracy));
    const error = (i: number) => `${(100 * (1 - logged[i].testAccuracy)).toFixed(2)}%`;
    expect(first.stdout).toContain(`| 20 | mlp | ${error(0)} | ${error(1)} |`);
  });

  it('reads a finished run from its log instead of training it again', () => {
    const again = bench(args());
    expect(again.status, again.stderr).toBe(0);
    expect(again.stdout.match(/\(logged before\)/g)).toHaveLength(2);
  });

  it('scores a finished run whose log missed the last reading, past a line cut off by a kill', () => {
    const log = join(runFolder('semi-supervised'), 'log.jsonl');
    const lines = readFileSync(log, 'utf8').trim().split('\n');
    const kept = lines.filter((line) => JSON.parse(line).testAccuracy === undefined);
    writeFileSync(log, `${kept.join('\n')}\n{"step":2,"lossD":0.`);
    const again = bench(args());
    expect(again.status, again.stderr).toBe(0);
    expect(again.stdout.match(/\(logged before\)/g)).toHaveLength(1);
    // classify reads the checkpoint as the log's reading did: the same right answers of 10,000.
    expect(again.stdout).toContain(first.stdout.split('\n').find((l) => l.startsWith('| 20 | mlp'))!);
  });

  it('refuses a bad flag in one line with the usage', () => {
    for (const [flags, message] of [
      [['--arch', 'vgg'], /^bench:labels: --arch: unknown vgg/],
      [['--labels', '0'], /^bench:labels: --labels takes positive whole numbers/],
      [['--', '--seed', '4'], /^bench:labels: --seed after --: the bench sets it for each run/],
      [['--', '--batch=4'], /^bench:labels: --batch=4 after --: the bench sets it for each run/],
      [['--labels', '5'], /^bench:labels: --labels 5: MNIST takes 10 \(one image per class\) to 60000 labels/],
    ] as const) {
      const r = bench([...flags]);
      expect(r.status).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(r.stderr).toContain('usage: npm run bench:labels');
    }
  });
});
