// A trainer whose weight-normalised D starts from the data (weightNormInit 'data',
// src/gan/weightNormData.ts): D's g and biases are what the CPU initialisation makes of a 'unit'
// trainer's weights and the pictures picked here independently (500 spread over 1001, rows of 13
// bytes, so no row starts on a 4-byte boundary of the packed dataset), v and G are untouched, the
// first layer's outputs over those pictures have mean 0 and variance 1, and the run steps and
// resumes bit-identically; a DCGAN's D likewise. A convolutional D takes fewer pictures, as its
// pass costs more. Then the settings that refuse it.
import { describe, expect, it } from 'vitest';
import { resolveGanConfig, SEED_RECIPE, type GanConfig } from '../../src/gan/config.js';
import { exportTensors } from '../../src/gan/state.js';
import { dataInitPictureCount, seededNormal } from '../../src/gan/weightNormData.js';
import { layoutModel } from '../../src/nn/model.js';
import { applyWeightNorm } from '../../src/nn/networkWeightNorm.js';
import { initializeWeightNormFromData } from '../../src/nn/weightNormInit.js';
import { useGpu } from '../support/gpu.js';
import {
  byteImages,
  checkpointAndNextStep,
  expectResumedStep,
  floatPoints,
  makeTrainer,
  type TestData,
} from './helpers.js';

const gpu = useGpu();

const COUNT = 1001;
const DIM = 13;
const data = byteImages(COUNT, DIM);
const CONFIG: Partial<GanConfig> = {
  ...SEED_RECIPE,
  dataDim: DIM,
  batch: 4,
  seed: 5,
  noiseDim: 3,
  generatorHidden: [6],
  discriminatorHidden: [9, 5],
  spectralNorm: false,
  weightNorm: true,
};
const FROM_DATA = { ...CONFIG, weightNormInit: 'data' as const };

const dTensors = async (trainer: Awaited<ReturnType<typeof makeTrainer>>['trainer']) =>
  exportTensors(trainer, (prefix) => prefix === 'discriminator');

