// `npm run bench -- --tune 64,4096 [--write-tuning FILE]`: picks each matmul of the training step
// by measurement. For every distinct shape the step has at those batch sizes, every variant and
// split count is first checked against a float64 reference on sampled entries, then timed (GPU
// time from timestamp queries where the adapter has them); the fastest is then also timed as a
// pipeline specialised to the shape (one compile per shape, so only for the fastest). The fastest
// of all becomes the shape's choice unless it beats what the rules in src/kernels/matmul.ts pick
// by less than 3%, which is within run-to-run noise: then the rules' choice stays. FILE gets the
// table merged in (one entry per adapter); src/kernels/matmul-tuning.json is the file the
// library ships.
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import type { GpuContext } from '../src/gpu/context.js';
import { formatAdapter } from '../src/gpu/adapter.js';
import { GpuDataset } from '../src/data/dataset.js';
import { GanTrainer } from '../src/gan/trainer.js';
import { SEED_RECIPE } from '../src/gan/config.js';
import { seededRandom } from '../src/gan/interpolate.js';
import { createMatmul, MatmulKernel, ruleChoice, usedSplitCount, variantFits } from '../src/kernels/matmul.js';
import {
  MATMUL_VARIANTS,
  shapeKey,
  tuningAdapterKey,
  type MatmulChoice,
  type MatmulShape,
  type MatmulTuning,
} from '../src/kernels/matmulTuning.js';
import { gpuMicrosecondsPerCall, runOverNaN, warmUp } from './timing.js';
import { matmulEntry, matmulRowSum } from '../reference/cpu.js';
import { float32Tolerance, randomArray } from '../reference/numeric.js';

/** A choice is taken over the rules' only when it is at least this much faster. */
const MIN_GAIN = 0.03;
const SPLIT_COUNTS = [1, 2, 3, 4, 6, 8, 12, 16, 24, 32];
/** Each split should still be a few K tiles deep. */
const MIN_SPLIT_DEPTH = 128;

/**
 * Busy time before the first candidate after the CPU has kept the GPU idle (building trainers
 * takes seconds). The per-measurement warm-up and settling were not enough there: on the H100
 * (2026-11-27) the first two candidates of the first shape timed 687 and 730 µs, the third 144,
 * and the first candidate itself 144 µs in a whole-step profile of the same run. The clocks were
 * not logged in that run; whether this ramp-up removes the effect is for the next tuning run to say.
 */
export const RAMP_UP_MS = 2000;

/** Keeps the GPU busy with a 1024³ matmul for `ms` before anything is timed. */
export async function rampUp(ctx: GpuContext, ms = RAMP_UP_MS): Promise<void> {
  if (ms <= 0) return;
  const n = 1024;
  const mem = ctx.memory;
  const [a, b, c] = [
    mem.createStorage('ramp-up a', n * n),
    mem.createStorage('ramp-up b', n * n),
    mem.createStorage('ramp-up c', n * n),
  ];
  try {
    const kernel = await createMatmul(ctx, { m: n, n, k: n, a, b, c, variant: 'v1', splitK: 1 });
    try {
      await warmUp(ctx, kernel, ms);
    } finally {
      kernel.destroy();
    }
  } finally {
    for (const buffer of [a, b, c]) mem.release(buffer);
  }
}

export interface ShapeTuning {
  key: string;
  /** The step's kernels with this shape, e.g. "discriminator forward 0 (batch 64)". */
  uses: string[];
  rules: MatmulChoice & { microseconds: number };
  choice: MatmulChoice & { microseconds: number };
  candidates: Array<MatmulChoice & { microseconds: number }>;
}

/** The distinct matmul shapes of the training step at each batch size, with where they occur. */
export async function stepMatmulShapes(
  ctx: GpuContext,
  batches: number[],
): Promise<Map<string, { shape: MatmulShape; uses: string[] }>> {
  const shapes = new Map<string, { shape: MatmulShape; uses: string[] }>();
  const dataset = GpuDataset.fromBytes(ctx, new Uint8Array(256 * 784), 256, 784);
  try {
    for (const batch of batches) {
      const trainer = await GanTrainer.create(ctx, { ...SEED_RECIPE, batch }, dataset);
      for (const kernel of trainer.stepKernelList) {
        if (!(kernel instanceof MatmulKernel)) continue;
        const key = shapeKey(kernel.shape);
        const entry = shapes.get(key) ?? { shape: kernel.shape, uses: [] };
        entry.uses.push(`${kernel.label} (batch ${batch})`);
        shapes.set(key, entry);
      }
      trainer.destroy();
    }
  } finally {
    dataset.destroy();
  }
  return shapes;
}

