// The test fixture: one device per test file; each test runs inside validation and
// out-of-memory error scopes and must leave no buffer alive that it created.
import { afterAll, afterEach, beforeAll, beforeEach, expect } from 'vitest';
import { acquireGpu, GpuContext, type BoundKernel } from '../../src/index.js';

export interface GpuFixture {
  readonly ctx: GpuContext;
}

export function useGpu(): GpuFixture {
  let ctx: GpuContext | undefined;
  let before = new Set<GPUBuffer>();
  const fixture = {
    get ctx(): GpuContext {
      if (!ctx) throw new Error('GPU fixture used outside a test');
      return ctx;
    },
  };
  beforeAll(async () => {
    ctx = await acquireGpu();
  });
  afterAll(() => ctx?.destroy());
  beforeEach(() => {
    before = new Set(fixture.ctx.memory.liveBuffers().map((b) => b.buffer));
    fixture.ctx.device.pushErrorScope('validation');
    fixture.ctx.device.pushErrorScope('out-of-memory');
  });
  afterEach(async () => {
    const c = fixture.ctx;
    const oom = await c.device.popErrorScope();
    const validation = await c.device.popErrorScope();
    const leaked = c.memory.liveBuffers().filter((b) => !before.has(b.buffer));
    for (const b of leaked) c.memory.release(b.buffer);  // so one leak does not fail later tests
    expect(validation?.message ?? null, 'WebGPU validation error').toBeNull();
    expect(oom?.message ?? null, 'WebGPU out-of-memory error').toBeNull();
    expect(c.error?.message ?? null, 'uncaptured device error').toBeNull();
    expect(leaked.map((b) => b.label), 'buffers left alive by the test').toEqual([]);
  });
  return fixture;
}

/** Records kernels into one command buffer, submits it and waits. */
export async function runKernels(ctx: GpuContext, ...kernels: Array<Pick<BoundKernel, 'record'>>): Promise<void> {
  const encoder = ctx.device.createCommandEncoder();
  const pass = encoder.beginComputePass();
  for (const k of kernels) k.record(pass);
  pass.end();
  ctx.submit([encoder.finish()]);
  await ctx.sync();
}

/** Deterministic test data (mulberry32), so a failure reproduces. */
export function seededRandom(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function randomArray(n: number, seed: number, low = -1, high = 1): Float32Array {
  const next = seededRandom(seed);
  return Float32Array.from({ length: n }, () => low + (high - low) * next());
}

/** Largest |actual − expected| / tolerance; ≤ 1 means within tolerance everywhere. */
export function worstRatio(actual: ArrayLike<number>, expected: ArrayLike<number>, tolerance: (i: number) => number): { ratio: number; index: number } {
  expect(actual.length).toBe(expected.length);
  let worst = { ratio: 0, index: -1 };
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i]!;
    const ratio = Number.isFinite(a) ? Math.abs(a - expected[i]!) / tolerance(i) : Infinity;
    if (!(ratio <= worst.ratio)) worst = { ratio, index: i };
  }
  return worst;
}

export function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tolerance: (i: number) => number, what: string): void {
  const { ratio, index } = worstRatio(actual, expected, tolerance);
  const detail = index < 0 ? '' : ` (worst at ${index}: got ${actual[index]}, want ${expected[index]}, tolerance ${tolerance(index)})`;
  expect(ratio, `${what}${detail}`).toBeLessThanOrEqual(1);
}
