// Repair's latent search over layer lists other than the MLP's: convolutions and transposed
// convolutions, and batch norms on their running estimates (eval mode, so that each start's G(z)
// depends on its own z alone), against finite differences of a float64 objective built from the
// layer references; and a DCGAN checkpoint's networks as repair loads them: D's convolutions
// divided by σ of [out, in·kh·kw], its batch norms' running estimates, and a search that runs.
import { describe, expect, it } from 'vitest';
import { resolveGanConfig } from '../../src/index.js';
import { decodeCheckpoint, encodeCheckpoint } from '../../src/gan/checkpoint.js';
import { largestSingularValue, loadDiscriminator } from '../../src/gan/discriminator.js';
import { loadGenerator } from '../../src/gan/sampler.js';
import { NetworkWeights, type NetworkSpec } from '../../src/nn/network.js';
import { nearnessWeights } from '../../src/repair/context.js';
import { ImageRepairer } from '../../src/repair/repairer.js';
import { networkForwardReference } from '../../reference/network.js';
import { repairPixelsReference, repairRealismReference } from '../../reference/repair.js';
import { byteImages, makeTrainer } from '../gan/helpers.js';
import { objectiveGradient } from './networks.js';
import { expectClose, randomArray, useGpu } from '../support/gpu.js';

const gpu = useGpu();

/** noise [3, 1, 1] → 4×3×3 (leaky-ReLU), a batch norm after the activation, → 1×6×6 (tanh). */
const GENERATOR: NetworkSpec = {
  input: [3, 1, 1],
  layers: [
    { kind: 'conv-transpose2d', out: 4, kernel: 3 },
    { kind: 'activation', fn: 'leaky-relu' },
    { kind: 'batch-norm' },
    { kind: 'conv-transpose2d', out: 1, kernel: 4, stride: 2, padding: 1 },
    { kind: 'activation', fn: 'tanh' },
  ],
  leakySlope: 0.2,
};

/** 1×6×6 → 3×3×3, batch norm and leaky-ReLU (DCGAN's block), → one logit from the whole 3×3. */
const DISCRIMINATOR: NetworkSpec = {
  input: [1, 6, 6],
  layers: [
    { kind: 'conv2d', out: 3, kernel: 4, stride: 2, padding: 1, bias: false },
    { kind: 'batch-norm' },
    { kind: 'activation', fn: 'leaky-relu' },
    { kind: 'conv2d', out: 1, kernel: 3 },
  ],
  leakySlope: 0.2,
};

/** Random parameters (γ near 1) and running estimates (variances in [0.5, 2]) for a network. */
function randomNetwork(spec: NetworkSpec, label: string, seed: number, withEma: boolean) {
  const net = new NetworkWeights(gpu.ctx, spec, label, withEma);
  const params = randomArray(net.layout.parameterFloats, seed, -0.6, 0.6);
  const state = randomArray(Math.max(net.layout.stateFloats, 1), seed + 1, -0.3, 0.3);
  for (const p of net.layout.layers) {
    if (p.layer.kind !== 'batch-norm') continue;
    const gamma = randomArray(p.weight!.count, seed + 2, 0.6, 1.4);
    params.set(gamma, p.weight!.offset);
    state.set(randomArray(p.runningVar!.count, seed + 3, 0.5, 2), p.runningVar!.offset);
  }
  gpu.ctx.write(net.weights, params);
  if (net.ema) gpu.ctx.write(net.ema, params);
  gpu.ctx.write(net.state, state);
  return { net, params, state };
}

