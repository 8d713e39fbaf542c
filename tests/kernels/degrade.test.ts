// The degradation operators against their float64 references at awkward sizes (1×1, odd sides,
// batches of 1 and more, 1 and 3 channels), the adjoint identity <A x, y> = <x, Aᵀ y> of the
// linear ones on the GPU's own outputs, finite differences of exposure, and the seeded noise.
import { describe, expect, it } from 'vitest';
import type { GpuContext } from '../../src/index.js';
import type { Kernel, TensorRef } from '../../src/kernels/kernel.js';
import {
  createBlur,
  createDownscale,
  createExposure,
  createMask,
  createNoise,
  downscaledGeometry,
  pictureSize,
  type ImageGeometry,
} from '../../src/kernels/degrade.js';
import { gaussianTaps } from '../../src/restore/taps.js';
import {
  applyPlaneOperator,
  blurMatrix,
  downscaleMatrix,
  exposureReference,
  exposureSlopeReference,
  gaussianNoiseReference,
  maskReference,
  saltPepperReference,
  type PlaneOperator,
} from '../../reference/degrade.js';
import { normalReference } from '../../reference/cpu.js';
import { expectClose, randomArray, runKernels, useGpu } from '../support/gpu.js';

const gpu = useGpu();

/** Runs the kernel `make` builds on `input` (and `extra`, e.g. exposure's x) and reads `outCount` values. */
async function run(
  ctx: GpuContext,
  input: ArrayLike<number>,
  outCount: number,
  make: (source: TensorRef, result: TensorRef, extra: TensorRef) => Promise<Kernel>,
  extra: ArrayLike<number> = [0],
): Promise<Float32Array> {
  const [source, result, extraBuffer] = [Float32Array.from(input), outCount, Float32Array.from(extra)].map((d, i) =>
    ctx.memory.createStorage(`t${i}`, d),
  );
  try {
    const kernel = await make(source!, result!, extraBuffer!);
    await runKernels(ctx, kernel);
    kernel.destroy();
    return await ctx.readF32(result!);
  } finally {
    for (const b of [source, result, extraBuffer]) ctx.memory.release(b!);
  }
}

function dot(a: ArrayLike<number>, b: ArrayLike<number>): { value: number; magnitude: number } {
  let [value, magnitude] = [0, 0];
  for (let i = 0; i < a.length; i++) {
    value += a[i]! * b[i]!;
    magnitude += Math.abs(a[i]! * b[i]!);
  }
  return { value, magnitude };
}

/**
 * The kernel's forward and adjoint against the reference matrix, and <A x, y> = <x, Aᵀ y> on the
 * kernel's own outputs (float32 rounding of each value bounds the gap by ~1e-6 of Σ|terms|).
 */
async function checkLinear(
  g: ImageGeometry,
  op: PlaneOperator,
  make: (direction: 'forward' | 'adjoint', source: TensorRef, result: TensorRef) => Promise<Kernel>,
  seed: number,
) {
  const planes = g.rows * g.channels;
  const x = randomArray(planes * op.in, seed);
  const y = randomArray(planes * op.out, seed + 1);
  const ax = await run(gpu.ctx, x, y.length, (s, r) => make('forward', s, r));
  const aty = await run(gpu.ctx, y, x.length, (s, r) => make('adjoint', s, r));
  const tolerance = () => 2e-6;
  expectClose(ax, applyPlaneOperator(op, x, planes, false), tolerance, 'forward');
  expectClose(aty, applyPlaneOperator(op, y, planes, true), tolerance, 'adjoint');
  const [left, right] = [dot(ax, y), dot(x, aty)];
  expect(Math.abs(left.value - right.value)).toBeLessThanOrEqual(4e-6 * (left.magnitude + right.magnitude) + 1e-9);
}

const GEOMETRIES: ImageGeometry[] = [
  { rows: 1, channels: 1, height: 1, width: 1 },
  { rows: 2, channels: 3, height: 5, width: 7 },
  { rows: 1, channels: 1, height: 28, width: 28 },
  { rows: 3, channels: 1, height: 17, width: 20 },
];

