// `npm run bench -- --arch dcgan`: ms per training step of the 28×28 DCGAN preset at each batch
// size (the step of src/gan/networkStep.ts: the discriminator without batch norm, which that step
// does not yet take), timed as bench/gan.ts times the MLP's, and TensorFlow.js's WebGPU backend
// training the same networks on the same adapter after us (bench/tfjs-dcgan.ts).
import type { GpuContext } from '../src/gpu/context.js';
import { GpuDataset } from '../src/data/dataset.js';
import { resolveGanConfig, SEED_RECIPE } from '../src/gan/config.js';
import { buildNetworkStep } from '../src/gan/networkStep.js';
import { StatsReader } from '../src/gan/stats.js';
import { createStepCounter } from '../src/kernels/counter.js';
import { NetworkParameters } from '../src/nn/network.js';
import { initialiseNetwork } from '../src/nn/networkInit.js';
import { dcganDiscriminator, dcganGenerator } from '../src/nn/presets.js';
import { median } from './timing.js';

export const DCGAN_PRESET = { noise: 100, channels: 1, side: 28, discriminatorBatchNorm: false } as const;

/**
 * Wall ms per step: after one untimed run, three timed runs of `steps` steps in submissions of
 * `perSubmit`, one wait at the end of each; their median. (A software adapter takes seconds a
 * step, so the MLP bench's settling loop, at least four runs, would take many minutes.)
 */
export async function timeDcganSteps(ctx: GpuContext, batch: number, steps: number, perSubmit: number) {
  const count = 4096;
  const bytes = new Uint8Array(count * 784);
  for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 2654435761) >>> 24;
  const owned: Array<{ destroy(): void }> = [];
  const own = <T extends { destroy(): void }>(o: T) => {
    owned.push(o);
    return o;
  };
  try {
    const dataset = own(GpuDataset.fromBytes(ctx, bytes, count, 784));
    const config = resolveGanConfig({ ...SEED_RECIPE, batch, dataDim: 784, spectralNorm: false });
    const G = own(
      new NetworkParameters(
        ctx,
        { input: [100, 1, 1], layers: dcganGenerator(DCGAN_PRESET), leakySlope: 0.2 },
        'G',
        true,
      ),
    );
    const D = own(
      new NetworkParameters(
        ctx,
        { input: [1, 28, 28], layers: dcganDiscriminator(DCGAN_PRESET), leakySlope: 0.2 },
        'D',
      ),
    );
    await initialiseNetwork(ctx, G, { seed: 1, network: 'generator', scheme: 'dcgan' });
    await initialiseNetwork(ctx, D, { seed: 1, network: 'discriminator', scheme: 'dcgan' });
    const counter = own(await createStepCounter(ctx));
    const stats = own(new StatsReader(ctx));
    const step = own(
      await buildNetworkStep(ctx, { config, dataset, generator: G, discriminator: D, counter, stats: stats.buffer }),
    );
    const runSteps = async () => {
      const t0 = performance.now();
      for (let done = 0; done < steps; done += perSubmit) {
        const encoder = ctx.device.createCommandEncoder();
        const pass = encoder.beginComputePass();
        for (let s = 0; s < Math.min(perSubmit, steps - done); s++) for (const k of step.kernels) k.record(pass);
        pass.end();
        ctx.submit([encoder.finish()]);
      }
      await ctx.sync();
      return (performance.now() - t0) / steps;
    };
    await runSteps(); // warm-up: pipelines, caches
    const trialMs = [await runSteps(), await runSteps(), await runSteps()];
    const ms = median(trialMs);
    return {
      impl: 'webgpu-gan',
      arch: 'dcgan',
      batch,
      msPerStep: ms,
      stepsPerSec: 1000 / ms,
      dispatchesPerStep: step.kernels.reduce((n, k) => n + ((k as { dispatches?: number }).dispatches ?? 1), 0),
      bytesAllocated: ctx.memory.bytesInUse,
      trialMs,
    };
  } finally {
    for (const o of owned.reverse()) o.destroy();
  }
}