describe('the latent search over convolutions and batch norms', () => {
  it('matches finite differences of the float64 objective, batch norms on their running estimates', async () => {
    const { ctx } = gpu;
    const config = resolveGanConfig({ noiseDim: 3, dataDim: 36, spectralNorm: false });
    const g = randomNetwork(GENERATOR, 'generator', 10, true);
    const d = randomNetwork(DISCRIMINATOR, 'discriminator', 20, false);
    const [starts, weight] = [3, 0.7];
    const repairer = await ImageRepairer.create(ctx, config, g.net, d.net, { starts, realism: weight });
    try {
      const z = randomArray(starts * config.noiseDim, 30, -1.5, 1.5);
      const target = randomArray(config.dataDim, 31, -0.9, 0.9);
      const known = Float32Array.from({ length: 36 }, (_, p) => (p % 6 < 3 ? 1 : 0));
      const got = await repairer.objective(z, target, known);
      // A square picture: the known pixels weigh by their nearness to the hole (the default context).
      const weights = nearnessWeights(known, { channels: 1, side: 6 });
      const at = (values: ArrayLike<number>) => {
        const generated = networkForwardReference(g.net.layout, starts, values, g.params, 0.2, g).at(-1)!;
        const logits = networkForwardReference(d.net.layout, starts, generated, d.params, 0.2, d).at(-1)!;
        return {
          errors: repairPixelsReference(generated, target, weights, null, starts, 'none', 0).errors,
          realism: repairRealismReference(logits, weight).realism,
        };
      };
      const base = at(z);
      const close =
        (what: string, atol: number, rtol: number) => (actual: ArrayLike<number>, want: ArrayLike<number>) =>
          expectClose(actual, want, (i) => atol + rtol * Math.abs(want[i]!), what);
      close('errors', 1e-5, 1e-4)(got.errors, base.errors);
      close('realism', 1e-5, 1e-4)(got.realism, base.realism);
      const numeric = objectiveGradient(z, config.noiseDim, at);
      close('∂L/∂z', 2e-5, 1e-3)(got.gradient, numeric);
      expect(Math.max(...numeric.map(Math.abs))).toBeGreaterThan(1e-2);
    } finally {
      repairer.destroy();
      g.net.destroy();
      d.net.destroy();
    }
  });
});

describe("a DCGAN checkpoint's networks for repair", () => {
  const DATA = byteImages(9, 784);

  for (const spectralNorm of [true, false]) {
    const what = spectralNorm ? 'W / σ of each convolution' : 'its batch norms';
    it(`loads D as it computed (${what}), and repairs`, async () => {
      const { ctx } = gpu;
      const config = { architecture: 'dcgan' as const, batch: 2, seed: 4, spectralNorm };
      const { trainer, destroy } = await makeTrainer(ctx, DATA, config);
      let bytes: Uint8Array;
      try {
        await trainer.train(2);
        bytes = await encodeCheckpoint(trainer);
      } finally {
        destroy();
      }
      const checkpoint = decodeCheckpoint(bytes);
      const discriminator = loadDiscriminator(ctx, checkpoint);
      const generator = loadGenerator(ctx, checkpoint);
      try {
        const weights = await ctx.readF32(discriminator.weights);
        for (const p of discriminator.layout.layers) {
          if (p.layer.kind !== 'conv2d') continue;
          const w = p.weight!;
          const saved = checkpoint.tensors.get(`discriminator.${w.name}`)!.data;
          const rows = w.shape[0]!;
          const u = checkpoint.tensors.get(`discriminator.${w.name}_u`)?.data;
          const sigma = spectralNorm ? largestSingularValue(saved, rows, w.count / rows, u!) : 1;
          const loaded = weights.subarray(w.offset, w.offset + w.count);
          expectClose(
            loaded,
            Float64Array.from(saved, (v) => v / sigma),
            () => 1e-6,
            `${w.name} / σ`,
          );
        }
        const state = await ctx.readF32(discriminator.state);
        for (const p of discriminator.layout.layers.filter((p) => p.runningVar)) {
          const saved = checkpoint.tensors.get(`discriminator.${p.runningVar!.name}`)!.data;
          expect(Array.from(state.subarray(p.runningVar!.offset, p.runningVar!.offset + saved.length))).toEqual(
            Array.from(saved),
          );
        }
        expect(discriminator.layout.layers.some((p) => p.runningVar)).toBe(!spectralNorm);
        const repairer = await ImageRepairer.create(ctx, checkpoint.config, generator, discriminator, { starts: 4 });
        try {
          const image = Float32Array.from(DATA.reference.values(3));
          const known = Float32Array.from({ length: 784 }, (_, p) => (p % 28 < 14 ? 1 : 0));
          const history: number[] = [];
          const result = await repairer.repair(image, known, {
            steps: 20,
            chunk: 10,
            onProgress: (progress) => history.push(progress.meanError),
          });
          expect(result.completion.every(Number.isFinite)).toBe(true);
          expect(history[1]!).toBeLessThan(history[0]!);
        } finally {
          repairer.destroy();
        }
      } finally {
        generator.destroy();
        discriminator.destroy();
      }
    });
  }
});
