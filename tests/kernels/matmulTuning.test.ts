// Measured matmul choices: 'auto' takes a registered table's choice for this adapter and shape,
// still computes the right product with it, and yields to explicit arguments and other adapters'
// tables. Tables are checked when registered (one naming the removed v6 is refused); matmul.ts
// keeps no setting of its own. Plus the tuner's own pieces: its candidate list, its sampled
// float64 check (which must catch a wrong or unwritten entry), and its atomic merge into the
// tuning file.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  acquireGpu,
  ArgumentError,
  createMatmul,
  registerMatmulTuning,
  unregisterMatmulTuning,
  type GpuContext,
  type MatmulShape,
  type MatmulTuning,
} from '../../src/index.js';
import { shapeKey, tunedChoice, tuningAdapterKey } from '../../src/kernels/matmulTuning.js';
import builtIn from '../../src/kernels/matmul-tuning.json';
import { candidates, sampledError, writeTuning } from '../../bench/tune.js';
import { ruleChoice } from '../../src/kernels/matmul.js';
import { headCandidates, stepHeads } from '../../bench/tune-head.js';
import { matmulReference } from '../../reference/cpu.js';
import { float32Tolerance } from '../../reference/numeric.js';
import { expectClose, randomArray, runKernels, useGpu } from '../support/gpu.js';
import { useTempDirs } from '../support/temp.js';

const tempDir = useTempDirs();

const gpu = useGpu();
const SHAPE: MatmulShape = { m: 37, n: 53, k: 800, transposeA: false, transposeB: true, rowSums: false };

function tableFor(ctx: GpuContext, choices: MatmulTuning['choices']): MatmulTuning {
  return { adapter: tuningAdapterKey(ctx.adapter)!, measured: 'test', choices };
}

async function product(
  ctx: GpuContext,
  spec: { variant?: 'v1' | 'v3' | 'auto'; splitK?: number | 'auto'; specialize?: boolean | 'auto' } = {},
) {
  const { m, n, k } = SHAPE;
  const a = randomArray(m * k, 1),
    b = randomArray(n * k, 2);
  const mem = ctx.memory;
  const [ab, bb, cb] = [mem.createStorage('a', a), mem.createStorage('b', b), mem.createStorage('c', m * n)];
  try {
    const kernel = await createMatmul(ctx, { m, n, k, a: ab, b: bb, c: cb, transposeB: true, ...spec });
    await runKernels(ctx, kernel);
    kernel.destroy();
    const ref = matmulReference({ m, n, k, a, b, transposeB: true });
    expectClose(
      await ctx.readF32(cb),
      ref.c,
      (i) => float32Tolerance(ref.magnitude[i]!),
      `C with ${kernel.choice.variant}/${kernel.choice.splitK}`,
    );
    return kernel.choice;
  } finally {
    for (const x of [ab, bb, cb]) mem.release(x);
  }
}

