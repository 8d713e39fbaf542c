// `npm run bench -- --quick` keeps working: it bundles, runs on the software adapter, and writes
// the JSON that BENCHMARKS.md is built from, with our trainer and the TensorFlow.js peer.
// (Speed is reported, never asserted.)
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

function bundleBench(): string {
  const bundle = join(ROOT, 'node_modules', '.cache', 'webgpu-gan', 'bench-test.mjs');
  execFileSync(process.execPath, [join(ROOT, 'scripts', 'bundle.mjs'), join(ROOT, 'bench', 'gan.ts'), bundle]);
  return bundle;
}

describe('bench', () => {
  it('--quick writes { adapter, results: [webgpu-gan, tfjs-webgpu], matmul }', { timeout: 300_000 }, () => {
    const bundle = bundleBench();
    const json = join(mkdtempSync(join(tmpdir(), 'bench-')), 'out.json');
    execFileSync(process.execPath, [bundle, '--quick', '--steps', '5', '--matmul', '64', '--profile', '64', '--json', json], { stdio: 'pipe', timeout: 240_000 });
    const out = JSON.parse(readFileSync(json, 'utf8'));
    expect(out.adapter).toMatch(/dawn-node/);
    const ours = out.results.find((r: { impl: string }) => r.impl === 'webgpu-gan');
    const peer = out.results.find((r: { impl: string }) => r.impl === 'tfjs-webgpu');
    for (const r of [ours, peer]) {
      expect(r.batch).toBe(64);
      expect(r.msPerStep).toBeGreaterThan(0);
    }
    expect(ours.dispatchesPerStep).toBeGreaterThan(20);
    expect(ours.bytesAllocated).toBeGreaterThan(784 * 60_000);
    expect(ours.kernels.length).toBeGreaterThan(20);
    expect(out.matmul.map((m: { kernel: string }) => m.kernel.slice(0, 2))).toEqual(['v1', 'v2', 'v3', 'v4', 'v5']);
  });

  it('--tune writes a table of checked, timed choices for every matmul shape, and --tuning uses it', { timeout: 300_000 }, () => {
    const bundle = bundleBench();
    const dir = mkdtempSync(join(tmpdir(), 'tune-'));
    const tuning = join(dir, 'tuning.json');
    const printed = execFileSync(process.execPath, [bundle, '--tune', '2', '--tune-reps', '1', '--write-tuning', tuning], { encoding: 'utf8', timeout: 240_000 });
    const [table] = JSON.parse(readFileSync(tuning, 'utf8'));
    expect(table.adapter).toMatch(/llvmpipe|swiftshader|software/i);
    const choices = Object.entries(table.choices) as Array<[string, { variant: string; splitK: number; microseconds: number; rulesMicroseconds: number }]>;
    // The design's step at batch 2: 17 distinct products (forward, input and weight gradients).
    expect(choices.length).toBe(17);
    for (const [key, choice] of choices) {
      expect(printed).toContain(key);
      expect(['v1', 'v2', 'v3', 'v4', 'v5']).toContain(choice.variant);
      expect(choice.microseconds).toBeGreaterThan(0);
      expect(choice.microseconds).toBeLessThanOrEqual(choice.rulesMicroseconds);
    }
    const json = join(dir, 'out.json');
    const run = execFileSync(process.execPath, [bundle, '--tuning', tuning, '--batches', '2', '--steps', '2', '--matmul', '64', '--no-tfjs', '--json', json], { encoding: 'utf8', timeout: 240_000 });
    expect(run).toContain(`matmul choices from ${tuning}`);
    const [result] = JSON.parse(readFileSync(json, 'utf8')).results;
    expect(result.msPerStep).toBeGreaterThan(0);
    expect(result.measuredMatmuls).toBe(result.matmulsPerStep);
  });
});