/**
 * Every variant that fits the shape and the device's limits, with every split count that keeps
 * splits MIN_SPLIT_DEPTH deep, and the rules' split count (which can be another, such as 7), so
 * that the rules' choice is always among those timed: it is what a measured choice must beat.
 */
export function candidates(
  shape: MatmulShape,
  limits: Pick<GPUSupportedLimits, 'maxComputeWorkgroupStorageSize'>,
): MatmulChoice[] {
  const depthKept = SPLIT_COUNTS.filter((s) => s === 1 || shape.k / s >= MIN_SPLIT_DEPTH).map((s) =>
    usedSplitCount(shape.k, s),
  );
  const splits = new Set([...depthKept, ruleChoice(shape, limits).splitK]);
  const variants = MATMUL_VARIANTS.filter((v) => variantFits(v, shape, limits));
  return variants.flatMap((variant) => [...splits].map((splitK) => ({ variant, splitK })));
}

interface Operands {
  a: Float32Array;
  b: Float32Array;
}

/**
 * The worst |GPU − float64| / float32Tolerance over sampled entries of C (corners included) and
 * their row sums; ≤ 1 passes. Sampled because the reference is O(M·N·K) and these shapes are big.
 */
export function sampledError(
  shape: MatmulShape,
  { a, b }: Operands,
  c: Float32Array,
  rowSums: Float32Array | null,
  samples = 64,
): number {
  const { m, n, k } = shape;
  const operands = { m, n, k, a, b, transposeA: shape.transposeA, transposeB: shape.transposeB };
  const next = seededRandom(m * 31 + n * 17 + k);
  const points: Array<[number, number]> = [
    [0, 0],
    [m - 1, n - 1],
    [0, n - 1],
    [m - 1, 0],
  ];
  for (let s = 0; s < samples; s++) points.push([Math.floor(next() * m), Math.floor(next() * n)]);
  let worst = 0;
  for (const [i, j] of points) {
    const entry = matmulEntry(operands, i, j);
    worst = Math.max(worst, Math.abs(c[i * n + j]! - entry.value) / float32Tolerance(entry.magnitude));
    if (!rowSums) continue;
    const row = matmulRowSum(operands, i);
    worst = Math.max(worst, Math.abs(rowSums[i]! - row.value) / float32Tolerance(row.magnitude));
  }
  return Number.isNaN(worst) ? Infinity : worst;
}

async function tuneShape(ctx: GpuContext, shape: MatmulShape, uses: string[], reps: number): Promise<ShapeTuning> {
  const { m, n, k } = shape;
  const operands = { a: randomArray(m * k, 7), b: randomArray(k * n, 8) };
  const mem = ctx.memory;
  const [a, b, c] = [
    mem.createStorage('tune a', operands.a),
    mem.createStorage('tune b', operands.b),
    mem.createStorage('tune c', m * n),
  ];
  const sums = shape.rowSums ? mem.createStorage('tune row sums', m) : null;
  const timed: ShapeTuning['candidates'] = [];
  const checkAndTime = async (choice: MatmulChoice) => {
    const kernel = await createMatmul(ctx, {
      ...shape,
      a,
      b,
      c,
      rowSums: sums ?? undefined,
      variant: choice.variant,
      splitK: choice.splitK,
      specialize: choice.specialized === true,
    });
    try {
      const [product, rowSums] = await runOverNaN(ctx, kernel, sums ? [c, sums] : [c]);
      const error = sampledError(shape, operands, product!, rowSums ?? null);
      if (!(error <= 1))
        throw new Error(
          `matmul ${choiceName(choice)} is wrong on ${shapeKey(shape)}: ${error.toFixed(1)}× the tolerance`,
        );
      timed.push({ ...choice, microseconds: await gpuMicrosecondsPerCall(ctx, kernel, reps) });
    } finally {
      kernel.destroy();
    }
  };
  try {
    for (const choice of candidates(shape, ctx.device.limits)) await checkAndTime({ ...choice, specialized: false });
    await checkAndTime({ ...fastestOf(timed), specialized: true });
  } finally {
    for (const buffer of [a, b, c, sums]) if (buffer) mem.release(buffer);
  }
  const rules = ruleChoice(shape, ctx.device.limits);
  const rulesTime = timed.find((t) => t.variant === rules.variant && t.splitK === rules.splitK && !t.specialized)!;
  const fastest = fastestOf(timed);
  const choice = fastest.microseconds < (1 - MIN_GAIN) * rulesTime.microseconds ? fastest : rulesTime;
  return { key: shapeKey(shape), uses, rules: rulesTime, choice, candidates: timed };
}