describe('measured matmul choices', () => {
  afterEach(() => {
    unregisterMatmulTuning(tuningAdapterKey(gpu.ctx.adapter)!);
  });

  it('without a table, auto follows the rules (v1, split K for a long K and a small C)', async () => {
    expect(await product(gpu.ctx)).toEqual({ variant: 'v1', splitK: 3, specialized: false });
  });

  it('auto takes the registered choice for this adapter and shape, and the product is right', async () => {
    registerMatmulTuning(tableFor(gpu.ctx, { [shapeKey(SHAPE)]: { variant: 'v3', splitK: 5 } }));
    expect(await product(gpu.ctx)).toEqual({ variant: 'v3', splitK: 5, specialized: false });
  });

  it('auto builds the pipeline specialised to the shape where the table says so, unless told not to', async () => {
    registerMatmulTuning(tableFor(gpu.ctx, { [shapeKey(SHAPE)]: { variant: 'v3', splitK: 5, specialized: true } }));
    expect(await product(gpu.ctx)).toEqual({ variant: 'v3', splitK: 5, specialized: true });
    expect(await product(gpu.ctx, { specialize: false })).toEqual({ variant: 'v3', splitK: 5, specialized: false });
    // Another split than the measured one is not what was measured specialised.
    expect(await product(gpu.ctx, { splitK: 2 })).toEqual({ variant: 'v3', splitK: 2, specialized: false });
  });

  it("explicit arguments win over the table; a named variant takes the table's split when they agree", async () => {
    registerMatmulTuning(tableFor(gpu.ctx, { [shapeKey(SHAPE)]: { variant: 'v3', splitK: 5 } }));
    expect(await product(gpu.ctx, { variant: 'v1' })).toEqual({ variant: 'v1', splitK: 3, specialized: false });
    expect(await product(gpu.ctx, { splitK: 1 })).toEqual({ variant: 'v3', splitK: 1, specialized: false });
    expect(await product(gpu.ctx, { variant: 'v3' })).toEqual({ variant: 'v3', splitK: 5, specialized: false });
  });

  it('a table that names a variant this build does not have (the removed v6) is refused', () => {
    const table = tableFor(gpu.ctx, { [shapeKey(SHAPE)]: { variant: 'v6' as 'v1', splitK: 1 } });
    expect(() => registerMatmulTuning(table)).toThrow(ArgumentError);
    expect(() => registerMatmulTuning(table)).toThrow(/must be one of v1, v3, v4, v5, got v6/);
  });

  it('a preferred variant (whole-step comparisons) is a pure rule: v1 where it does not fit', () => {
    const limits = gpu.ctx.device.limits;
    expect(ruleChoice(SHAPE, limits)).toEqual(ruleChoice(SHAPE, limits, 'v1'));
    // SHAPE's k (800) and op(B)'s contiguous k are multiples of 4: v4 fits.
    expect(ruleChoice(SHAPE, limits, 'v4').variant).toBe('v4');
    expect(ruleChoice({ ...SHAPE, k: 801 }, limits, 'v4').variant).toBe('v1');
  });

  it('matmul.ts keeps no setting of its own: a context built later sees the same table', async () => {
    registerMatmulTuning(tableFor(gpu.ctx, { [shapeKey(SHAPE)]: { variant: 'v3', splitK: 5 } }));
    const other = await acquireGpu();
    try {
      expect((await product(other)).variant).toBe('v3');
      expect((await product(gpu.ctx)).variant).toBe('v3');
    } finally {
      other.destroy();
    }
  });

  it("another adapter's table and other shapes change nothing", async () => {
    registerMatmulTuning({
      adapter: 'nvidia / hopper / NVIDIA H100 80GB HBM3',
      measured: 'test',
      choices: { [shapeKey(SHAPE)]: { variant: 'v3', splitK: 5 } },
    });
    registerMatmulTuning(
      tableFor(gpu.ctx, { [shapeKey({ ...SHAPE, transposeB: false })]: { variant: 'v3', splitK: 5 } }),
    );
    expect(await product(gpu.ctx)).toEqual({ variant: 'v1', splitK: 3, specialized: false });
    unregisterMatmulTuning('nvidia / hopper / NVIDIA H100 80GB HBM3');
  });

  it.each([
    ['an unknown variant', { variant: 'v9', splitK: 1 }, /variant.*v1, v3, v4/],
    ['a split of 0', { variant: 'v1', splitK: 0 }, /splitK.*positive integer/],
    [
      'a specialized that is not a boolean',
      { variant: 'v1', splitK: 1, specialized: 'yes' },
      /specialized.*true or false/,
    ],
  ])('refuses a table with %s', (_name, choice, message) => {
    const register = () => registerMatmulTuning(tableFor(gpu.ctx, { '1x1x1': choice as never }));
    expect(register).toThrow(ArgumentError);
    expect(register).toThrow(message);
  });

  it('an adapter that names nothing has no key, so no table matches it', () => {
    const anonymous = { ...gpu.ctx.adapter, vendor: '', architecture: '', device: '' };
    expect(tuningAdapterKey(anonymous)).toBeNull();
    expect(tunedChoice(anonymous, SHAPE)).toBeNull();
  });

  it.each(['', ' /  / '])('refuses a table whose adapter is %j', (adapter) => {
    expect(() => registerMatmulTuning({ adapter, measured: 'test', choices: {} })).toThrow(/named adapter/);
  });

  it('the shipped tables are valid', () => {
    expect(Array.isArray(builtIn)).toBe(true);
    for (const table of builtIn as MatmulTuning[]) {
      expect(() => registerMatmulTuning(table)).not.toThrow();
      for (const key of Object.keys(table.choices)) expect(key).toMatch(/^\d+x\d+x\d+( tA)?( tB)?( rowsums)?$/);
    }
  });
});

