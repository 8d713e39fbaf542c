// A layer list's forward pass in float64 (batch norms in training mode, on the batch's own
// statistics), from the per-layer references of conv.ts, batchNorm.ts and cpu.ts: what the GPU's
// forward is compared with, and what finite differences of the GPU's backward differentiate.
// Parameters come as one flat array in the network's layout (src/nn/model.ts places them).
import type { ModelLayout, PlacedLayer } from '../src/nn/model.js';
import type { TensorView } from '../src/nn/mlp.js';
import { batchNormTrainReference } from './batchNorm.js';
import { conv2dReference, convTranspose2dReference } from './conv.js';
import { activate } from './cpu.js';

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

function layerForward(
  p: PlacedLayer,
  rows: number,
  x: Float64Array,
  params: ArrayLike<number>,
  leakySlope: number,
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
      const zeros = new Float64Array(channels);
      return batchNormTrainReference(
        x,
        { batch: rows, channels, spatial },
        { gamma: slice(params, p.weight)!, beta: slice(params, p.bias)!, eps: layer.eps ?? 1e-5 },
        { mean: zeros, variance: zeros },
        layer.momentum ?? 0.1,
      ).y;
    }
    case 'activation':
      return x.map((v) => (layer.fn === 'relu' ? Math.max(v, 0) : activate(layer.fn, v, leakySlope)));
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
): Float64Array<ArrayBufferLike>[] {
  const outputs: Float64Array<ArrayBufferLike>[] = [];
  let x: Float64Array<ArrayBufferLike> = Float64Array.from(input);
  for (const p of layout.layers) {
    x = layerForward(p, rows, x, params, leakySlope);
    outputs.push(x);
  }
  return outputs;
}