describe("a weight-normalised D started from the data (weightNormInit 'data')", () => {
  /** D's weights of a 'data' trainer against the CPU initialisation of a 'unit' trainer's, from `rows`' pictures. */
  async function expectDataStart(set: TestData, config: Partial<GanConfig>, rows: number[]) {
    const unit = await makeTrainer(gpu.ctx, set, config);
    const fromData = await makeTrainer(gpu.ctx, set, { ...config, weightNormInit: 'data' });
    try {
      const layout = unit.trainer.discriminator.layout;
      const read = (t: typeof unit) => gpu.ctx.readF32(t.trainer.discriminator.weights, 0, layout.parameterFloats);
      const [before, got] = [await read(unit), await read(fromData)];
      const pictures = Float32Array.from(rows.flatMap((e) => Array.from(set.reference.values(e))));
      const want = before.slice();
      initializeWeightNormFromData(layout, want, pictures, {
        leakySlope: unit.trainer.config.leakySlope,
        normal: seededNormal(unit.trainer.config.seed),
      });
      expect(got).toEqual(want);
      const first = layout.layers.find((p) => p.weightScale)!;
      const [w, g] = [first.weight!, first.weightScale!];
      expect(got.subarray(w.offset, w.offset + w.count)).toEqual(before.subarray(w.offset, w.offset + w.count));
      expect(got.subarray(g.offset, g.offset + g.count).some((x) => x !== 1)).toBe(true);
      const [gUnit, gData] = [
        await exportTensors(unit.trainer, (p) => p === 'generator'),
        await exportTensors(fromData.trainer, (p) => p === 'generator'),
      ];
      for (const [name, t] of gUnit) expect(gData.get(name)!.data, name).toEqual(t.data);
      return { layout, weights: got, pictures };
    } finally {
      unit.destroy();
      fromData.destroy();
    }
  }

  it('sets g and the biases from 500 pictures spread over the set, and leaves v and G as drawn', async () => {
    const rows = Array.from({ length: 500 }, (_, r) => Math.floor((r * COUNT) / 500));
    const { layout, weights, pictures } = await expectDataStart(data, CONFIG, rows);
    // The first layer's outputs over those pictures, from the normalised weights: mean 0, variance 1.
    const used = weights.slice();
    applyWeightNorm(layout, used);
    const first = layout.layers[0]!;
    for (let o = 0; o < 9; o++) {
      const outputs = rows.map((_, r) => {
        let sum = used[first.bias!.offset + o]!;
        for (let i = 0; i < DIM; i++) sum += used[first.weight!.offset + o * DIM + i]! * pictures[r * DIM + i]!;
        return sum;
      });
      const mean = outputs.reduce((a, b) => a + b, 0) / outputs.length;
      const variance = outputs.reduce((a, b) => a + (b - mean) ** 2, 0) / outputs.length;
      expect(Math.abs(mean)).toBeLessThan(1e-5);
      expect(Math.abs(variance - 1)).toBeLessThan(1e-4);
    }
  });

  it('a D with noise layers takes their noise from the seed, as training adds it', async () => {
    const rows = Array.from({ length: 500 }, (_, r) => Math.floor((r * COUNT) / 500));
    await expectDataStart(data, { ...CONFIG, discriminatorInputNoise: 0.6, discriminatorHiddenNoise: 0.5 }, rows);
  });

  it('reads a dataset of floats as it is (37 points: all of them)', async () => {
    await expectDataStart(
      floatPoints(37, DIM),
      CONFIG,
      Array.from({ length: 37 }, (_, e) => e),
    );
  });

  it("a DCGAN's convolutional D starts from the data the same way (all 12 pictures of a small set)", async () => {
    const config = { architecture: 'dcgan', batch: 3, seed: 4, spectralNorm: false, weightNorm: true } as const;
    await expectDataStart(
      byteImages(12, 784),
      config,
      Array.from({ length: 12 }, (_, e) => e),
    );
  });

  it('trains with finite losses and resumes bit-identically', async () => {
    const { trainer, destroy } = await makeTrainer(gpu.ctx, data, FROM_DATA);
    try {
      const { checkpoint, straight } = await checkpointAndNextStep(trainer);
      for (const [name, t] of await dTensors(trainer)) expect(t.data.every(Number.isFinite), name).toBe(true);
      expect(checkpoint.config.weightNormInit).toBe('data');
      await expectResumedStep(checkpoint, straight, () => makeTrainer(gpu.ctx, data, FROM_DATA));
    } finally {
      destroy();
    }
  });

  it("takes fewer pictures for a convolutional D, at least 16, never more than the set's", () => {
    const net = (layers: Parameters<typeof layoutModel>[1], inShape: number[]) =>
      ({ layout: layoutModel(inShape, layers, 'layers', { weightNorm: true }) }) as never;
    const small = net([{ kind: 'linear', out: 4 }], [13]);
    expect(dataInitPictureCount(small, 1001)).toBe(500);
    expect(dataInitPictureCount(small, 37)).toBe(37);
    // 512 filters of 256·4·4 taps at 32×32 outputs: 2.1e9 multiply-adds a picture.
    const large = net([{ kind: 'conv2d', out: 512, kernel: 4, padding: 2 }], [256, 31, 31]);
    expect(dataInitPictureCount(large, 1001)).toBe(16);
    // 64 filters of 1·4·4 taps at 14×14 and 128 of 64·4·4 at 7×7: 6.6e6, about 150 pictures.
    const dcgan = net(
      [
        { kind: 'conv2d', out: 64, kernel: 4, stride: 2, padding: 1 },
        { kind: 'conv2d', out: 128, kernel: 4, stride: 2, padding: 1 },
      ],
      [1, 28, 28],
    );
    expect(dataInitPictureCount(dcgan, 60_000)).toBe(Math.floor(1e9 / (64 * 16 * 196 + 128 * 1024 * 49)));
  });

  it("is refused without weight normalisation, and as any value but 'unit' or 'data'", () => {
    expect(() => resolveGanConfig({ ...FROM_DATA, weightNorm: false })).toThrow(
      /weightNormInit: sets weight normalisation's g: turn weightNorm on \(--weight-norm\)/,
    );
    expect(() => resolveGanConfig({ ...CONFIG, weightNormInit: 'lsuv' as never })).toThrow(
      /weightNormInit: must be unit or data, got "lsuv"/,
    );
    expect(resolveGanConfig({}).weightNormInit).toBe('unit');
  });
});
