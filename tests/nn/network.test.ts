// Models as data: layouts and PyTorch names of the presets (parameter counts as PyTorch's
// Sequential counts them), clear refusals of lists that cannot run, the forward pass of mixed
// networks (convolution, transposed convolution, batch norm, linear, flatten) against the float64
// reference, their backward pass against central differences of that reference, and the MLP as a
// layer list planning exactly the matmuls of src/nn/passes.ts (so it trains bit for bit as before).
// Gaussian-noise layers draw Philox numbers that the reference draws too (normalReference).
import { describe, expect, it } from 'vitest';
import type { GpuContext, Kernel } from '../../src/index.js';
import { layoutModel, type Layer } from '../../src/nn/model.js';
import { buildPlan, forwardPlan, NetworkParameters, type NetworkSpec } from '../../src/nn/network.js';
import { backwardPlan, gradientTakesActivation } from '../../src/nn/networkBackward.js';
import { dcganDiscriminator, dcganGenerator, mlpDiscriminator, mlpGenerator } from '../../src/nn/presets.js';
import { MlpParameters } from '../../src/nn/mlp.js';
import { backwardMatmulSpecs, forwardMatmulSpecs } from '../../src/nn/passes.js';
import {
  blockIndex,
  networkBackwardReference,
  networkForwardReference,
  type NoiseValues,
} from '../../reference/network.js';
import { normalReference } from '../../reference/cpu.js';
import { expectClose, randomArray, runKernels, useGpu } from '../support/gpu.js';

const gpu = useGpu();

