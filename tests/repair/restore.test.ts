// Restoration by latent search: the gradient with respect to z through a degradation chain (blur,
// downscale, exposure; G's and D's backward passes) against finite differences of the float64
// objective, and a search that recovers a linear generator's z from a blurred, downscaled picture.
import { describe, expect, it } from 'vitest';
import { resolveGanConfig } from '../../src/index.js';
import { ImageRepairer } from '../../src/repair/repairer.js';
import { discriminatorSpec, generatorSpec } from '../../src/gan/config.js';
import { randomTensors, upload } from './networks.js';
import { parseDegradation } from '../../src/restore/spec.js';
import { gaussianTaps } from '../../src/restore/taps.js';
import { derivativeFromOutput, mlpForwardReference, softplus } from '../../reference/cpu.js';
import { createRepairGate } from '../../src/kernels/latentRepair.js';
import type { Activation } from '../../src/kernels/kernel.js';
import { applyPlaneOperator, blurMatrix, downscaleMatrix, exposureReference } from '../../reference/degrade.js';
import { expectClose, randomArray, runKernels, useGpu } from '../support/gpu.js';

const gpu = useGpu();

// Pictures of 5×5 (odd, so downscaling by 2 leaves a cut block), one channel.
const config = resolveGanConfig({
  noiseDim: 3,
  generatorHidden: [7],
  discriminatorHidden: [5],
  dataDim: 25,
  spectralNorm: false,
});
const SPEC = 'blur:sigma=0.8+noise:sigma=0.1+downscale+dark';
const curve = { gain: 0.4, gamma: 1.5, lift: 0 };
const plane = { height: 5, width: 5 };

/** A(y) in float64 for one picture: the chain without its noise. */
function degradeReference(y: ArrayLike<number>): Float64Array {
  const { taps, height, width } = gaussianTaps(0.8);
  const blurred = applyPlaneOperator(blurMatrix(taps, height, width, plane), y, 1, false);
  const small = applyPlaneOperator(downscaleMatrix(2, plane), blurred, 1, false);
  return small.map((v) => exposureReference(v, curve));
}

