// A network as data: a list of layers in torch.nn.Sequential's order, from which the engine works
// out every tensor's shape, where each parameter lives in the network's flat buffer, and its
// PyTorch name (the layer's index in the Sequential, so that load_state_dict takes a checkpoint).
// Activations, Flatten and Unflatten take an index as they do in PyTorch but hold nothing.
// Tensors are one example's, batch first elsewhere: [C, H, W] for images, [F] for vectors; NCHW
// and [N, F] share a layout, so Flatten and Unflatten move no data.
import { ArgumentError, requireFinite, requirePositiveInteger } from '../base/errors.js';
import { requireOneHotValue } from './mlp.js';
import { convShape, transposedAsConv, type ConvShape } from '../kernels/convGeometry.js';
import type { TensorView } from './mlp.js';

export type LayerActivation = 'relu' | 'leaky-relu' | 'tanh' | 'sigmoid';

export type Layer =
  /**
   * With `classes`: a class label enters as a one-hot beside the input, W·[x; h·onehot(y)] + b
   * (h the one-hot's hot entry, `hotValue`, default 1), as the first layer only. The weight's class
   * columns are a tensor of their own (PlacedLayer.classWeight), joined to the others in checkpoints.
   */
  | { kind: 'linear'; out: number; bias?: boolean; classes?: number; hotValue?: number }
  | { kind: 'conv2d'; out: number; kernel: number; stride?: number; padding?: number; bias?: boolean }
  | {
      kind: 'conv-transpose2d';
      out: number;
      kernel: number;
      stride?: number;
      padding?: number;
      outputPadding?: number;
      bias?: boolean;
    }
  /** BatchNorm1d on [F], BatchNorm2d on [C, H, W], by the input's shape. */
  | { kind: 'batch-norm'; eps?: number; momentum?: number }
  | { kind: 'activation'; fn: LayerActivation }
  /**
   * Adds N(0, σ²) noise to every value while training and passes values through unchanged in eval
   * mode (a classifier's or repair's pass): Salimans et al.'s regulariser of a semi-supervised D.
   * Holds nothing; PyTorch has no such module, and nn.Identity loads in its place.
   */
  | { kind: 'gaussian-noise'; sigma: number }
  /**
   * Adds the network's input to the values reaching it (a residual over the whole network: the
   * layers before it learn a correction to the input, as a denoiser that passes fine detail
   * through). Its input must have the network's input's shape. Holds nothing; nn.Sequential cannot
   * say it, so a PyTorch copy adds the input itself.
   */
  | { kind: 'add-input' }
  | { kind: 'flatten' }
  | { kind: 'unflatten'; shape: readonly [number, number, number] };

export type LayerKind = Layer['kind'];

/** A layer with its shapes, parameters and running statistics placed. */
export interface PlacedLayer {
  layer: Layer;
  /** Its index in the Sequential, the prefix of its tensors' names. */
  index: number;
  inShape: readonly number[];
  outShape: readonly number[];
  /** In the parameter buffer (trained by the optimiser). */
  weight?: TensorView;
  bias?: TensorView;
  /**
   * A linear layer's class columns, [out, classes], beside `weight` (which holds the input's
   * columns), so that each is a contiguous matrix for the matmuls; saved joined under weight's name
   * as one [out, in + classes] tensor, the class columns times hotValue (nn/networkTensors.ts).
   */
  classWeight?: TensorView;
  /** With classWeight: the one-hot's hot entry. */
  hotValue?: number;
  /**
   * With weight normalisation (LayoutOptions.weightNorm): g, one scale per output row, [out, 1]
   * for a linear layer and [out, 1, 1, 1] for a convolution, as torch.nn.utils.weight_norm keeps
   * weight_g; `weight` then holds its weight_v.
   */
  weightScale?: TensorView;
  /** In the state buffer (a batch norm's running mean and variance). */
  runningMean?: TensorView;
  runningVar?: TensorView;
  /** The convolution a conv2d is, or that a transposed convolution is the input gradient of. */
  conv?: ConvShape;
}

export interface ModelLayout {
  inShape: readonly number[];
  outShape: readonly number[];
  layers: PlacedLayer[];
  /** Floats of the parameter buffer, padding included. */
  parameterFloats: number;
  /** Floats of the state buffer (running statistics), padding included. */
  stateFloats: number;
  /** Trained parameters, no padding. */
  parameterCount: number;
  /**
   * A projection discriminator's class embedding V, [classes, features], after every layer's
   * tensors: one row per class, as long as the last layer's input (LayoutOptions).
   */
  projection?: TensorView;
}

export interface LayoutOptions {
  /**
   * Classes of a projection discriminator (Miyato and Koyama 2018), whose logit gains V[y]·φ(x)
   * with φ the input of its last layer; absent or 0 for none.
   */
  projectionClasses?: number;
  /**
   * Weight normalisation (Salimans and Kingma 2016): every linear and conv2d layer's weight is
   * used as g · v / ‖v‖ row by row, with g a parameter of its own (PlacedLayer.weightScale),
   * placed after every layer's tensors.
   */
  weightNorm?: boolean;
}

