// The trainer's full state as named tensors (for checkpoints): both networks' weights in
// torch.nn.Linear layout, the generator's moving average, both Adam moments, and the step.
// Together with the configuration (seed included) this determines all future training, since
// noise and batches are pure functions of (seed, step).
import { ArgumentError } from '../gpu/errors.js';
import type { MlpParameters } from '../nn/mlp.js';
import type { GanTrainer } from './trainer.js';

export interface NamedTensor {
  shape: number[];
  data: Float32Array;
}

export type TensorMap = Map<string, NamedTensor>;

/** Which flat buffer of which network each tensor-name prefix refers to. */
function bufferPrefixes(trainer: GanTrainer): Array<[string, MlpParameters, 'weights' | 'ema' | 'moment1' | 'moment2']> {
  const { generator: G, discriminator: D } = trainer;
  return [
    ['generator', G, 'weights'],
    ['generator_ema', G, 'ema'],
    ['discriminator', D, 'weights'],
    ['optimizer.generator.exp_avg', G, 'moment1'],
    ['optimizer.generator.exp_avg_sq', G, 'moment2'],
    ['optimizer.discriminator.exp_avg', D, 'moment1'],
    ['optimizer.discriminator.exp_avg_sq', D, 'moment2'],
  ];
}

export async function exportTensors(trainer: GanTrainer, only?: (prefix: string) => boolean): Promise<TensorMap> {
  const tensors: TensorMap = new Map();
  for (const [prefix, mlp, role] of bufferPrefixes(trainer)) {
    if (only && !only(prefix)) continue;
    const flat = await trainer.ctx.readF32(mlp.buffers()[role]!);
    for (const layer of mlp.layout.layers) {
      for (const view of [layer.weight, layer.bias]) {
        tensors.set(`${prefix}.${view.name}`, { shape: view.shape, data: flat.slice(view.offset, view.offset + view.count) });
      }
    }
  }
  return tensors;
}

/** Writes every tensor back. All must be present with the trainer's shapes; checked before any write. */
export function importTensors(trainer: GanTrainer, tensors: TensorMap): void {
  const writes: Array<[GPUBuffer, Float32Array]> = [];
  for (const [prefix, mlp, role] of bufferPrefixes(trainer)) {
    const flat = new Float32Array(mlp.layout.totalFloats);
    for (const layer of mlp.layout.layers) {
      for (const view of [layer.weight, layer.bias]) {
        const name = `${prefix}.${view.name}`;
        const tensor = tensors.get(name);
        if (!tensor) throw new ArgumentError('checkpoint', `has no tensor "${name}"`);
        if (tensor.shape.join('x') !== view.shape.join('x')) {
          throw new ArgumentError('checkpoint', `tensor "${name}" has shape [${tensor.shape}] but this model needs [${view.shape}]`);
        }
        if (!tensor.data.every(Number.isFinite)) throw new ArgumentError('checkpoint', `tensor "${name}" contains NaN or infinite values`);
        flat.set(tensor.data, view.offset);
      }
    }
    writes.push([mlp.buffers()[role]!, flat]);
  }
  for (const [buffer, data] of writes) trainer.ctx.write(buffer, data);
}