describe('blur', () => {
  const kernels = [
    { name: 'Gaussian σ 1.5', ...gaussianTaps(1.5) },
    { name: '5×3 uneven', taps: Float32Array.from(randomArray(15, 7, 0.1, 1)), height: 5, width: 3 },
    { name: '1×1 identity', taps: new Float32Array([2]), height: 1, width: 1 },
  ];
  for (const g of GEOMETRIES) {
    for (const k of kernels) {
      it(`${k.name} on ${g.rows}×${g.channels}×${g.height}×${g.width}`, async () => {
        const op = blurMatrix(
          k.taps.map((v) => v / k.taps.reduce((s, t) => s + t, 0)),
          k.height,
          k.width,
          g,
        );
        await checkLinear(
          g,
          op,
          (direction, source, result) =>
            createBlur(gpu.ctx, {
              geometry: g,
              taps: k.taps,
              kernelHeight: k.height,
              kernelWidth: k.width,
              direction,
              source,
              result,
            }),
          g.height * 31 + k.height,
        );
      });
    }
  }

  it('keeps a flat picture flat to the border (renormalised, not zero padded)', async () => {
    const g = { rows: 1, channels: 1, height: 9, width: 6 };
    const { taps, height, width } = gaussianTaps(2);
    const out = await run(gpu.ctx, new Float32Array(54).fill(-1), 54, (source, result) =>
      createBlur(gpu.ctx, {
        geometry: g,
        taps,
        kernelHeight: height,
        kernelWidth: width,
        direction: 'forward',
        source,
        result,
      }),
    );
    expectClose(out, new Float64Array(54).fill(-1), () => 1e-6, 'flat');
  });

  it('refuses an even side, a negative tap and all-zero taps by name', async () => {
    const base = {
      geometry: GEOMETRIES[0]!,
      direction: 'forward' as const,
      source: gpu.ctx.placeholder,
      result: gpu.ctx.placeholder,
    };
    await expect(createBlur(gpu.ctx, { ...base, taps: [1, 1], kernelHeight: 1, kernelWidth: 2 })).rejects.toThrow(
      /kernelWidth: must be odd/,
    );
    await expect(createBlur(gpu.ctx, { ...base, taps: [-1], kernelHeight: 1, kernelWidth: 1 })).rejects.toThrow(
      /taps\[0\]/,
    );
    await expect(createBlur(gpu.ctx, { ...base, taps: [0], kernelHeight: 1, kernelWidth: 1 })).rejects.toThrow(
      /all zero/,
    );
  });
});

describe('downscale', () => {
  for (const g of GEOMETRIES) {
    for (const factor of [2, 4, 3]) {
      it(`×${factor} on ${g.rows}×${g.channels}×${g.height}×${g.width}`, async () => {
        const op = downscaleMatrix(factor, g);
        expect(op.out).toBe(pictureSize({ ...downscaledGeometry(g, factor), channels: 1 }));
        await checkLinear(
          g,
          op,
          (direction, source, result) => createDownscale(gpu.ctx, { geometry: g, factor, direction, source, result }),
          factor * 101 + g.width,
        );
      });
    }
  }
});

describe('mask', () => {
  for (const [rows, dim] of [
    [1, 1],
    [3, 7],
    [2, 784],
  ] as const) {
    it(`${rows}×${dim}: keeps the known values, zeroes the rest (its own adjoint)`, async () => {
      const mask = Float32Array.from({ length: dim }, (_, i) => (i % 3 === 1 ? 0 : 1));
      const x = randomArray(rows * dim, dim);
      const out = await run(
        gpu.ctx,
        x,
        x.length,
        (source, result, m) => createMask(gpu.ctx, { rows, dim, mask: m, source, result }),
        mask,
      );
      expect([...out]).toEqual([...maskReference(x, mask)].map(Math.fround));
    });
  }
});

