// Backward kernels against finite differences on a small MLP built from the kernels alone (the
// passes of src/nn/passes.ts are tested in tests/nn/passes.test.ts):
//   logits = (f(X·W1 + b1))·W2 + b2,  loss = mean BCE(logits, targets)
// The GPU's gradients (matmul with transposes, the fused f' gate or the stand-alone activation
// backward, bias column sums, BCE gradient) are compared with central differences of the float64
// forward. Tolerance 2e-5 absolute + 1e-3 relative: float32 gradients against an O(h²) ≈ 1e-10
// difference quotient.
import { describe, it } from 'vitest';
import {
  createActivationBackward,
  createActivationForward,
  createBceWithLogits,
  createBiasGrad,
  createMatmul,
  type Activation,
  type Kernel,
  type GpuContext,
} from '../../src/index.js';
import { activate, bceReference } from '../../reference/cpu.js';
import { expectClose, randomArray, runKernels, useGpu } from '../support/gpu.js';

const gpu = useGpu();
const [B, I, H] = [5, 7, 6];
const SPLIT = 3; // rows < 3 have target 0.9, the rest 0
const TARGETS: [number, number] = [0.9, 0];

interface Params {
  x: Float32Array;
  w1: Float32Array;
  b1: Float32Array;
  w2: Float32Array;
  b2: Float32Array;
}
type Hidden = Exclude<Activation, 'none'>;

function lossF64(p: Params, hidden: Hidden): number {
  const logits = new Float64Array(B);
  for (let r = 0; r < B; r++) {
    let logit = p.b2[0]!;
    for (let j = 0; j < H; j++) {
      let z = p.b1[j]!;
      for (let i = 0; i < I; i++) z += p.x[r * I + i]! * p.w1[i * H + j]!;
      logit += activate(hidden, z, 0.2) * p.w2[j]!;
    }
    logits[r] = logit;
  }
  return bceReference(logits, SPLIT, TARGETS[0], TARGETS[1]).loss;
}

/** Central differences in float64 for every entry of one parameter. */
function numericGradient(p: Params, name: keyof Params, hidden: Hidden): Float64Array {
  const values = p[name];
  const grad = new Float64Array(values.length);
  const h = 1e-4;
  for (let i = 0; i < values.length; i++) {
    const original = values[i]!;
    // Perturb in float64 through a copy, since the parameter arrays are float32.
    const plus = { ...p, [name]: Float64Array.from(values) } as unknown as Params;
    (plus[name] as unknown as Float64Array)[i] = original + h;
    const minus = { ...p, [name]: Float64Array.from(values) } as unknown as Params;
    (minus[name] as unknown as Float64Array)[i] = original - h;
    grad[i] = (lossF64(plus, hidden) - lossF64(minus, hidden)) / (2 * h);
  }
  return grad;
}

