// Adam / AdamW over 10 steps against the float64 reference, with fresh gradients each step and the
// step number coming from the GPU counter, at n = 1, 1000 and 70 001.
// The reference is fed the hyper-parameters rounded to float32, as the kernel sees them.
// Tolerance: 2e-6 relative on the weights (float32 rounding of 1 − β^t and of the update), and
// 1e-6 of the gradient's scale (squared for v) on the moments.
import { describe, it } from 'vitest';
import { AdamKernel, StepCounter, type AdamHyperparameters } from '../../src/index.js';
import { adamReference } from '../reference/cpu.js';
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
        const counter = await StepCounter.create(ctx);
        const adam = await AdamKernel.create(ctx, { n, weights, grads, moment1: m, moment2: v, stepCount: counter.buffer, ...hyper });
        const ref = { weights: Float64Array.from(weights0), m: new Float64Array(n), v: new Float64Array(n) };
        for (let t = 1; t <= STEPS; t++) {
          // Gradients of varying scale, some tiny, so ε matters in a few entries.
          const g = randomArray(n, 100 * t + n, -1, 1).map((x, i) => x * 10 ** -(i % 7));
          ctx.write(grads, g);
          await runKernels(ctx, counter, adam);
          adamReference(ref, g, t, f32(hyper));
        }
        expectClose(await ctx.readF32(weights), ref.weights, (i) => 2e-6 * Math.abs(ref.weights[i]!) + 1e-7, 'weights');
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
});