describe('model layouts', () => {
  it("places the 28×28 DCGAN's tensors under PyTorch's names and counts its parameters as PyTorch does", () => {
    const g = layoutModel(
      [100, 1, 1],
      dcganGenerator({ noise: 100, channels: 1, side: 28, discriminatorBatchNorm: true }),
    );
    expect(g.outShape).toEqual([1, 28, 28]);
    const names = g.layers.flatMap((p) =>
      [p.weight, p.bias, p.runningMean].filter(Boolean).map((v) => `${v!.name} [${v!.shape}]`),
    );
    expect(names).toEqual([
      '0.weight [100,256,7,7]',
      '1.weight [256]',
      '1.bias [256]',
      '1.running_mean [256]',
      '3.weight [256,128,4,4]',
      '4.weight [128]',
      '4.bias [128]',
      '4.running_mean [128]',
      '6.weight [128,1,4,4]',
    ]);
    // 100·256·49 + 2·256 + 256·128·16 + 2·128 + 128·16
    expect(g.parameterCount).toBe(1_781_504);
    const d = layoutModel(
      [1, 28, 28],
      dcganDiscriminator({ noise: 100, channels: 1, side: 28, discriminatorBatchNorm: true }),
    );
    expect(d.outShape).toEqual([1, 1, 1]);
    expect(d.parameterCount).toBe(1024 + 131_072 + 256 + 6272);
  });

  it("places weight normalisation's g of each linear and conv2d layer as weight_g, after the layers", () => {
    const d = layoutModel(
      [1, 28, 28],
      dcganDiscriminator({ noise: 100, channels: 1, side: 28, discriminatorBatchNorm: false }),
      'layers',
      { weightNorm: true },
    );
    const scales = d.layers.filter((p) => p.weightScale).map((p) => `${p.weightScale!.name} [${p.weightScale!.shape}]`);
    expect(scales).toEqual(['0.weight_g [64,1,1,1]', '2.weight_g [128,1,1,1]', '4.weight_g [1,1,1,1]']);
    const plain = layoutModel(
      d.inShape,
      d.layers.map((p) => p.layer),
    );
    // The layers' own tensors keep their places; g comes after them, one row per output channel.
    expect(d.layers.map((p) => p.weight?.offset)).toEqual(plain.layers.map((p) => p.weight?.offset));
    expect(d.parameterCount).toBe(plain.parameterCount + 64 + 128 + 1);
    expect(d.layers[0]!.weightScale!.offset).toBeGreaterThanOrEqual(plain.parameterFloats);
    const mlp = layoutModel(
      [784],
      [
        { kind: 'linear', out: 5 },
        { kind: 'activation', fn: 'relu' },
        { kind: 'linear', out: 1 },
      ],
      'layers',
      {
        weightNorm: true,
      },
    );
    expect(mlp.layers.filter((p) => p.weightScale).map((p) => p.weightScale!.shape)).toEqual([
      [5, 1],
      [1, 1],
    ]);
    // What it does not take: a transposed convolution (PyTorch's dim 0 is its input there) and class columns.
    expect(() =>
      layoutModel([4, 1, 1], [{ kind: 'conv-transpose2d', out: 2, kernel: 3 }], 'layers', { weightNorm: true }),
    ).toThrow(
      /^layers\[0\]: weight normalisation takes linear and conv2d layers without class columns, not a conv-transpose2d/,
    );
    expect(() => layoutModel([4], [{ kind: 'linear', out: 2, classes: 3 }], 'layers', { weightNorm: true })).toThrow(
      /not a linear layer with class columns/,
    );
  });

  it('builds the 64×64 and 32×32 colour presets of examples/dcgan', () => {
    const spec = { noise: 100, channels: 3, discriminatorBatchNorm: true };
    const g64 = layoutModel([100, 1, 1], dcganGenerator({ ...spec, side: 64 }));
    expect(g64.outShape).toEqual([3, 64, 64]);
    // examples/dcgan's Generator (ngf 64, nz 100, nc 3) has 3,576,704 parameters.
    expect(g64.parameterCount).toBe(3_576_704);
    const d64 = layoutModel([3, 64, 64], dcganDiscriminator({ ...spec, side: 64 }));
    // …and its Discriminator (ndf 64) 2,765,568.
    expect(d64.parameterCount).toBe(2_765_568);
    expect(layoutModel([100, 1, 1], dcganGenerator({ ...spec, side: 32 })).outShape).toEqual([3, 32, 32]);
    expect(layoutModel([3, 32, 32], dcganDiscriminator({ ...spec, side: 32 })).outShape).toEqual([1, 1, 1]);
    expect(() => dcganGenerator({ ...spec, side: 48 })).toThrow('dcgan builds 28, 32, 64-pixel images, not 48');
  });

  it('refuses lists that cannot run, naming the layer', () => {
    expect(() => layoutModel([784], [{ kind: 'conv2d', out: 4, kernel: 3 }])).toThrow(
      'layers[0]: conv2d needs an image input',
    );
    expect(() => layoutModel([1, 4, 4], [{ kind: 'linear', out: 4 }])).toThrow(
      'layers[0]: linear needs a vector input [F], got [1,4,4]; add a flatten',
    );
    expect(() => layoutModel([1, 4, 4], [{ kind: 'conv2d', out: 2, kernel: 5 }])).toThrow(
      'layers[0]: kernelSize: 5×5 does not fit',
    );
    expect(() => layoutModel([12], [{ kind: 'unflatten', shape: [1, 3, 3] }])).toThrow(
      'layers[0].shape: must be [C, H, W] holding the input',
    );
    expect(() => layoutModel([12], [{ kind: 'dense' } as unknown as Layer])).toThrow('layers[0].kind: must be linear');
    expect(() => layoutModel([12], [])).toThrow('layers: must list at least one layer');
    const spec = (layers: Layer[]): NetworkSpec => ({ input: [4], layers, leakySlope: 0.2 });
    expect(
      () =>
        new NetworkParameters(
          gpu.ctx,
          spec([
            { kind: 'activation', fn: 'tanh' },
            { kind: 'linear', out: 2 },
          ]),
          'N',
        ),
    ).toThrow('layers[0]: an activation must come right after');
    expect(() => new NetworkParameters(gpu.ctx, spec([{ kind: 'flatten' }]), 'N')).toThrow('need at least one linear');
    const noisy = spec([
      { kind: 'linear', out: 2 },
      { kind: 'gaussian-noise', sigma: 0.5 },
      { kind: 'activation', fn: 'tanh' },
    ]);
    expect(() => new NetworkParameters(gpu.ctx, noisy, 'N')).toThrow('layers[2]: an activation must come right after');
    const added = spec([{ kind: 'linear', out: 2 }, { kind: 'add-input' }, { kind: 'activation', fn: 'tanh' }]);
    expect(() => layoutModel([4], added.layers)).toThrow(
      "layers[1]: add-input adds the network's input [4] to its own input, which is [2]",
    );
    const addThenActivate = spec([
      { kind: 'linear', out: 4 },
      { kind: 'add-input' },
      { kind: 'activation', fn: 'tanh' },
    ]);
    expect(() => new NetworkParameters(gpu.ctx, addThenActivate, 'N')).toThrow(
      'layers[2]: an activation must come right after',
    );
    expect(() => layoutModel([4], [{ kind: 'gaussian-noise', sigma: -1 }])).toThrow('layers[0].sigma: must be >= 0');
    expect(() => layoutModel([4], [{ kind: 'gaussian-noise', sigma: NaN }])).toThrow(
      'layers[0].sigma: must be a finite',
    );
  });

  it('refuses a training pass through a Gaussian-noise layer without its draw, and copies in eval mode', async () => {
    const { ctx } = gpu;
    const net = new NetworkParameters(
      ctx,
      { input: [3], layers: [{ kind: 'gaussian-noise', sigma: 2 }], leakySlope: 0.2 },
      'N',
    );
    const x = ctx.memory.createStorage('x', Float32Array.from([1, -2, 3, 0.5, 0, -1]));
    const y = ctx.memory.createStorage('y', 6);
    try {
      const pass = { rows: 2, input: x, outputs: [y], stats: [] };
      expect(() => forwardPlan(net, { ...pass, mode: 'train' })).toThrow('N has a Gaussian-noise layer');
      const kernels = await buildPlan(ctx, forwardPlan(net, { ...pass, mode: 'eval' }));
      await runKernels(ctx, ...kernels);
      expect(Array.from(await ctx.readF32(y))).toEqual([1, -2, 3, 0.5, 0, -1]);
      for (const k of kernels) k.destroy();
    } finally {
      net.destroy();
      ctx.memory.release(x);
      ctx.memory.release(y);
    }
  });
});

