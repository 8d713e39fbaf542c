// Conv2d's implicit GEMMs against the float64 references of reference/conv.ts (PyTorch's
// documented semantics): forward with bias and activation, the input gradient with and without a
// gate, ConvTranspose2d's forward (against the scatter formula, not the gather one), the weight
// gradient with and without split-K, and the per-channel bias gradient, at awkward shapes (odd
// channels, 1×1, stride 2 and 3 on odd sizes, padding 0/1/2, rectangular kernels, batch 1, more
// channels than a tile) and at the DCGAN preset's own layers. Then finite differences of a small
// two-layer network built from the kernels alone. Tolerance: float32Tolerance(Σ|terms|).
import { describe, expect, it } from 'vitest';
import {
  convShape,
  convWeightGradWorkspaceFloats,
  createConv2d,
  createConv2dInputGrad,
  createConv2dWeightGrad,
  createConvTranspose2d,
  transposedAsConv,
  type Conv2dGeometry,
  type ConvShape,
  type ConvTranspose2dGeometry,
} from '../../src/kernels/conv2d.js';
import { createChannelSum } from '../../src/kernels/channelSum.js';
import type { Activation, GpuContext, Kernel } from '../../src/index.js';
import { activate, derivativeFromOutput } from '../../reference/cpu.js';
import {
  channelSumReference,
  conv2dInputGradReference,
  conv2dReference,
  conv2dWeightGradReference,
  convTranspose2dReference,
  type ReferenceTensor,
} from '../../reference/conv.js';
import { float32Tolerance } from '../../reference/numeric.js';
import { expectClose, randomArray, runKernels, useGpu } from '../support/gpu.js';

const gpu = useGpu();

interface Case extends Conv2dGeometry {
  name: string;
}

const CASES: Case[] = [
  { name: '1×1 everything', batch: 1, inChannels: 1, outChannels: 1, inHeight: 1, inWidth: 1, kernelSize: 1 },
  {
    name: 'odd channels, 3×3 pad 1',
    batch: 2,
    inChannels: 3,
    outChannels: 5,
    inHeight: 7,
    inWidth: 9,
    kernelSize: 3,
    padding: 1,
  },
  {
    name: 'stride 2 on odd sizes, 70 outputs',
    batch: 3,
    inChannels: 3,
    outChannels: 70,
    inHeight: 9,
    inWidth: 7,
    kernelSize: 4,
    stride: 2,
    padding: 1,
  },
  { name: 'pad 2, 5×5', batch: 1, inChannels: 2, outChannels: 9, inHeight: 6, inWidth: 6, kernelSize: 5, padding: 2 },
  {
    name: 'stride 3 wider than the kernel',
    batch: 2,
    inChannels: 4,
    outChannels: 3,
    inHeight: 8,
    inWidth: 10,
    kernelSize: 2,
    stride: 3,
  },
  {
    name: 'rectangular kernel, stride and pad',
    batch: 2,
    inChannels: 5,
    outChannels: 6,
    inHeight: 7,
    inWidth: 6,
    kernelSize: [3, 2],
    stride: [2, 1],
    padding: [1, 0],
  },
  {
    name: 'pad 2 stride 2, 67 inputs',
    batch: 2,
    inChannels: 67,
    outChannels: 3,
    inHeight: 5,
    inWidth: 5,
    kernelSize: 3,
    stride: 2,
    padding: 2,
  },
  // The 28×28 DCGAN preset's discriminator layers (batch small).
  {
    name: 'D 1→64 k4 s2 p1',
    batch: 2,
    inChannels: 1,
    outChannels: 64,
    inHeight: 28,
    inWidth: 28,
    kernelSize: 4,
    stride: 2,
    padding: 1,
  },
  {
    name: 'D 64→128 k4 s2 p1',
    batch: 2,
    inChannels: 64,
    outChannels: 128,
    inHeight: 14,
    inWidth: 14,
    kernelSize: 4,
    stride: 2,
    padding: 1,
  },
  {
    name: 'one output pixel from a padded input',
    batch: 3,
    inChannels: 4,
    outChannels: 6,
    inHeight: 3,
    inWidth: 3,
    kernelSize: 5,
    padding: 1,
  },
  // At most 4 input channels: the input gradient's direct kernel (conv_input_grad_direct), with
  // 4×4 pixel blocks that overhang the phases' edges, and taps wider than its 8-element window.
  {
    name: '1 channel, k7 pad 2 (7 tap columns), batch 1',
    batch: 1,
    inChannels: 1,
    outChannels: 3,
    inHeight: 9,
    inWidth: 11,
    kernelSize: 7,
    padding: 2,
  },
  {
    name: '1 channel, k3 stride 1 pad 1, batch 1',
    batch: 1,
    inChannels: 1,
    outChannels: 5,
    inHeight: 13,
    inWidth: 10,
    kernelSize: 3,
    padding: 1,
  },
  {
    name: '3 channels, k3 stride 2 pad 0, odd sizes',
    batch: 2,
    inChannels: 3,
    outChannels: 7,
    inHeight: 11,
    inWidth: 13,
    kernelSize: 3,
    stride: 2,
  },
  {
    name: '4 channels, rectangular kernel, stride [1, 2], pad [2, 0]',
    batch: 3,
    inChannels: 4,
    outChannels: 9,
    inHeight: 6,
    inWidth: 9,
    kernelSize: [5, 2],
    stride: [1, 2],
    padding: [2, 0],
  },
  // At most 16 GEMM columns and more than 8 rows: 64×16 tiles (weight gradient, then forward).
  {
    name: '1 channel k3 s2 p1, 70 outputs, batch 1',
    batch: 1,
    inChannels: 1,
    outChannels: 70,
    inHeight: 9,
    inWidth: 7,
    kernelSize: 3,
    stride: 2,
    padding: 1,
  },
  {
    name: 'six output pixels, 20 outputs',
    batch: 1,
    inChannels: 6,
    outChannels: 20,
    inHeight: 4,
    inWidth: 5,
    kernelSize: 3,
  },
  // Kernel = input, no padding: a matmul (isDense).
  { name: 'D 128→1 k7', batch: 5, inChannels: 128, outChannels: 1, inHeight: 7, inWidth: 7, kernelSize: 7 },
];

