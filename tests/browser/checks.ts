// Kernel checks that run inside a web page on the browser's own WebGPU, against the same float64
// references as the Node tests. tests/browser.test.ts loads them in headless Chromium.
import {
  createAdam,
  acquireGpu,
  createBceWithLogits,
  createLogitHead,
  createMatmul,
  createRandomFill,
  formatAdapter,
  createStepCounter,
  type GpuContext,
} from '../../src/index.js';
import {
  adamReference,
  bceReference,
  logitHeadReference,
  matmulReference,
  uniformReference,
} from '../../reference/cpu.js';
import { compare, float32Tolerance, randomArray, runKernels as run, type Comparison } from '../../reference/numeric.js';

export interface CheckResult extends Comparison {
  name: string;
  error?: string;
}

type Check = (ctx: GpuContext) => Promise<Comparison>;

function matmulCheck(
  m: number,
  n: number,
  k: number,
  transposeA: boolean,
  transposeB: boolean,
  variant: 'auto' | 'v4' | 'v5' = 'auto',
): Check {
  return async (ctx) => {
    const a = randomArray(m * k, 1),
      b = randomArray(k * n, 2),
      bias = randomArray(n, 3);
    const mem = ctx.memory;
    const bufs = [
      mem.createStorage('a', a),
      mem.createStorage('b', b),
      mem.createStorage('bias', bias),
      mem.createStorage('c', m * n),
    ] as const;
    const kernel = await createMatmul(ctx, {
      m,
      n,
      k,
      a: bufs[0],
      b: bufs[1],
      bias: bufs[2],
      c: bufs[3],
      transposeA,
      transposeB,
      activation: 'tanh',
      variant,
    });
    await run(ctx, kernel);
    kernel.destroy();
    const got = await ctx.readF32(bufs[3]);
    bufs.forEach((x) => {
      mem.release(x);
    });
    const ref = matmulReference({ m, n, k, a, b, bias, transposeA, transposeB, activation: 'tanh' });
    return compare(got, ref.c, (i) => float32Tolerance(ref.magnitude[i]!));
  };
}

const bceCheck: Check = async (ctx) => {
  const logits = Float32Array.of(1e4, -1e4, 80, -80, 0, 0.5, -2, 3);
  const mem = ctx.memory;
  const bufs = [
    mem.createStorage('logits', logits),
    mem.createStorage('grad', 8),
    mem.createStorage('stats', 3),
  ] as const;
  const kernel = await createBceWithLogits(ctx, {
    n: 8,
    logits: bufs[0],
    gradLogits: bufs[1],
    stats: bufs[2],
    split: 4,
    targetFirst: 0.9,
    targetSecond: 0,
  });
  await run(ctx, kernel);
  kernel.destroy();
  const got = [...(await ctx.readF32(bufs[1])), ...(await ctx.readF32(bufs[2]))];
  bufs.forEach((x) => {
    mem.release(x);
  });
  const ref = bceReference(logits, 4, 0.9, 0);
  return compare(got, [...ref.grad, ref.loss, ref.meanFirst, ref.meanSecond], (i) =>
    i < 8 ? 1e-7 : 1e-3 + 1e-6 * 1e4,
  );
};

/** The fused logit head over more rows than one workgroup takes (its two-dispatch form). */
const logitHeadCheck: Check = async (ctx) => {
  const [rows, width, split] = [1100, 20, 550];
  const input = randomArray(rows * width, 5),
    weight = randomArray(width, 6),
    bias = Float32Array.of(0.1);
  const mem = ctx.memory;
  const bufs = [input, weight, bias, rows * width, width, 1, 3].map((x, i) => mem.createStorage(`head ${i}`, x));
  const [a, w, b, dA, dW, dB, stats] = bufs as [
    GPUBuffer,
    GPUBuffer,
    GPUBuffer,
    GPUBuffer,
    GPUBuffer,
    GPUBuffer,
    GPUBuffer,
  ];
  const kernel = await createLogitHead(ctx, {
    rows,
    width,
    input: a,
    weight: w,
    bias: b,
    stats,
    split,
    targetFirst: 0,
    targetSecond: 0.9,
    inputGrad: { output: dA, gate: 'leaky-relu', leakySlope: 0.2 },
    paramGrads: { weight: dW, bias: dB },
  });
  await run(ctx, kernel);
  kernel.destroy();
  const got = [
    ...(await ctx.readF32(dA)),
    ...(await ctx.readF32(dW)),
    ...(await ctx.readF32(dB)),
    ...(await ctx.readF32(stats)),
  ];
  bufs.forEach((x) => {
    mem.release(x);
  });
  const ref = logitHeadReference(
    input,
    rows,
    width,
    weight,
    0.1,
    { split, targetFirst: 0, targetSecond: 0.9 },
    { kind: 'leaky-relu', alpha: 0.2 },
  );
  const want = [...ref.inputGrad, ...ref.weightGrad, ref.biasGrad, ref.bce.loss, ref.bce.meanFirst, ref.bce.meanSecond];
  // Logits of ~20 terms of size 1 carry ~1e-5 of error; every output is within that of its scale.
  const scale = [...ref.inputGrad.map(() => 1 / rows), ...ref.weightGrad.map(() => 1), 1, 1, 1, 1];
  return compare(got, want, (i) => 1e-5 * (Math.abs(want[i]!) + scale[i]!));
};

