// The trainer's model for a configuration: a pair of layer lists (networks.ts) planned by
// networkStep.ts, whatever the architecture. The MLP's, conditional or not, records the kernels
// its own planner did, in the same order, so its checkpoints are the bytes that planner wrote
// (tests/gan/mlpCheckpointBytes.test.ts).
import type { GpuContext } from '../gpu/context.js';
import { NetworkParameters } from '../nn/network.js';
import { initialiseNetwork } from '../nn/networkInit.js';
import { NetworkNormalization } from '../nn/networkSpectralNorm.js';
import { NetworkWeightNorm } from '../nn/networkWeightNorm.js';
import type { GanConfig } from './config.js';
import { buildNetworkStep } from './networkStep.js';
import { initializeDiscriminatorFromData } from './weightNormData.js';
import { discriminatorNetworkSpec, generatorNetworkSpec } from './networks.js';
import type { ModelParts, TrainerModel } from './trainerModel.js';

/** The configuration's networks and step, with their first weights drawn from the seed. */
export function buildTrainerModel(ctx: GpuContext, config: GanConfig, parts: ModelParts): Promise<TrainerModel> {
  return buildNetworkModel(ctx, config, parts);
}

/** Layer lists, from DCGAN's weights_init (N(0, 0.02) convolutions, N(1, 0.02) batch-norm scales) or PyTorch's. */
async function buildNetworkModel(ctx: GpuContext, config: GanConfig, parts: ModelParts): Promise<TrainerModel> {
  const owned: Array<{ destroy(): void }> = [];
  const destroy = () => {
    for (const o of owned.reverse()) o.destroy();
  };
  try {
    const generator = new NetworkParameters(ctx, generatorNetworkSpec(config), 'generator', true);
    owned.push(generator);
    const discriminator = new NetworkParameters(ctx, discriminatorNetworkSpec(config), 'discriminator');
    owned.push(discriminator);
    const spectralNorm = config.spectralNorm ? await NetworkNormalization.create(ctx, discriminator) : null;
    if (spectralNorm) owned.push(spectralNorm);
    const weightNorm = config.weightNorm ? await NetworkWeightNorm.create(ctx, discriminator) : null;
    if (weightNorm) owned.push(weightNorm);
    const step = await buildNetworkStep(ctx, {
      config,
      dataset: parts.dataset,
      generator,
      discriminator,
      counter: parts.counter,
      stats: parts.stats,
      ...(spectralNorm && { spectralNorm }),
      ...(weightNorm && { weightNorm }),
      ...(parts.labels && { labels: parts.labels }),
      ...(parts.labeled && { labeled: parts.labeled }),
    });
    owned.push(step);
    // The MLP's layers (a semi-supervised MLP) start as PyTorch's nn.Linear, as the MLP's own do.
    const scheme = config.architecture === 'dcgan' ? 'dcgan' : 'pytorch-default';
    await initialiseNetwork(ctx, generator, { seed: config.seed, network: 'generator', scheme });
    await initialiseNetwork(ctx, discriminator, { seed: config.seed, network: 'discriminator', scheme });
    await spectralNorm?.initialise(config.seed);
    if (config.weightNormInit === 'data')
      await initializeDiscriminatorFromData(ctx, discriminator, parts.dataset, config.leakySlope, config.seed);
    const encoder = ctx.device.createCommandEncoder({ label: 'moving average from the first weights' });
    encoder.copyBufferToBuffer(generator.weights, 0, generator.ema!, 0, generator.weights.size);
    ctx.submit([encoder.finish()]);
    await ctx.sync();
    return { generator, discriminator, kernels: step.kernels, spectralNorm, weightNorm, destroy };
  } catch (error) {
    destroy();
    throw error;
  }
}