/** Uploads arrays, builds kernels, runs them in one submission, reads `outputs` back, frees all. */
async function run(
  ctx: GpuContext,
  inputs: Record<string, Float32Array | number>,
  build: (buffers: Record<string, GPUBuffer>) => Array<Promise<Kernel>>,
  outputs: string[],
): Promise<Record<string, Float32Array>> {
  const buffers: Record<string, GPUBuffer> = {};
  const kernels: Kernel[] = [];
  try {
    for (const [name, data] of Object.entries(inputs)) buffers[name] = ctx.memory.createStorage(name, data);
    for (const kernel of build(buffers)) kernels.push(await kernel);
    await runKernels(ctx, ...kernels);
    const result: Record<string, Float32Array> = {};
    for (const name of outputs) result[name] = await ctx.readF32(buffers[name]!);
    return result;
  } finally {
    for (const k of kernels) k.destroy();
    for (const b of Object.values(buffers)) ctx.memory.release(b);
  }
}

function sizes(s: ConvShape) {
  return {
    x: s.batch * s.inChannels * s.inHeight * s.inWidth,
    y: s.batch * s.outChannels * s.outHeight * s.outWidth,
    w: s.outChannels * s.inChannels * s.kernelH * s.kernelW,
  };
}

function refShape(s: ConvShape) {
  return { ...s };
}

/** Applies f (or multiplies by f' of a gate) to a reference; |f'| ≤ 1 keeps the tolerance valid. */
function mapped(ref: ReferenceTensor, f: (v: number, i: number) => number): Float64Array {
  return ref.values.map(f);
}

function check(actual: Float32Array, expected: ArrayLike<number>, ref: ReferenceTensor, what: string): void {
  expectClose(actual, expected, (i) => float32Tolerance(ref.magnitude[i]!), what);
}

