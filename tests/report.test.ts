// `npm run bench:report -- DIR`: the tables of BENCHMARKS.md from one device run's folder. Each
// number must land in its own row and column, the targets must be judged against the right
// limits, and a run cut short must be reported as such rather than crash the report.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readDeviceRun, renderReport, ReportError } from '../bench/report.js';
import { useTempDirs } from './support/temp.js';

const tempDir = useTempDirs();

function runFolder(files: Record<string, string | object>): string {
  const dir = tempDir('device-run-');
  for (const [name, content] of Object.entries(files)) {
    writeFileSync(join(dir, name), typeof content === 'string' ? content : JSON.stringify(content));
  }
  return dir;
}

const step = (impl: string, batch: number, msPerStep: number, extra: object = {}) => ({
  impl,
  batch,
  msPerStep,
  ...extra,
});
const square = (impl: string, kernel: string, n: number, gflops: number) => ({ impl, kernel, n, gflops });

const BENCH = {
  adapter: 'nvidia / hopper / NVIDIA H100 80GB HBM3',
  date: '2026-11-27T10:00:00.000Z',
  results: [
    step('webgpu-gan', 64, 0.3271, {
      dispatchesPerStep: 25,
      bytesAllocated: 55.1 * 2 ** 20,
      gpuMsPerStep: 0.29,
      cpuMsPerStep: 0.2214,
    }),
    step('webgpu-gan', 4096, 1.2168, {
      dispatchesPerStep: 31,
      bytesAllocated: 143.5 * 2 ** 20,
      gpuMsPerStep: 1.1,
      kernels: [
        { label: 'small', microseconds: 5 },
        { label: 'largest', microseconds: 210 },
        { label: 'second', microseconds: 151 },
      ],
    }),
    step('webgpu-gan (Dawn robustness off)', 64, 0.32, {}),
    step('webgpu-gan (Dawn robustness off)', 4096, 1.15, {}),
    step('tfjs-webgpu', 64, 159.8),
    step('tfjs-webgpu', 4096, 197.6),
  ],
  matmul: [
    square('webgpu-gan', 'v1: 64x64 tile', 4096, 25134.2),
    square('webgpu-gan', 'v6: 128x128 tile', 4096, 36012.7),
    square('webgpu-gan (Dawn robustness off)', 'v6: 128x128 tile', 4096, 38000),
    square('webgpu-gan', 'v1: 64x64 tile', 1024, 17645),
  ],
};

const TUNED = {
  ...BENCH,
  results: [
    step('webgpu-gan', 64, 0.3, { dispatchesPerStep: 24, bytesAllocated: 55 * 2 ** 20, gpuMsPerStep: 0.27 }),
    step('webgpu-gan', 4096, 1.23, { dispatchesPerStep: 29, bytesAllocated: 140 * 2 ** 20, gpuMsPerStep: 1.12 }),
    step('webgpu-gan (Dawn robustness off)', 64, 0.28, {}),
    step('webgpu-gan (Dawn robustness off)', 4096, 0.98, {}),
  ],
  matmul: [square('webgpu-gan', 'v5: 128x64 tile', 4096, 39000)],
};

const TORCH = [
  { peer: 'pytorch-eager-cuda', batch: 64, ms_per_step: 4.3221 },
  { peer: 'pytorch-cudagraph', batch: 64, ms_per_step: 0.5603 },
  { peer: 'pytorch-eager-cuda', batch: 4096, ms_per_step: 4.686 },
  { peer: 'pytorch-cudagraph', batch: 4096, ms_per_step: 1.4041 },
  { peer: 'cublas-fp32-no-tf32', matmul: 1024, gflops: 36950.1 },
  { peer: 'cublas-fp32-no-tf32', matmul: 4096, gflops: 51594.4 },
  { torch: '2.11.0', gpu: 'NVIDIA H100 80GB HBM3' },
]
  .map((r) => JSON.stringify(r))
  .join('\n');

