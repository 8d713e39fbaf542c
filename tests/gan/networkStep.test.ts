// The training step of a GAN of layer-list networks (a small DCGAN: transposed convolutions with a
// batch norm and ReLU, a tanh image; a convolution, leaky-ReLU and a convolution to one logit, with
// or without a batch norm) against the float64 trainer of reference/networkGan.ts: both updates'
// gradients, the weights after Adam, both networks' running statistics and the moving average, over
// two steps (the second from the GPU's state after the first, with Adam's moments under way), and
// conditionally (the one-hot beside G's noise, D's class projection or an auxiliary classifier's
// class logits), semi-supervised, with D weight-normalised; and the networks the step
// refuses, each with the reason.
import { describe, expect, it } from 'vitest';
import { resolveGanConfig, type GanConfig } from '../../src/gan/config.js';
import { batchNormPassesPerStep, buildNetworkStep } from '../../src/gan/networkStep.js';
import { StatsReader } from '../../src/gan/stats.js';
import { createStepCounter } from '../../src/kernels/counter.js';
import type { Layer } from '../../src/nn/model.js';
import { NetworkParameters, normGroups } from '../../src/nn/network.js';
import { initialiseNetwork } from '../../src/nn/networkInit.js';
import { NetworkNormalization } from '../../src/nn/networkSpectralNorm.js';
import { NetworkWeightNorm } from '../../src/nn/networkWeightNorm.js';
import { ReferenceNetworkGan } from '../../reference/networkGan.js';
import { GpuDataset } from '../../src/data/dataset.js';
import { byteImages, labelled } from './helpers.js';
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
/**
 * As DCGAN's discriminator: a batch norm between a convolution and its leaky-ReLU, with an odd
 * channel count, so that its two halves' statistics, running updates and summed dγ, dβ all count.
 */
const DISCRIMINATOR_BN: Layer[] = [
  { kind: 'conv2d', out: 5, kernel: 4, stride: 2, padding: 1, bias: false },
  { kind: 'batch-norm' },
  { kind: 'activation', fn: 'leaky-relu' },
  { kind: 'conv2d', out: 1, kernel: 3, bias: false },
];
/** An MLP's D (a class-projecting conditional MLP's): flatten, Linear, LeakyReLU, Linear to one logit. */
const LINEAR_D: Layer[] = [
  { kind: 'flatten' },
  { kind: 'linear', out: 7 },
  { kind: 'activation', fn: 'leaky-relu' },
  { kind: 'linear', out: 1 },
];
/** A semi-supervised D: three class logits (fake is the implicit fourth), from 4 labelled images. */
const CLASSIFYING: Layer[] = [...DISCRIMINATOR.slice(0, 2), { kind: 'conv2d', out: 3, kernel: 3, bias: false }];
const SEMI = { labelClasses: 3, labeled: 4 };
/** An auxiliary classifier's two heads: three class logits, then a real/fake logit of its own. */
const TWO_HEADS: Layer[] = [...DISCRIMINATOR.slice(0, 2), { kind: 'conv2d', out: 4, kernel: 3, bias: false }];
/** Salimans et al.'s noise layers: on the image, and after the hidden layer's activation. */
const NOISY_LINEAR_D: Layer[] = [
  { kind: 'flatten' },
  { kind: 'gaussian-noise', sigma: 0.3 },
  { kind: 'linear', out: 7 },
  { kind: 'activation', fn: 'leaky-relu' },
  { kind: 'gaussian-noise', sigma: 0.5 },
  { kind: 'linear', out: 1 },
];
/** A semi-supervised D with noise before its class logits: feature matching reads the features before it. */
const NOISY_CLASSIFYING: Layer[] = [
  { kind: 'gaussian-noise', sigma: 0.3 },
  ...DISCRIMINATOR.slice(0, 2),
  { kind: 'gaussian-noise', sigma: 0.5 },
  CLASSIFYING.at(-1)!,
];
/** A batch norm whose input went through an activation: its backward goes through scratch. */
const BN_AFTER_ACTIVATION: Layer[] = [...DISCRIMINATOR.slice(0, 2), { kind: 'batch-norm' }, ...DISCRIMINATOR.slice(2)];

/** D laid out with a g per row where the configuration weight-normalises it. */
const weightNormOf = (config: GanConfig) => (config.weightNorm ? { weightNorm: true } : {});