describe('exposure', () => {
  const curves = [
    { name: 'dark', gain: 0.4, gamma: 1.5, lift: 0 },
    { name: 'washed out', gain: 0.55, gamma: 0.7, lift: 0.45 },
  ];
  for (const curve of curves) {
    for (const n of [1, 37, 1000]) {
      it(`${curve.name}, ${n} values: forward and derivative against the reference and differences`, async () => {
        // Away from the clamp's corners (u = 0, 1), where the derivative jumps.
        const x = randomArray(n, n + 3, -0.97, 0.97);
        const grad = randomArray(n, n + 4);
        const forward = await run(gpu.ctx, x, n, (source, result) =>
          createExposure(gpu.ctx, { n, ...curve, direction: 'forward', source, result }),
        );
        const backward = await run(
          gpu.ctx,
          grad,
          n,
          (source, result, input) =>
            createExposure(gpu.ctx, { n, ...curve, direction: 'adjoint', source, result, input }),
          x,
        );
        expectClose(
          forward,
          Float64Array.from(x, (v) => exposureReference(v, curve)),
          () => 2e-6,
          'forward',
        );
        const slope = Float64Array.from(x, (v, i) => grad[i]! * exposureSlopeReference(v, curve));
        expectClose(backward, slope, (i) => 3e-6 * Math.abs(slope[i]!) + 1e-6, 'derivative');
        const h = 1e-6;
        const differences = Float64Array.from(
          x,
          (v, i) => (grad[i]! * (exposureReference(v + h, curve) - exposureReference(v - h, curve))) / (2 * h),
        );
        expectClose(backward, differences, (i) => 1e-4 * Math.abs(differences[i]!) + 1e-5, 'finite differences');
      });
    }
  }

  it('is flat where the clamp holds, and refuses a curve that leaves [0, 1]', async () => {
    const x = new Float32Array([-1.5, 1.5]);
    const out = await run(
      gpu.ctx,
      new Float32Array([1, 1]),
      2,
      (source, result, input) =>
        createExposure(gpu.ctx, { n: 2, gain: 0.5, gamma: 2, lift: 0, direction: 'adjoint', source, result, input }),
      x,
    );
    expect([...out]).toEqual([0, 0]);
    const bad = {
      n: 1,
      gamma: 1,
      direction: 'forward' as const,
      source: gpu.ctx.placeholder,
      result: gpu.ctx.placeholder,
    };
    await expect(createExposure(gpu.ctx, { ...bad, gain: 0.8, lift: 0.5 })).rejects.toThrow(/lift \+ gain/);
    await expect(createExposure(gpu.ctx, { ...bad, gain: Number.NaN, lift: 0 })).rejects.toThrow(/gain/);
  });
});

describe('noise', () => {
  for (const n of [1, 7, 1000]) {
    it(`${n} values: Gaussian and salt-and-pepper draw the reference's Philox numbers`, async () => {
      const x = randomArray(n, n, -0.9, 0.9);
      const common = { n, seed: 5, stream: 4 };
      const gaussian = await run(gpu.ctx, x, n, (source, result) =>
        createNoise(gpu.ctx, { ...common, kind: 'gaussian', amount: 0.3, source, result }),
      );
      // Box–Muller's log, cos and sin are the adapter's: a few float32 ulps of a value up to ~5σ.
      expectClose(gaussian, gaussianNoiseReference(x, Math.fround(0.3), 5, 4), () => 1e-5, 'gaussian');
      const salted = await run(gpu.ctx, x, n, (source, result) =>
        createNoise(gpu.ctx, { ...common, kind: 'salt-pepper', amount: 0.25, source, result }),
      );
      expect([...salted]).toEqual([...saltPepperReference(x, 0.25, 5, 4)].map(Math.fround));
    });
  }

  it('unclamped (a Gaussian-noise layer), adds the same numbers to values beyond a picture’s range', async () => {
    const n = 1001;
    const x = randomArray(n, 11, -4, 4);
    const common = { n, seed: 5, stream: 4, kind: 'gaussian' as const, amount: 0.5 };
    const loose = await run(gpu.ctx, x, n, (source, result) =>
      createNoise(gpu.ctx, { ...common, clamp: false, source, result }),
    );
    const normals = normalReference(n, 5, 4, 0);
    const want = Float64Array.from(x, (v, i) => v + Math.fround(0.5) * normals[i]!);
    expectClose(loose, want, () => 1e-5, 'unclamped');
    expect(loose.some((v) => Math.abs(v) > 1)).toBe(true);
    await expect(
      createNoise(gpu.ctx, {
        ...common,
        clamp: 'no' as never,
        source: gpu.ctx.placeholder,
        result: gpu.ctx.placeholder,
      }),
    ).rejects.toThrow(/^clamp: must be true or false/);
  });

  it("draws a step's numbers from the counter word it is given, so training sees new noise each step", async () => {
    const n = 9;
    const x = randomArray(n, 3, -0.9, 0.9);
    const counter = gpu.ctx.memory.createStorage('step counter', new Uint32Array([6, 7]));
    try {
      const common = { n, seed: 5, stream: 4, stepCount: counter, stepWord: 1 as const };
      const gaussian = await run(gpu.ctx, x, n, (source, result) =>
        createNoise(gpu.ctx, { ...common, kind: 'gaussian', amount: 0.3, source, result }),
      );
      expectClose(gaussian, gaussianNoiseReference(x, Math.fround(0.3), 5, 4, 7), () => 1e-5, 'gaussian, step 7');
      const salted = await run(gpu.ctx, x, n, (source, result) =>
        createNoise(gpu.ctx, { ...common, kind: 'salt-pepper', amount: 0.5, source, result }),
      );
      expect([...salted]).toEqual([...saltPepperReference(x, 0.5, 5, 4, 7)].map(Math.fround));
      expect([...salted]).not.toEqual([...saltPepperReference(x, 0.5, 5, 4, 6)].map(Math.fround));
    } finally {
      gpu.ctx.memory.release(counter);
    }
  });

  it('changes with the seed and hits about the asked share of values', async () => {
    const n = 4000;
    const x = new Float32Array(n);
    const draw = (seed: number) =>
      run(gpu.ctx, x, n, (source, result) =>
        createNoise(gpu.ctx, { n, seed, stream: 4, kind: 'salt-pepper', amount: 0.2, source, result }),
      );
    const [a, b] = [await draw(1), await draw(2)];
    const hits = a.filter((v) => v !== 0).length;
    expect(hits / n).toBeGreaterThan(0.17);
    expect(hits / n).toBeLessThan(0.23);
    expect([...a]).not.toEqual([...b]);
  });
});