describe('restoration through a degradation', () => {
  for (const weight of [0, 0.7]) {
    it(`∂L/∂z matches finite differences of the float64 objective (λ = ${weight})`, async () => {
      const { ctx } = gpu;
      const [gSpec, dSpec] = [generatorSpec(config), discriminatorSpec(config)];
      const [gTensors, dTensors] = [
        randomTensors(gSpec, 'generator', 10, 2),
        randomTensors(dSpec, 'discriminator', 20, 2),
      ];
      const generator = upload(ctx, config, 'generator', gTensors);
      const discriminator = upload(ctx, config, 'discriminator', dTensors);
      const starts = 3;
      const options = { starts, realism: weight, degradation: SPEC };
      const repairer = await ImageRepairer.create(ctx, config, generator, discriminator, options);
      try {
        expect(repairer.restoring).toBe(true);
        const z = randomArray(starts * config.noiseDim, 30, -1.5, 1.5);
        const degraded = randomArray(9, 31, -0.9, 0.3);
        const got = await repairer.objective(z, degraded, new Float32Array(9).fill(1));
        const objective = (values: ArrayLike<number>) => {
          const y = mlpForwardReference(gTensors, 'generator', gSpec, values, starts).outputs.at(-1)!;
          const logits = mlpForwardReference(dTensors, 'discriminator', dSpec, y, starts).outputs.at(-1)!;
          return Array.from({ length: starts }, (_, r) => {
            const fit = degradeReference(y.subarray(r * 25, (r + 1) * 25));
            const error = fit.reduce((s, v, j) => s + (v - degraded[j]!) ** 2, 0) / 9;
            return { error, realism: weight * softplus(-logits[r]!) };
          });
        };
        const base = objective(z);
        expectClose(
          got.errors,
          base.map((t) => t.error),
          (i) => 1e-5 + 1e-4 * base[i]!.error,
          'errors',
        );
        expectClose(
          got.realism,
          base.map((t) => t.realism),
          () => 1e-5,
          'realism',
        );
        const h = 1e-5;
        const numeric = Float64Array.from(z, (_, i) => {
          const row = Math.floor(i / config.noiseDim);
          const at = (delta: number) => {
            const values = Float64Array.from(z);
            values[i]! += delta;
            const t = objective(values)[row]!;
            return t.error + t.realism;
          };
          return (at(h) - at(-h)) / (2 * h);
        });
        expectClose(got.gradient, numeric, (i) => 2e-5 + 1e-3 * Math.abs(numeric[i]!), '∂L/∂z');
        expect(Math.max(...numeric.map(Math.abs))).toBeGreaterThan(1e-2);
      } finally {
        repairer.destroy();
        generator.destroy();
        discriminator.destroy();
      }
    });
  }

  it("recovers a linear generator's z from its blurred, downscaled, darkened picture", async () => {
    const { ctx } = gpu;
    const linear = resolveGanConfig({ ...config, generatorHidden: [], generatorOutput: 'none', noiseDim: 2 });
    const spec = generatorSpec(linear);
    const tensors = randomTensors(spec, 'generator', 40, 0.5);
    const generator = upload(ctx, linear, 'generator', tensors);
    const zStar = new Float64Array([0.3, -0.2]);
    const clean = mlpForwardReference(tensors, 'generator', spec, zStar, 1).outputs.at(-1)!;
    const degraded = degradeReference(clean);
    const repairer = await ImageRepairer.create(ctx, linear, generator, null, {
      starts: 4,
      lr: 0.02,
      degradation: parseDegradation('blur:sigma=0.8+downscale+dark'),
    });
    try {
      const result = await repairer.restore(degraded, { steps: 1500, chunk: 500 });
      expect(result.error).toBeLessThan(1e-6);
      expectClose(result.completion, clean, () => 2e-3, 'restored picture');
      expectClose(result.noise, zStar, () => 5e-3, 'recovered z');
      await expect(repairer.repair(degraded, new Float32Array(25).fill(1))).rejects.toThrow(/9 values, got 25/);
    } finally {
      repairer.destroy();
      generator.destroy();
    }
  });
});

describe('the gate kernel', () => {
  const cases: Array<[number, number, Activation, boolean]> = [
    [1, 1, 'tanh', false],
    [3, 7, 'leaky-relu', true],
    [2, 300, 'sigmoid', true],
    [1, 5, 'none', true],
  ];
  for (const [rows, dim, activation, realism] of cases) {
    it(`(fit + realism) ⊙ f'(y): ${rows}×${dim}, ${activation}${realism ? ', with realism' : ''}`, async () => {
      const { ctx } = gpu;
      const n = rows * dim;
      const [y, fit, image] = [randomArray(n, dim, -0.95, 0.95), randomArray(n, dim + 1), randomArray(n, dim + 2)];
      const buffers = [y, fit, image, n].map((d, i) => ctx.memory.createStorage(`gate ${i}`, d));
      try {
        const kernel = await createRepairGate(ctx, {
          rows,
          dim,
          generated: buffers[0]!,
          fitGrads: buffers[1]!,
          ...(realism && { imageGrads: buffers[2]! }),
          outputGrads: buffers[3]!,
          outputActivation: activation,
          leakySlope: 0.2,
        });
        await runKernels(ctx, kernel);
        kernel.destroy();
        const want = Float64Array.from(
          y,
          (v, i) => (fit[i]! + (realism ? image[i]! : 0)) * derivativeFromOutput(activation, v, 0.2),
        );
        expectClose(await ctx.readF32(buffers[3]!), want, (i) => 1e-6 + 1e-6 * Math.abs(want[i]!), 'gate');
      } finally {
        for (const b of buffers) ctx.memory.release(b);
      }
    });
  }
});
