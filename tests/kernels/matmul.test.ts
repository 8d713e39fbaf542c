// matmul against the float64 reference: every transpose × bias × epilogue combination at an
// awkward shape, and every transpose combination at 1×1×1, at shapes that are not multiples of the
// 64×64×16 tile, and at the GAN's own shapes.
// Tolerance: float32Tolerance(Σ|a·b|) per element (reference/numeric.ts says why).
import { describe, expect, it } from 'vitest';
import { createMatmul, type Activation, type GpuContext, type MatmulVariant } from '../../src/index.js';
import { ruleChoice } from '../../src/kernels/matmul.js';
import {
  registeredMatmulTuning,
  registerMatmulTuning,
  shapeKey,
  tuningAdapterKey,
  unregisterMatmulTuning,
} from '../../src/kernels/matmulTuning.js';
import { activate, matmulReference } from '../../reference/cpu.js';
import { float32Tolerance } from '../../reference/numeric.js';
import { expectClose, randomArray, runKernels, useGpu } from '../support/gpu.js';

const gpu = useGpu();

interface Case {
  m: number;
  n: number;
  k: number;
  transposeA: boolean;
  transposeB: boolean;
  bias: boolean;
  activation?: Activation;
  gate?: Exclude<Activation, 'none'>;
  variant?: MatmulVariant;
  splitK?: number | 'auto';
  /** Also ask for Σ_k op(A)[i][k] (the bias gradient of a weight-gradient product). */
  rowSums?: boolean;
  /** A pipeline with the shape built in (MatmulSpec.specialize). */
  specialize?: boolean;
}

const TRANSPOSES = [
  [false, false],
  [true, false],
  [false, true],
  [true, true],
] as const;
const EPILOGUES: Array<Pick<Case, 'activation' | 'gate'>> = [
  {},
  { activation: 'leaky-relu' },
  { activation: 'tanh' },
  { activation: 'sigmoid' },
  { gate: 'leaky-relu' },
  { gate: 'tanh' },
  { gate: 'sigmoid' },
];

function describeCase(c: Case): string {
  const op = `${c.transposeA ? 'Aᵀ' : 'A'}·${c.transposeB ? 'Bᵀ' : 'B'}`;
  const epilogue = c.gate ? `⊙${c.gate}'` : (c.activation ?? 'none');
  const variant =
    c.variant || c.splitK
      ? ` [${c.variant ?? 'auto'}, split-K ${c.splitK ?? 'auto'}${c.specialize ? ', specialised' : ''}]`
      : '';
  return `${c.m}×${c.n}×${c.k} ${op}${c.bias ? '+bias' : ''} ${epilogue}${c.rowSums ? ' +row sums' : ''}${variant}`;
}

/** Stored activation outputs for a gate: values f could actually produce. */
function gateOutputs(kind: Activation, count: number, seed: number): Float32Array {
  return randomArray(count, seed, -3, 3).map((x) => activate(kind, x, 0.2));
}

async function checkMatmul(ctx: GpuContext, c: Case): Promise<void> {
  const { m, n, k } = c;
  const a = randomArray(m * k, 1 + m, -1, 1);
  const b = randomArray(k * n, 2 + n, -1, 1);
  const bias = c.bias ? randomArray(n, 3 + k, -1, 1) : undefined;
  const gate = c.gate ? gateOutputs(c.gate, m * n, 4) : undefined;
  const mem = ctx.memory;
  const buffers = [mem.createStorage('a', a), mem.createStorage('b', b), mem.createStorage('c', m * n)];
  if (bias) buffers.push(mem.createStorage('bias', bias));
  if (gate) buffers.push(mem.createStorage('gate', gate));
  if (c.rowSums) buffers.push(mem.createStorage('row sums', m));
  const [aBuf, bBuf, cBuf, ...rest] = buffers as [GPUBuffer, GPUBuffer, GPUBuffer, ...GPUBuffer[]];
  const biasBuf = bias ? rest.shift() : undefined;
  const gateBuf = gate ? rest.shift() : undefined;
  const rowSumsBuf = c.rowSums ? rest.shift() : undefined;
  try {
    const kernel = await createMatmul(ctx, {
      m,
      n,
      k,
      a: aBuf,
      b: bBuf,
      c: cBuf,
      transposeA: c.transposeA,
      transposeB: c.transposeB,
      bias: biasBuf,
      activation: c.activation,
      gate: c.gate ? { kind: c.gate, output: gateBuf! } : undefined,
      variant: c.variant,
      splitK: c.splitK,
      rowSums: rowSumsBuf,
      specialize: c.specialize,
    });
    expect(kernel.choice.specialized).toBe(c.specialize === true);
    await runKernels(ctx, kernel);
    kernel.destroy();
    const actual = await ctx.readF32(cBuf);
    const ref = matmulReference({
      m,
      n,
      k,
      a,
      b,
      transposeA: c.transposeA,
      transposeB: c.transposeB,
      bias,
      activation: c.activation,
      gate: c.gate ? { kind: c.gate, output: gate! } : undefined,
    });
    expectClose(actual, ref.c, (i) => float32Tolerance(ref.magnitude[i]!), describeCase(c));
    if (rowSumsBuf) {
      const rowSums = await ctx.readF32(rowSumsBuf);
      expectClose(
        rowSums,
        ref.rowSums,
        (i) => float32Tolerance(ref.rowSumMagnitude[i]!),
        `${describeCase(c)} row sums`,
      );
    }
  } finally {
    for (const buffer of buffers) mem.release(buffer);
  }
}

