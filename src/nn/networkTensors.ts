// A layer-list network's tensors under PyTorch's names ("generator.0.weight", …, a batch norm's
// running_mean, running_var and int64 num_batches_tracked), so that load_state_dict(strict=True)
// of the same nn.Sequential takes them; and back, checked against the layout before any GPU
// write. The flat buffers hold the parameters (and, apart, the running statistics) with padding
// between tensors; these functions cut them out and put them back.
// A linear layer's class columns are their own block of the flat buffer but one tensor with its
// other columns when saved, [out, in + classes] as torch.nn.Linear holds it. Trained with a
// one-hot whose hot entry h is not 1, they are saved times h: the weights a plain one-hot input
// (torch's F.one_hot) needs for the same outputs. h is a power of two, so the scaling there and
// back is exact. Adam's moments are not parameters: they are kept as trained ('as-trained').
import type { IntegerTensorMap, TensorMap } from '../io/safetensors.js';
import type { TensorView } from './mlp.js';
import type { ModelLayout } from './model.js';

export interface NetworkTensorEntry {
  /** The full name, prefix included. */
  name: string;
  view: TensorView;
  /** The saved tensor's shape: the view's, or with a linear layer's class columns joined to it. */
  shape: number[];
  /** A linear layer's class columns, saved after the view's in each row. */
  classes?: { view: TensorView; hotValue: number };
  /** Which flat buffer holds it. */
  buffer: 'parameters' | 'state';
}

/**
 * What a flat buffer holds: 'parameters' (weights, their moving average), whose class columns are
 * saved for a plain one-hot, or 'as-trained' (Adam's moments), saved as they are.
 */
export type ScaleOf = 'parameters' | 'as-trained';

/** Every float tensor of the network in Sequential order (what state_dict() lists, less the counters). */
export function networkTensorEntries(layout: ModelLayout, prefix: string): NetworkTensorEntry[] {
  const entries: NetworkTensorEntry[] = [];
  for (const p of layout.layers) {
    const add = (view: TensorView | undefined, buffer: NetworkTensorEntry['buffer']) => {
      if (view) entries.push({ name: `${prefix}.${view.name}`, view, shape: [...view.shape], buffer });
    };
    if (p.weight && p.classWeight) {
      const classes = { view: p.classWeight, hotValue: p.hotValue ?? 1 };
      const shape = [p.weight.shape[0]!, p.weight.shape[1]! + p.classWeight.shape[1]!];
      entries.push({ name: `${prefix}.${p.weight.name}`, view: p.weight, shape, classes, buffer: 'parameters' });
    } else add(p.weight, 'parameters');
    add(p.bias, 'parameters');
    add(p.weightScale, 'parameters');
    add(p.runningMean, 'state');
    add(p.runningVar, 'state');
  }
  // A projection discriminator's class embedding, after the Sequential's own tensors.
  if (layout.projection) {
    const view = layout.projection;
    entries.push({ name: `${prefix}.${view.name}`, view, shape: [...view.shape], buffer: 'parameters' });
  }
  return entries;
}

/** An entry's tensor cut out of its flat buffer (class columns joined, times h for parameters). */
export function readEntry(flat: Float32Array, e: NetworkTensorEntry, scaleOf: ScaleOf = 'parameters'): Float32Array {
  const { view, classes } = e;
  if (!classes) return flat.slice(view.offset, view.offset + view.count);
  const [rows, inputs] = view.shape as [number, number];
  const width = classes.view.shape[1]!;
  const scale = scaleOf === 'parameters' ? classes.hotValue : 1;
  const joined = new Float32Array(rows * (inputs + width));
  for (let o = 0; o < rows; o++) {
    const start = o * (inputs + width);
    joined.set(flat.subarray(view.offset + o * inputs, view.offset + (o + 1) * inputs), start);
    const from = classes.view.offset + o * width;
    for (let k = 0; k < width; k++) joined[start + inputs + k] = flat[from + k]! * scale;
  }
  return joined;
}

/** Puts an entry's checked tensor into its flat buffer (class columns apart, divided by h for parameters). */
export function writeEntry(
  flat: Float32Array,
  e: NetworkTensorEntry,
  data: Float32Array,
  scaleOf: ScaleOf = 'parameters',
): void {
  const { view, classes } = e;
  if (!classes) {
    flat.set(data, view.offset);
    return;
  }
  const [rows, inputs] = view.shape as [number, number];
  const width = classes.view.shape[1]!;
  const scale = scaleOf === 'parameters' ? 1 / classes.hotValue : 1;
  for (let o = 0; o < rows; o++) {
    const row = data.subarray(o * (inputs + width), (o + 1) * (inputs + width));
    flat.set(row.subarray(0, inputs), view.offset + o * inputs);
    const to = classes.view.offset + o * width;
    for (let k = 0; k < width; k++) flat[to + k] = row[inputs + k]! * scale;
  }
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
  for (const e of networkTensorEntries(layout, prefix))
    tensors.set(e.name, { shape: [...e.shape], data: readEntry(flat[e.buffer], e) });
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
    if (tensor.shape.join('x') !== e.shape.join('x'))
      return `tensor "${e.name}" has shape [${tensor.shape}] but this model needs [${e.shape}]`;
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
  for (const e of networkTensorEntries(layout, prefix)) writeEntry(flat[e.buffer], e, tensors.get(e.name)!.data);
  return flat;
}
