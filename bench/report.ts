// The tables of BENCHMARKS.md from the files of one device run (bench/h100.sh's $OUT): our bench
// with the rules' choices, the PyTorch peer, and, where the run got that far, the tuning and the
// bench with the measured choices. Written from the files rather than by hand, so that every
// number in a table comes from the same run and none is mistyped; `npm run bench:report -- DIR`.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MATMUL_VARIANTS } from '../src/kernels/matmulTuning.js';

export interface StepResult {
  impl: string;
  batch: number;
  msPerStep: number;
  dispatchesPerStep?: number;
  bytesAllocated?: number;
  gpuMsPerStep?: number | null;
  /** Host time to record and submit a step (older runs lack it). */
  cpuMsPerStep?: number;
  kernels?: Array<{ label: string; microseconds: number }> | null;
}

export interface SquareMatmulResult {
  impl: string;
  kernel: string;
  n: number;
  gflops: number;
}

/** What `npm run bench -- --json FILE` writes. */
export interface BenchFile {
  adapter: string;
  date: string;
  results: StepResult[];
  matmul: SquareMatmulResult[];
}

/** One line of ../shared/baselines/torch_gan.py's output. */
export interface TorchRecord {
  peer?: string;
  batch?: number;
  ms_per_step?: number;
  matmul?: number;
  gflops?: number;
  error?: string;
  torch?: string;
  gpu?: string;
}

export interface DeviceRun {
  /** The first line of bench.txt: the GPU's name and driver, as nvidia-smi prints them. */
  gpu: string | null;
  bench: BenchFile;
  /** The bench with the measured matmul choices (tuned.json); null when the run did not get there. */
  tuned: BenchFile | null;
  torch: TorchRecord[];
  /** The tuning table's own account of what it measured, and the variant it chose per shape. */
  tuning: { measured: string; variants: string[] } | null;
  /** What is missing or odd in the folder, said in the report rather than thrown. */
  notes: string[];
}

// The issue's targets (issue 5), on the H100.
const TARGETS = { batch64Ms: 0.45, batch4096Ms: 1.0, matmul4096Gflops: 35_000 };

const PEER_NAMES: Record<string, string> = {
  'pytorch-cudagraph': 'PyTorch CUDA, whole step in one CUDA graph',
  'pytorch-eager-cuda': 'PyTorch CUDA, eager',
  'tfjs-webgpu': 'TensorFlow.js WebGPU backend (same Dawn adapter, same process)',
};

export class ReportError extends Error {
  override name = 'ReportError';
}

export function readDeviceRun(dir: string): DeviceRun {
  const notes: string[] = [];
  const benchPath = join(dir, 'bench.json');
  if (!existsSync(benchPath))
    throw new ReportError(
      `no bench.json in ${dir}: give the folder where a device run of bench/h100.sh left its files ($OUT)`,
    );
  const bench = readBenchFile(benchPath);
  const tunedPath = join(dir, 'tuned.json');
  const tuned = existsSync(tunedPath) ? readBenchFile(tunedPath) : null;
  if (!tuned)
    notes.push(
      'No tuned.json: the run ended before the bench with measured choices (or was run without TUNE or SHIPPED).',
    );
  return {
    gpu: gpuName(dir),
    bench,
    tuned,
    torch: readTorchLines(join(dir, 'torch.jsonl'), notes),
    tuning: readTuning(join(dir, 'matmul-tuning.json'), notes),
    notes,
  };
}

function readJson(path: string): unknown {
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new ReportError(
      `${path} is not readable JSON (${(e as Error).message}); was the run cut off while writing it?`,
    );
  }
}

function readBenchFile(path: string): BenchFile {
  const json = (readJson(path) ?? {}) as Partial<BenchFile>;
  const valid =
    Array.isArray(json.results) &&
    json.results.every((r) => typeof r?.impl === 'string' && Number.isFinite(r.batch) && Number.isFinite(r.msPerStep));
  if (!valid)
    throw new ReportError(
      `${path} is not a bench result: it needs "results" of { impl, batch, msPerStep } as npm run bench -- --json ` +
        `writes`,
    );
  return {
    adapter: String(json.adapter ?? 'unknown adapter'),
    date: String(json.date ?? 'unknown date'),
    results: json.results!,
    matmul: Array.isArray(json.matmul) ? json.matmul : [],
  };
}