describe('conv2d kernels against float64 references', () => {
  for (const c of CASES) {
    const s = convShape(c);
    const n = sizes(s);
    const x = randomArray(n.x, 11, -1, 1);
    const w = randomArray(n.w, 12, -1, 1);
    const dy = randomArray(n.y, 13, -1, 1);

    it(`${c.name}: forward + bias, leaky-ReLU`, async () => {
      const bias = randomArray(s.outChannels, 14, -1, 1);
      const out = await run(
        gpu.ctx,
        { x, w, bias, y: n.y },
        (b) => [
          createConv2d(gpu.ctx, {
            geometry: c,
            input: b.x!,
            weight: b.w!,
            bias: b.bias!,
            output: b.y!,
            activation: 'leaky-relu',
          }),
        ],
        ['y'],
      );
      const ref = conv2dReference(refShape(s), x, w, bias);
      check(
        out.y!,
        mapped(ref, (v) => activate('leaky-relu', v, 0.2)),
        ref,
        c.name,
      );
    });

    it(`${c.name}: input gradient, plain and gated by tanh'`, async () => {
      const gate = randomArray(n.x, 15, -0.99, 0.99);
      const out = await run(
        gpu.ctx,
        { dy, w, gate, dx: n.x, gated: n.x },
        (b) => [
          createConv2dInputGrad(gpu.ctx, { geometry: c, gradOutput: b.dy!, weight: b.w!, gradInput: b.dx! }),
          createConv2dInputGrad(gpu.ctx, {
            geometry: c,
            gradOutput: b.dy!,
            weight: b.w!,
            gradInput: b.gated!,
            gate: { kind: 'tanh', output: b.gate! },
          }),
        ],
        ['dx', 'gated'],
      );
      const ref = conv2dInputGradReference(refShape(s), dy, w);
      check(out.dx!, ref.values, ref, `${c.name} dx`);
      check(
        out.gated!,
        mapped(ref, (v, i) => v * derivativeFromOutput('tanh', gate[i]!, 0.2)),
        ref,
        `${c.name} gated dx`,
      );
    });

    it(`${c.name}: weight gradient (auto and 3 splits) and bias gradient`, async () => {
      const floats = convWeightGradWorkspaceFloats({ geometry: c, splitK: 3 });
      const out = await run(
        gpu.ctx,
        { dy, x, dw: n.w, dw3: n.w, db: s.outChannels, scratch: Math.max(floats, 4) },
        (b) => [
          createConv2dWeightGrad(gpu.ctx, { geometry: c, gradOutput: b.dy!, input: b.x!, gradWeight: b.dw! }),
          createConv2dWeightGrad(gpu.ctx, {
            geometry: c,
            gradOutput: b.dy!,
            input: b.x!,
            gradWeight: b.dw3!,
            splitK: 3,
            ...(floats > 0 ? { splitWorkspace: b.scratch! } : {}),
          }),
          createChannelSum(gpu.ctx, {
            batch: s.batch,
            channels: s.outChannels,
            pixels: s.outHeight * s.outWidth,
            input: b.dy!,
            output: b.db!,
          }),
        ],
        ['dw', 'dw3', 'db'],
      );
      const ref = conv2dWeightGradReference(refShape(s), dy, x);
      check(out.dw!, ref.values, ref, `${c.name} dw`);
      check(out.dw3!, ref.values, ref, `${c.name} dw, 3 splits`);
      const bias = channelSumReference(dy, s.batch, s.outChannels, s.outHeight * s.outWidth);
      check(out.db!, bias.values, bias, `${c.name} bias gradient`);
    });
  }

  it('splits a long weight-gradient sum on its own and gives the same sums', async () => {
    const c: Conv2dGeometry = {
      batch: 16,
      inChannels: 8,
      outChannels: 16,
      inHeight: 14,
      inWidth: 14,
      kernelSize: 4,
      stride: 2,
      padding: 1,
    };
    expect(convWeightGradWorkspaceFloats({ geometry: c })).toBeGreaterThan(0);
    const s = convShape(c);
    const n = sizes(s);
    const [x, dy] = [randomArray(n.x, 21), randomArray(n.y, 22)];
    const out = await run(
      gpu.ctx,
      { x, dy, dw: n.w },
      (b) => [createConv2dWeightGrad(gpu.ctx, { geometry: c, gradOutput: b.dy!, input: b.x!, gradWeight: b.dw! })],
      ['dw'],
    );
    const ref = conv2dWeightGradReference(refShape(s), dy, x);
    check(out.dw!, ref.values, ref, 'auto split');
  });
});

