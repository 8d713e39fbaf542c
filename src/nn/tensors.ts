// An MLP's parameters as named tensors ("<prefix>.0.weight", torch.nn.Sequential's names), for
// checkpoints and weight files: checked against the layout before any GPU write, and flattened
// into (or cut out of) the flat buffer the kernels use. (The GANs' networks, a one-hot conditional
// MLP's class columns among them, have their own: nn/networkTensors.ts. This serves the scoring
// classifier.)
import type { TensorMap } from '../io/safetensors.js';
import type { MlpLayout } from './mlp.js';

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
      const shape = view.shape;
      if (tensor.shape.join('x') !== shape.join('x'))
        return `tensor "${name}" has shape [${tensor.shape}] but this model needs [${shape}]`;
      if (!tensor.data.every(Number.isFinite)) return `tensor "${name}" contains NaN or infinite values`;
      if (options.nonNegative && tensor.data.some((v) => v < 0))
        return `tensor "${name}" (${options.nonNegative}) has negative values, which it can never hold`;
    }
  }
  return null;
}

/** The flat buffer contents for `prefix`, from tensors already checked by mlpTensorProblem. */
export function flattenMlpTensors(layout: MlpLayout, prefix: string, tensors: TensorMap): Float32Array {
  const flat = new Float32Array(layout.totalFloats);
  for (const layer of layout.layers)
    for (const view of [layer.weight, layer.bias]) flat.set(tensors.get(`${prefix}.${view.name}`)!.data, view.offset);
  return flat;
}

/** Adds the tensors of one flat buffer's contents to `tensors` under `prefix`. */
export function addMlpTensors(layout: MlpLayout, prefix: string, flat: Float32Array, tensors: TensorMap): void {
  for (const layer of layout.layers)
    for (const view of [layer.weight, layer.bias])
      tensors.set(`${prefix}.${view.name}`, {
        shape: view.shape,
        data: flat.slice(view.offset, view.offset + view.count),
      });
}
