// Chains of degradations on the GPU: a chain's forward against the references composed, its
// backward against finite differences of the composed float64 forward, noise only when degrading,
// and named errors for a mask that does not fit the pictures.
import { describe, expect, it } from 'vitest';
import type { ImageGeometry } from '../../src/kernels/degrade.js';
import { STREAMS } from '../../src/kernels/streams.js';
import { buildDegradationChain, type ChainOptions } from '../../src/restore/operator.js';
import { upscaleNearest } from '../../src/restore/degradePictures.js';
import { parseDegradation } from '../../src/restore/spec.js';
import { gaussianTaps, tapsFromPicture } from '../../src/restore/taps.js';
import {
  applyPlaneOperator,
  blurMatrix,
  downscaleMatrix,
  exposureReference,
  gaussianNoiseReference,
  maskReference,
  saltPepperReference,
} from '../../reference/degrade.js';
import { expectClose, randomArray, runKernels, useGpu } from '../support/gpu.js';

const gpu = useGpu();

/** Runs a chain's forward on x and, for a fit, its backward from w; returns what they wrote. */
async function runChain(spec: string, g: ImageGeometry, x: Float32Array, w: Float32Array | null, extra = {}) {
  const ctx = gpu.ctx;
  const input = ctx.memory.createStorage('input', x);
  const purpose: ChainOptions['purpose'] = w ? 'fit' : 'degrade';
  try {
    const chain = await buildDegradationChain(ctx, parseDegradation(spec), { geometry: g, purpose, input, ...extra });
    try {
      if (w) ctx.write(chain.outputGrad!, w);
      await runKernels(ctx, ...chain.forward, ...chain.backward);
      const output = await ctx.readF32(chain.output);
      const inputGrad = w ? await ctx.readF32(chain.inputGrad!) : null;
      return { output, inputGrad, chain };
    } finally {
      chain.destroy();
    }
  } finally {
    ctx.memory.release(input);
  }
}

describe('degradation chains', () => {
  it('blur + downscale + dark on 2 odd-sized pictures: forward composed, backward by finite differences', async () => {
    const g = { rows: 2, channels: 1, height: 7, width: 9 };
    const curve = { gain: 0.4, gamma: 1.5, lift: 0 };
    const { taps, height, width } = gaussianTaps(1);
    const blur = blurMatrix(taps, height, width, g);
    const down = downscaleMatrix(2, g);
    const reference = (x: ArrayLike<number>) =>
      Float64Array.from(applyPlaneOperator(down, applyPlaneOperator(blur, x, 2, false), 2, false), (v) =>
        exposureReference(v, curve),
      );
    const x = randomArray(2 * 63, 11, -0.8, 0.8);
    const w = randomArray(2 * 20, 12);
    const { output, inputGrad } = await runChain('blur:sigma=1+downscale+dark', g, x, w);
    expect(output.length).toBe(2 * 4 * 5);
    expectClose(output, reference(x), () => 3e-6, 'forward');
    const h = 1e-5;
    const objective = (v: Float64Array) => reference(v).reduce((s, y, i) => s + y * w[i]!, 0);
    const differences = Float64Array.from(x, (_, i) => {
      const [plus, minus] = [Float64Array.from(x), Float64Array.from(x)];
      plus[i]! += h;
      minus[i]! -= h;
      return (objective(plus) - objective(minus)) / (2 * h);
    });
    expectClose(inputGrad!, differences, (i) => 1e-4 * Math.abs(differences[i]!) + 2e-6, 'backward');
  });

  it('a mask band in 3 channels, then blur; and a given mask instead of the band', async () => {
    const g = { rows: 1, channels: 3, height: 4, width: 5 };
    const x = randomArray(60, 3);
    const band = Float32Array.from({ length: 60 }, (_, i) =>
      Math.floor((i % 20) / 5) >= 1 && Math.floor((i % 20) / 5) <= 2 ? 0 : 1,
    );
    const { taps, height, width } = gaussianTaps(0.8);
    const blur = blurMatrix(taps, height, width, g);
    const { output } = await runChain('mask:first=1,last=2+blur:sigma=0.8', g, x, null);
    expectClose(output, applyPlaneOperator(blur, maskReference(x, band), 3, false), () => 3e-6, 'band');
    const given = Float32Array.from({ length: 20 }, (_, i) => i % 2);
    const w = randomArray(60, 4);
    const fit = await runChain('mask', g, x, w, { mask: given });
    expect([...fit.output]).toEqual([...maskReference(x, given)].map(Math.fround));
    expect([...fit.inputGrad!]).toEqual([...maskReference(w, given)].map(Math.fround));
  });

  it('a given blur kernel (a 3×1 picture) replaces the Gaussian', async () => {
    const g = { rows: 2, channels: 1, height: 5, width: 4 };
    const x = randomArray(40, 8);
    const kernel = tapsFromPicture(new Uint8Array([255, 0, 128]), 1, 3);
    const { output } = await runChain('blur', g, x, null, { blurKernel: kernel });
    const taps = [255 / 383, 0, 128 / 383];
    expectClose(output, applyPlaneOperator(blurMatrix(taps, 3, 1, g), x, 2, false), () => 3e-6, 'given kernel');
    expect(() => tapsFromPicture(new Uint8Array(2), 2, 1)).toThrow(/width must be odd/);
    expect(() => tapsFromPicture(new Uint8Array(3), 3, 1)).toThrow(/black everywhere/);
  });

  it('noise degrades with the seeded streams, and is left out of a fit', async () => {
    const g = { rows: 3, channels: 1, height: 5, width: 3 };
    const x = randomArray(45, 5, -0.9, 0.9);
    const { output } = await runChain('noise:sigma=0.1,salt=0.25,seed=9', g, x, null);
    const gaussian = gaussianNoiseReference(x, Math.fround(0.1), 9, STREAMS.degradeNoise);
    const want = saltPepperReference(Float32Array.from(gaussian), 0.25, 9, STREAMS.degradeSalt);
    expectClose(output, want, () => 1e-5, 'noise');
    const w = randomArray(45, 6);
    const fit = await runChain('noise', g, x, w);
    expect(fit.chain.forward).toEqual([]);
    expect([...fit.output]).toEqual([...x]);
    expect([...fit.inputGrad!]).toEqual([...w]);
  });

  it('refuses a band below the picture and a mask of the wrong size, leaking nothing', async () => {
    const g = { rows: 1, channels: 1, height: 7, width: 7 };
    const x = new Float32Array(49);
    await expect(runChain('mask', g, x, null)).rejects.toThrow(
      /degradation: mask: last=18 is outside pictures 7 rows high/,
    );
    await expect(runChain('mask', g, x, new Float32Array(49), { mask: [1, 0] })).rejects.toThrow(
      /mask: must hold 49 \(H×W\) or 49 \(C×H×W\) values, got 2/,
    );
  });
});

describe('upscaleNearest', () => {
  it('repeats each pixel of each plane factor × factor times, and copies a picture already at the side', () => {
    const small = Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8]); // two planes of 2×2
    const big = upscaleNearest(small, { channels: 2, height: 2, width: 2 }, 4);
    expect(Array.from(big.subarray(0, 16))).toEqual([1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4]);
    expect(Array.from(big.subarray(16, 20))).toEqual([5, 5, 6, 6]);
    expect(Array.from(upscaleNearest(small, { channels: 2, height: 2, width: 2 }, 2))).toEqual(Array.from(small));
    expect(() => upscaleNearest(small, { channels: 1, height: 2, width: 2 }, 4)).toThrow(/holds 8 values, not 1×2×2/);
  });
});
