// The Philox generator: uniforms bit-identical to the BigInt reference (so identical on every
// adapter), normals within float32 transcendental error of Box–Muller in float64, and moments
// within statistical bounds (5 standard errors: a correct generator fails ~1 in 10^6 runs).
import { describe, expect, it } from 'vitest';
import { createRandomFill, createStepCounter, type GpuContext, type RandomDistribution } from '../../src/index.js';
import { normalReference, uniformReference } from '../../reference/cpu.js';
import { expectClose, runKernels, useGpu } from '../support/gpu.js';

const gpu = useGpu();
const SEED = 0x1234_5678_9abc; // uses both key words

async function fill(
  ctx: GpuContext,
  n: number,
  distribution: RandomDistribution,
  seed = SEED,
  stream = 0,
  step?: number,
): Promise<Float32Array> {
  const out = ctx.memory.createStorage('random out', n);
  const counter = step === undefined ? undefined : await createStepCounter(ctx, { start: step });
  try {
    const kernel = await createRandomFill(ctx, {
      n,
      output: out,
      seed,
      stream,
      distribution,
      stepCount: counter?.buffer,
    });
    await runKernels(ctx, kernel);
    kernel.destroy();
    return await ctx.readF32(out);
  } finally {
    counter?.destroy();
    ctx.memory.release(out);
  }
}

function moments(values: Float32Array) {
  const n = values.length;
  let mean = 0;
  for (const v of values) mean += v;
  mean /= n;
  let variance = 0,
    lag1 = 0;
  for (let i = 0; i < n; i++) {
    variance += (values[i]! - mean) ** 2;
    if (i + 1 < n) lag1 += (values[i]! - mean) * (values[i + 1]! - mean);
  }
  return { mean, variance: variance / n, correlation: lag1 / variance };
}

describe('random (Philox4x32-10)', () => {
  for (const n of [1, 1003, 4096]) {
    it(`uniform n=${n} is bit-identical to the reference`, async () => {
      for (const [stream, step] of [
        [0, 0],
        [3, 7],
      ] as const) {
        const got = await fill(gpu.ctx, n, { kind: 'uniform' }, SEED, stream, step);
        expect([...got]).toEqual([...uniformReference(n, SEED, stream, step)]);
      }
    });
  }

  it('normal n=1001 matches Box–Muller in float64', async () => {
    const got = await fill(gpu.ctx, 1001, { kind: 'normal' }, SEED, 2, 5);
    const ref = normalReference(1001, SEED, 2, 5);
    expectClose(got, ref, (i) => 2e-5 * (1 + Math.abs(ref[i]!)), 'normal values');
  });

  it('uniform moments: mean 1/2, variance 1/12, no lag-1 correlation', async () => {
    const n = 1 << 20;
    const { mean, variance, correlation } = moments(await fill(gpu.ctx, n, { kind: 'uniform' }, 99));
    expect(Math.abs(mean - 0.5)).toBeLessThan(5 * Math.sqrt(1 / 12 / n));
    expect(Math.abs(variance - 1 / 12)).toBeLessThan(5 * Math.sqrt(1 / 180 / n));
    expect(Math.abs(correlation)).toBeLessThan(5 / Math.sqrt(n));
  });

  it('normal moments: mean, variance, lag-1 correlation, and the scale/shift', async () => {
    const n = 1 << 20;
    const standard = moments(await fill(gpu.ctx, n, { kind: 'normal' }, 7));
    expect(Math.abs(standard.mean)).toBeLessThan(5 / Math.sqrt(n));
    expect(Math.abs(standard.variance - 1)).toBeLessThan(5 * Math.sqrt(2 / n));
    expect(Math.abs(standard.correlation)).toBeLessThan(5 / Math.sqrt(n));
    const shifted = moments(await fill(gpu.ctx, n, { kind: 'normal', mean: 3, stddev: 0.5 }, 7));
    expect(shifted.mean).toBeCloseTo(3 + 0.5 * standard.mean, 5);
    expect(shifted.variance).toBeCloseTo(0.25 * standard.variance, 5);
  });

  it('same seed, same numbers; another seed, stream or step, other numbers', async () => {
    const { ctx } = gpu;
    const base = await fill(ctx, 256, { kind: 'normal' }, 1, 0, 0);
    expect([...(await fill(ctx, 256, { kind: 'normal' }, 1, 0, 0))]).toEqual([...base]);
    for (const other of [
      await fill(ctx, 256, { kind: 'normal' }, 2, 0, 0),
      await fill(ctx, 256, { kind: 'normal' }, 1, 1, 0),
      await fill(ctx, 256, { kind: 'normal' }, 1, 0, 1),
    ]) {
      const same = other.filter((v, i) => v === base[i]).length;
      expect(same).toBeLessThan(3);
    }
  });

  it('uniform with low/high lands in [low, high)', async () => {
    const got = await fill(gpu.ctx, 5000, { kind: 'uniform', low: -0.1, high: 0.1 });
    expect(Math.min(...got)).toBeGreaterThanOrEqual(Math.fround(-0.1));
    expect(Math.max(...got)).toBeLessThan(0.1);
  });
});
