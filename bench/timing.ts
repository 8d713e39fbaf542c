// Wall-clock time of one kernel, recorded `reps` times into one compute pass after a warm-up of
// `warmup` such passes, with one wait at the end. Shared by the square-matmul and per-shape tables.
// Also the one checked run that comes before any timing.
import type { GpuContext } from '../src/gpu/context.js';
import type { Kernel } from '../src/kernels/kernel.js';

async function repeat(ctx: GpuContext, kernel: Pick<Kernel, 'record'>, times: number): Promise<void> {
  const encoder = ctx.device.createCommandEncoder();
  const pass = encoder.beginComputePass();
  for (let r = 0; r < times; r++) kernel.record(pass);
  pass.end();
  ctx.submit([encoder.finish()]);
  await ctx.sync();
}

/**
 * Runs `kernel` once over `outputs` filled with NaN, and returns what it wrote to each: a kernel
 * that skips entries cannot then pass a check on what an earlier run left behind.
 */
export async function runOverNaN(ctx: GpuContext, kernel: Pick<Kernel, 'record'>, outputs: GPUBuffer[]): Promise<Float32Array[]> {
  for (const buffer of outputs) ctx.write(buffer, new Float32Array(buffer.size / 4).fill(Number.NaN));
  const encoder = ctx.device.createCommandEncoder();
  kernel.record(encoder);
  ctx.submit([encoder.finish()]);
  const written: Float32Array[] = [];
  for (const buffer of outputs) written.push(await ctx.readF32(buffer));
  return written;
}

export async function microsecondsPerCall(ctx: GpuContext, kernel: Pick<Kernel, 'record'>, reps: number, warmup: number): Promise<number> {
  await repeat(ctx, kernel, warmup); // clocks up, caches and pipelines ready
  const t0 = performance.now();
  await repeat(ctx, kernel, reps);
  return ((performance.now() - t0) * 1000) / reps;
}

/**
 * GPU time of one kernel from timestamp queries: `reps` calls in one timed pass, the best of
 * `trials` such passes (the least disturbed). Wall-clock time where the adapter has no timestamps.
 */
export async function gpuMicrosecondsPerCall(ctx: GpuContext, kernel: Pick<Kernel, 'record'>, reps: number, trials = 3): Promise<number> {
  if (!ctx.device.features.has('timestamp-query')) return microsecondsPerCall(ctx, kernel, reps, 2);
  await repeat(ctx, kernel, 2);
  const querySet = ctx.device.createQuerySet({ type: 'timestamp', count: 2 });
  const resolved = ctx.memory.createBuffer({ label: 'kernel timestamps', size: 16, usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC });
  try {
    let best = Infinity;
    for (let t = 0; t < trials; t++) {
      const encoder = ctx.device.createCommandEncoder();
      const pass = encoder.beginComputePass({ timestampWrites: { querySet, beginningOfPassWriteIndex: 0, endOfPassWriteIndex: 1 } });
      for (let r = 0; r < reps; r++) kernel.record(pass);
      pass.end();
      encoder.resolveQuerySet(querySet, 0, 2, resolved, 0);
      ctx.submit([encoder.finish()]);
      const [start, end] = new BigUint64Array(await ctx.readBytes(resolved));
      best = Math.min(best, Number(end! - start!) / 1000 / reps);
    }
    return best;
  } finally {
    ctx.memory.release(resolved);
    querySet.destroy();
  }
}
