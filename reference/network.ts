// A layer list's forward pass in float64 (batch norms in training mode, on the batch's own
// statistics, or in eval mode on given running estimates), from the per-layer references of
// conv.ts, batchNorm.ts and cpu.ts: what the GPU's forward is compared with, and what finite
// differences of the GPU's backward differentiate.
// Parameters come as one flat array in the network's layout (src/nn/model.ts places them).
import { makesBlock, type ModelLayout, type PlacedLayer } from '../src/nn/model.js';
import type { TensorView } from '../src/nn/mlp.js';
import { batchNormBackwardReference, batchNormEvalReference, batchNormTrainReference } from './batchNorm.js';
import {
  conv2dInputGradReference,
  conv2dReference,
  conv2dWeightGradReference,
  convTranspose2dReference,
} from './conv.js';
import { activate, derivativeFromOutput } from './cpu.js';

const slice = (flat: ArrayLike<number>, view: TensorView | undefined) =>
  view ? Array.from({ length: view.count }, (_, i) => flat[view.offset + i]!) : undefined;

function linear(p: PlacedLayer, rows: number, x: ArrayLike<number>, params: ArrayLike<number>): Float64Array {
  const [out, inputs] = [p.outShape[0]!, p.inShape[0]!];
  const w = slice(params, p.weight)!;
  const b = slice(params, p.bias);
  const y = new Float64Array(rows * out);
  for (let r = 0; r < rows; r++)
    for (let o = 0; o < out; o++) {
      let sum = b ? b[o]! : 0;
      for (let i = 0; i < inputs; i++) sum += w[o * inputs + i]! * x[r * inputs + i]!;
      y[r * out + o] = sum;
    }
  return y;
}

/** Eval mode: batch norms on the running estimates `state` holds (the network's state layout). */
export interface EvalMode {
  state: ArrayLike<number>;
}

/**
 * A training pass's Gaussian-noise layers: the standard normal values (one per value of the
 * layer's output, all rows) that the layer scales by its σ. Without it, or in eval mode, the
 * layers pass their input on.
 */
export type NoiseValues = (layer: PlacedLayer, count: number) => ArrayLike<number>;

/**
 * The index of a layer's block as src/nn/network.ts counts them (every layer but activations,
 * flatten and unflatten is one): the GPU's noise layer b draws from its pass's first stream + b.
 */
export function blockIndex(layout: ModelLayout, layer: PlacedLayer): number {
  return layout.layers.slice(0, layout.layers.indexOf(layer)).filter((p) => makesBlock(p.layer.kind)).length;
}

function layerForward(
  p: PlacedLayer,
  rows: number,
  x: Float64Array,
  networkInput: ArrayLike<number>,
  params: ArrayLike<number>,
  leakySlope: number,
  evalMode?: EvalMode,
  noise?: NoiseValues,
): Float64Array {
  const layer = p.layer;
  const c = p.conv;
  switch (layer.kind) {
    case 'linear':
      return linear(p, rows, x, params);
    case 'conv2d':
      return conv2dReference({ ...c!, batch: rows }, x, slice(params, p.weight)!, slice(params, p.bias)).values;
    case 'conv-transpose2d':
      return convTranspose2dReference(
        {
          batch: rows,
          inChannels: c!.outChannels,
          outChannels: c!.inChannels,
          inHeight: c!.outHeight,
          inWidth: c!.outWidth,
          kernelH: c!.kernelH,
          kernelW: c!.kernelW,
          stride: c!.strideH,
          pad: c!.padH,
          outputPadding: layer.outputPadding ?? 0,
        },
        x,
        slice(params, p.weight)!,
        slice(params, p.bias),
      ).values;
    case 'batch-norm': {
      const channels = p.inShape[0]!;
      const spatial = x.length / rows / channels;
      const affine = { gamma: slice(params, p.weight)!, beta: slice(params, p.bias)!, eps: layer.eps ?? 1e-5 };
      if (evalMode) {
        const running = { mean: slice(evalMode.state, p.runningMean)!, variance: slice(evalMode.state, p.runningVar)! };
        return batchNormEvalReference(x, { batch: rows, channels, spatial }, affine, running).y;
      }
      const zeros = new Float64Array(channels);
      const running = { mean: zeros, variance: zeros };
      return batchNormTrainReference(x, { batch: rows, channels, spatial }, affine, running, layer.momentum ?? 0.1).y;
    }
    case 'activation':
      return x.map((v) => (layer.fn === 'relu' ? Math.max(v, 0) : activate(layer.fn, v, leakySlope)));
    case 'gaussian-noise': {
      if (evalMode || !noise || layer.sigma === 0) return x;
      const normals = noise(p, x.length);
      return x.map((v, i) => v + layer.sigma * normals[i]!);
    }
    case 'add-input':
      return x.map((v, i) => v + networkInput[i]!);
    default:
      return x; // flatten and unflatten move no data
  }
}

/** Every layer's output for `rows` examples, in order; the last is the network's output. */
export function networkForwardReference(
  layout: ModelLayout,
  rows: number,
  input: ArrayLike<number>,
  params: ArrayLike<number>,
  leakySlope: number,
  evalMode?: EvalMode,
  noise?: NoiseValues,
): Float64Array<ArrayBufferLike>[] {
  const outputs: Float64Array<ArrayBufferLike>[] = [];
  let x: Float64Array<ArrayBufferLike> = Float64Array.from(input);
  for (const p of layout.layers) {
    x = layerForward(p, rows, x, input, params, leakySlope, evalMode, noise);
    outputs.push(x);
  }
  return outputs;
}

