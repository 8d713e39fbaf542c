// The trained restorer (src/restore/restorer*.ts): its network's shapes; one training step against
// float64 (the batch, its noise at the step's counter, forward with batch statistics, the l2
// loss's gradient with and without the edge term, backward and Adam); that training makes
// pictures better than the degraded ones (restored with the running estimates); and its file,
// running estimates included.
import { readFileSync } from 'node:fs';
import { degradePictures } from '../../src/restore/degradePictures.js';
import { describe, expect, it } from 'vitest';
import { GpuDataset } from '../../src/data/dataset.js';
import { networkLayout } from '../../src/nn/network.js';
import { decodeRestorer, encodeRestorer, isRestorerFile } from '../../src/restore/restorerFile.js';
import { degradedSide, restorerLayers, restorerNetworkSpec } from '../../src/restore/restorerModel.js';
import { RestorerTrainer, resolveRestorerSettings } from '../../src/restore/restorerTrainer.js';
import { parseDegradation } from '../../src/restore/spec.js';
import { restorerFileOf, TrainedRestorer } from '../../src/restore/trainedRestorer.js';
import { STREAMS } from '../../src/kernels/streams.js';
import { adamReference, sigmoid } from '../../reference/cpu.js';
import { pairPackReference } from '../../reference/restorePair.js';
import { gaussianNoiseReference } from '../../reference/degrade.js';
import { networkBackwardReference, networkForwardReference } from '../../reference/network.js';
import { batchExamples } from '../../reference/shuffle.js';
import { reconstructionReference } from '../../reference/reconstruction.js';
import { expectClose, useGpu } from '../support/gpu.js';

const gpu = useGpu();

/** count pictures of side², bytes 0–255: soft diagonal strokes that differ from picture to picture. */
function strokes(count: number, side: number): Uint8Array {
  const bytes = new Uint8Array(count * side * side);
  for (let i = 0; i < count; i++)
    for (let y = 0; y < side; y++)
      for (let x = 0; x < side; x++) {
        const distance = Math.abs(x - y - (i % 5) + 2);
        bytes[(i * side + y) * side + x] = Math.max(0, 255 - 90 * distance);
      }
  return bytes;
}

const signed = (bytes: ArrayLike<number>) => Float64Array.from(bytes, (b) => (2 * b - 255) / 255);

describe('the restorer network', () => {
  it.each([
    [28, 28],
    [28, 14],
    [28, 7],
    [32, 16],
    [8, 8],
  ])('takes %i-pixel pictures degraded to %i and gives them back at full size', (side, inputSide) => {
    const layout = networkLayout(restorerNetworkSpec({ channels: 3, side, inputSide }));
    expect(layout.layers.at(-1)!.outShape).toEqual([3, side, side]);
  });

  it.each([1, 3] as const)(
    'as a residual network (%i channels): full-side 3×3 convolutions, tanh, the input added back',
    (channels) => {
      const layout = networkLayout(restorerNetworkSpec({ channels, side: 28, inputSide: 28, residual: true }));
      expect(layout.layers.map((p) => p.layer.kind).slice(-3)).toEqual(['conv2d', 'activation', 'add-input']);
      // No layer changes the side: every value's correction sees the full-resolution picture.
      for (const p of layout.layers) expect(p.outShape.slice(1)).toEqual([28, 28]);
      // 16-channel convolutions: C·16·9 + 16, three times 16·16·9 with a batch norm's 2·16, 16·9·C + C.
      expect(layout.parameterCount).toBe(channels * 144 + 16 + 3 * (2304 + 32) + 144 * channels + channels);
    },
  );

  it('refuses sides it cannot rebuild, saying why', () => {
    expect(() => restorerLayers({ channels: 1, side: 30, inputSide: 30 })).toThrow(/multiple of 4 for the encoder/);
    expect(restorerLayers({ channels: 1, side: 30, inputSide: 30, residual: true }).at(-1)).toEqual({
      kind: 'add-input',
    });
    expect(() => restorerLayers({ channels: 1, side: 0, inputSide: 0, residual: true })).toThrow(/whole number, got 0/);
    expect(() => restorerLayers({ channels: 1, side: 28, inputSide: 12 })).toThrow(/half or a quarter/);
    expect(degradedSide(28, parseDegradation('blur+downscale:factor=2'))).toBe(14);
    expect(() => degradedSide(28, parseDegradation('downscale:factor=4+downscale:factor=2'))).toThrow(/divide/);
  });
});