/** The cells after the label of the table row that starts with `label`. */
function row(report: string, label: string): string[] {
  const line = report.split('\n').find((l) => l.startsWith(`| ${label}`));
  if (!line) throw new Error(`no row "${label}" in:\n${report}`);
  return line
    .split('|')
    .slice(2, -1)
    .map((c) => c.trim());
}

describe('bench:report', () => {
  it('puts every number of a whole run in its row and column and judges the targets', () => {
    const dir = runFolder({
      'bench.txt': 'NVIDIA H100 80GB HBM3, 580.159.04\nadapter: ...\n',
      'bench.json': BENCH,
      'tuned.json': TUNED,
      'torch.jsonl': `${TORCH}\n`,
      'matmul-tuning.json': [
        {
          adapter: 'x',
          measured: 'H100: npm run bench -- --tune 64,4096 (3 of 4 shapes)',
          choices: { a: { variant: 'v4' }, b: { variant: 'v1' }, c: { variant: 'v4' } },
        },
      ],
    });
    const report = renderReport(readDeviceRun(dir));

    expect(report).toMatch(/^## NVIDIA H100 80GB HBM3, 580\.159\.04, 2026-11-27\n/);
    expect(report).toContain('Peer: PyTorch 2.11.0 on NVIDIA H100 80GB HBM3, in the same run.');
    expect(report).toContain('| ms per step (lower is better) | batch 64 | 4096 |');
    expect(row(report, "webgpu-gan, the rules'")).toEqual(['0.327', '1.217']);
    expect(row(report, 'webgpu-gan (Dawn robustness off)')).toEqual(['0.320', '1.150']);
    expect(row(report, 'webgpu-gan, measured')).toEqual(['0.300', '1.230']);
    expect(row(report, 'webgpu-gan, measured matmul choices, Dawn robustness off')).toEqual(['0.280', '0.980']);
    expect(row(report, 'PyTorch CUDA, whole step in one CUDA graph')).toEqual(['0.560', '1.404']);
    expect(row(report, 'PyTorch CUDA, eager')).toEqual(['4.322', '4.686']);
    expect(row(report, 'TensorFlow.js')).toEqual(['159.800', '197.600']);
    expect(row(report, 'dispatches per step (rules / measured choices)')).toEqual(['25 / 24', '31 / 29']);
    expect(row(report, 'CPU ms per step to record and submit (rules / measured choices)')).toEqual([
      '0.221 / –',
      '– / –',
    ]);
    expect(row(report, 'MiB allocated')).toEqual(['55.1 / 55.0', '143.5 / 140.0']);

    expect(report).toContain('| fp32 matmul, square n, GFLOP/s | 1024 | 4096 |');
    expect(row(report, 'v1: 64x64 tile |')).toEqual(['17,645', '25,134']);
    expect(row(report, 'v6: 128x128 tile, Dawn robustness off')).toEqual(['–', '38,000']);
    expect(row(report, 'v5: 128x64 tile (second bench)')).toEqual(['–', '39,000']);
    expect(row(report, 'cuBLAS')).toEqual(['36,950', '51,594']);

    expect(report).toContain(
      '- ≤ 0.45 ms per step at batch 64: rules 0.327 (met), Dawn robustness off 0.320 (met), measured choices ' +
        '0.300 (met), measured choices, Dawn robustness off 0.280 (met); PyTorch CUDA graph 0.560.',
    );
    expect(report).toContain(
      '- ≤ 1 ms per step at batch 4096: rules 1.217 (not met), Dawn robustness off 1.150 (not met), measured ' +
        'choices 1.230 (not met), measured choices, Dawn robustness off 0.980 (met); PyTorch CUDA graph 1.404.',
    );
    // The best kernel at 4096³ of any configuration and either bench, named with both.
    expect(report).toContain(
      '- ≥ 35 TFLOP/s fp32 matmul at 4096³: best v5: 128x64 tile (second bench): ' +
        '39,000 GFLOP/s (met); cuBLAS 51,594.',
    );

    expect(report).toContain('Tuning table: 3 shapes, H100: npm run bench -- --tune 64,4096 (3 of 4 shapes).');
    // The variants to consider removing; robustness-off rows do not count (the web cannot have them).
    expect(report).toContain(
      'Chosen per shape: v4 2, v1 1. Fastest square matmul: 1024³ v1, 4096³ v6. Neither chosen nor fastest: v3, v5.',
    );
    expect(report).toContain(
      'Measured choices against the rules, ms per step: batch 64 -8.3%, batch 4096 +1.1%. Slower at batch 4096.',
    );
    expect(report).toContain("- batch 4096, rules' choices: largest 210.0 µs; second 151.0 µs; small 5.0 µs");
    expect(report).not.toContain('Notes:');
  });

  it('reports a run cut short, and a failed or missing peer, instead of failing', () => {
    const dir = runFolder({
      // Tried on a machine without nvidia-smi: the bench's own first line heads bench.txt.
      'bench.txt': 'adapter: mesa / software\n',
      'bench.json': { ...BENCH, results: [step('webgpu-gan', 64, 0.3271, { dispatchesPerStep: 25 })], matmul: [] },
      'torch.jsonl':
        'Traceback (most recent call last):\n42\nRuntimeError: CUDA error: out of memory\n' +
        `${JSON.stringify({ peer: 'pytorch-cudagraph', batch: 64, error: 'capture failed' })}\n`,
    });
    const report = renderReport(readDeviceRun(dir));

    expect(report).toMatch(/^## nvidia \/ hopper \/ NVIDIA H100 80GB HBM3, 2026-11-27\n/);
    expect(row(report, "webgpu-gan, the rules'")).toEqual(['0.327']);
    expect(row(report, 'PyTorch CUDA, whole step in one CUDA graph')).toEqual(['failed']);
    expect(row(report, 'dispatches per step (rules)')).toEqual(['25']);
    expect(report).not.toContain('GPU ms per step'); // a row nothing measured is left out
    expect(report).not.toContain('CPU ms per step');
    expect(report).not.toContain('measured matmul choices');
    expect(report).not.toContain('fp32 matmul, square n');
    expect(report).toContain('- ≤ 1 ms per step at batch 4096: not measured in this run.');
    expect(report).toContain('- ≥ 35 TFLOP/s fp32 matmul at 4096³: not measured in this run.');
    expect(report).toContain('- No tuned.json: the run ended before the bench with measured choices');
    expect(report).toContain(
      '- torch.jsonl has 3 line(s) that are not JSON records; the last: "RuntimeError: CUDA error: out of memory".',
    );
    expect(report).toContain('- PyTorch pytorch-cudagraph at batch 64 failed: capture failed');
  });

  it('says which file is missing or damaged, and reads the GPU name of older runs', () => {
    expect(() => readDeviceRun(runFolder({}))).toThrow(ReportError);
    expect(() => readDeviceRun(runFolder({}))).toThrow(/no bench\.json in .*device-run-/);
    expect(() => readDeviceRun(runFolder({ 'bench.json': '{"adapter": "x", "resul' }))).toThrow(
      /bench\.json is not readable JSON .*cut off/,
    );
    expect(() => readDeviceRun(runFolder({ 'bench.json': { adapter: 'x' } }))).toThrow(
      /bench\.json is not a bench result/,
    );
    expect(() => readDeviceRun(runFolder({ 'bench.json': 'null' }))).toThrow(/bench\.json is not a bench result/);
    expect(() =>
      readDeviceRun(runFolder({ 'bench.json': BENCH, 'tuned.json': { results: [{ impl: 'webgpu-gan', batch: 64 }] } })),
    ).toThrow(/tuned\.json is not a bench result/);
    // Runs before nvidia-smi's line moved into bench.txt kept it in gpu.txt.
    const older = renderReport(
      readDeviceRun(runFolder({ 'bench.json': BENCH, 'gpu.txt': 'NVIDIA H100 80GB HBM3, 580.159.04\n' })),
    );
    expect(older).toMatch(/^## NVIDIA H100 80GB HBM3, 580\.159\.04, 2026-11-27\n/);
    expect(older).toContain('- No torch.jsonl: the PyTorch peer did not run');
  });
});