async function gpuGradients(
  ctx: GpuContext,
  p: Params,
  hidden: Hidden,
  fused: boolean,
): Promise<Record<keyof Params, Float32Array>> {
  const mem = ctx.memory;
  const buf = {
    x: mem.createStorage('x', p.x),
    w1: mem.createStorage('w1', p.w1),
    b1: mem.createStorage('b1', p.b1),
    w2: mem.createStorage('w2', p.w2),
    b2: mem.createStorage('b2', p.b2),
    z: mem.createStorage('z (pre-activation)', B * H),
    h: mem.createStorage('h', B * H),
    logits: mem.createStorage('logits', B),
    dLogits: mem.createStorage('dLogits', B),
    stats: mem.createStorage('stats', 3),
    dH: mem.createStorage('dH', B * H),
    dZ: mem.createStorage('dZ', B * H),
    gx: mem.createStorage('gx', B * I),
    gw1: mem.createStorage('gw1', I * H),
    gb1: mem.createStorage('gb1', H),
    gw2: mem.createStorage('gw2', H),
    gb2: mem.createStorage('gb2', 1),
  };
  const kernels: Kernel[] = [];
  const add = async (k: Promise<Kernel>) => {
    kernels.push(await k);
  };
  try {
    // Forward: hidden layer fused into the matmul, or a plain matmul then the activation kernel.
    if (fused)
      await add(
        createMatmul(ctx, { m: B, n: H, k: I, a: buf.x, b: buf.w1, bias: buf.b1, c: buf.h, activation: hidden }),
      );
    else {
      await add(createMatmul(ctx, { m: B, n: H, k: I, a: buf.x, b: buf.w1, bias: buf.b1, c: buf.z }));
      await add(createActivationForward(ctx, { activation: hidden, n: B * H, input: buf.z, output: buf.h }));
    }
    await add(createMatmul(ctx, { m: B, n: 1, k: H, a: buf.h, b: buf.w2, bias: buf.b2, c: buf.logits }));
    await add(
      createBceWithLogits(ctx, {
        n: B,
        logits: buf.logits,
        gradLogits: buf.dLogits,
        stats: buf.stats,
        split: SPLIT,
        targetFirst: TARGETS[0],
        targetSecond: TARGETS[1],
      }),
    );
    // Backward.
    await add(createMatmul(ctx, { m: H, n: 1, k: B, a: buf.h, b: buf.dLogits, c: buf.gw2, transposeA: true }));
    await add(createBiasGrad(ctx, { rows: B, cols: 1, grad: buf.dLogits, gradBias: buf.gb2 }));
    if (fused)
      await add(
        createMatmul(ctx, {
          m: B,
          n: H,
          k: 1,
          a: buf.dLogits,
          b: buf.w2,
          c: buf.dZ,
          transposeB: true,
          gate: { kind: hidden, output: buf.h },
        }),
      );
    else {
      await add(createMatmul(ctx, { m: B, n: H, k: 1, a: buf.dLogits, b: buf.w2, c: buf.dH, transposeB: true }));
      await add(
        createActivationBackward(ctx, {
          activation: hidden,
          n: B * H,
          gradOutput: buf.dH,
          output: buf.h,
          gradInput: buf.dZ,
        }),
      );
    }
    await add(createMatmul(ctx, { m: I, n: H, k: B, a: buf.x, b: buf.dZ, c: buf.gw1, transposeA: true }));
    await add(createBiasGrad(ctx, { rows: B, cols: H, grad: buf.dZ, gradBias: buf.gb1 }));
    await add(createMatmul(ctx, { m: B, n: I, k: H, a: buf.dZ, b: buf.w1, c: buf.gx, transposeB: true }));
    await runKernels(ctx, ...kernels);
    return {
      x: await ctx.readF32(buf.gx),
      w1: await ctx.readF32(buf.gw1),
      b1: await ctx.readF32(buf.gb1),
      w2: await ctx.readF32(buf.gw2),
      b2: await ctx.readF32(buf.gb2),
    };
  } finally {
    for (const k of kernels) k.destroy();
    for (const b of Object.values(buf)) mem.release(b);
  }
}

describe('backward kernels vs finite differences (MLP 7→6→1, BCE)', () => {
  for (const hidden of ['leaky-relu', 'tanh', 'sigmoid'] as const) {
    for (const fused of [true, false]) {
      const kind = fused ? 'fused epilogue and gate' : 'stand-alone activation kernels';
      it(`${hidden} hidden layer, ${kind}`, async () => {
        const p: Params = {
          x: randomArray(B * I, 11),
          w1: randomArray(I * H, 12),
          b1: randomArray(H, 13, -0.5, 0.5),
          w2: randomArray(H, 14),
          b2: randomArray(1, 15, -0.5, 0.5),
        };
        const grads = await gpuGradients(gpu.ctx, p, hidden, fused);
        for (const name of ['x', 'w1', 'b1', 'w2', 'b2'] as const) {
          const numeric = numericGradient(p, name, hidden);
          expectClose(grads[name], numeric, (i) => 2e-5 + 1e-3 * Math.abs(numeric[i]!), `d loss / d ${name}`);
        }
      });
    }
  }
});
