// Weight normalisation of a layer-list network (the discriminator's, networkLayout with
// weightNorm): every linear and conv2d weight used as g · v / ‖v‖ row by row, a convolution's
// [out, in, kh, kw] viewed as [out, in·kh·kw] (torch.nn.utils.weight_norm with dim = 0). The
// kernels (kernels/weightNorm.ts) write the normalised copy that the passes read and turn the
// gradients of it into those of v and g; g lives in the parameter buffer (PlacedLayer.weightScale),
// so the optimiser trains it and checkpoints keep it. This object owns the kernels and the copy.
import { ArgumentError } from '../base/errors.js';
import type { GpuContext } from '../gpu/context.js';
import { createWeightNorm, type WeightNorm, type WeightNormLayer } from '../kernels/weightNorm.js';
import type { ModelLayout } from './model.js';
import type { NetworkParameters } from './network.js';

/** The layers weight normalisation covers: those with a g. */
function normalizedLayers(layout: ModelLayout): WeightNormLayer[] {
  return layout.layers
    .filter((p) => p.weightScale)
    .map((p) => {
      const rows = p.weight!.shape[0]!;
      return {
        rows,
        cols: p.weight!.count / rows,
        weightOffset: p.weight!.offset,
        scaleOffset: p.weightScale!.offset,
        ...(p.bias && { biasOffset: p.bias.offset }),
      };
    });
}

export class NetworkWeightNorm {
  private constructor(
    private readonly ctx: GpuContext,
    readonly kernels: WeightNorm,
    /** g · v / ‖v‖ for every weight, biases and g as they are: what the network's passes read. */
    readonly normalized: GPUBuffer,
  ) {}

  static async create(ctx: GpuContext, net: NetworkParameters): Promise<NetworkWeightNorm> {
    const layers = normalizedLayers(net.layout);
    if (layers.length === 0)
      throw new ArgumentError('network', `${net.label} has no weight-normalised layer: lay it out with weightNorm`);
    // The copy holds what the kernels write and nothing else: a batch norm's γ and β or a
    // projection's embedding would read as zeros there.
    if (net.layout.projection || net.layout.layers.some((p) => p.layer.kind === 'batch-norm'))
      throw new ArgumentError(
        'network',
        `${net.label} has a batch norm or a class projection, which weight normalisation does not take`,
      );
    const normalized = ctx.memory.createStorage(`${net.label} weights g·v/‖v‖`, net.layout.parameterFloats);
    try {
      const kernels = await createWeightNorm(ctx, {
        layers,
        floats: net.layout.parameterFloats,
        weights: net.weights,
        normalized,
        grads: net.grads,
        label: `weight norm ${net.label}`,
      });
      return new NetworkWeightNorm(ctx, kernels, normalized);
    } catch (error) {
      ctx.memory.release(normalized);
      throw error;
    }
  }

  destroy(): void {
    this.kernels.destroy();
    this.ctx.memory.release(this.normalized);
  }
}

/** ‖v‖ of a row with the kernel's guard (at least 1e-12), so that a row of zeros stays finite. */
export function rowLength(row: Float32Array): number {
  let sum = 0;
  for (const x of row) sum += x * x;
  return Math.max(Math.sqrt(sum), 1e-12);
}

/**
 * What the passes of a weight-normalised network read, from its flat parameters as trained (a
 * checkpoint's): each normalised row g · v / ‖v‖ in place, in float64 before rounding, with the
 * kernel's guard (‖v‖ at least 1e-12).
 */
export function applyWeightNorm(layout: ModelLayout, flat: Float32Array): void {
  for (const layer of normalizedLayers(layout)) {
    const { rows, cols, weightOffset, scaleOffset } = layer;
    for (let i = 0; i < rows; i++) {
      const row = flat.subarray(weightOffset + i * cols, weightOffset + (i + 1) * cols);
      const norm = rowLength(row);
      const factor = flat[scaleOffset + i]! / norm;
      for (let j = 0; j < cols; j++) row[j] = row[j]! * factor;
    }
  }
}
