// Adam / AdamW over 10 steps against the float64 reference, with fresh gradients each step and the
// step number coming from the GPU counter, at n = 1, 1000 and 70 001.
// The reference is fed the hyper-parameters rounded to float32, as the kernel sees them.
// Tolerance: 2e-6 relative on the weights (float32 rounding of 1 − β^t and of the update), and
// 1e-6 of the gradient's scale (squared for v) on the moments.
import { describe, expect, it } from 'vitest';
import { createAdam, ArgumentError, createStepCounter, type AdamHyperparameters } from '../../src/index.js';
import { adamReference } from '../../reference/cpu.js';
import { float32Tolerance } from '../../reference/numeric.js';
import { expectClose, randomArray, runKernels, useGpu } from '../support/gpu.js';

const gpu = useGpu();
const STEPS = 10;

const f32 = (h: AdamHyperparameters): AdamHyperparameters =>
  Object.fromEntries(Object.entries(h).map(([k, v]) => [k, Math.fround(v)])) as unknown as AdamHyperparameters;

describe('Adam', () => {
  const settings: Array<[string, AdamHyperparameters]> = [
    ['GAN defaults (lr 2e-4, β 0.5/0.999)', { lr: 2e-4, beta1: 0.5, beta2: 0.999, epsilon: 1e-8, weightDecay: 0 }],
    ['AdamW (lr 1e-2, decay 0.1)', { lr: 1e-2, beta1: 0.9, beta2: 0.99, epsilon: 1e-6, weightDecay: 0.1 }],
  ];
  for (const [name, hyper] of settings) {
    for (const n of [1, 1000, 70_001]) {
      it(`${name}, n=${n}, ${STEPS} steps`, async () => {
        const { ctx } = gpu;
        const mem = ctx.memory;
        const weights0 = randomArray(n, n, -1, 1);
        const weights = mem.createStorage('weights', weights0);
        const grads = mem.createStorage('grads', n);
        const m = mem.createStorage('m', n);
        const v = mem.createStorage('v', n);
        const counter = await createStepCounter(ctx);
        const adam = await createAdam(ctx, {
          n,
          weights,
          grads,
          moment1: m,
          moment2: v,
          stepCount: counter.buffer,
          ...hyper,
        });
        const ref = { weights: Float64Array.from(weights0), m: new Float64Array(n), v: new Float64Array(n) };
        for (let t = 1; t <= STEPS; t++) {
          // Gradients of varying scale, some tiny, so ε matters in a few entries.
          const g = randomArray(n, 100 * t + n, -1, 1).map((x, i) => x * 10 ** -(i % 7));
          ctx.write(grads, g);
          await runKernels(ctx, counter, adam);
          adamReference(ref, g, t, f32(hyper));
        }
        expectClose(
          await ctx.readF32(weights),
          ref.weights,
          (i) => float32Tolerance(Math.abs(ref.weights[i]!), 1e-7),
          'weights',
        );
        // Moments can cancel to near zero, so their error is judged against the gradient's scale.
        const scale = (i: number) => 10 ** -(i % 7);
        expectClose(await ctx.readF32(m), ref.m, (i) => 1e-6 * scale(i), 'first moment');
        expectClose(await ctx.readF32(v), ref.v, (i) => 1e-6 * scale(i) ** 2, 'second moment');
        adam.destroy();
        counter.destroy();
        for (const b of [weights, grads, m, v]) mem.release(b);
      });
    }
  }

  // How the trainer runs Adam: the step's first kernel writes t to the counter's word 1 (here a
  // plain write stands in for it), Adam D reads word 1, and Adam G also commits word 1 to word 0.
  it("stepWord 1 reads the step in progress, and commitStep makes it the counter's step", async () => {
    const { ctx } = gpu;
    const mem = ctx.memory;
    const n = 300;
    const hyper = { lr: 2e-4, beta1: 0.5, beta2: 0.999, epsilon: 1e-8, weightDecay: 0 };
    const weights0 = randomArray(n, 5, -1, 1);
    const [wD, wG] = [mem.createStorage('wD', weights0), mem.createStorage('wG', weights0)];
    const [grads, mD, vD, mG, vG] = ['g', 'mD', 'vD', 'mG', 'vG'].map((label) => mem.createStorage(label, n));
    const counter = await createStepCounter(ctx);
    const common = { n, grads: grads!, stepCount: counter.buffer, stepWord: 1 as const, ...hyper };
    const adamD = await createAdam(ctx, { ...common, weights: wD, moment1: mD!, moment2: vD! });
    const adamG = await createAdam(ctx, {
      ...common,
      weights: wG,
      moment1: mG!,
      moment2: vG!,
      commitStep: true,
    });
    const ref = { weights: Float64Array.from(weights0), m: new Float64Array(n), v: new Float64Array(n) };
    try {
      for (let t = 1; t <= STEPS; t++) {
        const g = randomArray(n, 7 * t, -1, 1);
        ctx.write(grads!, g);
        ctx.write(counter.buffer, new Uint32Array([t - 1, t]));
        await runKernels(ctx, adamD);
        expect(await counter.read(), 'Adam without commitStep leaves word 0').toBe(t - 1);
        await runKernels(ctx, adamG);
        expect([...(await ctx.readU32(counter.buffer))], 'commitStep copies word 1 to word 0').toEqual([t, t]);
        adamReference(ref, g, t, f32(hyper));
      }
      for (const [buffer, name] of [
        [wD, 'Adam D'],
        [wG, 'Adam G'],
      ] as const) {
        expectClose(
          await ctx.readF32(buffer),
          ref.weights,
          (i) => float32Tolerance(Math.abs(ref.weights[i]!), 1e-7),
          `${name} weights (t from word 1)`,
        );
      }
    } finally {
      adamD.destroy();
      adamG.destroy();
      counter.destroy();
      for (const b of [wD, wG, grads, mD, vD, mG, vG]) mem.release(b!);
    }
  });

  const refusals =
    'commitStep without stepWord 1, a stepWord other than 0 or 1, a one-word counter for word 1, ' +
    'and a counter it writes inside the gradients it reads';
  it(`refuses ${refusals}`, async () => {
    const { ctx } = gpu;
    const mem = ctx.memory;
    const [w, g, m, v] = ['w', 'g', 'm', 'v'].map((label) => mem.createStorage(label, 4));
    const oneWord = mem.createStorage('one-word step', new Uint32Array([1]));
    const spec = { n: 4, weights: w!, grads: g!, moment1: m!, moment2: v!, stepCount: oneWord };
    try {
      await expect(createAdam(ctx, { ...spec, commitStep: true })).rejects.toThrow(/commitStep.*needs stepWord: 1/);
      await expect(createAdam(ctx, { ...spec, stepWord: 2 as never })).rejects.toThrow(ArgumentError);
      await expect(createAdam(ctx, { ...spec, stepWord: 1 })).rejects.toThrow(/stepCount/);
      const insideGrads = { buffer: g!, offset: 0, size: 8 };
      await expect(createAdam(ctx, { ...spec, stepCount: insideGrads, stepWord: 1, commitStep: true })).rejects.toThrow(
        /stepCount: overlaps grads/,
      );
      // Apart from the gradients but in their buffer: WebGPU would refuse the dispatch, so Adam refuses first.
      const big = mem.createStorage('grads and counter', 128);
      try {
        await expect(
          createAdam(ctx, {
            ...spec,
            grads: { buffer: big, offset: 0, size: 16 },
            stepCount: { buffer: big, offset: 256, size: 8 },
          }),
        ).rejects.toThrow(/stepCount: shares a buffer with grads, which this kernel only reads/);
      } finally {
        mem.release(big);
      }
    } finally {
      for (const b of [w, g, m, v, oneWord]) mem.release(b!);
    }
  });
  // The divergence alarm: any non-finite new weight, moment or average sets the flag to 1, and a
  // finite update leaves it as it was (0 here), at an awkward n whose last workgroup is partial.
  it('nonFiniteFlag is raised by an infinite or NaN update and only then', async () => {
    const { ctx } = gpu;
    const mem = ctx.memory;
    const n = 777;
    const buffers = ['weights', 'grads', 'm', 'v', 'ema', 'flag'].map((name) =>
      mem.createStorage(name, name === 'flag' ? 1 : n),
    );
    const [weights, grads, m, v, ema, flag] = buffers as [
      GPUBuffer,
      GPUBuffer,
      GPUBuffer,
      GPUBuffer,
      GPUBuffer,
      GPUBuffer,
    ];
    const counter = await createStepCounter(ctx);
    const adam = await createAdam(ctx, {
      n,
      weights,
      grads,
      moment1: m,
      moment2: v,
      stepCount: counter.buffer,
      ema: { weights: ema, decay: 0.9 },
      nonFiniteFlag: flag,
      lr: 1e-3,
    });
    const cases: Array<[string, (g: Float32Array) => void, number]> = [
      ['finite gradients', () => undefined, 0],
      ['one infinite gradient in the last, partial workgroup', (g) => (g[n - 1] = Infinity), 1],
      ['one NaN gradient', (g) => (g[5] = NaN), 1],
    ];
    for (const [name, poison, raised] of cases) {
      for (const b of [weights, m, v, ema, flag]) ctx.write(b, new Float32Array(b === flag ? 1 : n));
      const g = randomArray(n, 3, -1, 1);
      poison(g);
      ctx.write(grads, g);
      await runKernels(ctx, counter, adam);
      expect((await ctx.readF32(flag))[0], name).toBe(raised);
    }
    adam.destroy();
    counter.destroy();
    for (const b of buffers) mem.release(b);
  });
});
