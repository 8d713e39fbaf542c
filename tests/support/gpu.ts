// The test fixture: one device per test file; each test runs inside validation and
// out-of-memory error scopes and must leave no buffer alive that it created.
import { afterAll, afterEach, beforeAll, beforeEach, expect } from 'vitest';
import { acquireGpu, type AcquireOptions, type GpuContext } from '../../src/index.js';
import { compare } from '../../reference/numeric.js';

export interface GpuFixture {
  readonly ctx: GpuContext;
}

/** `options` go to acquireGpu, e.g. { limits: 'default' } for WebGPU's guaranteed limits only. */
export function useGpu(options: AcquireOptions = {}): GpuFixture {
  let ctx: GpuContext | undefined;
  let before = new Set<GPUBuffer>();
  const fixture = {
    get ctx(): GpuContext {
      if (!ctx) throw new Error('GPU fixture used outside a test');
      return ctx;
    },
  };
  beforeAll(async () => {
    ctx = await acquireGpu(options);
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
    for (const b of leaked) c.memory.release(b.buffer); // so one leak does not fail later tests
    expect(validation?.message ?? null, 'WebGPU validation error').toBeNull();
    expect(oom?.message ?? null, 'WebGPU out-of-memory error').toBeNull();
    expect(c.error?.message ?? null, 'uncaptured device error').toBeNull();
    expect(
      leaked.map((b) => b.label),
      'buffers left alive by the test',
    ).toEqual([]);
  });
  return fixture;
}

export { randomArray, runKernels, seededRandom } from '../../reference/numeric.js';

export function expectClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  tolerance: (i: number) => number,
  what: string,
): void {
  const { ratio, detail } = compare(actual, expected, tolerance);
  expect(ratio, `${what} (${detail})`).toBeLessThanOrEqual(1);
}
