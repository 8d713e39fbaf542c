// A dataset uploaded to the GPU once: either bytes packed four to a u32 (MNIST pixels, a quarter
// of the memory of f32 and gathered with scaling to [−1, 1]) or raw f32 values.
import { ArgumentError, requirePositiveInteger } from '../base/errors.js';
import type { GpuContext } from '../gpu/context.js';
import { requireArrayLike, requireContext, requireInstance } from '../base/arguments.js';

export class GpuDataset {
  private constructor(
    private readonly ctx: GpuContext,
    readonly buffer: GPUBuffer,
    readonly packedU8: boolean,
    readonly count: number,
    readonly dim: number,
    /** For class labels (fromLabels): how many classes there are; null otherwise. */
    readonly classes: number | null = null,
  ) {}

  /**
   * One class label per example (e.g. MNIST's digits), each an integer in [0, classes), stored as
   * floats of dimension 1 so that the batch gather takes them in the images' shuffled order.
   */
  static fromLabels(ctx: GpuContext, labels: ArrayLike<number>, classes: number, label = 'labels'): GpuDataset {
    requireContext(ctx);
    requireArrayLike('labels', labels, 'an array of class indices');
    requirePositiveInteger('classes', classes);
    GpuDataset.checkShape(labels.length, labels.length, 1);
    for (let i = 0; i < labels.length; i++) {
      const value = labels[i]!;
      if (!Number.isInteger(value) || value < 0 || value >= classes)
        throw new ArgumentError('labels', `label ${i} is ${value}, not a class in [0, ${classes})`);
    }
    const buffer = ctx.memory.createStorage(label, Float32Array.from(labels));
    return new GpuDataset(ctx, buffer, false, labels.length, 1, classes);
  }

  /** count × dim bytes, each mapped to (2·byte − 255)/255 ∈ [−1, 1] when gathered. */
  static fromBytes(ctx: GpuContext, bytes: Uint8Array, count: number, dim: number, label = 'dataset'): GpuDataset {
    requireContext(ctx);
    requireInstance('bytes', bytes, Uint8Array, 'a Uint8Array of count × dim bytes');
    GpuDataset.checkShape(bytes.length, count, dim);
    const padded = new Uint8Array(Math.ceil(bytes.length / 4) * 4);
    padded.set(bytes);
    const buffer = ctx.memory.createStorage(label, new Uint32Array(padded.buffer));
    return new GpuDataset(ctx, buffer, true, count, dim);
  }

  /** count × dim f32 values, gathered as they are. */
  static fromFloats(ctx: GpuContext, values: Float32Array, count: number, dim: number, label = 'dataset'): GpuDataset {
    requireContext(ctx);
    requireInstance('values', values, Float32Array, 'a Float32Array of count × dim values');
    GpuDataset.checkShape(values.length, count, dim);
    if (!values.every(Number.isFinite)) throw new ArgumentError('values', 'contains NaN or infinite values');
    return new GpuDataset(ctx, ctx.memory.createStorage(label, values), false, count, dim);
  }

  private static checkShape(length: number, count: number, dim: number): void {
    requirePositiveInteger('count', count);
    requirePositiveInteger('dim', dim);
    if (length !== count * dim)
      throw new ArgumentError('data', `has ${length} values, expected count × dim = ${count * dim}`);
  }

  destroy(): void {
    this.ctx.memory.release(this.buffer);
  }
}