/** The exactness tests' restorer: 5 stroke pictures of 8² (or side²), batch 3, seed 4, l2, noise σ 0.3 of seed 9. */
async function smallTrainer(
  extra: { adversarial?: number; edgeWeight?: number; residual?: boolean; side?: number } = {},
) {
  const [count, batch, seed] = [5, 3, 4];
  const { side = 8, ...settings } = extra;
  const pixels = strokes(count, side);
  const dataset = GpuDataset.fromBytes(gpu.ctx, pixels, count, side * side);
  const chain = parseDegradation('noise:sigma=0.3,seed=9');
  const trainer = await RestorerTrainer.create(
    gpu.ctx,
    dataset,
    { channels: 1, side },
    { degradation: chain, batch, seed, loss: 'l2', ...settings },
  );
  return { count, side, batch, seed, pixels, dataset, trainer };
}

describe('a training step', () => {
  // The residual network keeps the side throughout, so it also takes an odd one (7).
  it.each([
    [0, false, 8],
    [0.7, false, 8],
    [0, true, 8],
    [0, true, 7],
  ])(
    'matches float64: batch, noise of the step, forward, l2 gradient (edge weight %f), backward, Adam ' +
      '(residual: %s, side %i)',
    async (edgeWeight, residual, pictureSide) => {
      const ctx = gpu.ctx;
      const { count, side, batch, seed, pixels, dataset, trainer } = await smallTrainer({
        edgeWeight,
        residual,
        side: pictureSide,
      });
      try {
        const layout = trainer.network.layout;
        const start = Float64Array.from(await ctx.readF32(trainer.network.weights));
        await trainer.train(1);
        const grads = await ctx.readF32(trainer.network.grads);
        const after = await ctx.readF32(trainer.network.weights);

        const clean = batchExamples(1, batch, count, seed).flatMap((e) =>
          Array.from(signed(pixels.subarray(e * side * side, (e + 1) * side * side))),
        );
        const degraded = gaussianNoiseReference(clean, Math.fround(0.3), 9, STREAMS.degradeNoise, 1);
        const slope = 0.2;
        const outputs = networkForwardReference(layout, batch, degraded, start, slope);
        const restored = outputs.at(-1)!;
        const edges = { weight: edgeWeight, width: side, height: side };
        const gradOutput = reconstructionReference(restored, clean, { loss: 'l2', edges }).grad;
        const want = networkBackwardReference(layout, batch, degraded, start, outputs, gradOutput, slope).dParams;
        expectClose(grads, want, (i) => 1e-6 + 2e-3 * Math.abs(want[i]!), 'dL/dparameters');
        if (edgeWeight > 0) {
          // The edge term moves the gradient by more than rounding, and the file keeps its weight.
          const plain = reconstructionReference(restored, clean, { loss: 'l2' }).grad;
          const without = networkBackwardReference(layout, batch, degraded, start, outputs, plain, slope).dParams;
          expect(Math.max(...want.map((g, i) => Math.abs(g - without[i]!)))).toBeGreaterThan(1e-3);
          const file = decodeRestorer(encodeRestorer(await restorerFileOf(ctx, trainer)));
          expect(file.settings.edgeWeight).toBe(edgeWeight);
          // A file without the term has no key for it, and reads as weight 0 (as files from before it).
          const plainFile = await restorerFileOf(ctx, trainer);
          const bytes = encodeRestorer({ ...plainFile, settings: { ...plainFile.settings, edgeWeight: 0 } });
          expect(new TextDecoder().decode(bytes.subarray(0, 4096))).not.toContain('edge_weight');
          expect(decodeRestorer(bytes).settings.edgeWeight).toBe(0);
        }
        // A residual restorer ends in an add-input layer, and its file says so; one without has no key.
        expect(layout.layers.at(-1)!.layer.kind).toBe(residual ? 'add-input' : 'activation');
        const bytes = encodeRestorer(await restorerFileOf(ctx, trainer));
        expect(decodeRestorer(bytes).settings.residual).toBe(residual);
        expect(new TextDecoder().decode(bytes.subarray(0, 4096)).includes('"residual"')).toBe(residual);
        // Adam's first step from the GPU's own gradient (a gradient near 0 makes its sign a coin toss).
        const state = { weights: start, m: new Float64Array(start.length), v: new Float64Array(start.length) };
        adamReference(state, grads, 1, { lr: 1e-3, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0 });
        expectClose(after, state.weights, () => 1e-6, 'weights after Adam');
        expect(trainer.step).toBe(1);
      } finally {
        trainer.destroy();
        dataset.destroy();
      }
    },
  );
});