/** nvidia-smi's line at the head of bench.txt (gpu.txt in runs before it moved there). */
function gpuName(dir: string): string | null {
  for (const name of ['gpu.txt', 'bench.txt']) {
    const path = join(dir, name);
    const line = existsSync(path) ? readFileSync(path, 'utf8').split('\n')[0]!.trim() : '';
    // Without nvidia-smi (a run tried on another machine) the bench's own first line is there.
    if (line !== '' && !line.startsWith('adapter:')) return line;
  }
  return null;
}

/** The peer's JSON lines; anything else (a Python traceback) becomes one note. */
function readTorchLines(path: string, notes: string[]): TorchRecord[] {
  if (!existsSync(path)) {
    notes.push('No torch.jsonl: the PyTorch peer did not run, so no table here has a peer from the same run.');
    return [];
  }
  const records: TorchRecord[] = [];
  const other: string[] = [];
  for (const line of readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')) {
    let record: unknown = null;
    try {
      record = JSON.parse(line);
    } catch {
      /* said below */
    }
    if (typeof record === 'object' && record !== null) records.push(record as TorchRecord);
    else other.push(line.trim());
  }
  if (other.length > 0)
    notes.push(`torch.jsonl has ${other.length} line(s) that are not JSON records; the last: "${other.at(-1)}".`);
  for (const r of records.filter((x) => x.error))
    notes.push(`PyTorch ${r.peer ?? ''} at batch ${r.batch ?? '?'} failed: ${r.error}`);
  return records;
}

function readTuning(path: string, notes: string[]): DeviceRun['tuning'] {
  if (!existsSync(path)) return null;
  const tables = readJson(path);
  const table = Array.isArray(tables)
    ? (tables.at(-1) as { measured?: string; choices?: Record<string, { variant?: string }> } | undefined)
    : undefined;
  if (!table?.choices) {
    notes.push('matmul-tuning.json holds no table.');
    return null;
  }
  return {
    measured: String(table.measured ?? ''),
    variants: Object.values(table.choices).map((c) => String(c.variant)),
  };
}

// ---- rendering ----

export function renderReport(run: DeviceRun): string {
  const sections = [
    header(run),
    stepTable(run),
    matmulTable(run),
    targetLines(run),
    tuningLines(run),
    largestKernels(run),
    run.notes.length > 0 ? `Notes:\n\n${run.notes.map((n) => `- ${n}`).join('\n')}` : '',
  ];
  return `${sections.filter((s) => s !== '').join('\n\n')}\n`;
}

function header(run: DeviceRun): string {
  const torch = run.torch.find((r) => r.torch);
  const lines = [
    `## ${run.gpu ?? run.bench.adapter}, ${run.bench.date.slice(0, 10)}`,
    '',
    `Our adapter: ${run.bench.adapter}.`,
  ];
  if (torch) lines.push(`Peer: PyTorch ${torch.torch} on ${torch.gpu}, in the same run.`);
  return lines.join('\n');
}

interface Row {
  label: string;
  cells: Map<number, string>;
}

/** A markdown table with one column per key; a row without a value for a key shows "–". */
function table(corner: string, keys: number[], keyLabel: (k: number, i: number) => string, rows: Row[]): string {
  const head = `| ${corner} | ${keys.map(keyLabel).join(' | ')} |`;
  const rule = `|${'---|'.repeat(keys.length + 1)}`;
  const body = rows.map((r) => `| ${r.label} | ${keys.map((k) => r.cells.get(k) ?? '–').join(' | ')} |`);
  return [head, rule, ...body].join('\n');
}