describe('add-input layers', () => {
  it('add the input in eval mode too, first or later; refuse an input gradient through them, not before', async () => {
    const { ctx } = gpu;
    const spec: NetworkSpec = {
      input: [3],
      layers: [{ kind: 'linear', out: 3, bias: false }, { kind: 'add-input' }],
      leakySlope: 0.2,
    };
    const net = new NetworkParameters(ctx, spec, 'N');
    const buffers = [Float32Array.from([1, -2, 3, 0.5, 0, -1]), 6, 6, 6, 6, 6].map((data, i) =>
      ctx.memory.createStorage(`b${i}`, data),
    );
    const [x, h, y, gh, gy, dx] = buffers as [GPUBuffer, GPUBuffer, GPUBuffer, GPUBuffer, GPUBuffer, GPUBuffer];
    try {
      ctx.write(net.weights, Float32Array.from([2, 0, 0, 0, 2, 0, 0, 0, 2]));
      const pass = { rows: 2, input: x, outputs: [h, y], stats: [null, null] };
      const kernels = await buildPlan(ctx, forwardPlan(net, { ...pass, mode: 'eval' }));
      await runKernels(ctx, ...kernels);
      // 2x + x, row by row.
      expect(Array.from(await ctx.readF32(y))).toEqual([3, -6, 9, 1.5, 0, -3]);
      for (const k of kernels) k.destroy();
      expect(() => backwardPlan(net, { ...pass, grads: [gh, gy], inputGrad: { output: dx } })).toThrow(
        'inputGrad: N has an add-input layer: its backward gives no gradient with respect to its input',
      );
      // A pass that stops before the add-input (blocks: 1) gives it: dL/dx = dL/dh · W = 2 dL/dh.
      ctx.write(gh, Float32Array.from([1, 2, 3, -1, 0.5, 4]));
      const below = await buildPlan(
        ctx,
        backwardPlan(net, { ...pass, blocks: 1, mode: 'train', grads: [gh, gy], inputGrad: { output: dx } }),
      );
      await runKernels(ctx, ...below);
      expect(Array.from(await ctx.readF32(dx))).toEqual([2, 4, 6, -2, 1, 8]);
      for (const k of below) k.destroy();
      // First, it reads the pass's input twice (one buffer bound as both): 2x, then the linear layer.
      const first = new NetworkParameters(
        ctx,
        { ...spec, layers: [{ kind: 'add-input' }, { kind: 'linear', out: 3, bias: false }] },
        'F',
      );
      try {
        ctx.write(first.weights, Float32Array.from([1, 0, 0, 0, 1, 0, 0, 0, -1]));
        const doubled = await buildPlan(ctx, forwardPlan(first, { ...pass, mode: 'eval' }));
        await runKernels(ctx, ...doubled);
        expect(Array.from(await ctx.readF32(h))).toEqual([2, -4, 6, 1, 0, -2]);
        expect(Array.from(await ctx.readF32(y))).toEqual([2, -4, -6, 1, 0, 2]);
        for (const k of doubled) k.destroy();
      } finally {
        first.destroy();
      }
    } finally {
      net.destroy();
      for (const b of buffers) ctx.memory.release(b);
    }
  });
});

