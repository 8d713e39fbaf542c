// Test data, comparisons and a submit helper shared by the Node tests and the in-browser checks
// (no test-runner imports, so the page can load it). Test data comes from the library's seeded
// generator (mulberry32), so a failure reproduces.
import { seededRandom } from '../src/gan/interpolate.js';
import type { GpuContext } from '../src/gpu/context.js';
import type { Kernel } from '../src/kernels/kernel.js';

export { seededRandom };

/** Records kernels into one command buffer, submits it and waits. */
export async function runKernels(ctx: GpuContext, ...kernels: Array<Pick<Kernel, 'record'>>): Promise<void> {
  const encoder = ctx.device.createCommandEncoder();
  const pass = encoder.beginComputePass();
  for (const k of kernels) k.record(pass);
  pass.end();
  ctx.submit([encoder.finish()]);
  await ctx.sync();
}

export function randomArray(n: number, seed: number, low = -1, high = 1): Float32Array {
  const next = seededRandom(seed);
  return Float32Array.from({ length: n }, () => low + (high - low) * next());
}

/**
 * What a float32 result may differ from its float64 reference by, for a value summed from terms
 * whose absolute values add up to `magnitude`: float32 accumulation error grows like √K·ε·Σ|terms|
 * (ε = 6e-8), so 2e-6 of the magnitude passes a correct kernel for sums up to K ≈ 1000 with margin
 * and still fails any indexing bug, which is off by a whole term. `floor` covers values that
 * cancel to near zero.
 */
export function float32Tolerance(magnitude: number, floor = 1e-6): number {
  return 2e-6 * magnitude + floor;
}

export interface Comparison {
  /** Largest |actual − expected| / tolerance; ≤ 1 means within tolerance everywhere. */
  ratio: number;
  /** Where the worst ratio is, with the values; empty when everything matched. */
  detail: string;
}

export function compare(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  tolerance: (i: number) => number,
): Comparison {
  if (actual.length !== expected.length)
    return { ratio: Infinity, detail: `length ${actual.length}, want ${expected.length}` };
  let ratio = 0;
  let index = -1;
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i]!;
    const r = Number.isFinite(a) ? Math.abs(a - expected[i]!) / tolerance(i) : Infinity;
    if (!(r <= ratio)) {
      ratio = r;
      index = i;
    }
  }
  const detail =
    index < 0 ? '' : `worst at ${index}: got ${actual[index]}, want ${expected[index]}, tolerance ${tolerance(index)}`;
  return { ratio, detail };
}