function ourStepRows(run: DeviceRun): Array<{ label: string; results: StepResult[] }> {
  const impls = [...new Set(run.bench.results.map((r) => r.impl).filter((i) => i.startsWith('webgpu-gan')))];
  const rows = impls.map((impl) => ({
    label: impl === 'webgpu-gan' ? "webgpu-gan, the rules' matmul choices" : impl,
    results: run.bench.results.filter((r) => r.impl === impl),
  }));
  const tunedImpls = [
    ...new Set((run.tuned?.results ?? []).map((r) => r.impl).filter((i) => i.startsWith('webgpu-gan'))),
  ];
  for (const impl of tunedImpls) {
    const label =
      impl === 'webgpu-gan'
        ? 'webgpu-gan, measured matmul choices (tuned.json)'
        : `webgpu-gan, measured matmul choices, ${impl.replace(/^webgpu-gan \((.*)\)$/, '$1')}`;
    rows.push({ label, results: run.tuned!.results.filter((r) => r.impl === impl) });
  }
  return rows;
}

function stepTable(run: DeviceRun): string {
  const ours = ourStepRows(run);
  const batches = [
    ...new Set([
      ...run.bench.results.map((r) => r.batch),
      ...run.torch.flatMap((r) => (r.batch === undefined ? [] : [r.batch])),
    ]),
  ].sort((a, b) => a - b);
  const rows: Row[] = ours.map((o) => ({
    label: o.label,
    cells: new Map(o.results.map((r) => [r.batch, r.msPerStep.toFixed(3)])),
  }));
  rows.push(...peerRows(run));
  // The shippable configurations side by side: the rules, and the measured choices where the run has them.
  const shipped = ours.filter((o) => o.results[0]?.impl === 'webgpu-gan');
  const perConfiguration = (label: string, value: (r: StepResult) => string | null): Row => ({
    label: `${label} (${shipped.map((o) => shortLabel(o.label)).join(' / ')})`,
    cells: new Map(
      batches.map((b) => [
        b,
        shipped
          .map((o) => {
            const r = o.results.find((x) => x.batch === b);
            return (r && value(r)) ?? '–';
          })
          .join(' / '),
      ]),
    ),
  });
  const measuredAnywhere = (r: Row) => [...r.cells.values()].some((c) => /\d/.test(c));
  rows.push(
    ...[
      perConfiguration('dispatches per step', (r) =>
        r.dispatchesPerStep === undefined ? null : String(r.dispatchesPerStep),
      ),
      perConfiguration('GPU ms per step by timestamps', (r) =>
        r.gpuMsPerStep == null ? null : r.gpuMsPerStep.toFixed(3),
      ),
      perConfiguration('CPU ms per step to record and submit', (r) =>
        r.cpuMsPerStep === undefined ? null : r.cpuMsPerStep.toFixed(3),
      ),
      perConfiguration('MiB allocated by the trainer', (r) =>
        r.bytesAllocated === undefined ? null : (r.bytesAllocated / 2 ** 20).toFixed(1),
      ),
    ].filter(measuredAnywhere),
  );
  return table('ms per step (lower is better)', batches, (b, i) => (i === 0 ? `batch ${b}` : String(b)), rows);
}

/** PyTorch's rows from torch.jsonl, TensorFlow.js's from our bench (it runs in our process). */
function peerRows(run: DeviceRun): Row[] {
  const rows: Row[] = [];
  for (const [peer, name] of Object.entries(PEER_NAMES)) {
    const cells = new Map<number, string>();
    for (const r of run.torch) {
      if (r.peer === peer && r.batch !== undefined)
        cells.set(r.batch, r.ms_per_step === undefined ? 'failed' : r.ms_per_step.toFixed(3));
    }
    for (const r of run.bench.results) if (r.impl === peer) cells.set(r.batch, r.msPerStep.toFixed(3));
    if (cells.size > 0) rows.push({ label: name, cells });
  }
  return rows;
}

/**
 * The square matmuls of both benches of the run, the second's labelled as such: they are timed by
 * wall clock, and on the H100 (2026-11-27) host delays cost one bench's v5 a sixth of its speed
 * and not the other's, so both are shown.
 */