describe('an adversarial training step (pix2pix: a critic of pairs)', () => {
  it.each([false, true])(
    'matches float64: the critic on [restored; clean] pairs, its Adam, and its gradient in the restorer (residual: %s)',
    async (residual) => {
      const ctx = gpu.ctx;
      const weight = 0.5;
      const { count, side, batch, seed, pixels, dataset, trainer } = await smallTrainer({
        adversarial: weight,
        residual,
      });
      try {
        const critic = trainer.critic!;
        const gStart = Float64Array.from(await ctx.readF32(trainer.network.weights));
        const dStart = Float64Array.from(await ctx.readF32(critic.weights));
        const progress = await trainer.train(1);
        const [gGrads, dGrads, dAfter] = [
          await ctx.readF32(trainer.network.grads),
          await ctx.readF32(critic.grads),
          await ctx.readF32(critic.weights),
        ];

        const clean = batchExamples(1, batch, count, seed).flatMap((e) =>
          Array.from(signed(pixels.subarray(e * side * side, (e + 1) * side * side))),
        );
        const degraded = gaussianNoiseReference(clean, Math.fround(0.3), 9, STREAMS.degradeNoise, 1);
        const slope = 0.2;
        const gLayout = trainer.network.layout;
        const outputs = networkForwardReference(gLayout, batch, degraded, gStart, slope);
        const restored = outputs.at(-1)!;
        const shape = { rows: batch, channels: 1, side, inputSide: side };
        const fakePairs = pairPackReference(shape, degraded, restored);
        const realPairs = pairPackReference(shape, degraded, clean);
        // Each half is batch-normed by its own statistics: the critic run on each half alone.
        const dLayout = critic.layout;
        const judge = (pairs: Float64Array, params: ArrayLike<number>, gradOf: (logit: number) => number) => {
          const out = networkForwardReference(dLayout, batch, pairs, params, slope);
          const grad = out.at(-1)!.map((l) => gradOf(l) / batch);
          return { out, ...networkBackwardReference(dLayout, batch, pairs, params, out, grad, slope) };
        };
        const fake = judge(fakePairs, dStart, (l) => sigmoid(l));
        const real = judge(realPairs, dStart, (l) => sigmoid(l) - 1);
        const criticGrads = fake.dParams.map((g, i) => g + real.dParams[i]!);
        expectClose(dGrads, criticGrads, (i) => 1e-6 + 2e-3 * Math.abs(criticGrads[i]!), "the critic's gradient");
        const bce = (l: number, target: number) => Math.max(l, 0) - l * target + Math.log1p(Math.exp(-Math.abs(l)));
        const criticLoss =
          (fake.out.at(-1)!.reduce((s, l) => s + bce(l, 0), 0) + real.out.at(-1)!.reduce((s, l) => s + bce(l, 1), 0)) /
          batch;
        expect(progress.critic!.loss).toBeCloseTo(criticLoss, 4);
        const state = {
          weights: dStart.slice(),
          m: new Float64Array(dStart.length),
          v: new Float64Array(dStart.length),
        };
        adamReference(state, dGrads, 1, { lr: 1e-3, beta1: 0.5, beta2: 0.999, epsilon: 1e-8, weightDecay: 0 });
        expectClose(dAfter, state.weights, () => 1e-6, 'the critic after Adam');

        // The restorer's term through the updated critic (its weights as the GPU has them).
        const fooled = judge(fakePairs, dAfter, (l) => sigmoid(l) - 1);
        const plane = side * side;
        const gradOutput = restored.map((y, i) => {
          const row = Math.floor(i / plane);
          const adversarial = fooled.dInput[(2 * row + 1) * plane + (i % plane)]!;
          return (2 * (y - clean[i]!)) / restored.length + weight * adversarial;
        });
        const want = networkBackwardReference(gLayout, batch, degraded, gStart, outputs, gradOutput, slope).dParams;
        expectClose(gGrads, want, (i) => 1e-6 + 2e-3 * Math.abs(want[i]!), "the restorer's gradient");
        // The critic's term is no rounding error beside the reconstruction loss's.
        const without = networkBackwardReference(
          gLayout,
          batch,
          degraded,
          gStart,
          outputs,
          restored.map((y, i) => (2 * (y - clean[i]!)) / restored.length),
          slope,
        ).dParams;
        expect(Math.max(...want.map((g, i) => Math.abs(g - without[i]!)))).toBeGreaterThan(1e-3);
        // The file says how it was trained; a file from before the critic reads as weight 0.
        const file = decodeRestorer(encodeRestorer(await restorerFileOf(ctx, trainer)));
        expect(file.settings.adversarial).toBe(weight);
        expect(decodeRestorer(readFileSync('models/mnist-restore-blur.safetensors')).settings.adversarial).toBe(0);
      } finally {
        trainer.destroy();
        dataset.destroy();
      }
    },
  );
});