const TRANSPOSED: Array<ConvTranspose2dGeometry & { name: string; activation?: Activation; noBias?: boolean }> = [
  {
    name: 'G nz→256 k7 from 1×1, no bias (a matmul)',
    noBias: true,
    batch: 3,
    inChannels: 100,
    outChannels: 256,
    inHeight: 1,
    inWidth: 1,
    kernelSize: 7,
  },
  { name: 'G nz→256 k7 from 1×1', batch: 3, inChannels: 100, outChannels: 256, inHeight: 1, inWidth: 1, kernelSize: 7 },
  {
    name: 'G 128→1 k4 s2 p1, tanh',
    batch: 2,
    inChannels: 128,
    outChannels: 1,
    inHeight: 14,
    inWidth: 14,
    kernelSize: 4,
    stride: 2,
    padding: 1,
    activation: 'tanh',
  },
  {
    name: 'odd 3→5 k3 s2 p1, output padding 1',
    batch: 2,
    inChannels: 3,
    outChannels: 5,
    inHeight: 5,
    inWidth: 4,
    kernelSize: 3,
    stride: 2,
    padding: 1,
    outputPadding: 1,
  },
  {
    name: '5→3 (RGB) k4 s2 p1 on odd sizes, batch 1, tanh',
    batch: 1,
    inChannels: 5,
    outChannels: 3,
    inHeight: 7,
    inWidth: 5,
    kernelSize: 4,
    stride: 2,
    padding: 1,
    activation: 'tanh',
  },
  {
    name: '6→1 k5 s2 p2, output padding 1, sigmoid',
    batch: 3,
    inChannels: 6,
    outChannels: 1,
    inHeight: 4,
    inWidth: 3,
    kernelSize: 5,
    stride: 2,
    padding: 2,
    outputPadding: 1,
    activation: 'sigmoid',
  },
  {
    name: 'k2 s3 p0 (gaps between taps), sigmoid',
    batch: 1,
    inChannels: 2,
    outChannels: 66,
    inHeight: 3,
    inWidth: 4,
    kernelSize: 2,
    stride: 3,
    activation: 'sigmoid',
  },
];

// Both GEMM layouts on this adapter, whichever 'auto' picks: 'gpu' (64×64 tiles, 4×4 per thread)
// and 'cpu' (128×128 or 64×128 tiles, 16×16 per thread, K 8 or 16 at a time), at shapes that leave
// every tile ragged, with more rows than one 128-row tile.
describe('conv2d GEMM tiles: gpu and cpu layouts', () => {
  const cases: Case[] = [
    CASES.find((c) => c.name === 'stride 2 on odd sizes, 70 outputs')!,
    CASES.find((c) => c.name === 'pad 2 stride 2, 67 inputs')!,
    {
      name: '130 → 132 channels, k3 s2 p1',
      batch: 2,
      inChannels: 130,
      outChannels: 132,
      inHeight: 9,
      inWidth: 9,
      kernelSize: 3,
      stride: 2,
      padding: 1,
    },
  ];
  for (const tiles of ['gpu', 'cpu'] as const) {
    for (const c of cases) {
      it(`${tiles} tiles, ${c.name}: forward, input gradient, weight gradient`, async () => {
        const s = convShape(c);
        const n = sizes(s);
        const x = randomArray(n.x, 21, -1, 1);
        const w = randomArray(n.w, 22, -1, 1);
        const dy = randomArray(n.y, 23, -1, 1);
        const floats = convWeightGradWorkspaceFloats({ geometry: c, splitK: 3 });
        const out = await run(
          gpu.ctx,
          { x, w, dy, y: n.y, dx: n.x, dw: n.w, dw3: n.w, scratch: Math.max(floats, 4) },
          (b) => [
            createConv2d(gpu.ctx, { geometry: c, input: b.x!, weight: b.w!, output: b.y!, tiles }),
            createConv2dInputGrad(gpu.ctx, { geometry: c, gradOutput: b.dy!, weight: b.w!, gradInput: b.dx!, tiles }),
            createConv2dWeightGrad(gpu.ctx, { geometry: c, gradOutput: b.dy!, input: b.x!, gradWeight: b.dw!, tiles }),
            createConv2dWeightGrad(gpu.ctx, {
              geometry: c,
              gradOutput: b.dy!,
              input: b.x!,
              gradWeight: b.dw3!,
              splitK: 3,
              tiles,
              ...(floats > 0 ? { splitWorkspace: b.scratch! } : {}),
            }),
          ],
          ['y', 'dx', 'dw', 'dw3'],
        );
        const forward = conv2dReference(refShape(s), x, w);
        check(out.y!, forward.values, forward, `${c.name} y`);
        const dx = conv2dInputGradReference(refShape(s), dy, w);
        check(out.dx!, dx.values, dx, `${c.name} dx`);
        const dw = conv2dWeightGradReference(refShape(s), dy, x);
        check(out.dw!, dw.values, dw, `${c.name} dw`);
        check(out.dw3!, dw.values, dw, `${c.name} dw, 3 splits`);
      });
    }
  }
});

