// A layer-list network's tensors under PyTorch's names ("generator.0.weight", …, a batch norm's
// running_mean, running_var and int64 num_batches_tracked), so that load_state_dict(strict=True)
// of the same nn.Sequential takes them; and back, checked against the layout before any GPU
// write. The flat buffers hold the parameters (and, apart, the running statistics) with padding
// between tensors; these functions cut them out and put them back.
import type { IntegerTensorMap, TensorMap } from '../io/safetensors.js';
import type { TensorView } from './mlp.js';
import type { ModelLayout } from './model.js';

export interface NetworkTensorEntry {
  /** The full name, prefix included. */
  name: string;
  view: TensorView;
  /** Which flat buffer holds it. */
  buffer: 'parameters' | 'state';
}

/** Every float tensor of the network in Sequential order (what state_dict() lists, less the counters). */
export function networkTensorEntries(layout: ModelLayout, prefix: string): NetworkTensorEntry[] {
  const entries: NetworkTensorEntry[] = [];
  for (const p of layout.layers) {
    const add = (view: TensorView | undefined, buffer: NetworkTensorEntry['buffer']) => {
      if (view) entries.push({ name: `${prefix}.${view.name}`, view, buffer });
    };
    add(p.weight, 'parameters');
    add(p.bias, 'parameters');
    add(p.runningMean, 'state');
    add(p.runningVar, 'state');
  }
  // A projection discriminator's class embedding, after the Sequential's own tensors.
  if (layout.projection)
    entries.push({ name: `${prefix}.${layout.projection.name}`, view: layout.projection, buffer: 'parameters' });
  return entries;
}

/** The names of the batch norms' num_batches_tracked counters. */
export function batchCounterNames(layout: ModelLayout, prefix: string): string[] {
  return layout.layers
    .filter((p) => p.layer.kind === 'batch-norm')
    .map((p) => `${prefix}.${p.index}.num_batches_tracked`);
}

/**
 * The network's tensors from its flat buffers' contents. `batchesTracked`: the training batches
 * each batch norm has seen (PyTorch counts one per forward pass in training mode).
 */
export function networkTensors(
  layout: ModelLayout,
  prefix: string,
  flat: { parameters: Float32Array; state: Float32Array },
  batchesTracked: number,
): { tensors: TensorMap; integers: IntegerTensorMap } {
  const tensors: TensorMap = new Map();
  for (const e of networkTensorEntries(layout, prefix)) {
    const source = flat[e.buffer];
    tensors.set(e.name, { shape: [...e.view.shape], data: source.slice(e.view.offset, e.view.offset + e.view.count) });
  }
  const integers: IntegerTensorMap = new Map();
  for (const name of batchCounterNames(layout, prefix))
    integers.set(name, { shape: [], data: BigInt64Array.of(BigInt(batchesTracked)) });
  return { tensors, integers };
}

/** Why the tensors do not hold this network under `prefix`, or null. */
export function networkTensorProblem(
  layout: ModelLayout,
  prefix: string,
  tensors: TensorMap,
  integers: IntegerTensorMap,
): string | null {
  for (const e of networkTensorEntries(layout, prefix)) {
    const tensor = tensors.get(e.name);
    if (!tensor)
      return integers.has(e.name)
        ? `tensor "${e.name}" is an integer tensor; it must be float32`
        : `has no tensor "${e.name}"`;
    if (tensor.shape.join('x') !== e.view.shape.join('x'))
      return `tensor "${e.name}" has shape [${tensor.shape}] but this model needs [${e.view.shape}]`;
    if (!tensor.data.every(Number.isFinite)) return `tensor "${e.name}" contains NaN or infinite values`;
    if (e.name.endsWith('.running_var') && tensor.data.some((v) => v < 0))
      return `tensor "${e.name}" (a running variance) has negative values, which it can never hold`;
  }
  for (const name of batchCounterNames(layout, prefix)) {
    const counter = integers.get(name);
    if (!counter)
      return tensors.has(name) ? `tensor "${name}" must be int64, as PyTorch keeps it` : `has no tensor "${name}"`;
    if (counter.data.length !== 1 || counter.data[0]! < 0n) return `tensor "${name}" must hold one count of at least 0`;
  }
  return null;
}

/** The flat buffers' contents from checked tensors (networkTensorProblem first); padding stays zero. */
export function flatFromTensors(
  layout: ModelLayout,
  prefix: string,
  tensors: TensorMap,
): { parameters: Float32Array; state: Float32Array } {
  const flat = { parameters: new Float32Array(layout.parameterFloats), state: new Float32Array(layout.stateFloats) };
  for (const e of networkTensorEntries(layout, prefix)) flat[e.buffer].set(tensors.get(e.name)!.data, e.view.offset);
  return flat;
}