/** What a restorer trained on strokes gives a check: the trainer, the clean pictures and the degraded ones. */
interface TrainedOnStrokes {
  trainer: RestorerTrainer;
  clean: Float64Array;
  degraded: Awaited<ReturnType<typeof degrade>>;
  count: number;
  side: number;
}

/**
 * A restorer trained 150 steps (batch 10, Adam 3e-3, with `extra`) to undo `spec` on 20 stroke
 * pictures of 8², whose loss must have halved from the first 10 steps; then `check` runs on it.
 */
async function withTrainedOnStrokes(
  spec: string,
  extra: { residual?: boolean },
  check: (t: TrainedOnStrokes) => Promise<void>,
): Promise<void> {
  const ctx = gpu.ctx;
  const [count, side] = [20, 8];
  const pixels = strokes(count, side);
  const dataset = GpuDataset.fromBytes(ctx, pixels, count, side * side);
  const chain = parseDegradation(spec);
  const settings = { degradation: chain, batch: 10, learningRate: 3e-3, ...extra };
  const trainer = await RestorerTrainer.create(ctx, dataset, { channels: 1, side }, settings);
  try {
    const first = await trainer.train(10);
    const last = await trainer.train(140);
    expect(last.loss).toBeLessThan(0.5 * first.loss);
    const clean = signed(pixels);
    await check({ trainer, clean, degraded: await degrade(chain, clean, count, side), count, side });
  } finally {
    trainer.destroy();
    dataset.destroy();
  }
}