/** Views start on 256-byte boundaries (as mlp.ts), the largest storage offset alignment WebGPU allows. */
const ALIGNMENT_FLOATS = 64;

class Placer {
  floats = 0;
  count = 0;
  view(name: string, shape: number[]): TensorView {
    const count = shape.reduce((a, b) => a * b, 1);
    const view = { name, offset: this.floats, shape, count };
    this.floats += Math.ceil(count / ALIGNMENT_FLOATS) * ALIGNMENT_FLOATS;
    this.count += count;
    return view;
  }
}

const size = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

function requireImage(where: string, layer: Layer, shape: readonly number[]): [number, number, number] {
  if (shape.length !== 3)
    throw new ArgumentError(
      where,
      `${layer.kind} needs an image input [C, H, W], got [${shape}]; add an unflatten layer`,
    );
  return shape as [number, number, number];
}

/** Works out every layer's shapes and places its tensors; throws an ArgumentError naming the layer. */
export function layoutModel(
  inShape: readonly number[],
  layers: readonly Layer[],
  argument = 'layers',
  options: LayoutOptions = {},
): ModelLayout {
  if (!Array.isArray(inShape) || (inShape.length !== 1 && inShape.length !== 3))
    throw new ArgumentError(`${argument} input`, `must be [features] or [channels, height, width], got [${inShape}]`);
  for (const [i, d] of inShape.entries()) requirePositiveInteger(`${argument} input[${i}]`, d);
  if (!Array.isArray(layers) || layers.length === 0) throw new ArgumentError(argument, 'must list at least one layer');
  const params = new Placer();
  const state = new Placer();
  const placed: PlacedLayer[] = [];
  let shape: readonly number[] = inShape;
  layers.forEach((layer, index) => {
    const where = `${argument}[${index}]`;
    const p = placeLayer(where, layer, index, shape, params, state, inShape);
    placed.push(p);
    shape = p.outShape;
  });
  if (options.weightNorm) placeWeightScales(placed, params, argument);
  const classes = options.projectionClasses ?? 0;
  if (classes !== 0) requirePositiveInteger('projectionClasses', classes);
  // The name PyTorch gives an nn.Embedding attribute `projection` of the Sequential (README).
  const projection =
    classes > 0 ? params.view('projection.weight', [classes, size(placed.at(-1)!.inShape)]) : undefined;
  return {
    inShape,
    outShape: shape,
    layers: placed,
    ...(projection && { projection }),
    parameterFloats: params.floats,
    stateFloats: state.floats,
    parameterCount: params.count,
  };
}

function placeLayer(
  where: string,
  layer: Layer,
  index: number,
  inShape: readonly number[],
  params: Placer,
  state: Placer,
  networkInput: readonly number[],
): PlacedLayer {
  const base = { layer, index, inShape };
  const name = (tensor: string) => `${index}.${tensor}`;
  switch (layer?.kind) {
    case 'linear': {
      if (inShape.length !== 1)
        throw new ArgumentError(where, `linear needs a vector input [F], got [${inShape}]; add a flatten layer`);
      const out = requirePositiveInteger(`${where}.out`, layer.out);
      const weight = params.view(name('weight'), [out, inShape[0]!]);
      const bias = layer.bias === false ? undefined : params.view(name('bias'), [out]);
      return { ...base, outShape: [out], weight, ...(bias && { bias }), ...classColumns(where, layer, index, params) };
    }
    case 'conv2d':
    case 'conv-transpose2d':
      return placeConvolution(where, layer, base, params, name);
    case 'batch-norm': {
      const channels = inShape[0]!;
      return {
        ...base,
        outShape: inShape,
        weight: params.view(name('weight'), [channels]),
        bias: params.view(name('bias'), [channels]),
        runningMean: state.view(name('running_mean'), [channels]),
        runningVar: state.view(name('running_var'), [channels]),
      };
    }
    case 'activation':
      if (!['relu', 'leaky-relu', 'tanh', 'sigmoid'].includes(layer.fn))
        throw new ArgumentError(`${where}.fn`, `must be relu, leaky-relu, tanh or sigmoid, got ${String(layer.fn)}`);
      return { ...base, outShape: inShape };
    case 'gaussian-noise':
      requireFinite(`${where}.sigma`, layer.sigma, { min: 0 });
      return { ...base, outShape: inShape };
    case 'add-input':
      if (inShape.length !== networkInput.length || inShape.some((d, i) => d !== networkInput[i]))
        throw new ArgumentError(
          where,
          `add-input adds the network's input [${networkInput}] to its own input, which is [${inShape}]; ` +
            "the layers before it must end at the input's shape",
        );
      return { ...base, outShape: inShape };
    case 'flatten':
      return { ...base, outShape: [size(inShape)] };
    case 'unflatten': {
      const shape = layer.shape;
      if (!Array.isArray(shape) || shape.length !== 3 || size(shape) !== size(inShape) || !shape.every((d) => d >= 1))
        throw new ArgumentError(
          `${where}.shape`,
          `must be [C, H, W] holding the input's ${size(inShape)} values, got [${shape}]`,
        );
      return { ...base, outShape: shape };
    }
    default:
      throw new ArgumentError(
        `${where}.kind`,
        'must be linear, conv2d, conv-transpose2d, batch-norm, activation, gaussian-noise, add-input, flatten or ' +
          'unflatten, got ' +
          String((layer as { kind?: unknown })?.kind),
      );
  }
}

