// The bias-gradient reduction (column sums) against the float64 reference, at 1×1, at sizes that
// are not multiples of its 16-column workgroup, and large.
import { describe, expect, it } from 'vitest';
import { createBiasGrad } from '../../src/index.js';
import { columnSums } from '../../reference/cpu.js';
import { float32Tolerance } from '../../reference/numeric.js';
import { expectClose, randomArray, runKernels, useGpu } from '../support/gpu.js';

const gpu = useGpu();

describe('bias gradient (column sums)', () => {
  const shapes: Array<[number, number]> = [
    [1, 1],
    [37, 53],
    [1000, 17],
    [8192, 128],
    [2, 784],
  ];
  for (const [rows, cols] of shapes) {
    it(`${rows}×${cols}, deterministic`, async () => {
      const { ctx } = gpu;
      const grad = randomArray(rows * cols, rows + cols);
      const gradBuf = ctx.memory.createStorage('grad', grad);
      const outBuf = ctx.memory.createStorage('grad bias', cols);
      const kernel = await createBiasGrad(ctx, { rows, cols, grad: gradBuf, gradBias: outBuf });
      await runKernels(ctx, kernel);
      const first = await ctx.readF32(outBuf);
      await runKernels(ctx, kernel);
      const second = await ctx.readF32(outBuf);
      const ref = columnSums(grad, rows, cols);
      // Summation error grows like √rows·ε·Σ|g|; 2e-6·Σ|g| covers rows ≤ 10^4 with margin.
      expectClose(first, ref.sums, (i) => float32Tolerance(ref.magnitude[i]!, 1e-7), 'column sums');
      expect(Buffer.from(second.buffer).equals(Buffer.from(first.buffer)), 'same bits on a second run').toBe(true);
      kernel.destroy();
      ctx.memory.release(gradBuf);
      ctx.memory.release(outBuf);
    });
  }
});