/** A forward pass, the caller's top gradient, and the backward pass, on `rows` examples. */
async function gradients(
  ctx: GpuContext,
  spec: NetworkSpec,
  rows: number,
  input: Float32Array,
  params: Float32Array,
  top: (y: Float32Array) => Float32Array,
) {
  const net = new NetworkParameters(ctx, spec, 'net');
  const buffers: GPUBuffer[] = [];
  const make = (name: string, data: number | Float32Array | Uint32Array) => {
    const b = ctx.memory.createStorage(name, data);
    buffers.push(b);
    return b;
  };
  const kernels: Kernel[] = [];
  try {
    ctx.write(net.weights, params);
    const x = make('x', input);
    const outputs = net.blocks.map((b, i) => make(`out ${i}`, rows * b.width));
    const grads = net.blocks.map((b, i) => make(`grad ${i}`, rows * b.width));
    const scratch = net.blocks.map((b, i) =>
      b.layer.layer.kind === 'batch-norm' ? make(`scratch ${i}`, rows * b.width) : null,
    );
    const stats = net.blocks.map((b, i) => (b.statsFloats ? make(`stats ${i}`, b.statsFloats) : null));
    const dx = make('dx', input.length);
    // A network with an add-input layer gives no input gradient (networkBackward.ts).
    const skips = net.blocks.some((b) => b.layer.layer.kind === 'add-input');
    const pass = { rows, input: x, outputs, stats };
    const stepCount = make('step', new Uint32Array([0, NOISE.step]));
    const noise = { seed: NOISE.seed, stepCount, stepWord: 1 as const, firstStream: NOISE.firstStream };
    kernels.push(...(await buildPlan(ctx, forwardPlan(net, { ...pass, mode: 'train', noise }))));
    await runKernels(ctx, ...kernels);
    const y = await ctx.readF32(outputs.at(-1)!);
    ctx.write(grads.at(-1)!, top(y));
    const inputGrad = skips ? {} : { inputGrad: { output: dx } };
    const backward = await buildPlan(ctx, backwardPlan(net, { ...pass, grads, scratch, ...inputGrad }));
    kernels.push(...backward);
    await runKernels(ctx, ...backward);
    return { y, dx: skips ? null : await ctx.readF32(dx), dParams: await ctx.readF32(net.grads), net };
  } finally {
    for (const k of kernels) k.destroy();
    for (const b of buffers) ctx.memory.release(b);
    net.destroy();
  }
}

/** Where the cases' Gaussian-noise layers draw: a step's word 1, and a stream per block from firstStream. */
const NOISE = { seed: 7, step: 3, firstStream: 100 };

/** The normals the GPU's noise layers draw, for the float64 reference. */
function noiseValues(layout: ReturnType<typeof layoutModel>): NoiseValues {
  return (layer, count) =>
    normalReference(count, NOISE.seed, NOISE.firstStream + blockIndex(layout, layer), NOISE.step);
}

interface Case {
  name: string;
  spec: NetworkSpec;
  rows: number;
}