describe('training', () => {
  it.each(['blur:sigma=1', 'noise:sigma=0.4', 'mask:first=2,last=4', 'dark'])(
    'learns to undo %s: the restored pictures are closer to the clean ones than the degraded',
    (spec) =>
      withTrainedOnStrokes(spec, {}, async ({ trainer, clean, degraded, side }) => {
        const restorer = await TrainedRestorer.fromTrainer(gpu.ctx, trainer);
        try {
          const restored = await restorer.restore(degraded);
          const error = (a: ArrayLike<number>) => meanSquare(a, clean);
          expect(error(restored)).toBeLessThan(0.5 * error(degraded));
          if (spec.startsWith('mask')) {
            // Outside rows 2–4 the picture's own pixels are kept exactly.
            for (let i = 0; i < restored.length; i++) {
              const row = Math.floor((i % (side * side)) / side);
              if (row < 2 || row > 4) expect(restored[i]).toBe(degraded[i]);
            }
          }
        } finally {
          restorer.destroy();
        }
      }),
  );
});

describe('the restorer file', () => {
  it('holds the network under nn.Sequential names and what it undoes; it restores as the trainer did', async () => {
    const ctx = gpu.ctx;
    const pixels = strokes(6, 8);
    const dataset = GpuDataset.fromBytes(ctx, pixels, 6, 64);
    const trainer = await RestorerTrainer.create(
      ctx,
      dataset,
      { channels: 1, side: 8 },
      { degradation: parseDegradation('downscale:factor=2'), batch: 4 },
    );
    try {
      await trainer.train(3);
      const file = await restorerFileOf(ctx, trainer, 'strokes');
      const bytes = encodeRestorer(file);
      expect(isRestorerFile(bytes)).toBe(true);
      const back = decodeRestorer(bytes);
      expect(back.step).toBe(3);
      expect(back.data).toBe('strokes');
      expect(back.settings).toEqual(trainer.settings);
      expect(back.parameters).toEqual(file.parameters);
      expect(back.state).toEqual(file.state);
      expect(file.state.some((v) => v !== 0 && v !== 1)).toBe(true); // the running estimates moved
      const text = new TextDecoder().decode(
        bytes.subarray(8, 8 + Number(new DataView(bytes.buffer).getBigUint64(0, true))),
      );
      expect(text).toContain('"restorer.0.weight":{"dtype":"F32","shape":[64,1,4,4]');
      const small = Float32Array.from({ length: 2 * 16 }, (_, i) => Math.sin(i));
      const fromTrainer = await TrainedRestorer.fromTrainer(ctx, trainer);
      const fromFile = TrainedRestorer.fromFile(ctx, bytes);
      try {
        expect(fromFile.inputSize).toBe(16);
        expect(Array.from(await fromFile.restore(small))).toEqual(Array.from(await fromTrainer.restore(small)));
        await expect(fromFile.restore(null as never)).rejects.toThrow(/^degraded: /);
        await expect(fromFile.restore(Float32Array.from(small).fill(Number.NaN, 5, 6))).rejects.toThrow(
          /value 5 is NaN/,
        );
        await expect(fromFile.restore(new Float32Array(20))).rejects.toThrow(
          /holds 20 values, not a whole number of pictures of 16/,
        );
      } finally {
        fromTrainer.destroy();
        fromFile.destroy();
      }
    } finally {
      trainer.destroy();
      dataset.destroy();
    }
  });

  it('refuses a file that is not a restorer, or whose tensors do not fit what it says it is', async () => {
    const { encodeSafetensors } = await import('../../src/io/safetensors.js');
    const gan = encodeSafetensors(new Map(), { format: 'webgpu-gan checkpoint' });
    expect(isRestorerFile(gan)).toBe(false);
    expect(() => decodeRestorer(gan)).toThrow(/not a restorer file.*train --task restore/);
    const metadata = {
      format: 'webgpu-gan restorer',
      version: '1',
      degradation: 'blur:sigma=1',
      channels: '1',
      side: '8',
      loss: 'l1',
      batch: '4',
      seed: '1',
      learning_rate: '0.001',
      step: '3',
    };
    expect(() => decodeRestorer(encodeSafetensors(new Map(), metadata))).toThrow(/has no tensor "restorer.0.weight"/);
    expect(() => decodeRestorer(encodeSafetensors(new Map(), { ...metadata, side: '30' }))).toThrow(/multiple of 4/);
    expect(() => decodeRestorer(encodeSafetensors(new Map(), { ...metadata, loss: 'l3' }))).toThrow(/loss/);
    expect(() => decodeRestorer(encodeSafetensors(new Map(), { ...metadata, residual: 'yes' }))).toThrow(
      /metadata "residual" must be true or false, got "yes"/,
    );
    const upscaling = { ...metadata, degradation: 'downscale:factor=2', residual: 'true' };
    expect(() => decodeRestorer(encodeSafetensors(new Map(), upscaling))).toThrow(/cannot undo downscaling/);
  });
});

