// Salimans and Kingma's data-dependent initialisation of a weight-normalised network: pictures go
// through it layer by layer, and each normalised layer's g and bias are set so that its outputs
// over those pictures have mean 0 and variance 1 per unit (per channel for a convolution, over
// pictures and pixels): with t = v·x/‖v‖, m and s² its mean and variance, g = 1/s and b = −m/s.
// The next layer then sees the initialised layer's outputs. v is kept as drawn. The last layer's
// outputs (D's logits) are set to a spread of 0.1 instead, so that D starts undecided: logits of
// unit spread over ten classes would start it confidently wrong. Gaussian-noise layers add their
// noise as in training, from the caller's generator (without one they pass values through): a
// layer set from noiseless values would see a wider spread once training adds the noise, and
// through five noisy layers that compounds. In float64 on the CPU: it runs once, before the first step.
import { ArgumentError } from '../base/errors.js';
import type { ConvShape } from '../kernels/convGeometry.js';
import type { ModelLayout, PlacedLayer } from './model.js';
import { rowLength } from './networkWeightNorm.js';

/**
 * A unit whose outputs vary less than this over the pictures (a dead unit, or a single picture)
 * keeps g = 1 (and is centred where it has a bias): 1/s would be a huge g that the first step's
 * change blows up.
 */
const LEAST_SPREAD = 1e-4;

/** Values of every picture, batch first: rows × features. */
interface Batch {
  rows: number;
  values: Float64Array;
}

/** y = x·Vᵀ/‖v‖ per row of V, a linear layer's normalised pre-activation before g and b. */
function linearUnit(layer: PlacedLayer, flat: Float32Array, x: Batch): Batch {
  const w = layer.weight!;
  const [out, inputs] = [w.shape[0]!, w.shape[1]!];
  const y = new Float64Array(x.rows * out);
  for (let o = 0; o < out; o++) {
    const row = flat.subarray(w.offset + o * inputs, w.offset + (o + 1) * inputs);
    const norm = rowLength(row);
    for (let r = 0; r < x.rows; r++) {
      let sum = 0;
      for (let i = 0; i < inputs; i++) sum += row[i]! * x.values[r * inputs + i]!;
      y[r * out + o] = sum / norm;
    }
  }
  return { rows: x.rows, values: y };
}

/** A conv2d's normalised pre-activation, NCHW, each output channel's filter taken at unit length. */
function convUnit(layer: PlacedLayer, flat: Float32Array, x: Batch): Batch {
  const c = layer.conv as ConvShape;
  const w = layer.weight!;
  const taps = c.inChannels * c.kernelH * c.kernelW;
  const [inPlane, outPlane] = [c.inHeight * c.inWidth, c.outHeight * c.outWidth];
  const y = new Float64Array(x.rows * c.outChannels * outPlane);
  for (let o = 0; o < c.outChannels; o++) {
    const filter = flat.subarray(w.offset + o * taps, w.offset + (o + 1) * taps);
    const norm = rowLength(filter);
    for (let r = 0; r < x.rows; r++) {
      const picture = r * c.inChannels * inPlane;
      for (let p = 0; p < outPlane; p++) {
        const [oy, ox] = [Math.floor(p / c.outWidth), p % c.outWidth];
        let sum = 0;
        for (let ci = 0; ci < c.inChannels; ci++) {
          for (let ky = 0; ky < c.kernelH; ky++) {
            const iy = oy * c.strideH - c.padH + ky;
            if (iy < 0 || iy >= c.inHeight) continue;
            for (let kx = 0; kx < c.kernelW; kx++) {
              const ix = ox * c.strideW - c.padW + kx;
              if (ix < 0 || ix >= c.inWidth) continue;
              sum +=
                filter[(ci * c.kernelH + ky) * c.kernelW + kx]! *
                x.values[picture + ci * inPlane + iy * c.inWidth + ix]!;
            }
          }
        }
        y[(r * c.outChannels + o) * outPlane + p] = sum / norm;
      }
    }
  }
  return { rows: x.rows, values: y };
}

/**
 * Sets g = target/s and b = −m·target/s from each unit's statistics over the batch (a bias-free
 * layer gets g alone, over the root mean square), so that its outputs spread by `target`, and applies them.
 */
