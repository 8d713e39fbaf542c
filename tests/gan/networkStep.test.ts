// The training step of a GAN of layer-list networks (a small DCGAN: transposed convolutions with a
// batch norm and ReLU, a tanh image; a convolution, leaky-ReLU and a convolution to one logit)
// against the float64 trainer of reference/networkGan.ts: both updates' gradients, the weights
// after Adam, the generator's running statistics and its moving average, over two steps (the second
// from the GPU's state after the first, with Adam's moments under way); and the
// networks the step refuses, each with the reason.
import { describe, expect, it } from 'vitest';
import { resolveGanConfig, type GanConfig } from '../../src/gan/config.js';
import { buildNetworkStep } from '../../src/gan/networkStep.js';
import { StatsReader } from '../../src/gan/stats.js';
import { createStepCounter } from '../../src/kernels/counter.js';
import type { Layer } from '../../src/nn/model.js';
import { NetworkParameters } from '../../src/nn/network.js';
import { initialiseNetwork } from '../../src/nn/networkInit.js';
import { NetworkNormalization } from '../../src/nn/networkSpectralNorm.js';
import { ReferenceNetworkGan } from '../../reference/networkGan.js';
import { byteImages } from './helpers.js';
import { expectClose, useGpu } from '../support/gpu.js';

const gpu = useGpu();

const GENERATOR: Layer[] = [
  { kind: 'conv-transpose2d', out: 5, kernel: 3, bias: false },
  { kind: 'batch-norm' },
  { kind: 'activation', fn: 'relu' },
  { kind: 'conv-transpose2d', out: 1, kernel: 4, stride: 2, padding: 1, bias: false },
  { kind: 'activation', fn: 'tanh' },
];
const DISCRIMINATOR: Layer[] = [
  { kind: 'conv2d', out: 3, kernel: 4, stride: 2, padding: 1, bias: false },
  { kind: 'activation', fn: 'leaky-relu' },
  { kind: 'conv2d', out: 1, kernel: 3, bias: false },
];

async function setUp(config: GanConfig, discriminator: Layer[] = DISCRIMINATOR) {
  const ctx = gpu.ctx;
  const data = byteImages(10, 36);
  const owned: Array<{ destroy(): void }> = [];
  const own = <T extends { destroy(): void }>(o: T) => {
    owned.push(o);
    return o;
  };
  try {
    const dataset = own(data.upload(ctx));
    const G = own(new NetworkParameters(ctx, { input: [4, 1, 1], layers: GENERATOR, leakySlope: 0.2 }, 'G', true));
    const D = own(new NetworkParameters(ctx, { input: [1, 6, 6], layers: discriminator, leakySlope: 0.2 }, 'D'));
    await initialiseNetwork(ctx, G, { seed: config.seed, network: 'generator', scheme: 'dcgan' });
    await initialiseNetwork(ctx, D, { seed: config.seed, network: 'discriminator', scheme: 'dcgan' });
    ctx.write(G.ema!, await ctx.readF32(G.weights));
    const counter = own(await createStepCounter(ctx));
    const stats = own(new StatsReader(ctx));
    const spectralNorm = config.spectralNorm ? own(await NetworkNormalization.create(ctx, D)) : undefined;
    await spectralNorm?.initialise(config.seed);
    return { data, dataset, G, D, counter, stats, spectralNorm, owned };
  } catch (error) {
    for (const o of owned.reverse()) o.destroy();
    throw error;
  }
}

const config = resolveGanConfig({ batch: 3, seed: 9, dataDim: 36, spectralNorm: false, lr: 0.01, loss: 'bce' });

/** Each normalised layer's u, from the GPU. */
async function vectors(s: Awaited<ReturnType<typeof setUp>>): Promise<Float64Array[]> {
  const ctx = gpu.ctx;
  const out: Float64Array[] = [];
  for (const v of s.spectralNorm?.vectors() ?? [])
    out.push(Float64Array.from(await ctx.readF32(v.buffer, v.offset, v.size / 4)));
  return out;
}