describe('a residual restorer', () => {
  it('learns to undo noise, and restores to the degraded picture plus its correction, clamped to [−1, 1]', () =>
    withTrainedOnStrokes('noise:sigma=0.4', { residual: true }, async ({ trainer, clean, degraded, count }) => {
      const file = await restorerFileOf(gpu.ctx, trainer);
      const restorer = TrainedRestorer.fromFile(gpu.ctx, file);
      try {
        const restored = await restorer.restore(degraded);
        expect(meanSquare(restored, clean)).toBeLessThan(0.5 * meanSquare(degraded, clean));
        // The network in eval mode, in float64, plus the clamp.
        const layout = networkLayout(restorerNetworkSpec(trainer.settings));
        const evalMode = { state: file.state };
        const unclamped = networkForwardReference(layout, count, degraded, file.parameters, 0.2, evalMode).at(-1)!;
        const want = unclamped.map((v) => Math.min(1, Math.max(-1, v)));
        expect(
          unclamped.some((v) => Math.abs(v) > 1.001),
          'some value left the range, to be clamped',
        ).toBe(true);
        expectClose(restored, want, () => 1e-4, 'restored');
      } finally {
        restorer.destroy();
      }
    }));

  it('is refused for downscaling, by the residual setting', () => {
    const pictures = { channels: 1 as const, side: 8 };
    const settings = { degradation: parseDegradation('blur+downscale:factor=2'), residual: true };
    expect(() => resolveRestorerSettings(settings, pictures)).toThrow(
      /^residual: a residual restorer adds the degraded picture to its output, so it cannot undo downscaling \(4 to 8/,
    );
    expect(() => resolveRestorerSettings({ ...settings, residual: 'yes' as never }, pictures)).toThrow(
      /^residual: residual must be true or false/,
    );
  });
});

async function degrade(chain: ReturnType<typeof parseDegradation>, clean: Float64Array, rows: number, side: number) {
  const geometry = { rows, channels: 1, height: side, width: side };
  return degradePictures(gpu.ctx, chain, geometry, Float32Array.from(clean), {});
}

function meanSquare(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += (a[i]! - b[i]!) ** 2;
  return sum / a.length;
}

describe('after destroy()', () => {
  it('a trainer and a restorer refuse to run, by name, and a second destroy() is harmless', async () => {
    const ctx = gpu.ctx;
    const dataset = GpuDataset.fromBytes(ctx, strokes(4, 8), 4, 64);
    const trainer = await RestorerTrainer.create(
      ctx,
      dataset,
      { channels: 1, side: 8 },
      { degradation: parseDegradation('blur'), batch: 2 },
    );
    const restorer = await TrainedRestorer.fromTrainer(ctx, trainer);
    trainer.destroy();
    trainer.destroy();
    restorer.destroy();
    restorer.destroy();
    dataset.destroy();
    await expect(trainer.train(1)).rejects.toThrow(/RestorerTrainer\.train\(\) called after destroy/);
    await expect(restorer.restore(new Float32Array(64))).rejects.toThrow(
      /TrainedRestorer\.restore\(\) called after destroy/,
    );
  });
});
