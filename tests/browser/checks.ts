// Kernel checks that run inside a web page on the browser's own WebGPU, against the same float64
// references as the Node tests. tests/browser.test.ts loads them in headless Chromium.
import { AdamKernel, acquireGpu, createBceWithLogits, createMatmul, createRandomFill, formatAdapter, StepCounter, type GpuContext } from '../../src/index.js';
import { adamReference, bceReference, matmulReference, uniformReference } from '../reference/cpu.js';
import { compare, randomArray, runKernels as run, type Comparison } from '../support/numeric.js';

export interface CheckResult extends Comparison {
  name: string;
  error?: string;
}

type Check = (ctx: GpuContext) => Promise<Comparison>;

function matmulCheck(m: number, n: number, k: number, transposeA: boolean, transposeB: boolean): Check {
  return async (ctx) => {
    const a = randomArray(m * k, 1), b = randomArray(k * n, 2), bias = randomArray(n, 3);
    const mem = ctx.memory;
    const bufs = [mem.createStorage('a', a), mem.createStorage('b', b), mem.createStorage('bias', bias), mem.createStorage('c', m * n)] as const;
    const kernel = await createMatmul(ctx, { m, n, k, a: bufs[0], b: bufs[1], bias: bufs[2], c: bufs[3], transposeA, transposeB, activation: 'tanh' });
    await run(ctx, kernel);
    kernel.destroy();
    const got = await ctx.readF32(bufs[3]);
    bufs.forEach((x) => mem.release(x));
    const ref = matmulReference({ m, n, k, a, b, bias, transposeA, transposeB, activation: 'tanh' });
    return compare(got, ref.c, (i) => 2e-6 * ref.magnitude[i]! + 1e-6);
  };
}

const bceCheck: Check = async (ctx) => {
  const logits = Float32Array.of(1e4, -1e4, 80, -80, 0, 0.5, -2, 3);
  const mem = ctx.memory;
  const bufs = [mem.createStorage('logits', logits), mem.createStorage('grad', 8), mem.createStorage('stats', 3)] as const;
  const kernel = await createBceWithLogits(ctx, { n: 8, logits: bufs[0], gradLogits: bufs[1], stats: bufs[2], split: 4, targetFirst: 0.9, targetSecond: 0 });
  await run(ctx, kernel);
  kernel.destroy();
  const got = [...(await ctx.readF32(bufs[1])), ...(await ctx.readF32(bufs[2]))];
  bufs.forEach((x) => mem.release(x));
  const ref = bceReference(logits, 4, 0.9, 0);
  return compare(got, [...ref.grad, ref.loss, ref.meanFirst, ref.meanSecond], (i) => (i < 8 ? 1e-7 : 1e-3 + 1e-6 * 1e4));
};

const adamCheck: Check = async (ctx) => {
  const n = 1000;
  const hyper = { lr: 2e-4, beta1: 0.5, beta2: 0.999, epsilon: 1e-8, weightDecay: 0 };
  const w0 = randomArray(n, 4);
  const mem = ctx.memory;
  const [w, g, m, v] = [mem.createStorage('w', w0), mem.createStorage('g', n), mem.createStorage('m', n), mem.createStorage('v', n)];
  const counter = await StepCounter.create(ctx);
  const adam = await AdamKernel.create(ctx, { n, weights: w, grads: g, moment1: m, moment2: v, stepCount: counter.buffer, ...hyper });
  const ref = { weights: Float64Array.from(w0), m: new Float64Array(n), v: new Float64Array(n) };
  const f32 = { lr: Math.fround(hyper.lr), beta1: 0.5, beta2: Math.fround(hyper.beta2), epsilon: Math.fround(hyper.epsilon), weightDecay: 0 };
  for (let t = 1; t <= 10; t++) {
    const grads = randomArray(n, 10 + t);
    ctx.write(g, grads);
    await run(ctx, counter, adam);
    adamReference(ref, grads, t, f32);
  }
  const got = await ctx.readF32(w);
  adam.destroy();
  counter.destroy();
  [w, g, m, v].forEach((x) => mem.release(x));
  return compare(got, ref.weights, (i) => 2e-6 * Math.abs(ref.weights[i]!) + 1e-7);
};

const randomCheck: Check = async (ctx) => {
  const n = 1003, seed = 0x1234_5678_9abc;
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
  'BCE with logits at ±1e4, ±80, 0': bceCheck,
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