const CASES: Case[] = [
  {
    // A batch norm after an activated convolution (its backward goes through scratch and an
    // activation backward), a transposed convolution after a batch norm, a linear after a flatten.
    name: 'conv, leaky → batch norm, relu → transposed conv, tanh → flatten → linear',
    rows: 3,
    spec: {
      input: [2, 6, 6],
      leakySlope: 0.2,
      layers: [
        { kind: 'conv2d', out: 3, kernel: 3, stride: 2, padding: 1 },
        { kind: 'activation', fn: 'leaky-relu' },
        { kind: 'batch-norm' },
        { kind: 'activation', fn: 'relu' },
        { kind: 'conv-transpose2d', out: 2, kernel: 4, stride: 2, padding: 1 },
        { kind: 'activation', fn: 'tanh' },
        { kind: 'flatten' },
        { kind: 'linear', out: 3 },
      ],
    },
  },
  {
    name: 'a small DCGAN generator: transposed conv from 1×1, batch norm, relu, transposed conv, tanh',
    rows: 3,
    spec: {
      input: [4, 1, 1],
      leakySlope: 0.2,
      layers: [
        { kind: 'conv-transpose2d', out: 5, kernel: 3, bias: false },
        { kind: 'batch-norm' },
        { kind: 'activation', fn: 'relu' },
        { kind: 'conv-transpose2d', out: 1, kernel: 4, stride: 2, padding: 1, bias: false },
        { kind: 'activation', fn: 'tanh' },
      ],
    },
  },
  {
    name: 'a small DCGAN discriminator: conv, leaky, conv, batch norm, leaky, conv to one logit',
    rows: 4,
    spec: {
      input: [1, 8, 8],
      leakySlope: 0.2,
      layers: [
        { kind: 'conv2d', out: 3, kernel: 4, stride: 2, padding: 1, bias: false },
        { kind: 'activation', fn: 'leaky-relu' },
        { kind: 'conv2d', out: 4, kernel: 4, stride: 2, padding: 1, bias: false },
        { kind: 'batch-norm' },
        { kind: 'activation', fn: 'leaky-relu' },
        { kind: 'conv2d', out: 1, kernel: 2, bias: false },
      ],
    },
  },
  {
    // Noise on the input (the input gradient passes through unchanged) and after activated layers
    // (the noise layer's backward folds in the leaky-ReLU's derivative).
    name: "Salimans et al.'s D: noise → linear, leaky → noise → linear, leaky → noise → linear",
    rows: 5,
    spec: {
      input: [7],
      leakySlope: 0.2,
      layers: [
        { kind: 'gaussian-noise', sigma: 0.3 },
        { kind: 'linear', out: 6 },
        { kind: 'activation', fn: 'leaky-relu' },
        { kind: 'gaussian-noise', sigma: 0.5 },
        { kind: 'linear', out: 5 },
        { kind: 'activation', fn: 'leaky-relu' },
        { kind: 'gaussian-noise', sigma: 0.5 },
        { kind: 'linear', out: 3 },
      ],
    },
  },
  {
    // A batch norm after a noise layer (ungated, no scratch), noise after tanh, and noise last.
    name: 'conv, tanh → noise → batch norm, relu → flatten → linear, sigmoid → noise',
    rows: 3,
    spec: {
      input: [2, 5, 5],
      leakySlope: 0.2,
      layers: [
        { kind: 'conv2d', out: 3, kernel: 3, stride: 2 },
        { kind: 'activation', fn: 'tanh' },
        { kind: 'gaussian-noise', sigma: 0.4 },
        { kind: 'batch-norm' },
        { kind: 'activation', fn: 'relu' },
        { kind: 'flatten' },
        { kind: 'linear', out: 4 },
        { kind: 'activation', fn: 'sigmoid' },
        { kind: 'gaussian-noise', sigma: 0.1 },
      ],
    },
  },
  {
    // The restorer's residual shape: the input added to a tanh-bounded correction; the add-input
    // block's backward passes the loss gradient through and folds in tanh's derivative.
    name: 'conv, leaky → batch norm, relu → transposed conv, tanh → add-input',
    rows: 3,
    spec: {
      input: [2, 6, 6],
      leakySlope: 0.2,
      layers: [
        { kind: 'conv2d', out: 3, kernel: 4, stride: 2, padding: 1, bias: false },
        { kind: 'batch-norm' },
        { kind: 'activation', fn: 'leaky-relu' },
        { kind: 'conv-transpose2d', out: 2, kernel: 4, stride: 2, padding: 1 },
        { kind: 'activation', fn: 'tanh' },
        { kind: 'add-input' },
      ],
    },
  },
  {
    // An add-input block in the middle: it folds in the leaky-ReLU's derivative, and the linear
    // layer after it reads the sum.
    name: 'linear, leaky → add-input → linear',
    rows: 4,
    spec: {
      input: [5],
      leakySlope: 0.2,
      layers: [
        { kind: 'linear', out: 5 },
        { kind: 'activation', fn: 'leaky-relu' },
        { kind: 'add-input' },
        { kind: 'linear', out: 3 },
      ],
    },
  },
];