describe('the tuner', () => {
  it("times the step's two logit heads in every grouping that differs", () => {
    expect(stepHeads([64, 4096, 64]).map((h) => [h.rows, h.width, h.paramGrads, h.uses.length])).toEqual([
      [128, 128, true, 2],
      [64, 128, false, 2],
      [8192, 128, true, 1],
      [4096, 128, false, 1],
    ]);
    expect(stepHeads([64])[0]).toMatchObject({ split: 64, targets: [0, 1], divisor: 64 });
    expect(headCandidates(4)).toEqual([4]);
    expect(headCandidates(12)).toEqual([8, 12]);
    expect(headCandidates(128)).toEqual([8, 16, 32, 64, 128]);
    expect(headCandidates(1024)).toEqual([8, 16, 32, 64, 128, 256, 512, 1024]);
    expect(headCandidates(8192)).toEqual([8, 16, 32, 64, 128, 256, 512, 1024]);
  });

  it('tries every variant that fits, with splits at least 128 deep in K', () => {
    const roomy = { maxComputeWorkgroupStorageSize: 32768 };
    const short = candidates({ ...SHAPE, k: 200 }, roomy);
    expect(short).toEqual(['v1', 'v3', 'v4', 'v5'].map((variant) => ({ variant, splitK: 1 })));
    const long = candidates({ ...SHAPE, k: 8192 }, roomy);
    expect(long.filter((c) => c.variant === 'v1').map((c) => c.splitK)).toEqual([1, 2, 3, 4, 6, 8, 12, 16, 24, 32]);
    // v4's and v5's vec4 loads need K (contiguous in A and in Bᵀ here) to be a multiple of 4.
    expect(candidates({ ...SHAPE, k: 201 }, roomy).map((c) => c.variant)).toEqual(['v1', 'v3']);
    // The rules' choice is always timed, as the choice to beat, even where its split count (7
    // here: 8 tiles of C, K = 2000 at batch 1000) is none of the usual ones.
    const weightGrad = { m: 256, n: 128, k: 2000, transposeA: true, transposeB: false, rowSums: true };
    expect(ruleChoice(weightGrad, roomy)).toEqual({ variant: 'v1', splitK: 7 });
    expect(candidates(weightGrad, roomy)).toContainEqual({ variant: 'v1', splitK: 7 });
    // WebGPU's default 16 KiB of workgroup memory leaves out v3.
    expect(candidates({ ...SHAPE, k: 200 }, { maxComputeWorkgroupStorageSize: 16384 }).map((c) => c.variant)).toEqual([
      'v1',
      'v4',
      'v5',
    ]);
  });

  it('its float64 check passes a right product and catches one wrong or unwritten entry', () => {
    const shape: MatmulShape = { m: 5, n: 4, k: 9, transposeA: true, transposeB: false, rowSums: true };
    const a = randomArray(45, 3),
      b = randomArray(36, 4);
    const ref = matmulReference({ m: 5, n: 4, k: 9, a, b, transposeA: true });
    const c = Float32Array.from(ref.c);
    const sums = Float32Array.from({ length: 5 }, (_, i) =>
      Array.from({ length: 9 }, (_, p) => a[p * 5 + i]!).reduce((x, y) => x + y, 0),
    );
    expect(sampledError(shape, { a, b }, c, sums)).toBeLessThanOrEqual(1);
    const wrong = Float32Array.from(c);
    wrong[19]! += 1e-3; // the last entry, a corner the check always samples
    expect(sampledError(shape, { a, b }, wrong, sums)).toBeGreaterThan(1);
    const unwritten = Float32Array.from(c);
    unwritten[0] = Number.NaN;
    expect(sampledError(shape, { a, b }, unwritten, sums)).toBe(Infinity);
    const badSums = Float32Array.from(sums);
    badSums[4]! += 1e-3;
    expect(sampledError(shape, { a, b }, c, badSums)).toBeGreaterThan(1);
  });

  it("merges a table into the tuning file, replacing only the same adapter's", () => {
    const file = join(tempDir('tuning-'), 'tuning.json');
    const table = (adapter: string, variant: 'v1' | 'v3'): MatmulTuning => ({
      adapter,
      measured: 'test',
      choices: { '1x1x1': { variant, splitK: 1 } },
    });
    writeFileSync(file, JSON.stringify([table('a', 'v1'), table('b', 'v1')]));
    writeTuning(file, table('b', 'v3'));
    writeTuning(file, table('c', 'v1'));
    const merged = JSON.parse(readFileSync(file, 'utf8')) as MatmulTuning[];
    expect(merged.map((t) => `${t.adapter}:${t.choices['1x1x1']!.variant}`)).toEqual(['a:v1', 'b:v3', 'c:v1']);
  });
});