/**
 * dL/d(parameters) in the network's flat layout, and dL/d(input), from every layer's output and
 * dL/d(output). `extra`: a gradient that reaches layer `layer`'s output by another path (a
 * projection discriminator's class term reads the last layer's input); layer −1 is the input.
 */
export function networkBackwardReference(
  layout: ModelLayout,
  rows: number,
  input: ArrayLike<number>,
  params: ArrayLike<number>,
  outputs: Float64Array<ArrayBufferLike>[],
  gradOutput: ArrayLike<number>,
  leakySlope: number,
  extra?: { layer: number; grad: ArrayLike<number> },
): { dParams: Float64Array; dInput: Float64Array<ArrayBufferLike> } {
  const dParams = new Float64Array(layout.parameterFloats);
  const withExtra = (i: number, grad: Float64Array<ArrayBufferLike>) =>
    extra?.layer === i ? grad.map((g, k) => g + extra.grad[k]!) : grad;
  let grad: Float64Array<ArrayBufferLike> = Float64Array.from(gradOutput);
  // An add-input layer's gradient reaches the input straight, beside the path through the layers.
  const skipped = new Float64Array(rows * layout.inShape.reduce((a, d) => a * d, 1));
  for (let i = layout.layers.length - 1; i >= 0; i--) {
    const p = layout.layers[i]!;
    const x = i === 0 ? Float64Array.from(input) : outputs[i - 1]!;
    grad = withExtra(i, grad);
    if (p.layer.kind === 'add-input') for (let k = 0; k < grad.length; k++) skipped[k]! += grad[k]!;
    grad = layerBackward(p, rows, x, outputs[i]!, grad, params, dParams, leakySlope);
  }
  return { dParams, dInput: withExtra(-1, grad).map((g, k) => g + skipped[k]!) };
}

function put(dParams: Float64Array, view: TensorView | undefined, values: ArrayLike<number>): void {
  if (view) dParams.set(Array.from(values), view.offset);
}

/** Per-channel sums over batch and pixels: a bias gradient. */
function channelSums(dy: ArrayLike<number>, rows: number, channels: number): Float64Array {
  const pixels = dy.length / rows / channels;
  const sums = new Float64Array(channels);
  for (let i = 0; i < dy.length; i++) sums[Math.floor(i / pixels) % channels]! += dy[i]!;
  return sums;
}

function layerBackward(
  p: PlacedLayer,
  rows: number,
  x: Float64Array<ArrayBufferLike>,
  y: Float64Array<ArrayBufferLike>,
  dy: Float64Array<ArrayBufferLike>,
  params: ArrayLike<number>,
  dParams: Float64Array,
  leakySlope: number,
): Float64Array<ArrayBufferLike> {
  const layer = p.layer;
  const c = p.conv;
  switch (layer.kind) {
    case 'linear': {
      const [out, inputs] = [p.outShape[0]!, p.inShape[0]!];
      const w = slice(params, p.weight)!;
      const dw = new Float64Array(out * inputs);
      const dx = new Float64Array(rows * inputs);
      for (let r = 0; r < rows; r++)
        for (let o = 0; o < out; o++)
          for (let k = 0; k < inputs; k++) {
            dw[o * inputs + k]! += dy[r * out + o]! * x[r * inputs + k]!;
            dx[r * inputs + k]! += dy[r * out + o]! * w[o * inputs + k]!;
          }
      put(dParams, p.weight, dw);
      put(dParams, p.bias, channelSums(dy, rows, out));
      return dx;
    }
    case 'conv2d': {
      const shape = { ...c!, batch: rows };
      put(dParams, p.weight, conv2dWeightGradReference(shape, dy, x).values);
      put(dParams, p.bias, channelSums(dy, rows, c!.outChannels));
      return conv2dInputGradReference(shape, dy, slice(params, p.weight)!).values;
    }
    case 'conv-transpose2d': {
      // The convolution it transposes runs from this layer's output (dy) to its input (x).
      const shape = { ...c!, batch: rows };
      put(dParams, p.weight, conv2dWeightGradReference(shape, x, dy).values);
      put(dParams, p.bias, channelSums(dy, rows, c!.inChannels));
      return conv2dReference(shape, dy, slice(params, p.weight)!).values;
    }
    case 'batch-norm': {
      const channels = p.inShape[0]!;
      const result = batchNormBackwardReference(
        x,
        dy,
        { batch: rows, channels, spatial: x.length / rows / channels },
        { gamma: slice(params, p.weight)!, beta: slice(params, p.bias)!, eps: layer.eps ?? 1e-5 },
      );
      put(dParams, p.weight, result.dgamma);
      put(dParams, p.bias, result.dbeta);
      return result.dx;
    }
    case 'activation':
      return dy.map(
        (g, i) => g * (layer.fn === 'relu' ? (y[i]! > 0 ? 1 : 0) : derivativeFromOutput(layer.fn, y[i]!, leakySlope)),
      );
    default:
      // Gaussian noise and the input are added, so they pass the gradient on; flatten and unflatten move none
      return dy;
  }
}