const adamCheck: Check = async (ctx) => {
  const n = 1000;
  const hyper = { lr: 2e-4, beta1: 0.5, beta2: 0.999, epsilon: 1e-8, weightDecay: 0 };
  const w0 = randomArray(n, 4);
  const mem = ctx.memory;
  const [w, g, m, v] = [
    mem.createStorage('w', w0),
    mem.createStorage('g', n),
    mem.createStorage('m', n),
    mem.createStorage('v', n),
  ];
  const counter = await createStepCounter(ctx);
  const adam = await createAdam(ctx, {
    n,
    weights: w,
    grads: g,
    moment1: m,
    moment2: v,
    stepCount: counter.buffer,
    ...hyper,
  });
  const ref = { weights: Float64Array.from(w0), m: new Float64Array(n), v: new Float64Array(n) };
  const f32 = {
    lr: Math.fround(hyper.lr),
    beta1: 0.5,
    beta2: Math.fround(hyper.beta2),
    epsilon: Math.fround(hyper.epsilon),
    weightDecay: 0,
  };
  for (let t = 1; t <= 10; t++) {
    const grads = randomArray(n, 10 + t);
    ctx.write(g, grads);
    await run(ctx, counter, adam);
    adamReference(ref, grads, t, f32);
  }
  const got = await ctx.readF32(w);
  adam.destroy();
  counter.destroy();
  [w, g, m, v].forEach((x) => {
    mem.release(x);
  });
  return compare(got, ref.weights, (i) => float32Tolerance(Math.abs(ref.weights[i]!), 1e-7));
};

const randomCheck: Check = async (ctx) => {
  const n = 1003,
    seed = 0x1234_5678_9abc;
  const out = ctx.memory.createStorage('random', n);
  const kernel = await createRandomFill(ctx, { n, output: out, seed, stream: 3, distribution: { kind: 'uniform' } });
  await run(ctx, kernel);
  kernel.destroy();
  const got = await ctx.readF32(out);
  ctx.memory.release(out);
  // Bit-identical to the reference: any difference at all fails.
  return compare(got, uniformReference(n, seed, 3, 0), () => Number.MIN_VALUE);
};

export const CHECKS: Record<string, Check> = {
  'matmul 37×53×19 A·B + bias, tanh': matmulCheck(37, 53, 19, false, false),
  'matmul 100×129×67 Aᵀ·Bᵀ + bias, tanh': matmulCheck(100, 129, 67, true, true),
  'matmul 64×128×100 A·Bᵀ + bias, tanh (a GAN layer)': matmulCheck(64, 128, 100, false, true),
  'matmul v4 (vec4 loads) 100×132×68 Aᵀ·B + bias, tanh': matmulCheck(100, 132, 68, true, false, 'v4'),
  'matmul v5 (128×64 tiles) 132×100×68 A·Bᵀ + bias, tanh': matmulCheck(132, 100, 68, false, true, 'v5'),
  'BCE with logits at ±1e4, ±80, 0': bceCheck,
  'logit head, 1100 rows (two dispatches)': logitHeadCheck,
  'Adam, 10 steps': adamCheck,
  'Philox uniforms bit-identical to the reference': randomCheck,
};

/** Runs every check on the page's WebGPU and reports each, never throwing. */
export async function runChecks(): Promise<{ adapter: string; results: CheckResult[]; leakedBuffers: number }> {
  const ctx = await acquireGpu();
  const baseline = ctx.memory.liveBuffers().length; // the context's own placeholders
  const results: CheckResult[] = [];
  for (const [name, check] of Object.entries(CHECKS)) {
    try {
      results.push({ name, ...(await check(ctx)) });
    } catch (error) {
      results.push({ name, ratio: Infinity, detail: '', error: String(error) });
    }
  }
  const leakedBuffers = ctx.memory.liveBuffers().length - baseline;
  const adapter = formatAdapter(ctx.adapter);
  ctx.destroy();
  return { adapter, results, leakedBuffers };
}