describe('ConvTranspose2d forward against the scatter formula', () => {
  for (const t of TRANSPOSED) {
    it(t.name, async () => {
      const conv = convShape(transposedAsConv(t));
      const xSize = t.batch * t.inChannels * t.inHeight * t.inWidth;
      const ySize = t.batch * t.outChannels * conv.inHeight * conv.inWidth;
      const kernel = typeof t.kernelSize === 'number' ? [t.kernelSize, t.kernelSize] : t.kernelSize;
      const x = randomArray(xSize, 31);
      const w = randomArray(t.inChannels * t.outChannels * kernel[0]! * kernel[1]!, 32);
      const bias = randomArray(t.outChannels, 33);
      const out = await run(
        gpu.ctx,
        { x, w, bias, y: ySize },
        (b) => [
          createConvTranspose2d(gpu.ctx, {
            geometry: t,
            input: b.x!,
            weight: b.w!,
            bias: b.bias!,
            output: b.y!,
            activation: t.activation ?? 'none',
          }),
        ],
        ['y'],
      );
      const ref = convTranspose2dReference(
        {
          batch: t.batch,
          inChannels: t.inChannels,
          outChannels: t.outChannels,
          inHeight: t.inHeight,
          inWidth: t.inWidth,
          kernelH: kernel[0]!,
          kernelW: kernel[1]!,
          stride: (t.stride as number | undefined) ?? 1,
          pad: (t.padding as number | undefined) ?? 0,
          outputPadding: (t.outputPadding as number | undefined) ?? 0,
        },
        x,
        w,
        bias,
      );
      check(
        out.y!,
        mapped(ref, (v) => activate(t.activation ?? 'none', v, 0.2)),
        ref,
        t.name,
      );
    });
  }
});

describe('conv2d geometry refusals', () => {
  const base: Conv2dGeometry = { batch: 1, inChannels: 1, outChannels: 1, inHeight: 4, inWidth: 4, kernelSize: 3 };
  it('names what is wrong', () => {
    expect(() => convShape({ ...base, kernelSize: 6 })).toThrow(
      'kernelSize: 6×6 does not fit a 4×4 input padded by 0×0',
    );
    expect(() => convShape({ ...base, stride: 0 })).toThrow('stride: must be at least 1');
    expect(() => convShape({ ...base, padding: -1 })).toThrow('padding: must be a non-negative integer');
    expect(() => convShape({ ...base, batch: 0 })).toThrow('batch');
    expect(() => convShape({ ...base, kernelSize: [2, 1.5] })).toThrow('kernelSize');
    expect(() =>
      transposedAsConv({
        batch: 1,
        inChannels: 1,
        outChannels: 1,
        inHeight: 2,
        inWidth: 2,
        kernelSize: 3,
        stride: 2,
        outputPadding: 2,
      }),
    ).toThrow('outputPadding: must be less than the stride (2×2)');
    const transposed = { batch: 1, inChannels: 1, outChannels: 1, inHeight: 2, inWidth: 2, kernelSize: 3 };
    expect(() => transposedAsConv({ ...transposed, stride: 0 })).toThrow('stride: must be at least 1');
    expect(() => transposedAsConv({ ...transposed, kernelSize: [3, 0] })).toThrow('kernelSize: must be at least 1');
  });

  it('refuses a buffer too small for the geometry, naming the argument', async () => {
    const x = gpu.ctx.memory.createStorage('x', 15);
    const w = gpu.ctx.memory.createStorage('w', 9);
    const y = gpu.ctx.memory.createStorage('y', 4);
    try {
      await expect(createConv2d(gpu.ctx, { geometry: base, input: x, weight: w, output: y })).rejects.toThrow(
        'input: needs 16 f32 elements',
      );
    } finally {
      for (const b of [x, w, y]) gpu.ctx.memory.release(b);
    }
  });
});