describe('matmul: every transpose, bias and epilogue at 37×53×19', () => {
  for (const [transposeA, transposeB] of TRANSPOSES) {
    for (const bias of [false, true]) {
      for (const epilogue of EPILOGUES) {
        const c: Case = { m: 37, n: 53, k: 19, transposeA, transposeB, bias, ...epilogue };
        it(describeCase(c), () => checkMatmul(gpu.ctx, c));
      }
    }
  }
});

describe('matmul: shapes', () => {
  // 1×1×1; not multiples of any tile; one tile exactly plus one; the GAN's layers (batch 64).
  const shapes: Array<[number, number, number]> = [
    [1, 1, 1],
    [100, 129, 67],
    [65, 1, 300],
    [1, 257, 33],
    [64, 784, 256],
    [64, 256, 784],
    [128, 1, 128],
    [784, 256, 64],
  ];
  shapes.forEach(([m, n, k], s) => {
    TRANSPOSES.forEach(([transposeA, transposeB], t) => {
      const epilogue = EPILOGUES[(s + t) % EPILOGUES.length]!;
      const c: Case = {
        m,
        n,
        k,
        transposeA,
        transposeB,
        bias: (s + t) % 2 === 0,
        rowSums: (s + t) % 2 === 1,
        ...epilogue,
      };
      it(describeCase(c), () => checkMatmul(gpu.ctx, c));
    });
  });
});

describe('matmul variants: v1 and v3 (double-buffered), with and without split-K; every transpose and row sums', () => {
  // Not multiples of 128 or of the K chunk; 1×1×1; a long K (the weight gradient at batch 1024).
  const shapes: Array<[number, number, number]> = [
    [1, 1, 1],
    [130, 257, 33],
    [37, 53, 700],
    [256, 784, 2048],
  ];
  const variants: Array<Pick<Case, 'variant' | 'splitK'>> = [
    { variant: 'v1', splitK: 1 },
    { variant: 'v1', splitK: 3 },
    { variant: 'v3', splitK: 5 },
    { variant: 'v1', splitK: 'auto' },
    { variant: 'v3', splitK: 1 },
    { variant: 'v3', splitK: 4 },
  ];
  shapes.forEach(([m, n, k], s) => {
    variants.forEach((variant, v) => {
      const [transposeA, transposeB] = TRANSPOSES[(s + v) % 4]!;
      const epilogue = EPILOGUES[(2 * s + v) % EPILOGUES.length]!;
      const c: Case = { m, n, k, transposeA, transposeB, bias: v % 2 === 1, rowSums: v !== 1, ...epilogue, ...variant };
      it(describeCase(c), () => checkMatmul(gpu.ctx, c));
    });
  });
});

describe('matmul v3 (double-buffered) in every transpose and epilogue at 37×53×19 and 100×129×67', () => {
  TRANSPOSES.forEach(([transposeA, transposeB], t) => {
    EPILOGUES.forEach((epilogue, e) => {
      const [m, n, k] = (t + e) % 2 === 0 ? [37, 53, 19] : [100, 129, 67];
      const c: Case = {
        m,
        n,
        k,
        transposeA,
        transposeB,
        bias: e % 2 === 0,
        rowSums: e % 3 === 0,
        variant: 'v3',
        splitK: 1,
        ...epilogue,
      };
      it(describeCase(c), () => checkMatmul(gpu.ctx, c));
    });
  });
});

