// The pair discriminator's input and its gradient against float64 at awkward sizes (one pixel,
// odd channel counts, each downscaling factor, a long batch), the gradient also against finite
// differences of the pair's weighted sum through tanh, without a gate (a residual restorer's), and refusals.
import { describe, expect, it } from 'vitest';
import { createPairGradient, createPairPack, type PairShape } from '../../src/kernels/restorePair.js';
import { pairGradientReference, pairPackReference } from '../../reference/restorePair.js';
import { expectClose, randomArray, runKernels, useGpu } from '../support/gpu.js';

const gpu = useGpu();

const shapes: PairShape[] = [
  { rows: 1, channels: 1, side: 1, inputSide: 1 },
  { rows: 3, channels: 1, side: 28, inputSide: 7 },
  { rows: 2, channels: 3, side: 6, inputSide: 3 },
  { rows: 5, channels: 2, side: 4, inputSide: 4 },
  { rows: 70, channels: 1, side: 28, inputSide: 14 },
];
const name = (s: PairShape) => `${s.rows} rows, ${s.channels} channels, ${s.inputSide}² → ${s.side}²`;

async function pack(shape: PairShape, degraded: Float32Array, picture: Float32Array): Promise<Float32Array> {
  const { ctx } = gpu;
  const plane = shape.channels * shape.side ** 2;
  const b = {
    degraded: ctx.memory.createStorage('degraded', degraded),
    picture: ctx.memory.createStorage('picture', picture),
    pair: ctx.memory.createStorage('pair', new Float32Array(shape.rows * 2 * plane).fill(-9)),
  };
  const kernel = await createPairPack(ctx, { ...shape, ...b });
  try {
    await runKernels(ctx, kernel);
    return await ctx.readF32(b.pair);
  } finally {
    kernel.destroy();
    for (const buffer of Object.values(b)) ctx.memory.release(buffer);
  }
}

async function gradient(
  shape: PairShape,
  restored: Float32Array,
  pairGrads: Float32Array,
  grad: Float32Array,
  weight: number,
  gate: 'tanh' | 'none' = 'tanh',
): Promise<Float32Array> {
  const { ctx } = gpu;
  const b = {
    restored: ctx.memory.createStorage('restored', restored),
    pairGrads: ctx.memory.createStorage('pair grads', pairGrads),
    grad: ctx.memory.createStorage('grad', grad),
  };
  const kernel = await createPairGradient(ctx, { ...shape, ...b, weight, ...(gate === 'tanh' && { gate }) });
  try {
    await runKernels(ctx, kernel);
    return await ctx.readF32(b.grad);
  } finally {
    kernel.destroy();
    for (const buffer of Object.values(b)) ctx.memory.release(buffer);
  }
}

describe('pair pack', () => {
  it.each(shapes)('copies both halves exactly: %s', async (shape) => {
    const small = shape.rows * shape.channels * shape.inputSide ** 2;
    const plane = shape.channels * shape.side ** 2;
    const degraded = randomArray(small, 1);
    const picture = randomArray(shape.rows * plane, 2);
    const got = await pack(shape, degraded, picture);
    expect(Array.from(got)).toEqual(Array.from(pairPackReference(shape, degraded, picture), Math.fround));
  });
});

describe('pair gradient', () => {
  it.each(shapes)('adds the restored half’s gradient through tanh: %s', async (shape) => {
    const plane = shape.channels * shape.side ** 2;
    const restored = randomArray(shape.rows * plane, 3, -0.99, 0.99);
    const pairGrads = randomArray(shape.rows * 2 * plane, 4);
    const grad = randomArray(shape.rows * plane, 5);
    const got = await gradient(shape, restored, pairGrads, grad, 0.3);
    const want = pairGradientReference(shape, restored, pairGrads, grad, 0.3);
    expectClose(got, want, (i) => 1e-6 + 1e-5 * Math.abs(want[i]!), name(shape));
  });

  it.each(shapes)('adds it as it is without a gate (a residual restorer): %s', async (shape) => {
    const plane = shape.channels * shape.side ** 2;
    // Past an add-input layer the output reaches beyond [−1, 1].
    const restored = randomArray(shape.rows * plane, 9, -1.8, 1.8);
    const pairGrads = randomArray(shape.rows * 2 * plane, 10);
    const grad = randomArray(shape.rows * plane, 11);
    const got = await gradient(shape, restored, pairGrads, grad, 0.3, 'none');
    const want = pairGradientReference(shape, restored, pairGrads, grad, 0.3, 'none');
    expectClose(got, want, (i) => 1e-6 + 1e-5 * Math.abs(want[i]!), name(shape));
  });

  it('matches finite differences of weight · ⟨G, pack(degraded, tanh(z))⟩ with respect to z', async () => {
    const shape = { rows: 2, channels: 2, side: 4, inputSide: 2 };
    const plane = shape.channels * shape.side ** 2;
    const degraded = randomArray(shape.rows * shape.channels * 4, 6);
    const z = Float64Array.from(randomArray(shape.rows * plane, 7, -1.5, 1.5));
    const pairGrads = randomArray(shape.rows * 2 * plane, 8);
    const weight = 0.7;
    const objective = (values: Float64Array) =>
      weight *
      pairPackReference(shape, degraded, values.map(Math.tanh)).reduce((sum, v, i) => sum + v * pairGrads[i]!, 0);
    const h = 1e-6;
    const numeric = z.map((_, i) => {
      const shifted = (delta: number) => {
        const values = Float64Array.from(z);
        values[i]! += delta;
        return objective(values);
      };
      return (shifted(h) - shifted(-h)) / (2 * h);
    });
    const restored = Float32Array.from(z, Math.tanh);
    const got = await gradient(shape, restored, pairGrads, new Float32Array(z.length), weight);
    expectClose(got, numeric, (i) => 1e-5 + 1e-3 * Math.abs(numeric[i]!), 'd/dz');
    expect(Math.max(...numeric.map(Math.abs))).toBeGreaterThan(0.1);
  });

  it('refuses a degraded side that does not divide the side, and a gate named none (leave it out)', async () => {
    const { ctx } = gpu;
    const t = ctx.memory.createStorage('t', 1000);
    try {
      const spec = { rows: 1, channels: 1, side: 6, inputSide: 4, degraded: t, picture: t, pair: t };
      await expect(createPairPack(ctx, spec)).rejects.toThrow(/inputSide: must divide the side 6/);
      const grad = { rows: 1, channels: 1, side: 4, inputSide: 2, restored: t, pairGrads: t, grad: t, weight: 1 };
      await expect(createPairGradient(ctx, { ...grad, gate: 'none' as never })).rejects.toThrow(/gate/);
      await expect(createPairGradient(ctx, { ...grad, gate: 'tanh', weight: -1 })).rejects.toThrow(/weight/);
    } finally {
      ctx.memory.release(t);
    }
  });
});