// A transposed convolution feeding a convolution, L = Σ r·y, differentiated by the kernels alone
// and by central differences of the float64 forward (h = 1e-4, so O(h²) ≈ 1e-8 against float32
// gradients: 2e-5 absolute + 1e-3 relative, as tests/kernels/backward.test.ts).
describe('conv backward kernels against finite differences', () => {
  const up: ConvTranspose2dGeometry = {
    batch: 2,
    inChannels: 2,
    outChannels: 3,
    inHeight: 3,
    inWidth: 3,
    kernelSize: 3,
    stride: 2,
    padding: 1,
  };
  const upAsConv = transposedAsConv(up);
  const down: Conv2dGeometry = {
    ...convShape(upAsConv),
    inChannels: 3,
    outChannels: 2,
    kernelSize: 3,
    stride: 2,
    padding: 1,
  };
  const upShape = convShape(upAsConv);
  const downShape = convShape(down);
  const params = {
    x: randomArray(2 * 2 * 3 * 3, 41),
    wUp: randomArray(2 * 3 * 9, 42),
    bUp: randomArray(3, 43),
    wDown: randomArray(2 * 3 * 9, 44),
  };
  const r = randomArray(sizes(downShape).y, 45);
  type Params = Record<keyof typeof params, ArrayLike<number>>;

  function loss(p: Params): number {
    const t = {
      batch: 2,
      inChannels: 2,
      outChannels: 3,
      inHeight: 3,
      inWidth: 3,
      kernelH: 3,
      kernelW: 3,
      stride: 2,
      pad: 1,
      outputPadding: 0,
    };
    const h = convTranspose2dReference(t, p.x, p.wUp, p.bUp).values.map((v) => Math.tanh(v));
    const y = conv2dReference(refShape(downShape), h, p.wDown).values;
    return y.reduce((sum, v, i) => sum + v * r[i]!, 0);
  }

  function numeric(name: keyof Params): Float64Array {
    const values = Float64Array.from(params[name]);
    return values.map((original, i) => {
      const at = (v: number) => {
        const copy = Float64Array.from(values);
        copy[i] = v;
        return loss({ ...params, [name]: copy });
      };
      return (at(original + 1e-4) - at(original - 1e-4)) / 2e-4;
    });
  }

  it('gives every parameter and the input the gradient the float64 forward has', async () => {
    const ctx = gpu.ctx;
    const [hSize, xSize] = [sizes(upShape).x, sizes(upShape).y];
    const out = await run(
      ctx,
      { ...params, r, h: hSize, dz: hSize, dx: xSize, gwUp: params.wUp.length, gbUp: 3, gwDown: params.wDown.length },
      (b) => [
        createConvTranspose2d(ctx, {
          geometry: up,
          input: b.x!,
          weight: b.wUp!,
          bias: b.bUp!,
          output: b.h!,
          activation: 'tanh',
        }),
        createConv2dWeightGrad(ctx, { geometry: down, gradOutput: b.r!, input: b.h!, gradWeight: b.gwDown! }),
        createConv2dInputGrad(ctx, {
          geometry: down,
          gradOutput: b.r!,
          weight: b.wDown!,
          gradInput: b.dz!,
          gate: { kind: 'tanh', output: b.h! },
        }),
        // The transposed convolution's backward: its input gradient is a convolution's forward,
        // its weight gradient a convolution's weight gradient with input and output swapped.
        createConv2d(ctx, { geometry: upAsConv, input: b.dz!, weight: b.wUp!, output: b.dx! }),
        createConv2dWeightGrad(ctx, { geometry: upAsConv, gradOutput: b.x!, input: b.dz!, gradWeight: b.gwUp! }),
        createChannelSum(ctx, {
          batch: 2,
          channels: 3,
          pixels: upShape.inHeight * upShape.inWidth,
          input: b.dz!,
          output: b.gbUp!,
        }),
      ],
      ['dx', 'gwUp', 'gbUp', 'gwDown'],
    );
    const tolerance = (expected: Float64Array) => (i: number) => 2e-5 + 1e-3 * Math.abs(expected[i]!);
    for (const [gpuName, name] of [
      ['dx', 'x'],
      ['gwUp', 'wUp'],
      ['gbUp', 'bUp'],
      ['gwDown', 'wDown'],
    ] as const) {
      const expected = numeric(name);
      expect(
        expected.some((v) => Math.abs(v) > 1e-3),
        `${name} has a gradient to check`,
      ).toBe(true);
      expectClose(out[gpuName]!, expected, tolerance(expected), `d loss / d ${name}`);
    }
  });
});