describe('network passes against float64 and finite differences', () => {
  for (const c of CASES) {
    it(c.name, async () => {
      const layout = layoutModel(c.spec.input, c.spec.layers);
      const inputSize = c.rows * c.spec.input.reduce((a, b) => a * b, 1);
      const input = randomArray(inputSize, 51);
      // Parameters in [−0.6, 0.6], batch-norm scales near 1 so that no unit is dead at every row.
      const params = randomArray(layout.parameterFloats, 52, -0.6, 0.6);
      for (const p of layout.layers)
        if (p.layer.kind === 'batch-norm')
          for (let i = 0; i < p.weight!.count; i++)
            params[p.weight!.offset + i] = 1 + 0.3 * params[p.weight!.offset + i]!;
      const outSize = c.rows * layout.outShape.reduce((a, b) => a * b, 1);
      const r = randomArray(outSize, 53);
      const lastActivation =
        c.spec.layers.at(-1)!.kind === 'activation' ? (c.spec.layers.at(-1) as { fn: string }).fn : null;
      // L = Σ r·y: the top block's gradient is r·f'(y) before its activation (tanh here), or r.
      const top = (y: Float32Array) => (lastActivation === 'tanh' ? r.map((v, i) => v * (1 - y[i]! ** 2)) : r);
      const got = await gradients(gpu.ctx, c.spec, c.rows, input, params, top);
      expect(gradientTakesActivation(got.net.blocks.at(-1)!)).toBe(false);

      const noise = noiseValues(layout);
      const forward = (x: ArrayLike<number>, p: ArrayLike<number>) =>
        networkForwardReference(layout, c.rows, x, p, 0.2, undefined, noise).at(-1)!;
      const y = forward(input, params);
      expectClose(got.y, y, (i) => 1e-5 + 1e-4 * Math.abs(y[i]!), `${c.name}: forward`);
      const loss = (x: ArrayLike<number>, p: ArrayLike<number>) => forward(x, p).reduce((s, v, i) => s + v * r[i]!, 0);
      const central = (values: Float32Array, at: (copy: Float64Array) => number) =>
        Float64Array.from(values, (v, i) => {
          const copy = Float64Array.from(values);
          copy[i] = v + 1e-4;
          const plus = at(copy);
          copy[i] = v - 1e-4;
          return (plus - at(copy)) / 2e-4;
        });
      const dx = central(input, (x) => loss(x, params));
      const dParams = central(params, (p) => loss(input, p));
      const tolerance = (expected: Float64Array) => (i: number) => 5e-5 + 2e-3 * Math.abs(expected[i]!);
      // The float64 backward (the GAN step's reference) against the same differences, closely.
      const outs = networkForwardReference(layout, c.rows, input, params, 0.2, undefined, noise);
      const f64 = networkBackwardReference(layout, c.rows, input, params, outs, r, 0.2);
      const tight = (expected: Float64Array) => (i: number) => 1e-6 + 1e-5 * Math.abs(expected[i]!);
      expectClose(f64.dInput, dx, tight(dx), `${c.name}: float64 d loss / d input`);
      expect(
        dx.some((v) => Math.abs(v) > 1e-2),
        'the input has a gradient to check',
      ).toBe(true);
      if (got.dx) expectClose(got.dx, dx, tolerance(dx), `${c.name}: d loss / d input`);
      // Padding between tensors holds no parameter; its gradient is never written.
      const placed = layout.layers.flatMap((p) => [p.weight, p.bias].filter((v) => v !== undefined));
      for (const view of placed) {
        const want = dParams.subarray(view.offset, view.offset + view.count);
        expectClose(
          got.dParams.subarray(view.offset, view.offset + view.count),
          want,
          tolerance(want),
          `${c.name}: d loss / d ${view.name}`,
        );
        const f64View = f64.dParams.subarray(view.offset, view.offset + view.count);
        expectClose(f64View, want, tight(want), `${c.name}: float64 d loss / d ${view.name}`);
      }
    });
  }
});

