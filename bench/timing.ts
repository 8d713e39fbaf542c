// Wall-clock or GPU time of one kernel, recorded `reps` times into one compute pass, with one wait
// at the end, after a warm-up. Shared by the square-matmul, per-shape and whole-step tables. Also
// the one checked run that comes before any timing.
import type { GpuContext } from '../src/gpu/context.js';
import type { Kernel } from '../src/kernels/kernel.js';

type Recordable = Pick<Kernel, 'record'>;

/**
 * Busy time before every measurement. A GPU lowers its clocks while it idles (an H100 from 1980 to
 * 345 MHz) and raises them again only after some milliseconds of work: a fixed count of warm-up
 * calls was too little for short kernels: on the H100 (2026-11-26) 2048³ matmuls then timed up to
 * 5× slower than 4096³ ones, and the first shape tuned over 2× slower than the same kernel a
 * moment later.
 */
export const WARM_UP_MS = 50;

async function repeat(ctx: GpuContext, kernel: Recordable, times: number): Promise<void> {
  const encoder = ctx.device.createCommandEncoder();
  const pass = encoder.beginComputePass();
  for (let r = 0; r < times; r++) kernel.record(pass);
  pass.end();
  ctx.submit([encoder.finish()]);
  await ctx.sync();
}

/**
 * Runs the kernel until `ms` of wall time have passed (at least once), in submissions that double
 * in length so that short kernels keep the GPU busy rather than waiting on each submit.
 */
export async function warmUp(ctx: GpuContext, kernel: Recordable, ms = WARM_UP_MS): Promise<void> {
  const start = performance.now();
  for (let times = 1; ; times = Math.min(2 * times, 1024)) {
    await repeat(ctx, kernel, times);
    if (performance.now() - start >= ms) return;
  }
}

/**
 * Runs `kernel` once over `outputs` filled with NaN, and returns what it wrote to each: a kernel
 * that skips entries cannot then pass a check on what an earlier run left behind.
 */
export async function runOverNaN(ctx: GpuContext, kernel: Recordable, outputs: GPUBuffer[]): Promise<Float32Array[]> {
  for (const buffer of outputs) ctx.write(buffer, new Float32Array(buffer.size / 4).fill(Number.NaN));
  const encoder = ctx.device.createCommandEncoder();
  kernel.record(encoder);
  ctx.submit([encoder.finish()]);
  const written: Float32Array[] = [];
  for (const buffer of outputs) written.push(await ctx.readF32(buffer));
  return written;
}

/**
 * Wall time of one timed submission at the least. Shorter, and a disturbance of a millisecond or
 * two is a large share of it: on the H200 (2026-11-27) 20 calls of a 1024³ matmul
 * (about 2 ms) timed one kernel at 2.7 TFLOP/s and the same kernel a moment later at 21.
 */
const MIN_TRIAL_MS = 25;

/**
 * When a measurement counts as settled: its best has improved by no more than `gain` over the
 * last `runs` runs. A fixed warm-up was not always enough: after the CPU had spent a second
 * building trainers, the first matmul tuned on the H100 (2026-11-27) timed 686 µs and the same
 * kernel's neighbours improved run by run for about two seconds, to 115 µs (the cause was not
 * measured; a later run's clock log showed the SM clock near 1980 MHz within 300 ms of work).
 */
export const SETTLED = { gain: 0.02, runs: 3, maxMs: 2000 };

/**
 * Runs `once` (which returns a time) until the best time has improved by no more than
 * SETTLED.gain over the last SETTLED.runs runs, or `maxMs` have passed; returns every time, in
 * order. At least SETTLED.runs + 1 runs.
 */
export async function untilSettled(once: () => Promise<number>, maxMs = SETTLED.maxMs): Promise<number[]> {
  const start = performance.now();
  const times: number[] = [];
  let best = Infinity;
  let runsWithoutGain = 0;
  while (runsWithoutGain < SETTLED.runs && (times.length <= SETTLED.runs || performance.now() - start < maxMs)) {
    const t = await once();
    times.push(t);
    runsWithoutGain = t < best * (1 - SETTLED.gain) ? 0 : runsWithoutGain + 1;
    best = Math.min(best, t);
  }
  return times;
}

/**
 * Wall-clock µs per call: timed submissions of at least `reps` calls (more, up to 100 times as
 * many, where `reps` take less than MIN_TRIAL_MS), after a warm-up, until settled; the median of
 * the last three.
 */
export async function microsecondsPerCall(ctx: GpuContext, kernel: Recordable, reps: number): Promise<number> {
  await warmUp(ctx, kernel);
  const timed = async (calls: number) => {
    const t0 = performance.now();
    await repeat(ctx, kernel, calls);
    return performance.now() - t0;
  };
  const probeMs = await timed(reps);
  const calls =
    probeMs >= MIN_TRIAL_MS ? reps : Math.min(100 * reps, Math.ceil((reps * MIN_TRIAL_MS) / Math.max(probeMs, 1e-3)));
  const times = await untilSettled(async () => ((await timed(calls)) * 1000) / calls);
  return median(times.slice(-3));
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/**
 * GPU time of one kernel from timestamp queries: `reps` calls in one timed pass, repeated after a
 * warm-up until settled; the best pass (the least disturbed). Wall-clock time where the adapter
 * has no timestamps.
 */
export async function gpuMicrosecondsPerCall(ctx: GpuContext, kernel: Recordable, reps: number): Promise<number> {
  if (!ctx.device.features.has('timestamp-query')) return microsecondsPerCall(ctx, kernel, reps);
  await warmUp(ctx, kernel);
  const querySet = ctx.device.createQuerySet({ type: 'timestamp', count: 2 });
  const resolved = ctx.memory.createBuffer({
    label: 'kernel timestamps',
    size: 16,
    usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC,
  });
  const timedPass = async () => {
    const encoder = ctx.device.createCommandEncoder();
    const pass = encoder.beginComputePass({
      timestampWrites: { querySet, beginningOfPassWriteIndex: 0, endOfPassWriteIndex: 1 },
    });
    for (let r = 0; r < reps; r++) kernel.record(pass);
    pass.end();
    encoder.resolveQuerySet(querySet, 0, 2, resolved, 0);
    ctx.submit([encoder.finish()]);
    const [start, end] = new BigUint64Array(await ctx.readBytes(resolved));
    return Number(end! - start!) / 1000 / reps;
  };
  try {
    return Math.min(...(await untilSettled(timedPass)));
  } finally {
    ctx.memory.release(resolved);
    querySet.destroy();
  }
}
