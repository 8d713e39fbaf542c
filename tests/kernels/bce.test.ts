// Fused BCE-with-logits: loss and gradient against the float64 reference, finite at ±1e4 and
// ±80, for targets 1, 0 and a smoothed 0.9, with a real/fake split and with accumulation.
import { describe, expect, it } from 'vitest';
import { createBceWithLogits, type GpuContext } from '../../src/index.js';
import { bceReference } from '../../reference/cpu.js';
import { expectClose, randomArray, runKernels, useGpu } from '../support/gpu.js';

const gpu = useGpu();
const EXTREMES = [1e4, -1e4, 80, -80, 0, 1e-3, -1e-3, 17, -17, 3.5];

async function runBce(
  ctx: GpuContext,
  logits: Float32Array,
  split: number,
  targets: [number, number],
  accumulateTwice = false,
) {
  const n = logits.length;
  const mem = ctx.memory;
  const logitBuf = mem.createStorage('logits', logits);
  const gradBuf = mem.createStorage('grad', n);
  const statsBuf = mem.createStorage('stats', 3);
  try {
    const kernel = await createBceWithLogits(ctx, {
      n,
      logits: logitBuf,
      gradLogits: gradBuf,
      stats: statsBuf,
      split,
      targetFirst: targets[0],
      targetSecond: targets[1],
      accumulate: accumulateTwice,
    });
    await runKernels(ctx, kernel);
    if (accumulateTwice) await runKernels(ctx, kernel);
    kernel.destroy();
    return { grad: await ctx.readF32(gradBuf), stats: await ctx.readF32(statsBuf) };
  } finally {
    for (const b of [logitBuf, gradBuf, statsBuf]) mem.release(b);
  }
}

function expectMatches(
  result: { grad: Float32Array; stats: Float32Array },
  logits: Float32Array,
  split: number,
  targets: [number, number],
  factor = 1,
) {
  const ref = bceReference(logits, split, targets[0], targets[1]);
  for (const v of [...result.grad, ...result.stats]) expect(Number.isFinite(v)).toBe(true);
  // Per-row gradients are (σ(x) − t)/n: one rounding of σ, so 1e-6 relative is ample.
  expectClose(result.grad, ref.grad, (i) => 1e-7 / logits.length + 1e-6 * Math.abs(ref.grad[i]!), 'd loss / d logit');
  // The loss sums n terms of size up to |x|: float32 summation bounds it at ~1e-6 of Σ terms.
  const lossScale = Array.from(logits, (x) => Math.abs(x) + 1).reduce((a, b) => a + b, 0) / logits.length;
  expectClose([result.stats[0]!], [factor * ref.loss], () => 1e-6 * factor * lossScale + 1e-7, 'mean loss');
  expectClose(
    [result.stats[1]!, result.stats[2]!],
    [factor * ref.meanFirst, factor * ref.meanSecond],
    () => 1e-6,
    'mean sigmoid per half',
  );
}

describe('BCE with logits', () => {
  for (const targets of [
    [1, 1],
    [0, 0],
    [0.9, 0.9],
    [1, 0],
    [0.9, 0],
  ] as Array<[number, number]>) {
    it(`extreme logits ±1e4, ±80, 0, targets ${targets.join('/')}`, async () => {
      const logits = Float32Array.from(EXTREMES);
      const split = targets[0] === targets[1] ? logits.length : 5;
      expectMatches(await runBce(gpu.ctx, logits, split, targets), logits, split, targets);
    });
  }

  it('n = 1', async () => {
    const logits = Float32Array.of(-0.7);
    expectMatches(await runBce(gpu.ctx, logits, 1, [1, 0]), logits, 1, [1, 0]);
  });

  it('n = 10_000 random logits, real/fake split at 4096', async () => {
    const logits = randomArray(10_000, 7, -8, 8);
    expectMatches(await runBce(gpu.ctx, logits, 4096, [0.9, 0]), logits, 4096, [0.9, 0]);
  });

  it('accumulate adds into the statistics', async () => {
    const logits = randomArray(300, 8, -4, 4);
    expectMatches(await runBce(gpu.ctx, logits, 100, [1, 0], true), logits, 100, [1, 0], 2);
  });

  it('the loss at a logit of 0 is log 2 whatever the target', async () => {
    const logits = new Float32Array(7);
    const { stats } = await runBce(gpu.ctx, logits, 3, [1, 0]);
    expect(stats[0]).toBeCloseTo(Math.LN2, 6);
    expect(stats[1]).toBe(0.5);
  });
});