/** A linear layer's class columns (after its weight and bias, as the MLP's layout places them), or nothing. */
function classColumns(
  where: string,
  layer: Extract<Layer, { kind: 'linear' }>,
  index: number,
  params: Placer,
): { classWeight: TensorView; hotValue: number } | object {
  if (layer.classes === undefined || layer.classes === 0) {
    if (layer.hotValue !== undefined) throw new ArgumentError(`${where}.hotValue`, 'is for a layer with classes');
    return {};
  }
  const classes = requirePositiveInteger(`${where}.classes`, layer.classes);
  if (index !== 0) throw new ArgumentError(`${where}.classes`, 'a class label enters the first layer only (layers[0])');
  const hotValue = requireOneHotValue(`${where}.hotValue`, layer.hotValue ?? 1);
  return { classWeight: params.view(`${index}.weight`, [layer.out, classes]), hotValue };
}

/**
 * A convolution or a transposed one: its shape (a transposed one's as the convolution it
 * transposes, whose input is its output) and its tensors in PyTorch's layouts, a convolution's
 * weight [out, in, kh, kw] and a transposed one's [in, out, kh, kw].
 */
function placeConvolution(
  where: string,
  layer: Extract<Layer, { kind: 'conv2d' | 'conv-transpose2d' }>,
  base: { layer: Layer; index: number; inShape: readonly number[] },
  params: Placer,
  name: (tensor: string) => string,
): PlacedLayer {
  const [c, h, w] = requireImage(where, layer, base.inShape);
  const window = { kernelSize: layer.kernel, stride: layer.stride ?? 1, padding: layer.padding ?? 0 };
  const sizes = { batch: 1, inChannels: c, outChannels: layer.out, inHeight: h, inWidth: w, ...window };
  const transposed = layer.kind === 'conv-transpose2d';
  const conv = withLayerName(where, () =>
    convShape(transposed ? transposedAsConv({ ...sizes, outputPadding: layer.outputPadding ?? 0 }) : sizes),
  );
  const [outChannels, outHeight, outWidth] = transposed
    ? [conv.inChannels, conv.inHeight, conv.inWidth]
    : [conv.outChannels, conv.outHeight, conv.outWidth];
  const weight = params.view(name('weight'), [
    transposed ? c : outChannels,
    transposed ? outChannels : c,
    conv.kernelH,
    conv.kernelW,
  ]);
  const bias = layer.bias === false ? undefined : params.view(name('bias'), [outChannels]);
  return { ...base, outShape: [outChannels, outHeight, outWidth], weight, ...(bias && { bias }), conv };
}

/** g of every linear and conv2d layer, after the layers' own tensors (LayoutOptions.weightNorm). */
function placeWeightScales(placed: PlacedLayer[], params: Placer, argument: string): void {
  for (const p of placed) {
    const kind = p.layer.kind;
    if (kind === 'conv-transpose2d' || p.classWeight)
      throw new ArgumentError(
        `${argument}[${p.index}]`,
        `weight normalisation takes linear and conv2d layers without class columns, not a ${
          p.classWeight ? 'linear layer with class columns' : kind
        }`,
      );
    if (kind !== 'linear' && kind !== 'conv2d') continue;
    const rows = p.weight!.shape[0]!;
    const shape = kind === 'linear' ? [rows, 1] : [rows, 1, 1, 1];
    p.weightScale = params.view(`${p.index}.weight_g`, shape);
  }
}

/** Runs a geometry check, naming the layer in its error. */
function withLayerName<T>(where: string, check: () => T): T {
  try {
    return check();
  } catch (error) {
    if (error instanceof ArgumentError) throw new ArgumentError(where, error.message);
    throw error;
  }
}

/**
 * Whether a layer of this kind is a block of the network's passes (nn/network.ts): every layer
 * computes one but an activation (which rides in the block before it) and flatten and unflatten
 * (views of the same memory).
 */
export function makesBlock(kind: LayerKind): boolean {
  return kind !== 'activation' && kind !== 'flatten' && kind !== 'unflatten';
}

/** Values per example of a shape. */
export function elements(shape: readonly number[]): number {
  return size(shape);
}
