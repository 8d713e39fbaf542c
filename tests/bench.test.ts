// `npm run bench -- --quick` keeps working: it bundles, runs on the software adapter, and writes
// the JSON that BENCHMARKS.md is built from, with our trainer and the TensorFlow.js peer.
// (Speed is reported, never asserted.)
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseBenchOptions, UsageError } from '../bench/options.js';
import { useTempDirs } from './support/temp.js';

const tempDir = useTempDirs();

const ROOT = fileURLToPath(new URL('..', import.meta.url));

function bundleBench(): string {
  const bundle = join(ROOT, 'node_modules', '.cache', 'webgpu-gan', 'bench-test.mjs');
  execFileSync(process.execPath, [join(ROOT, 'scripts', 'bundle.mjs'), join(ROOT, 'bench', 'gan.ts'), bundle]);
  return bundle;
}

describe('bench', () => {
  it('--quick writes { adapter, results: [webgpu-gan, tfjs-webgpu], matmul }', { timeout: 300_000 }, () => {
    const bundle = bundleBench();
    const json = join(tempDir('bench-'), 'out.json');
    execFileSync(
      process.execPath,
      [bundle, '--quick', '--steps', '5', '--matmul', '64', '--profile', '64', '--robustness-off', '--json', json],
      { stdio: 'pipe', timeout: 240_000 },
    );
    const out = JSON.parse(readFileSync(json, 'utf8'));
    expect(out.adapter).toMatch(/dawn-node/);
    // What the adapter offers, for the record: it has timestamps (the GPU times below need them).
    expect(out.features).toContain('timestamp-query');
    expect(out.subgroupSizes === null || out.subgroupSizes[0] <= out.subgroupSizes[1]).toBe(true);
    const ours = out.results.find((r: { impl: string }) => r.impl === 'webgpu-gan');
    const peer = out.results.find((r: { impl: string }) => r.impl === 'tfjs-webgpu');
    for (const r of [ours, peer]) {
      expect(r.batch).toBe(64);
      expect(r.msPerStep).toBeGreaterThan(0);
    }
    expect(ours.dispatchesPerStep).toBeGreaterThan(20);
    expect(ours.bytesAllocated).toBeGreaterThan(784 * 60_000);
    expect(ours.kernels.length).toBeGreaterThan(20);
    // GPU time of whole steps in one pass, and (profiled) the sum of the kernels in their own passes.
    expect(ours.gpuMsPerStep).toBeGreaterThan(0);
    expect(ours.kernelSumMsPerStep).toBeGreaterThan(0);
    // The host's share: part of every timed run, so its median cannot exceed the runs' median.
    expect(ours.cpuMsPerStep).toBeGreaterThan(0);
    expect(ours.cpuMsPerStep).toBeLessThanOrEqual(ours.msPerStep);
    // Every variant, then the same specialised to the shape; then all of it again on a device
    // with Dawn's robustness off.
    const everyVariant = ['v1', 'v3', 'v4', 'v5'].flatMap((v) => [v, `${v} fixed`]);
    const matmuls = (impl: string) =>
      out.matmul
        .filter((m: { impl: string }) => m.impl === impl)
        .map((m: { variant: string; specialized: boolean }) => `${m.variant}${m.specialized ? ' fixed' : ''}`);
    expect(matmuls('webgpu-gan')).toEqual(everyVariant);
    expect(matmuls('webgpu-gan (Dawn robustness off)')).toEqual(everyVariant);
    const unchecked = out.results.find((r: { impl: string }) => r.impl === 'webgpu-gan (Dawn robustness off)');
    expect(unchecked).toMatchObject({ batch: 64, dispatchesPerStep: ours.dispatchesPerStep });
    expect(unchecked.msPerStep).toBeGreaterThan(0);
  });

  it('--tune writes a table of checked, timed choices for every matmul shape, and --tuning uses it', {
    timeout: 300_000,
  }, () => {
    const bundle = bundleBench();
    const dir = tempDir('tune-');
    const tuning = join(dir, 'tuning.json');
    const printed = execFileSync(
      process.execPath,
      [bundle, '--tune', '2', '--tune-reps', '1', '--write-tuning', tuning],
      { encoding: 'utf8', timeout: 240_000 },
    );
    const [table] = JSON.parse(readFileSync(tuning, 'utf8'));
    expect(table.adapter).toMatch(/llvmpipe|swiftshader|software/i);
    const choices = Object.entries(table.choices) as Array<
      [
        string,
        { variant: string; splitK: number; specialized: boolean; microseconds: number; rulesMicroseconds: number },
      ]
    >;
    // The design's step at batch 2: 17 distinct products (forward, input and weight gradients).
    expect(choices.length).toBe(17);
    for (const [key, choice] of choices) {
      // Its line lists the candidates, the fastest also specialised to the shape ("fixed").
      expect(printed).toMatch(
        new RegExp(`${key.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} .*\\[.*v\\d/\\d+ fixed [\\d.]+.*\\]`),
      );
      expect(typeof choice.specialized).toBe('boolean');
      expect(['v1', 'v3', 'v4', 'v5']).toContain(choice.variant);
      expect(choice.microseconds).toBeGreaterThan(0);
      expect(choice.microseconds).toBeLessThanOrEqual(choice.rulesMicroseconds);
    }
    // Then the step's two logit heads (2B rows with parameter gradients, B rows without), each
    // checked against float64 and timed; at 4 and 2 rows the only grouping is all rows in one.
    expect(printed).toContain('logit head rows per workgroup');
    expect(printed).toMatch(
      /4x128 \+param grads +rule all [\d.]+ us, fastest all [\d.]+ us +\[all [\d.]+\] +D update, batch 2/,
    );
    expect(printed).toMatch(/2x128 +rule all [\d.]+ us, fastest all [\d.]+ us +\[all [\d.]+\] +G update, batch 2/);
    const json = join(dir, 'out.json');
    const run = execFileSync(
      process.execPath,
      [bundle, '--tuning', tuning, '--batches', '2', '--steps', '2', '--matmul', '64', '--no-tfjs', '--json', json],
      { encoding: 'utf8', timeout: 240_000 },
    );
    expect(run).toContain(`matmul choices from ${tuning}`);
    const [result] = JSON.parse(readFileSync(json, 'utf8')).results;
    expect(result.msPerStep).toBeGreaterThan(0);
    expect(result.measuredMatmuls).toBe(result.matmulsPerStep);
  });

  it('refuses bad flags with exit code 2 and a message that names the flag, before touching the GPU', {
    timeout: 120_000,
  }, () => {
    const bundle = bundleBench();
    let failure: { status: number; stderr: string } | undefined;
    try {
      execFileSync(process.execPath, [bundle, '--matmul', '0'], { stdio: 'pipe', encoding: 'utf8', timeout: 60_000 });
    } catch (error) {
      failure = error as { status: number; stderr: string };
    }
    expect(failure?.status).toBe(2);
    expect(failure?.stderr).toContain('--matmul takes positive whole numbers');
    expect(failure?.stderr).not.toMatch(/\bat \w+ \(/); // no stack trace
  });
});

describe('bench options', () => {
  const refused = (argv: string[]) => {
    try {
      parseBenchOptions(argv);
    } catch (error) {
      if (error instanceof UsageError) return error.message;
      throw error;
    }
    return 'accepted';
  };

  it('--arch dcgan times the DCGAN preset and TensorFlow.js training the same networks', { timeout: 300_000 }, () => {
    const bundle = bundleBench();
    const json = join(tempDir('bench-'), 'dcgan.json');
    execFileSync(process.execPath, [bundle, '--arch', 'dcgan', '--batches', '2', '--steps', '1', '--json', json], {
      stdio: 'pipe',
      timeout: 240_000,
    });
    const out = JSON.parse(readFileSync(json, 'utf8'));
    expect(out.adapter).toMatch(/dawn-node/);
    expect(out.results.map((r: { impl: string; arch: string; batch: number }) => [r.impl, r.arch, r.batch])).toEqual([
      ['webgpu-gan', 'dcgan', 2],
      ['tfjs-webgpu', 'dcgan', 2],
    ]);
    for (const r of out.results) expect(r.msPerStep).toBeGreaterThan(0);
    expect(out.results[0].dispatchesPerStep).toBeGreaterThan(15);
  });

  it('has defaults for a full run and for --quick', () => {
    const full = parseBenchOptions([]);
    expect(full).toMatchObject({
      batches: [64, 256, 1024, 4096],
      steps: 300,
      matmul: [1024, 2048, 4096],
      stepsPerSubmit: 10,
      tfjs: true,
      profile: [],
      tune: [],
    });
    expect(parseBenchOptions(['--quick'])).toMatchObject({ arch: 'mlp', batches: [64], steps: 20, matmul: [256] });
    expect(parseBenchOptions(['--arch', 'dcgan'])).toMatchObject({ arch: 'dcgan', batches: [64, 256], steps: 5 });
    expect(parseBenchOptions(['--arch', 'dcgan', '--quick'])).toMatchObject({ batches: [64], steps: 2 });
    expect(() => parseBenchOptions(['--arch', 'resnet'])).toThrow('--arch must be one of mlp, dcgan, got "resnet"');
    expect(parseBenchOptions(['--quick', '--steps', '5', '--matmul', 'none', '--no-tfjs'])).toMatchObject({
      steps: 5,
      matmul: [],
      tfjs: false,
    });
  });

  it('reads lists, variants and the tuning flags', () => {
    const options = parseBenchOptions([
      '--batches',
      '7, 64,64',
      '--profile',
      '7',
      '--step-variants',
      'v1,v5',
      '--tune',
      '64',
      '--write-tuning',
      'f.json',
      '--tune-reps',
      '3',
      '--tune-limit',
      '300',
    ]);
    expect(options).toMatchObject({
      batches: [7, 64],
      profile: [7],
      variants: ['v1', 'v5'],
      tune: [64],
      writeTuning: 'f.json',
      tuneReps: 3,
      tuneLimitSeconds: 300,
    });
    expect(parseBenchOptions(['--tune', '64']).tuneLimitSeconds).toBeUndefined();
    expect(parseBenchOptions(['--robustness-off']).robustnessOff).toBe(true);
    expect(parseBenchOptions([]).robustnessOff).toBe(false);
  });

  it('refuses what would fail later or be ignored, naming the flag', () => {
    expect(refused(['--matmul', '0'])).toContain('--matmul takes positive whole numbers');
    expect(refused(['--batches', '64,,256'])).toContain('--batches');
    expect(refused(['--batches', '2.5'])).toContain('--batches');
    expect(refused(['--steps', '0'])).toContain('--steps must be at least 1');
    expect(refused(['--steps', 'many'])).toContain('--steps must be a number');
    expect(refused(['--steps-per-submit'])).toContain('--steps-per-submit needs a value');
    expect(refused(['--profile', '128'])).toContain('only batch sizes that are timed can be profiled');
    expect(refused(['--step-variants', 'v1,v9'])).toContain('unknown variant v9');
    expect(refused(['--write-tuning', 'f.json'])).toContain('--write-tuning needs --tune');
    expect(refused(['--tune-reps', '4'])).toContain('--tune-reps needs --tune');
    expect(refused(['--tune-limit', '60'])).toContain('--tune-limit needs --tune');
    expect(refused(['--tune', '64', '--tune-limit', '0'])).toContain('--tune-limit must be at least 1');
    expect(refused(['--bogus'])).toContain('unknown flag --bogus');
  });
});