describe('bad arguments', () => {
  it('are refused by name before anything is recorded, leaking nothing', async () => {
    const ctx = gpu.ctx;
    const [small, big] = [ctx.memory.createStorage('small', 4), ctx.memory.createStorage('big', 64)];
    const g = { rows: 1, channels: 1, height: 4, width: 4 };
    try {
      const blur = { geometry: g, taps: [1], kernelHeight: 1, kernelWidth: 1, direction: 'forward' as const };
      // The blur's own tap buffers are made before the source is checked: they must be freed.
      await expect(createBlur(ctx, { ...blur, source: small, result: big })).rejects.toThrow(/^source: needs 16/);
      await expect(createBlur(ctx, { ...blur, direction: 'up' as never, source: big, result: big })).rejects.toThrow(
        /direction: must be "forward" or "adjoint"/,
      );
      const down = { geometry: g, factor: 2, source: big, result: small };
      await expect(createDownscale(ctx, { ...down, direction: 'adjoint' })).rejects.toThrow(/^result: needs 16/);
      await expect(createDownscale(ctx, { ...down, direction: 'forward', factor: 0 })).rejects.toThrow(/^factor/);
      await expect(
        createDownscale(ctx, { ...down, direction: 'forward', geometry: { ...g, height: 0 } }),
      ).rejects.toThrow(/geometry.height: must be a positive integer/);
      await expect(createMask(ctx, { rows: 2, dim: 16, mask: big, source: big, result: small })).rejects.toThrow(
        /^result: needs 32/,
      );
      const noise = { n: 4, seed: 1, stream: 4, source: small, result: big };
      await expect(createNoise(ctx, { ...noise, kind: 'salt-pepper', amount: 1.5 })).rejects.toThrow(/amount/);
      await expect(createNoise(ctx, { ...noise, kind: 'poisson' as never, amount: 1 })).rejects.toThrow(/^kind/);
      await expect(createNoise(ctx, { ...noise, kind: 'gaussian', amount: 0.1, seed: -1 })).rejects.toThrow(/^seed/);
      const exposure = {
        n: 4,
        gain: 0.5,
        gamma: 1,
        lift: 0,
        direction: 'adjoint' as const,
        source: small,
        result: big,
      };
      await expect(createExposure(ctx, exposure)).rejects.toThrow(/^input: is required/);
    } finally {
      ctx.memory.release(small);
      ctx.memory.release(big);
    }
  });
});