export interface TuneOptions {
  /** Timed calls per candidate. */
  reps: number;
  log?: (line: string) => void;
  /** No shape is started after this time (as `now` counts it); the table holds the shapes measured. */
  deadline?: number;
  now?: () => number;
  /** Called with the table after each shape, so that a run stopped from outside keeps what it measured. */
  onTable?: (table: MatmulTuning) => void;
  /** Busy time before the first shape (default RAMP_UP_MS; 0 for none). */
  rampUpMs?: number;
}

/**
 * Tunes every matmul shape of the step at these batch sizes, the most arithmetic first: where a
 * deadline stops the run, the shapes left untuned (they keep the rules' choice) are the ones
 * whose time matters least.
 */
export async function tuneStepMatmuls(
  ctx: GpuContext,
  batches: number[],
  options: TuneOptions,
): Promise<{ table: MatmulTuning; shapes: ShapeTuning[] }> {
  const { reps, log = () => {}, deadline = Infinity, now = Date.now, onTable, rampUpMs = RAMP_UP_MS } = options;
  const adapter = tuningAdapterKey(ctx.adapter);
  if (adapter === null)
    throw new Error(
      'this adapter reports no vendor, architecture or device name, so a table measured on it could not be matched ' +
        'to it later',
    );
  const date = new Date().toISOString().slice(0, 10);
  const measured = `${formatAdapter(ctx.adapter)}: npm run bench -- --tune ${batches.join(',')}, ${date}`;
  const shapes = [...(await stepMatmulShapes(ctx, batches)).values()].sort(
    (x, y) => multiplyAdds(y.shape) - multiplyAdds(x.shape),
  );
  await rampUp(ctx, rampUpMs);
  const results: ShapeTuning[] = [];
  for (const { shape, uses } of shapes) {
    if (now() >= deadline) {
      log(
        `  time limit reached: ${results.length} of ${shapes.length} shapes measured; the other ` +
          `${shapes.length - results.length} keep the rules' choice`,
      );
      break;
    }
    const r = await tuneShape(ctx, shape, uses, reps);
    results.push(r);
    const others = r.candidates.map((t) => `${choiceName(t)} ${t.microseconds.toFixed(1)}`).join(', ');
    log(
      `  ${r.key.padEnd(28)} rules ${choiceName(r.rules)} ${r.rules.microseconds.toFixed(1)} us -> ` +
        `${choiceName(r.choice)} ${r.choice.microseconds.toFixed(1)} us   [${others}]   ${r.uses.join('; ')}`,
    );
    onTable?.(tuningTable(adapter, measured, results, shapes.length));
  }
  return { table: tuningTable(adapter, measured, results, shapes.length), shapes: results };
}

const multiplyAdds = ({ m, n, k }: MatmulShape) => m * n * k;

function tuningTable(adapter: string, measured: string, results: ShapeTuning[], shapeCount: number): MatmulTuning {
  const choices: MatmulTuning['choices'] = {};
  for (const r of results) {
    choices[r.key] = {
      variant: r.choice.variant,
      splitK: r.choice.splitK,
      specialized: r.choice.specialized === true,
      microseconds: round(r.choice.microseconds),
      rulesMicroseconds: round(r.rules.microseconds),
    };
  }
  const partial = results.length < shapeCount ? ` (${results.length} of ${shapeCount} shapes)` : '';
  return { adapter, measured: `${measured}${partial}`, choices };
}

const round = (us: number) => Math.round(us * 10) / 10;

export function fastestOf<T extends { microseconds: number }>(timed: T[]): T {
  return timed.reduce((best, t) => (t.microseconds < best.microseconds ? t : best));
}

/** "v1/3", or "v1/3 fixed" for a shape-specialised pipeline. */
export function choiceName(c: MatmulChoice): string {
  return `${c.variant}/${c.splitK}${c.specialized ? ' fixed' : ''}`;
}

/** Merges `table` into the JSON list at `file` (replacing the same adapter's), atomically. */
export function writeTuning(file: string, table: MatmulTuning): void {
  const tables: MatmulTuning[] = existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : [];
  if (!Array.isArray(tables)) throw new Error(`${file} is not a JSON list of tuning tables`);
  const merged = [...tables.filter((t) => t.adapter !== table.adapter), table];
  const temporary = `${file}.tmp-${process.pid}`;
  writeFileSync(temporary, `${JSON.stringify(merged, null, 2)}\n`);
  renameSync(temporary, file);
}
