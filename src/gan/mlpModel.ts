// The design's fully connected GAN as the trainer runs it: both networks' flat buffers, the step's
// activations and kernels (step.ts), spectral normalisation of D, and the first weights (PyTorch's
// nn.Linear default, drawn on the GPU from the seed). Behaviour as before the trainer learned other
// architectures: the fixed-seed outputs of scripts/fixed-seed-outputs.sh are byte-identical.
import type { GpuContext } from '../gpu/context.js';
import type { BoundKernel } from '../kernels/kernel.js';
import { createRandomFill } from '../kernels/random.js';
import { createSpectralNorm, type SpectralNorm } from '../kernels/spectralNorm.js';
import { initStream, NETWORKS, spectralNormStream } from '../kernels/streams.js';
import { MlpParameters, viewRef, type TensorView } from '../nn/mlp.js';
import { discriminatorSpec, generatorSpec, type GanConfig } from './config.js';
import { buildStepKernels, StepActivations } from './step.js';
import type { ModelParts, TrainerModel } from './trainerModel.js';

/** Builds the MLP's networks and step and draws their first weights; on failure frees all it made. */
export async function buildMlpModel(ctx: GpuContext, config: GanConfig, parts: ModelParts): Promise<TrainerModel> {
  const generator = new MlpParameters(ctx, generatorSpec(config), 'generator', true);
  const owned: Array<{ destroy(): void }> = [generator];
  const destroy = () => {
    for (const o of owned.reverse()) o.destroy();
  };
  try {
    const discriminator = new MlpParameters(ctx, discriminatorSpec(config), 'discriminator', false);
    owned.push(discriminator);
    const workspace = new StepActivations(ctx, config);
    owned.push(workspace);
    const normalization = config.spectralNorm ? await DiscriminatorNormalization.create(ctx, discriminator) : null;
    if (normalization) owned.push(normalization);
    const kernels = await buildStepKernels(ctx, {
      ...parts,
      ...(normalization && { spectralNorm: normalization }),
      config,
      generator,
      discriminator,
      workspace,
    });
    owned.push(...kernels);
    const model: TrainerModel = { generator, discriminator, kernels, spectralNorm: normalization, destroy };
    await initialiseWeights(ctx, config, model, generator, discriminator);
    return model;
  } catch (error) {
    destroy();
    throw error;
  }
}

/** PyTorch's nn.Linear default: W and b ~ U(−1/√fan_in, 1/√fan_in), drawn on the GPU from the seed. */
async function initialiseWeights(
  ctx: GpuContext,
  config: GanConfig,
  model: TrainerModel,
  generator: MlpParameters,
  discriminator: MlpParameters,
): Promise<void> {
  const kernels: BoundKernel[] = [];
  try {
    for (const [n, mlp] of [generator, discriminator].entries()) {
      for (const [l, layer] of mlp.layout.layers.entries()) {
        // fan_in counts a conditional layer's class inputs, as for the joined torch.nn.Linear.
        const bound = 1 / Math.sqrt(layer.inFeatures + (layer.classWeight?.shape[1] ?? 0));
        const network = NETWORKS[n]!;
        const views: Array<[TensorView, number]> = [
          [layer.weight, initStream(network, l, 'weight')],
          [layer.bias, initStream(network, l, 'bias')],
        ];
        if (layer.classWeight) views.push([layer.classWeight, initStream(network, l, 'classWeight')]);
        for (const [view, stream] of views) {
          kernels.push(
            await createRandomFill(ctx, {
              n: view.count,
              output: viewRef(mlp.weights, view),
              seed: config.seed,
              stream,
              distribution: { kind: 'uniform', low: -bound, high: bound },
            }),
          );
        }
      }
    }
    // Spectral normalisation's u vectors: N(0, 1) (only their direction matters).
    for (const [l, view] of (model.spectralNorm?.vectors() ?? []).entries()) {
      kernels.push(
        await createRandomFill(ctx, {
          n: view.size / 4,
          output: view,
          seed: config.seed,
          stream: spectralNormStream(l),
          distribution: { kind: 'normal' },
        }),
      );
    }
    const encoder = ctx.device.createCommandEncoder({ label: 'init weights' });
    const pass = encoder.beginComputePass();
    for (const k of kernels) k.record(pass);
    pass.end();
    encoder.copyBufferToBuffer(generator.weights, 0, generator.ema!, 0, generator.weights.size);
    ctx.submit([encoder.finish()]);
    await ctx.sync();
  } finally {
    for (const k of kernels) k.destroy();
  }
}

/** Spectral normalisation of the discriminator: its kernels and the normalised copy of its weights. */
export class DiscriminatorNormalization {
  private constructor(
    private readonly ctx: GpuContext,
    readonly kernels: SpectralNorm,
    readonly normalized: GPUBuffer,
  ) {}

  static async create(ctx: GpuContext, discriminator: MlpParameters): Promise<DiscriminatorNormalization> {
    const layers = discriminator.layout.layers.map((layer) => ({
      rows: layer.outFeatures,
      cols: layer.inFeatures,
      weightOffset: layer.weight.offset,
      biasOffset: layer.bias.offset,
    }));
    const floats = discriminator.layout.totalFloats;
    const normalized = ctx.memory.createStorage('discriminator weights / σ', floats);
    try {
      const kernels = await createSpectralNorm(ctx, {
        layers,
        floats,
        weights: discriminator.weights,
        normalized,
        grads: discriminator.grads,
        label: 'spectral norm D',
      });
      return new DiscriminatorNormalization(ctx, kernels, normalized);
    } catch (error) {
      ctx.memory.release(normalized);
      throw error;
    }
  }

  /** Each layer's u (its output width) as a range of the u buffer, in layer order. */
  vectors(): Array<{ buffer: GPUBuffer; offset: number; size: number }> {
    return this.kernels.vectors();
  }

  destroy(): void {
    this.kernels.destroy();
    this.ctx.memory.release(this.normalized);
  }
}
