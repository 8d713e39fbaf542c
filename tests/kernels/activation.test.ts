// Stand-alone activations, forward and backward, and the sum of two arrays, against the float64
// reference at 1, at sizes that are not multiples of the 256-wide workgroup, and large.
import { describe, it } from 'vitest';
import {
  createActivationBackward,
  createActivationForward,
  createElementwiseAdd,
  type Activation,
} from '../../src/index.js';
import { activate, derivativeFromOutput } from '../../reference/cpu.js';
import { expectClose, randomArray, runKernels, useGpu } from '../support/gpu.js';

const gpu = useGpu();
// 'none' is the identity: both directions are copies.
const KINDS: Activation[] = ['leaky-relu', 'tanh', 'sigmoid', 'none'];

describe('activations', () => {
  for (const kind of KINDS) {
    for (const n of [1, 1000, 70_001]) {
      it(`${kind} forward and backward, n=${n}`, async () => {
        const { ctx } = gpu;
        // Wide range, with the extremes where naive tanh/sigmoid overflow to NaN.
        const x = randomArray(n, n, -12, 12);
        x[0] = n > 1 ? 1e4 : -1e4;
        if (n > 2) x[1] = -1e4;
        const dy = randomArray(n, n + 1);
        const mem = ctx.memory;
        const [xb, yb, dyb, dxb] = [
          mem.createStorage('x', x),
          mem.createStorage('y', n),
          mem.createStorage('dy', dy),
          mem.createStorage('dx', n),
        ];
        const forward = await createActivationForward(ctx, {
          activation: kind,
          n,
          input: xb,
          output: yb,
          leakySlope: 0.2,
        });
        const backward = await createActivationBackward(ctx, {
          activation: kind,
          n,
          gradOutput: dyb,
          output: yb,
          gradInput: dxb,
          leakySlope: 0.2,
        });
        await runKernels(ctx, forward, backward);
        const y = await ctx.readF32(yb);
        const dx = await ctx.readF32(dxb);
        const yRef = Array.from(x, (v) => activate(kind, v, 0.2));
        expectClose(y, yRef, (i) => 1e-6 + 1e-6 * Math.abs(yRef[i]!), `${kind} forward`);
        // The backward uses the GPU's own y, so it is judged on the derivative formula alone.
        const dxRef = Array.from(dy, (g, i) => g * derivativeFromOutput(kind, y[i]!, 0.2));
        expectClose(dx, dxRef, (i) => 1e-7 + 1e-6 * Math.abs(dxRef[i]!), `${kind} backward`);
        forward.destroy();
        backward.destroy();
        for (const b of [xb, yb, dyb, dxb]) mem.release(b);
      });
    }
  }
});

describe('elementwise add', () => {
  for (const n of [1, 1000, 70_001]) {
    it(`input + addend, n=${n}`, async () => {
      const { ctx } = gpu;
      const x = randomArray(n, 2 * n, -3, 3);
      const a = randomArray(n, 2 * n + 1, -3, 3);
      const mem = ctx.memory;
      const [xb, ab, yb] = [mem.createStorage('x', x), mem.createStorage('a', a), mem.createStorage('y', n)];
      const add = await createElementwiseAdd(ctx, { n, input: xb, addend: ab, output: yb });
      await runKernels(ctx, add);
      const y = await ctx.readF32(yb);
      // Each sum of two floats is rounded once: within half an ulp of the float64 sum.
      const yRef = Array.from(x, (v, i) => v + a[i]!);
      expectClose(y, yRef, (i) => 1e-7 * Math.abs(yRef[i]!) + 1e-30, 'sum');
      add.destroy();
      for (const b of [xb, ab, yb]) mem.release(b);
    });
  }
});
