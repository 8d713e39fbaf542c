// An MLP's parameters as named tensors ("<prefix>.0.weight", torch.nn.Sequential's names), for
// checkpoints and weight files: checked against the layout before any GPU write, and flattened
// into (or cut out of) the flat buffer the kernels use.
// A conditional first layer trained with a one-hot whose hot entry h is not 1 is saved with its
// class columns times h: the weights a plain one-hot input (torch's F.one_hot) needs for the same
// outputs. h is a power of two, so the scaling there and back is exact. Adam's moments are not
// parameters and are kept as trained (ScaleOf 'as-trained').
import type { TensorMap } from '../io/safetensors.js';
import type { LayerLayout, MlpLayout, TensorView } from './mlp.js';

/** Why `tensors` does not hold this layout's tensors under `prefix`, or null. */
export function mlpTensorProblem(
  layout: MlpLayout,
  prefix: string,
  tensors: TensorMap,
  /** Names what the tensors hold when no value may be negative (a running mean of squares). */
  options: { nonNegative?: string } = {},
): string | null {
  for (const layer of layout.layers) {
    for (const view of [layer.weight, layer.bias]) {
      const name = `${prefix}.${view.name}`;
      const tensor = tensors.get(name);
      if (!tensor) return `has no tensor "${name}"`;
      const shape = torchShape(layer, view);
      if (tensor.shape.join('x') !== shape.join('x'))
        return `tensor "${name}" has shape [${tensor.shape}] but this model needs [${shape}]`;
      if (!tensor.data.every(Number.isFinite)) return `tensor "${name}" contains NaN or infinite values`;
      if (options.nonNegative && tensor.data.some((v) => v < 0))
        return `tensor "${name}" (${options.nonNegative}) has negative values, which it can never hold`;
    }
  }
  return null;
}

/** A view's shape as torch.nn.Linear holds it: a conditional first layer's weight includes its class columns. */
function torchShape(layer: LayerLayout, view: TensorView): number[] {
  if (view !== layer.weight || !layer.classWeight) return view.shape;
  return [layer.outFeatures, layer.inFeatures + layer.classWeight.shape[1]!];
}

/**
 * What the flat buffer holds: 'parameters' (weights, their moving average), whose saved class
 * columns are scaled for a plain one-hot, or 'as-trained' (Adam's moments), saved as they are.
 */
export type ScaleOf = 'parameters' | 'as-trained';

/** The factor from the flat buffer's class columns to the saved ones. */
function savedClassScale(layer: LayerLayout, scaleOf: ScaleOf): number {
  return scaleOf === 'parameters' ? (layer.oneHotValue ?? 1) : 1;
}

/** The flat buffer contents for `prefix`, from tensors already checked by mlpTensorProblem. */
export function flattenMlpTensors(
  layout: MlpLayout,
  prefix: string,
  tensors: TensorMap,
  scaleOf: ScaleOf = 'parameters',
): Float32Array {
  const flat = new Float32Array(layout.totalFloats);
  for (const layer of layout.layers) {
    for (const view of [layer.weight, layer.bias]) {
      const data = tensors.get(`${prefix}.${view.name}`)!.data;
      if (view === layer.weight && layer.classWeight)
        splitClassColumns(layer, data, flat, 1 / savedClassScale(layer, scaleOf));
      else flat.set(data, view.offset);
    }
  }
  return flat;
}

/** A conditional layer's [out, in + classes] weight into its two blocks of the flat buffer, class columns × scale. */
function splitClassColumns(layer: LayerLayout, joined: Float32Array, flat: Float32Array, scale: number): void {
  const [inputs, classes] = [layer.inFeatures, layer.classWeight!.shape[1]!];
  for (let o = 0; o < layer.outFeatures; o++) {
    const row = joined.subarray(o * (inputs + classes), (o + 1) * (inputs + classes));
    flat.set(row.subarray(0, inputs), layer.weight.offset + o * inputs);
    const classStart = layer.classWeight!.offset + o * classes;
    for (let k = 0; k < classes; k++) flat[classStart + k] = row[inputs + k]! * scale;
  }
}

/** The two blocks of a conditional layer's weight joined into torch's [out, in + classes], class columns × scale. */
function joinClassColumns(layer: LayerLayout, flat: Float32Array, scale: number): Float32Array {
  const [inputs, classes] = [layer.inFeatures, layer.classWeight!.shape[1]!];
  const joined = new Float32Array(layer.outFeatures * (inputs + classes));
  for (let o = 0; o < layer.outFeatures; o++) {
    const start = o * (inputs + classes);
    joined.set(flat.subarray(layer.weight.offset + o * inputs, layer.weight.offset + (o + 1) * inputs), start);
    const classStart = layer.classWeight!.offset + o * classes;
    for (let k = 0; k < classes; k++) joined[start + inputs + k] = flat[classStart + k]! * scale;
  }
  return joined;
}

/** Adds the tensors of one flat buffer's contents to `tensors` under `prefix`. */
export function addMlpTensors(
  layout: MlpLayout,
  prefix: string,
  flat: Float32Array,
  tensors: TensorMap,
  scaleOf: ScaleOf = 'parameters',
): void {
  for (const layer of layout.layers) {
    for (const view of [layer.weight, layer.bias]) {
      const joined = view === layer.weight && layer.classWeight;
      tensors.set(`${prefix}.${view.name}`, {
        shape: torchShape(layer, view),
        data: joined
          ? joinClassColumns(layer, flat, savedClassScale(layer, scaleOf))
          : flat.slice(view.offset, view.offset + view.count),
      });
    }
  }
}