describe('the step of a GAN of layer-list networks', () => {
  it.each([
    ['BCE', config],
    ['hinge loss and spectral normalisation', resolveGanConfig({ ...config, loss: 'hinge', spectralNorm: true })],
  ])(
    'matches the float64 trainer over two steps (%s): gradients, weights, statistics, moving average',
    async (_name, config) => {
      const ctx = gpu.ctx;
      const s = await setUp(config);
      try {
        const reference = new ReferenceNetworkGan(
          config,
          { generator: s.G.layout, discriminator: s.D.layout },
          {
            generator: await ctx.readF32(s.G.weights),
            generatorState: await ctx.readF32(s.G.state),
            discriminator: await ctx.readF32(s.D.weights),
          },
          s.data.reference,
          await vectors(s),
        );
        const step = await buildNetworkStep(ctx, {
          config,
          dataset: s.dataset,
          generator: s.G,
          discriminator: s.D,
          counter: s.counter,
          stats: s.stats.buffer,
          ...(s.spectralNorm && { spectralNorm: s.spectralNorm }),
        });
        try {
          for (let t = 1; t <= 2; t++) {
            const encoder = ctx.device.createCommandEncoder();
            const pass = encoder.beginComputePass();
            for (const k of step.kernels) k.record(pass);
            pass.end();
            ctx.submit([encoder.finish()]);
            const want = reference.trainStep();
            const [gradD, gradG] = [await ctx.readF32(s.D.grads), await ctx.readF32(s.G.grads)];
            const gradTolerance = (g: Float64Array) => {
              const largest = Math.max(...g.map(Math.abs));
              return (i: number) => 1e-5 * largest + 1e-3 * Math.abs(g[i]!);
            };
            expectClose(gradD, want.gradD, gradTolerance(want.gradD), `step ${t}: D's gradients`);
            expectClose(gradG, want.gradG, gradTolerance(want.gradG), `step ${t}: G's gradients`);
            // Adam's step is lr·m̂/(√v̂ + ε): a gradient off by δ moves it by about
            // lr·(1 − β1)/(1 − β1^t)·δ/√v̂, which for a gradient within rounding of zero is a whole
            // step (either sign may win). The weights may differ by that much and float32 rounding.
            const adamTolerance = (grad: Float64Array, v: Float64Array, weights: Float64Array) => {
              const delta = gradTolerance(grad);
              const share = (1 - config.beta1) / (1 - config.beta1 ** t);
              return (i: number) =>
                2e-6 +
                1e-5 * Math.abs(weights[i]!) +
                (2 * config.lr * share * delta(i)) / (Math.sqrt(v[i]! / (1 - config.beta2 ** t)) + 1e-8);
            };
            const dTolerance = adamTolerance(want.gradD, reference.D.adam.v, reference.D.adam.weights);
            const gTolerance = adamTolerance(want.gradG, reference.G.adam.v, reference.G.adam.weights);
            expectClose(await ctx.readF32(s.D.weights), reference.D.adam.weights, dTolerance, `step ${t}: D's weights`);
            expectClose(await ctx.readF32(s.G.weights), reference.G.adam.weights, gTolerance, `step ${t}: G's weights`);
            expectClose(await ctx.readF32(s.G.ema!), reference.ema, gTolerance, `step ${t}: G's moving average`);
            expectClose(await ctx.readF32(s.G.state), reference.G.state, () => 1e-5, `step ${t}: running statistics`);
            // The next step starts both from the GPU's state, so that an entry that stepped the
            // other way (above) does not carry into the next comparison.
            for (const [net, ref] of [
              [s.G, reference.G],
              [s.D, reference.D],
            ] as const) {
              ref.adam.weights.set(await ctx.readF32(net.weights));
              ref.adam.m.set(await ctx.readF32(net.moment1));
              ref.adam.v.set(await ctx.readF32(net.moment2));
              ref.state.set((await ctx.readF32(net.state)).subarray(0, ref.state.length));
            }
            reference.ema.set(await ctx.readF32(s.G.ema!));
            const u = await vectors(s);
            for (const [l, v] of u.entries()) {
              expectClose(
                v,
                reference.spectralU[l]!,
                (i) => 1e-5 + 1e-4 * Math.abs(v[i]!),
                `step ${t}: u of layer ${l}`,
              );
              reference.spectralU[l] = v;
            }
          }
        } finally {
          step.destroy();
        }
      } finally {
        for (const o of s.owned.reverse()) o.destroy();
      }
    },
  );

  it('refuses what it cannot train yet, saying why', async () => {
    const ctx = gpu.ctx;
    const attempt = async (c: GanConfig, discriminator?: Layer[], normalized = false) => {
      const s = await setUp(c, discriminator);
      const spectralNorm = normalized ? await NetworkNormalization.create(ctx, s.D) : undefined;
      try {
        const step = await buildNetworkStep(ctx, {
          config: c,
          dataset: s.dataset,
          generator: s.G,
          discriminator: s.D,
          counter: s.counter,
          stats: s.stats.buffer,
          ...(spectralNorm && { spectralNorm }),
        });
        step.destroy();
        return 'built';
      } catch (error) {
        return (error as Error).message;
      } finally {
        spectralNorm?.destroy();
        for (const o of s.owned.reverse()) o.destroy();
      }
    };
    const stray = await attempt(config, undefined, true);
    expect(stray).toMatch(/^spectralNorm: is off, but a normalisation was passed/);
    expect(await attempt(config, [...DISCRIMINATOR.slice(0, 2), { kind: 'conv2d', out: 2, kernel: 3 }])).toMatch(
      /^discriminator: must end in one logit/,
    );
    expect(
      await attempt(config, [
        { kind: 'conv2d', out: 3, kernel: 4, stride: 2, padding: 1 },
        { kind: 'batch-norm' },
        ...DISCRIMINATOR.slice(1),
      ]),
    ).toMatch(/^discriminator: with batch norm is not yet available/);
    expect(await attempt(config)).toBe('built');
  });
});
