// The forward and backward passes of src/nn/passes.ts on an MLP of awkward widths (7 → 6 → 5 → 3,
// leaky-ReLU then tanh, 9 rows, and 1 row), against a float64 forward and backward written here
// from the definitions: y = f(x·Wᵀ + b) per layer; dW = dZᵀ·x, db = Σ_rows dZ,
// dZ_below = (dZ·W) ⊙ f'(y_below), and the input gradient dZ₀·W₀. Also: a first `layers` only,
// and that weights without gradient buffers take an input gradient only.
import { describe, expect, it } from 'vitest';
import { ArgumentError } from '../../src/base/errors.js';
import { MlpParameters, MlpWeights, type MlpSpec } from '../../src/nn/mlp.js';
import { backwardKernels, forwardKernels } from '../../src/nn/passes.js';
import { activate } from '../../reference/cpu.js';
import { expectClose, randomArray, runKernels, useGpu } from '../support/gpu.js';

const gpu = useGpu();
const SPEC: MlpSpec = { widths: [7, 6, 5, 3], hidden: 'leaky-relu', output: 'tanh', leakySlope: 0.2 };
const close = (scale: number) => () => 1e-5 * scale + 1e-6;

type Matrix = Float64Array; // row-major

/** The float64 forward: each layer's activated output, rows × width. */
function forward64(x: Matrix, rows: number, w: Matrix[], b: Matrix[]): Matrix[] {
  const outputs: Matrix[] = [];
  let input = x;
  SPEC.widths.slice(1, w.length + 1).forEach((out, l) => {
    const inF = SPEC.widths[l]!;
    const kind = l === SPEC.widths.length - 2 ? SPEC.output : SPEC.hidden;
    const y = new Float64Array(rows * out);
    for (let r = 0; r < rows; r++)
      for (let o = 0; o < out; o++) {
        let z = b[l]![o]!;
        for (let i = 0; i < inF; i++) z += input[r * inF + i]! * w[l]![o * inF + i]!;
        y[r * out + o] = activate(kind, z, SPEC.leakySlope);
      }
    outputs.push(y);
    input = y;
  });
  return outputs;
}

/** f'(z) from y = f(z), for the hidden activation. */
const hiddenSlope = (y: number) => (y > 0 ? 1 : SPEC.leakySlope);

/** The float64 backward from the top layer's dZ: every layer's dW and db, and dX. */
function backward64(x: Matrix, rows: number, w: Matrix[], outputs: Matrix[], dTop: Matrix) {
  const dW: Matrix[] = [];
  const db: Matrix[] = [];
  let dZ = dTop;
  let dX = new Float64Array(0);
  for (let l = w.length - 1; l >= 0; l--) {
    const [inF, out] = [SPEC.widths[l]!, SPEC.widths[l + 1]!];
    const input = l === 0 ? x : outputs[l - 1]!;
    dW[l] = new Float64Array(out * inF);
    db[l] = new Float64Array(out);
    const below = new Float64Array(rows * inF);
    for (let r = 0; r < rows; r++)
      for (let o = 0; o < out; o++) {
        const g = dZ[r * out + o]!;
        db[l]![o]! += g;
        for (let i = 0; i < inF; i++) {
          dW[l]![o * inF + i]! += g * input[r * inF + i]!;
          below[r * inF + i]! += g * w[l]![o * inF + i]!;
        }
      }
    if (l > 0) dZ = below.map((v, j) => v * hiddenSlope(input[j]!));
    else dX = below;
  }
  return { dW, db, dX };
}

async function check(rows: number, layers: number) {
  const ctx = gpu.ctx;
  const mlp = new MlpParameters(ctx, SPEC, 'mlp', false);
  const made: GPUBuffer[] = [];
  const buffer = (floats: number | Float32Array) => {
    const b = ctx.memory.createStorage('test', floats);
    made.push(b);
    return b;
  };
  try {
    const flat = new Float32Array(mlp.layout.totalFloats);
    const w = mlp.layout.layers.map((layer, l) => {
      const values = randomArray(layer.weight.count, 10 + l, -0.6, 0.6);
      flat.set(values, layer.weight.offset);
      return Float64Array.from(values);
    });
    const b = mlp.layout.layers.map((layer, l) => {
      const values = randomArray(layer.bias.count, 20 + l, -0.3, 0.3);
      flat.set(values, layer.bias.offset);
      return Float64Array.from(values);
    });
    ctx.write(mlp.weights, flat);
    const x = randomArray(rows * SPEC.widths[0]!, 3);
    const input = buffer(x);
    const outputs = SPEC.widths.slice(1).map((width) => buffer(rows * width));
    const grads = SPEC.widths.slice(1).map((width) => buffer(rows * width));
    const top = randomArray(rows * SPEC.widths[layers]!, 4);
    ctx.write(grads[layers - 1]!, top);
    const dX = buffer(rows * SPEC.widths[0]!);
    const kernels = [
      ...(await forwardKernels(ctx, mlp, { rows, input, outputs, layers })),
      ...(await backwardKernels(ctx, mlp, {
        rows,
        input,
        outputs,
        preActivationGrads: grads,
        layers,
        inputGrad: { output: dX },
      })),
    ];
    await runKernels(ctx, ...kernels);
    for (const k of kernels) k.destroy();

    const x64 = Float64Array.from(x);
    const wanted = forward64(x64, rows, w.slice(0, layers), b.slice(0, layers));
    // With fewer layers, the last layer computed keeps its own (hidden) activation.
    for (let l = 0; l < layers; l++)
      expectClose(await ctx.readF32(outputs[l]!), wanted[l]!, close(1), `layer ${l}'s output`);
    const expected = backward64(x64, rows, w.slice(0, layers), wanted, Float64Array.from(top));
    const gradients = await ctx.readF32(mlp.grads);
    for (let l = 0; l < layers; l++) {
      const layer = mlp.layout.layers[l]!;
      const dW = gradients.subarray(layer.weight.offset, layer.weight.offset + layer.weight.count);
      const db = gradients.subarray(layer.bias.offset, layer.bias.offset + layer.bias.count);
      expectClose(dW, expected.dW[l]!, close(rows), `layer ${l}'s weight gradient`);
      expectClose(db, expected.db[l]!, close(rows), `layer ${l}'s bias gradient`);
    }
    expectClose(await ctx.readF32(dX), expected.dX, close(rows), 'the input gradient');
  } finally {
    for (const m of made) ctx.memory.release(m);
    mlp.destroy();
  }
}

describe('an MLP’s forward and backward passes (src/nn/passes.ts) against float64', () => {
  it('9 rows, every layer', () => check(9, 3));
  it('1 row, every layer', () => check(1, 3));
  it('9 rows, the first two layers only (the caller does the rest)', () => check(9, 2));

  it('weights without gradients take an input gradient only', async () => {
    const weights = new MlpWeights(gpu.ctx, SPEC, 'forward only', false);
    try {
      const spec = { rows: 1, input: weights.weights, outputs: [], preActivationGrads: [] };
      await expect(backwardKernels(gpu.ctx, weights, spec)).rejects.toThrow(ArgumentError);
    } finally {
      weights.destroy();
    }
  });
});