function fitScaleAndBias(layer: PlacedLayer, flat: Float32Array, y: Batch, target: number): void {
  const units = layer.weight!.shape[0]!;
  const plane = y.values.length / (y.rows * units);
  const count = y.rows * plane;
  const bias = layer.bias;
  for (let u = 0; u < units; u++) {
    let [sum, squares] = [0, 0];
    for (let r = 0; r < y.rows; r++)
      for (let p = 0; p < plane; p++) {
        const v = y.values[(r * units + u) * plane + p]!;
        sum += v;
        squares += v * v;
      }
    const mean = bias ? sum / count : 0;
    const spread = Math.sqrt(Math.max(squares / count - mean * mean, 0));
    const scale = spread < LEAST_SPREAD ? 1 : target / spread;
    flat[layer.weightScale!.offset + u] = scale;
    if (bias) flat[bias.offset + u] = -mean * scale;
    for (let r = 0; r < y.rows; r++)
      for (let p = 0; p < plane; p++) {
        const i = (r * units + u) * plane + p;
        y.values[i] = (y.values[i]! - mean) * scale;
      }
  }
}

function activate(fn: string, slope: number, x: Batch): void {
  const v = x.values;
  for (let i = 0; i < v.length; i++) {
    const a = v[i]!;
    v[i] =
      fn === 'tanh'
        ? Math.tanh(a)
        : fn === 'sigmoid'
          ? 1 / (1 + Math.exp(-a))
          : a >= 0
            ? a
            : a * (fn === 'relu' ? 0 : slope);
  }
}

/** The spread of the last layer's outputs: D's first logits small, its probabilities near even. */
export const LAST_LAYER_SPREAD = 0.1;

export interface DataInitOptions {
  /** The slope of every leaky-relu activation. */
  leakySlope: number;
  /** Standard normal values for the noise layers, in the order of their values; none: no noise. */
  normal?: () => number;
}

/**
 * Initialises g and the biases of every weight-normalised layer of `layout` in `flat` (its
 * parameters as laid out, v drawn already) from `pictures`, rows × the network's input size, as
 * the network reads them. Refuses a layer the pass cannot go through (a batch norm, a class input).
 */
export function initializeWeightNormFromData(
  layout: ModelLayout,
  flat: Float32Array,
  pictures: Float32Array,
  options: DataInitOptions,
): void {
  const inputs = layout.inShape.reduce((a, b) => a * b, 1);
  if (pictures.length === 0 || pictures.length % inputs !== 0)
    throw new ArgumentError('pictures', `must hold whole pictures of ${inputs} values, got ${pictures.length} values`);
  if (!layout.layers.some((p) => p.weightScale))
    throw new ArgumentError('layout', 'has no weight-normalised layer: lay it out with weightNorm');
  const last = layout.layers.filter((p) => p.weightScale).at(-1);
  let x: Batch = { rows: pictures.length / inputs, values: Float64Array.from(pictures) };
  for (const layer of layout.layers) {
    const kind = layer.layer.kind;
    if (kind === 'linear' || kind === 'conv2d') {
      if (!layer.weightScale || layer.classWeight)
        throw new ArgumentError('layout', `layer ${layer.index} (${kind}) is not weight-normalised on its own`);
      x = kind === 'linear' ? linearUnit(layer, flat, x) : convUnit(layer, flat, x);
      fitScaleAndBias(layer, flat, x, layer === last ? LAST_LAYER_SPREAD : 1);
    } else if (layer.layer.kind === 'activation') activate(layer.layer.fn, options.leakySlope, x);
    else if (layer.layer.kind === 'gaussian-noise') {
      const { sigma } = layer.layer;
      if (options.normal) for (let i = 0; i < x.values.length; i++) x.values[i]! += sigma * options.normal();
    } else if (kind !== 'flatten' && kind !== 'unflatten')
      throw new ArgumentError(
        'layout',
        `layer ${layer.index} (${kind}) is not one data-dependent initialisation takes`,
      );
  }
}

/** Multiply-adds of one picture's pass through the layout's linear and conv2d layers. */
export function multiplyAddsPerPicture(layout: ModelLayout): number {
  return layout.layers.reduce((sum, p) => {
    if (p.layer.kind === 'linear') return sum + p.weight!.count;
    if (p.layer.kind === 'conv2d') return sum + p.weight!.count * p.conv!.outHeight * p.conv!.outWidth;
    return sum;
  }, 0);
}
