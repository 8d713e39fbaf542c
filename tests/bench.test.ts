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

describe('bench', () => {
  it('--quick writes { adapter, results: [webgpu-gan, tfjs-webgpu], matmul }', { timeout: 300_000 }, () => {
    const bundle = join(ROOT, 'node_modules', '.cache', 'webgpu-gan', 'bench-test.mjs');
    execFileSync(process.execPath, [join(ROOT, 'scripts', 'bundle.mjs'), join(ROOT, 'bench', 'gan.ts'), bundle]);
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
    expect(out.matmul.map((m: { kernel: string }) => m.kernel.slice(0, 2))).toEqual(['v1', 'v2', 'v3']);
  });
});
