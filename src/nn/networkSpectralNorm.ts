// Spectral normalisation of a layer-list network (the discriminator's): every linear and
// convolution weight (and a projection's class embedding, [classes, features]) used as W / σ, a
// convolution's [out, in, kh, kw] viewed as the matrix [out, in·kh·kw] as PyTorch's spectral_norm
// views it. The kernels (kernels/spectralNorm.ts) write
// the normalised copy that the passes read and correct the gradients; this object owns them, the
// copy, and the power iteration's vectors, which start as N(0, 1) draws from the seed.
// Batch norms are left as they are: σ bounds a weight matrix's gain, and a batch norm's γ is a
// per-channel scale, not a matrix (PyTorch's spectral_norm is applied to linear and convolution
// modules). The copy holds no γ or β, so a pass that reads it takes those from the trained
// weights (PassBuffers.batchNormWeights).
import { ArgumentError } from '../base/errors.js';
import type { GpuContext } from '../gpu/context.js';
import { createRandomFill } from '../kernels/random.js';
import { createSpectralNorm, type SpectralNorm, type SpectralNormLayer } from '../kernels/spectralNorm.js';
import { spectralNormStream } from '../kernels/streams.js';
import type { NetworkParameters } from './network.js';

export class NetworkNormalization {
  private constructor(
    private readonly ctx: GpuContext,
    readonly kernels: SpectralNorm,
    /** W / σ for every weight, biases as they are: what the network's passes read. */
    readonly normalized: GPUBuffer,
  ) {}

  static async create(ctx: GpuContext, net: NetworkParameters): Promise<NetworkNormalization> {
    // Batch norms are left as they are; Gaussian-noise and add-input layers hold nothing to normalise.
    const normalised = net.blocks.filter(
      (block) => !['batch-norm', 'gaussian-noise', 'add-input'].includes(block.layer.layer.kind),
    );
    const layers: SpectralNormLayer[] = normalised.map((block) => {
      const p = block.layer;
      if (p.layer.kind !== 'linear' && p.layer.kind !== 'conv2d')
        throw new ArgumentError(
          `layers[${p.index}]`,
          'spectral normalisation takes linear and conv2d layers (and leaves batch norms as they are); ' +
            `${net.label} has a ${p.layer.kind}`,
        );
      const rows = p.weight!.shape[0]!;
      return {
        rows,
        cols: p.weight!.count / rows,
        weightOffset: p.weight!.offset,
        ...(p.bias && { biasOffset: p.bias.offset }),
      };
    });
    // A projection's class embedding is normalised too, as Miyato and Koyama's code does: its rows
    // weigh the same features as the last layer's weight, and an unbounded V would undo σ's bound.
    const projection = net.layout.projection;
    if (projection)
      layers.push({ rows: projection.shape[0]!, cols: projection.shape[1]!, weightOffset: projection.offset });
    const normalized = ctx.memory.createStorage(`${net.label} weights / σ`, net.layout.parameterFloats);
    try {
      const kernels = await createSpectralNorm(ctx, {
        layers,
        floats: net.layout.parameterFloats,
        weights: net.weights,
        normalized,
        grads: net.grads,
        label: `spectral norm ${net.label}`,
      });
      return new NetworkNormalization(ctx, kernels, normalized);
    } catch (error) {
      ctx.memory.release(normalized);
      throw error;
    }
  }

  /** Each layer's u (its output width) as a range of the u buffer, in layer order. */
  vectors(): Array<{ buffer: GPUBuffer; offset: number; size: number }> {
    return this.kernels.vectors();
  }

  /** Draws every u from the seed (only their directions matter); waits until the GPU is done. */
  async initialise(seed: number): Promise<void> {
    const fills = [];
    try {
      for (const [l, view] of this.vectors().entries()) {
        fills.push(
          await createRandomFill(this.ctx, {
            n: view.size / 4,
            output: view,
            seed,
            stream: spectralNormStream(l),
            distribution: { kind: 'normal' },
          }),
        );
      }
      const encoder = this.ctx.device.createCommandEncoder({ label: 'spectral norm vectors' });
      const pass = encoder.beginComputePass();
      for (const f of fills) f.record(pass);
      pass.end();
      this.ctx.submit([encoder.finish()]);
      await this.ctx.sync();
    } finally {
      for (const f of fills) f.destroy();
    }
  }

  destroy(): void {
    this.kernels.destroy();
    this.ctx.memory.release(this.normalized);
  }
}