async function setUp(config: GanConfig, discriminator: Layer[] = DISCRIMINATOR) {
  const ctx = gpu.ctx;
  const classes = config.classes;
  const data = classes > 0 ? labelled(byteImages(10, 36), classes) : byteImages(10, 36);
  const owned: Array<{ destroy(): void }> = [];
  const own = <T extends { destroy(): void }>(o: T) => {
    owned.push(o);
    return o;
  };
  try {
    const dataset = own(data.upload(ctx));
    const labels = data.labels
      ? own(
          GpuDataset.fromLabels(
            ctx,
            Array.from({ length: 10 }, (_, e) => data.labels!.of(e)),
            classes,
          ),
        )
      : undefined;
    const gSpec = { input: [4 + classes, 1, 1], layers: GENERATOR, leakySlope: 0.2 };
    const G = own(new NetworkParameters(ctx, gSpec, 'G', true));
    // An auxiliary classifier's D ends in class logits instead of projecting.
    const projectionClasses = config.conditioning === 'auxiliary' ? 0 : classes;
    const dSpec = {
      input: [1, 6, 6],
      layers: discriminator,
      leakySlope: 0.2,
      projectionClasses,
      ...weightNormOf(config),
    };
    const D = own(new NetworkParameters(ctx, dSpec, 'D'));
    await initialiseNetwork(ctx, G, { seed: config.seed, network: 'generator', scheme: 'dcgan' });
    await initialiseNetwork(ctx, D, { seed: config.seed, network: 'discriminator', scheme: 'dcgan' });
    ctx.write(G.ema!, await ctx.readF32(G.weights));
    const counter = own(await createStepCounter(ctx));
    const stats = own(new StatsReader(ctx));
    const spectralNorm = config.spectralNorm ? own(await NetworkNormalization.create(ctx, D)) : undefined;
    await spectralNorm?.initialise(config.seed);
    const weightNorm = config.weightNorm ? own(await NetworkWeightNorm.create(ctx, D)) : undefined;
    // A semi-supervised step's labelled images: other pictures than the training ones, of labelClasses classes.
    const labeledData = config.labeled > 0 ? labelled(byteImages(config.labeled, 36), config.labelClasses) : null;
    const labeled = labeledData && {
      images: own(labeledData.upload(ctx)),
      labels: own(
        GpuDataset.fromLabels(
          ctx,
          Array.from({ length: config.labeled }, (_, e) => labeledData.labels!.of(e)),
          config.labelClasses,
        ),
      ),
    };
    const reference = {
      ...data.reference,
      ...(labeledData && {
        labeled: { ...labeledData.reference, label: labeledData.labels!.of },
      }),
    };
    const normalizations = { spectralNorm, weightNorm };
    return { data: { ...data, reference }, dataset, labels, labeled, G, D, counter, stats, ...normalizations, owned };
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
  const hingeSn = resolveGanConfig({ ...config, loss: 'hinge', spectralNorm: true });
  const leastSquares = resolveGanConfig({ ...config, loss: 'least-squares', realLabel: 0.9 });
  const conditional = resolveGanConfig({ ...config, classes: 3, conditioning: 'projection' });
  const semi = resolveGanConfig({ ...config, ...SEMI });
  const AUXILIARY = { classes: 3, conditioning: 'auxiliary' } as const;
  const weightNormed = resolveGanConfig({ ...config, weightNorm: true });
  it.each([
    ['BCE', config, DISCRIMINATOR],
    ['hinge loss and spectral normalisation', hingeSn, DISCRIMINATOR],
    ['BCE, a batch norm in D', config, DISCRIMINATOR_BN],
    ['least squares, a batch norm in D', leastSquares, DISCRIMINATOR_BN],
    ['BCE, a batch norm after an activation in D', config, BN_AFTER_ACTIVATION],
    ['hinge loss, spectral normalisation and a batch norm in D', hingeSn, DISCRIMINATOR_BN],
    ['conditional: BCE, a batch norm in D', conditional, DISCRIMINATOR_BN],
    [
      'conditional: hinge loss and spectral normalisation',
      resolveGanConfig({ ...hingeSn, classes: 3, conditioning: 'projection' }),
      DISCRIMINATOR,
    ],
    [
      'conditional, linear layers (a projecting MLP): hinge and spectral norm',
      resolveGanConfig({ ...hingeSn, classes: 3, conditioning: 'projection' }),
      LINEAR_D,
    ],
    ['semi-supervised: BCE', semi, CLASSIFYING],
    ['labelled images alone (the baseline)', resolveGanConfig({ ...semi, labeledOnly: true }), CLASSIFYING],
    ['semi-supervised: hinge loss and spectral normalisation', resolveGanConfig({ ...hingeSn, ...SEMI }), CLASSIFYING],
    [
      'semi-supervised, feature matching',
      resolveGanConfig({ ...hingeSn, ...SEMI, featureMatching: true }),
      CLASSIFYING,
    ],
    ['Gaussian-noise layers in D: BCE', config, NOISY_LINEAR_D],
    ['semi-supervised, Gaussian-noise layers in D', semi, NOISY_CLASSIFYING],
    [
      'semi-supervised, feature matching before a Gaussian-noise layer',
      resolveGanConfig({ ...semi, featureMatching: true }),
      NOISY_CLASSIFYING,
    ],
    ['an auxiliary classifier: BCE', resolveGanConfig({ ...config, ...AUXILIARY }), CLASSIFYING],
    [
      'an auxiliary classifier: hinge loss and spectral normalisation',
      resolveGanConfig({ ...hingeSn, ...AUXILIARY }),
      CLASSIFYING,
    ],
    [
      "an auxiliary classifier's two heads, G's class weight 1.5: hinge loss and spectral normalisation",
      resolveGanConfig({ ...hingeSn, ...AUXILIARY, auxiliaryHead: 'two-heads', classWeight: 1.5 }),
      TWO_HEADS,
    ],
    [
      "an auxiliary classifier's two heads: BCE",
      resolveGanConfig({ ...config, ...AUXILIARY, auxiliaryHead: 'two-heads' }),
      TWO_HEADS,
    ],
    ['weight normalisation: BCE, bias-free convolutions', weightNormed, DISCRIMINATOR],
    ['weight normalisation: Gaussian-noise linear layers with biases', weightNormed, NOISY_LINEAR_D],
    [
      'weight normalisation: semi-supervised, feature matching',
      resolveGanConfig({ ...weightNormed, ...SEMI, featureMatching: true }),
      CLASSIFYING,
    ],
    [
      'weight normalisation: an auxiliary classifier, hinge loss',
      resolveGanConfig({ ...weightNormed, ...AUXILIARY, loss: 'hinge' }),
      CLASSIFYING,
    ],
  ])(
    'matches the float64 trainer over two steps (%s): gradients, weights, statistics, moving average',
    async (_name, config, discriminator) => {
      const ctx = gpu.ctx;
      const s = await setUp(config, discriminator);
      const dState = async () => (await ctx.readF32(s.D.state)).subarray(0, s.D.layout.stateFloats);
      try {
        const reference = new ReferenceNetworkGan(
          config,
          { generator: s.G.layout, discriminator: s.D.layout },
          {
            generator: await ctx.readF32(s.G.weights),
            generatorState: await ctx.readF32(s.G.state),
            discriminator: await ctx.readF32(s.D.weights),
            discriminatorState: await dState(),
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
          ...(s.weightNorm && { weightNorm: s.weightNorm }),
          ...(s.labels && { labels: s.labels }),
          ...(s.labeled && { labeled: s.labeled }),
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
            const gradTolerance = (g: Float64Array, floor = 1e-5) => {
              const largest = Math.max(...g.map(Math.abs));
              return (i: number) => floor * largest + 1e-3 * Math.abs(g[i]!);
            };
            // G's gradient comes through G's batch norm, and with one in D through D's on the fake
            // rows too: each backward subtracts batch means of its gradient, which float32 leaves
            // with errors of a few 1e-5 of the largest entry (measured: up to 6e-5 with D's). So
            // does a class projection, whose term dominates the image gradient of so small a D
            // (measured: up to 1.5e-5; leaving the term out of G's pass is off by 9,000× that),
            // and so do a semi-supervised D's class logits (1.2e-5 with hinge and spectral norm).
            const noisier = s.D.blocks.some((b) => b.statsFloats > 0) || config.classes > 0 || config.labeled > 0;
            const gFloor = noisier ? 1e-4 : 1e-5;
            expectClose(gradD, want.gradD, gradTolerance(want.gradD), `step ${t}: D's gradients`);
            expectClose(gradG, want.gradG, gradTolerance(want.gradG, gFloor), `step ${t}: G's gradients`);
            // Adam's step is lr·m̂/(√v̂ + ε): a gradient off by δ moves it by about
            // lr·(1 − β1)/(1 − β1^t)·δ/√v̂, which for a gradient within rounding of zero is a whole
            // step (either sign may win). The weights may differ by that much and float32 rounding.
            const adamTolerance = (grad: Float64Array, v: Float64Array, weights: Float64Array, floor = 1e-5) => {
              const delta = gradTolerance(grad, floor);
              const share = (1 - config.beta1) / (1 - config.beta1 ** t);
              return (i: number) =>
                2e-6 +
                1e-5 * Math.abs(weights[i]!) +
                (2 * config.lr * share * delta(i)) / (Math.sqrt(v[i]! / (1 - config.beta2 ** t)) + 1e-8);
            };
            const dTolerance = adamTolerance(want.gradD, reference.D.adam.v, reference.D.adam.weights);
            const gTolerance = adamTolerance(want.gradG, reference.G.adam.v, reference.G.adam.weights, gFloor);
            expectClose(await ctx.readF32(s.D.weights), reference.D.adam.weights, dTolerance, `step ${t}: D's weights`);
            expectClose(await ctx.readF32(s.G.weights), reference.G.adam.weights, gTolerance, `step ${t}: G's weights`);
            expectClose(await ctx.readF32(s.G.ema!), reference.ema, gTolerance, `step ${t}: G's moving average`);
            expectClose(await ctx.readF32(s.G.state), reference.G.state, () => 1e-5, `step ${t}: running statistics`);
            // D's: real half, fake half, then the fake again through the updated D (three updates).
            const dWant = reference.D.state;
            const dTolerance2 = (i: number) => 1e-6 + 1e-5 * Math.abs(dWant[i]!);
            expectClose(await dState(), dWant, dTolerance2, `step ${t}: D's running statistics`);
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
      const used = spectralNorm ?? s.spectralNorm;
      try {
        const step = await buildNetworkStep(ctx, {
          config: c,
          dataset: s.dataset,
          generator: s.G,
          discriminator: s.D,
          counter: s.counter,
          stats: s.stats.buffer,
          ...(used && { spectralNorm: used }),
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
    // A weight-normalised configuration's step without its NetworkWeightNorm, and one the other way.
    const weightNormed = resolveGanConfig({ ...config, weightNorm: true });
    const s = await setUp(weightNormed);
    try {
      const parts = {
        dataset: s.dataset,
        generator: s.G,
        discriminator: s.D,
        counter: s.counter,
        stats: s.stats.buffer,
      };
      await expect(buildNetworkStep(ctx, { ...parts, config: weightNormed })).rejects.toThrow(
        /^weightNorm: is set: pass the discriminator's NetworkWeightNorm/,
      );
      await expect(buildNetworkStep(ctx, { ...parts, config, weightNorm: s.weightNorm! })).rejects.toThrow(
        /^weightNorm: is off, but a weight normalisation was passed/,
      );
    } finally {
      for (const o of s.owned.reverse()) o.destroy();
    }
    expect(await attempt(config, [...DISCRIMINATOR.slice(0, 2), { kind: 'conv2d', out: 2, kernel: 3 }])).toMatch(
      /^discriminator: must end in one logit/,
    );
    expect(await attempt(config, [{ kind: 'batch-norm' }, ...DISCRIMINATOR])).toMatch(
      /^discriminator: must not start with a batch norm/,
    );
    const conditional = resolveGanConfig({ ...config, classes: 3, conditioning: 'projection' });
    expect(await attempt(conditional)).toMatch(/^labels: are required: the configuration is conditional on 3/);
    // Batch norm in D is trained (above), after an activated layer too, and beside spectral norm.
    expect(await attempt(config, BN_AFTER_ACTIVATION)).toBe('built');
    expect(await attempt(hingeSn, DISCRIMINATOR_BN)).toBe('built');
    expect(await attempt(config)).toBe('built');
  });

  it("counts each network's training passes through its batch norms per step (num_batches_tracked)", () => {
    expect(batchNormPassesPerStep('generator')).toBe(1);
    expect(batchNormPassesPerStep('discriminator')).toBe(3);
    expect(() => batchNormPassesPerStep('critic' as never)).toThrow(/^role: must be/);
  });

  it('checks the row groups a pass normalises apart: each row in exactly one', () => {
    const pass = (groups: Array<[number, number]>) => ({
      rows: 6,
      stats: [],
      normGroups: groups.map(([firstRow, rows]) => ({ firstRow, rows, stats: [] })),
    });
    const message = (groups: Array<[number, number]>) => {
      try {
        normGroups(pass(groups));
        return 'accepted';
      } catch (error) {
        return (error as Error).message;
      }
    };
    expect(
      message([
        [3, 3],
        [0, 3],
      ]),
    ).toBe('accepted');
    expect(normGroups({ rows: 4, stats: [] })).toEqual([{ firstRow: 0, rows: 4, stats: [] }]);
    expect(message([])).toMatch(/^normGroups: needs at least one group/);
    expect(
      message([
        [3, 3],
        [0, 4],
      ]),
    ).toMatch(/^normGroups\[1\]: overlaps another group at row 3/);
    expect(
      message([
        [3, 3],
        [0, 2],
      ]),
    ).toMatch(/^normGroups: must cover every row; row 2 is in none/);
    expect(
      message([
        [4, 3],
        [0, 4],
      ]),
    ).toMatch(/^normGroups\[0\]: must be rows inside \[0, 6\)/);
    expect(
      message([
        [0, 0],
        [0, 6],
      ]),
    ).toMatch(/^normGroups\[0\]: must be rows inside/);
  });
});
