// Wall-clock time of one kernel, recorded `reps` times into one compute pass after a warm-up of
// `warmup` such passes, with one wait at the end. Shared by the square-matmul and per-shape tables.
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

export async function microsecondsPerCall(ctx: GpuContext, kernel: Pick<Kernel, 'record'>, reps: number, warmup: number): Promise<number> {
  await repeat(ctx, kernel, warmup); // clocks up, caches and pipelines ready
  const t0 = performance.now();
  await repeat(ctx, kernel, reps);
  return ((performance.now() - t0) * 1000) / reps;
}