describe('the MLP as a layer list', () => {
  it('plans exactly the matmuls of the MLP passes, forward and backward', () => {
    const preset = {
      noise: 100,
      generatorHidden: [128, 256],
      discriminatorHidden: [256, 128],
      data: 784,
      output: 'tanh' as const,
    };
    for (const [input, layers, widths, output] of [
      [[100], mlpGenerator(preset), [100, 128, 256, 784], 'tanh'],
      [[784], mlpDiscriminator(preset), [784, 256, 128, 1], 'none'],
    ] as const) {
      const net = new NetworkParameters(gpu.ctx, { input, layers, leakySlope: 0.2 }, 'net');
      const mlp = new MlpParameters(
        gpu.ctx,
        { widths: [...widths], hidden: 'leaky-relu', output, leakySlope: 0.2 },
        'mlp',
        false,
      );
      try {
        expect(net.layout.parameterFloats).toBe(mlp.layout.totalFloats);
        const rows = 7;
        const buffers = {
          input: mlp.weights,
          outputs: [mlp.grads, mlp.moment1, mlp.moment2],
          grads: [mlp.moment2, mlp.grads, mlp.moment1],
        };
        // A spec as text with its keys sorted and each buffer by name (the network's weights and
        // gradients standing for the MLP's), labels left out.
        const names = new Map<unknown, string>([
          [net.weights, 'weights'],
          [mlp.weights, 'weights'],
          [net.grads, 'grads'],
          [mlp.grads, 'grads'],
          [mlp.moment1, 'm1'],
          [mlp.moment2, 'm2'],
        ]);
        const canonical = (v: unknown): unknown => {
          if (names.has(v)) return names.get(v);
          if (Array.isArray(v)) return v.map(canonical);
          if (v && typeof v === 'object')
            return Object.fromEntries(
              Object.entries(v)
                .filter(([k]) => k !== 'label')
                .sort(([a], [b]) => a.localeCompare(b))
                .map(([k, x]) => [k, canonical(x)]),
            );
          return v;
        };
        const strip = (spec: object) => JSON.stringify(canonical(spec));
        const ours = forwardPlan(net, {
          rows,
          input: buffers.input,
          outputs: buffers.outputs,
          stats: [],
          mode: 'train',
        }).map((p) => ('matmul' in p ? strip(p.matmul) : 'kernel'));
        const theirs = forwardMatmulSpecs(mlp, { rows, input: buffers.input, outputs: buffers.outputs }).map(strip);
        expect(ours).toEqual(theirs);
        const backward = {
          rows,
          input: buffers.input,
          outputs: buffers.outputs,
          preActivationGrads: buffers.grads,
          inputGrad: { output: mlp.ema ?? mlp.moment1, gate: { kind: 'tanh' as const, leakySlope: 0.2 } },
        };
        const oursBack = backwardPlan(net, {
          rows,
          input: buffers.input,
          outputs: buffers.outputs,
          grads: buffers.grads,
          stats: [],
          inputGrad: backward.inputGrad,
        }).map((p) => ('matmul' in p ? strip(p.matmul) : 'kernel'));
        expect(oursBack).toEqual(backwardMatmulSpecs(mlp, backward).map(strip));
      } finally {
        net.destroy();
        mlp.destroy();
      }
    }
  });
});