function squareMatmuls(run: DeviceRun): Array<SquareMatmulResult & { label: string }> {
  const label = (m: SquareMatmulResult) => (m.impl === 'webgpu-gan' ? m.kernel : `${m.kernel}, ${shortLabel(m.impl)}`);
  return [
    ...run.bench.matmul.map((m) => ({ ...m, label: label(m) })),
    ...(run.tuned?.matmul ?? []).map((m) => ({ ...m, label: `${label(m)} (second bench)` })),
  ];
}

function matmulTable(run: DeviceRun): string {
  const cublas = run.torch.filter(
    (r) => r.peer === 'cublas-fp32-no-tf32' && r.matmul !== undefined && r.gflops !== undefined,
  );
  const square = squareMatmuls(run);
  const sizes = [...new Set([...square.map((m) => m.n), ...cublas.map((r) => r.matmul!)])].sort((a, b) => a - b);
  if (sizes.length === 0) return '';
  const rows = new Map<string, Row>();
  for (const m of square) {
    const label = m.label;
    if (!rows.has(label)) rows.set(label, { label, cells: new Map() });
    rows.get(label)!.cells.set(m.n, gflops(m.gflops));
  }
  if (cublas.length > 0)
    rows.set('cuBLAS', {
      label: 'cuBLAS (PyTorch, TF32 off)',
      cells: new Map(cublas.map((r) => [r.matmul!, gflops(r.gflops!)])),
    });
  return table('fp32 matmul, square n, GFLOP/s', sizes, (n) => String(n), [...rows.values()]);
}

function gflops(value: number): string {
  return Math.round(value).toLocaleString('en-US');
}

function targetLines(run: DeviceRun): string {
  const ours = ourStepRows(run).filter((o) => !o.label.includes('all matmuls'));
  const graph = run.torch.filter((r) => r.peer === 'pytorch-cudagraph' && r.ms_per_step !== undefined);
  const stepTarget = (batch: number, limit: number) => {
    const measured = ours.flatMap((o) =>
      o.results
        .filter((r) => r.batch === batch)
        .map((r) => `${shortLabel(o.label)} ${r.msPerStep.toFixed(3)} (${r.msPerStep <= limit ? 'met' : 'not met'})`),
    );
    const peer = graph.find((r) => r.batch === batch);
    const said = measured.length > 0 ? measured.join(', ') : 'not measured in this run';
    const peerText = peer ? `; PyTorch CUDA graph ${peer.ms_per_step!.toFixed(3)}` : '';
    return `- ≤ ${limit} ms per step at batch ${batch}: ${said}${peerText}.`;
  };
  const square = squareMatmuls(run).filter((m) => m.n === 4096);
  const best = square.reduce<(typeof square)[number] | null>(
    (top, m) => (top === null || m.gflops > top.gflops ? m : top),
    null,
  );
  const cublas = run.torch.find((r) => r.peer === 'cublas-fp32-no-tf32' && r.matmul === 4096);
  const matmul = best
    ? `best ${best.label}: ${gflops(best.gflops)} GFLOP/s ` +
      `(${best.gflops >= TARGETS.matmul4096Gflops ? 'met' : 'not met'})`
    : 'not measured in this run';
  return [
    "Against issue 5's targets:",
    '',
    stepTarget(64, TARGETS.batch64Ms),
    stepTarget(4096, TARGETS.batch4096Ms),
    `- ≥ ${TARGETS.matmul4096Gflops / 1000} TFLOP/s fp32 matmul at 4096³: ${matmul}` +
      `${cublas ? `; cuBLAS ${gflops(cublas.gflops!)}` : ''}.`,
  ].join('\n');
}

function shortLabel(label: string): string {
  if (label.startsWith("webgpu-gan, the rules'")) return 'rules';
  if (label.startsWith('webgpu-gan, measured matmul choices, '))
    return `measured choices, ${label.slice('webgpu-gan, measured matmul choices, '.length)}`;
  if (label.startsWith('webgpu-gan, measured')) return 'measured choices';
  return label.replace(/^webgpu-gan \((.*)\)$/, '$1');
}