describe('matmul v4 and v5 (vec4 loads) in every transpose, with and without split-K', () => {
  // Contiguous dimensions multiples of 4 but not of the tiles; 4×4×4; a GAN layer; a long K split.
  // Rows (m when A is not transposed) need not be multiples of 4: 37×52×20 A·B.
  const shapes: Array<[number, number, number]> = [
    [4, 4, 4],
    [36, 52, 20],
    [132, 100, 68],
    [128, 784, 100],
    [256, 784, 2048],
  ];
  for (const variant of ['v4', 'v5'] as const) {
    shapes.forEach(([m, n, k], s) => {
      TRANSPOSES.forEach(([transposeA, transposeB], t) => {
        const epilogue = EPILOGUES[(s + 2 * t) % EPILOGUES.length]!;
        const splitK = s === 4 ? 4 : 1;
        const c: Case = {
          m,
          n,
          k,
          transposeA,
          transposeB,
          bias: t % 2 === 0,
          rowSums: (s + t) % 2 === 0,
          variant,
          splitK,
          ...epilogue,
        };
        it(describeCase(c), () => checkMatmul(gpu.ctx, c));
      });
    });
    const ragged: Case = {
      m: 37,
      n: 52,
      k: 20,
      transposeA: false,
      transposeB: false,
      bias: true,
      rowSums: true,
      activation: 'tanh',
      variant,
      splitK: 1,
    };
    it(describeCase(ragged), () => checkMatmul(gpu.ctx, ragged));
  }

  const refusal =
    'refuses v4 and v5 where a contiguous dimension is not a multiple of 4, ' +
    'and a table or a preferred variant that names one falls back to v1 there';
  it(refusal, async () => {
    const ctx = gpu.ctx;
    const [a, b, c] = [
      ctx.memory.createStorage('a', 37 * 19),
      ctx.memory.createStorage('b', 19 * 52),
      ctx.memory.createStorage('c', 37 * 52),
    ];
    const adapter = tuningAdapterKey(ctx.adapter)!;
    const previous = registeredMatmulTuning(adapter);
    try {
      for (const variant of ['v4', 'v5'] as const) {
        await expect(createMatmul(ctx, { m: 37, n: 52, k: 19, a, b, c, variant })).rejects.toThrow(
          new RegExp(`${variant} loads vec4s, so it needs k and n to be multiples of 4`),
        );
        const ragged = { m: 37, n: 52, k: 19, transposeA: false, transposeB: false, rowSums: false };
        const even = { ...ragged, k: 16 };
        expect(ruleChoice(ragged, ctx.device.limits, variant).variant).toBe('v1');
        expect(ruleChoice(even, ctx.device.limits, variant).variant).toBe(variant);
        const choice = { variant, splitK: 1 };
        const choices = { [shapeKey(ragged)]: choice, [shapeKey(even)]: choice };
        registerMatmulTuning({ adapter, measured: 'test', choices });
        const kernel = await createMatmul(ctx, { m: 37, n: 52, k: 19, a, b, c });
        expect(kernel.choice.variant).toBe('v1');
        kernel.destroy();
        const fits = await createMatmul(ctx, { m: 37, n: 52, k: 16, a, b, c });
        expect(fits.choice.variant).toBe(variant);
        fits.destroy();
      }
    } finally {
      if (previous) registerMatmulTuning(previous);
      else unregisterMatmulTuning(adapter);
      for (const x of [a, b, c]) ctx.memory.release(x);
    }
  });
});

describe('matmul pipelines specialised to the shape, every variant', () => {
  // Ragged edges in every dimension, one K tile or less, a long K split over workgroups, and both
  // transposes: the constants must give what the uniforms give.
  const cases: Array<Omit<Case, 'variant' | 'specialize'>> = [
    {
      m: 37,
      n: 52,
      k: 20,
      transposeA: false,
      transposeB: false,
      bias: true,
      rowSums: true,
      activation: 'tanh',
      splitK: 1,
    },
    { m: 132, n: 100, k: 12, transposeA: true, transposeB: true, bias: false, gate: 'leaky-relu', splitK: 1 },
    { m: 64, n: 128, k: 1000, transposeA: true, transposeB: false, bias: false, rowSums: true, splitK: 3 },
  ];
  for (const variant of ['v1', 'v3', 'v4', 'v5'] as const) {
    for (const base of cases) {
      const c: Case = { ...base, variant, specialize: true };
      it(describeCase(c), () => checkMatmul(gpu.ctx, c));
    }
  }

  it("refuses a specialize that is not true, false or 'auto'", async () => {
    const ctx = gpu.ctx;
    const buffers = [
      ctx.memory.createStorage('a', 16),
      ctx.memory.createStorage('b', 16),
      ctx.memory.createStorage('c', 16),
    ] as const;
    try {
      await expect(
        createMatmul(ctx, {
          m: 4,
          n: 4,
          k: 4,
          a: buffers[0],
          b: buffers[1],
          c: buffers[2],
          specialize: 'yes' as never,
        }),
      ).rejects.toThrow(/specialize: must be true, false or 'auto'/);
    } finally {
      for (const x of buffers) ctx.memory.release(x);
    }
  });
});