/** Whether the measured choices beat the rules at every batch size: the commit decision. */
function tuningLines(run: DeviceRun): string {
  if (!run.tuning && !run.tuned) return '';
  const lines = [];
  if (run.tuning)
    lines.push(`Tuning table: ${run.tuning.variants.length} shapes, ${run.tuning.measured}.`, variantWins(run));
  if (run.tuned) {
    const rules = run.bench.results.filter((r) => r.impl === 'webgpu-gan');
    const changes = run.tuned.results
      .filter((r) => r.impl === 'webgpu-gan')
      .flatMap((t) => {
        const base = rules.find((r) => r.batch === t.batch);
        return base ? [{ batch: t.batch, change: t.msPerStep / base.msPerStep - 1 }] : [];
      });
    if (changes.length > 0) {
      const said = changes
        .map((c) => `batch ${c.batch} ${c.change <= 0 ? '' : '+'}${(c.change * 100).toFixed(1)}%`)
        .join(', ');
      const slower = changes.filter((c) => c.change > 0).map((c) => c.batch);
      lines.push(
        `Measured choices against the rules, ms per step: ${said}. ` +
          (slower.length === 0 ? 'Faster or equal at every batch size.' : `Slower at batch ${slower.join(', ')}.`),
      );
    }
  }
  return lines.join('\n');
}

/**
 * Which variants the tuning chose for the step's shapes and which was fastest at each square
 * size: a variant that is neither is a candidate for removal (kept only while it teaches).
 */
function variantWins(run: DeviceRun): string {
  const chosen = new Map<string, number>();
  for (const v of run.tuning?.variants ?? []) chosen.set(v, (chosen.get(v) ?? 0) + 1);
  const fastestSquare = new Map<number, SquareMatmulResult>();
  for (const m of run.bench.matmul.filter((x) => x.impl === 'webgpu-gan')) {
    if ((fastestSquare.get(m.n)?.gflops ?? -1) < m.gflops) fastestSquare.set(m.n, m);
  }
  const squareWinners = new Set([...fastestSquare.values()].map((m) => m.kernel.split(':')[0]!));
  const unused = MATMUL_VARIANTS.filter((v) => !chosen.has(v) && !squareWinners.has(v));
  const said = [...chosen]
    .sort((a, b) => b[1] - a[1])
    .map(([v, n]) => `${v} ${n}`)
    .join(', ');
  const square = [...fastestSquare]
    .sort((a, b) => a[0] - b[0])
    .map(([n, m]) => `${n}³ ${m.kernel.split(':')[0]}`)
    .join(', ');
  return (
    `Chosen per shape: ${said || 'none'}. Fastest square matmul: ${square || 'not measured'}. ` +
    `${unused.length > 0 ? `Neither chosen nor fastest: ${unused.join(', ')}.` : 'Every variant won somewhere.'}`
  );
}

/** The six slowest kernels of every profiled step, measured choices first. */
function largestKernels(run: DeviceRun): string {
  const profiled = [
    ...(run.tuned?.results ?? []).filter((r) => r.impl === 'webgpu-gan').map((r) => ({ r, which: 'measured choices' })),
    ...run.bench.results.filter((r) => r.impl === 'webgpu-gan').map((r) => ({ r, which: "rules' choices" })),
  ].filter(({ r }) => (r.kernels?.length ?? 0) > 0);
  if (profiled.length === 0) return '';
  const lines = profiled.map(({ r, which }) => {
    const top = [...r.kernels!].sort((a, b) => b.microseconds - a.microseconds).slice(0, 6);
    return `- batch ${r.batch}, ${which}: ${top.map((k) => `${k.label} ${k.microseconds.toFixed(1)} µs`).join('; ')}`;
  });
  return ['Largest kernels (each in its own pass, GPU µs per step):', '', ...lines].join('\n');
}
