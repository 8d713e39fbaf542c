// Salimans and Kingma's data-dependent initialisation (src/nn/weightNormInit.ts), checked by
// another route: the initialised parameters are normalised as a checkpoint's are (applyWeightNorm),
// the pictures go through the layers in float64 (convolutions by reference/conv.ts), and every
// normalised layer's outputs over them must have mean 0 and variance 1 per unit (per channel over
// pictures and pixels; a bias-free layer's a second moment of 1), v must be kept as drawn. Awkward
// sizes (13 inputs, 11 pictures, stride 2 on an odd side, a single picture, 500 pictures), then
// the refusals and the picture count the trainer takes.
import { describe, expect, it } from 'vitest';
import { conv2dReference } from '../../reference/conv.js';
import { ArgumentError } from '../../src/base/errors.js';
import { type Layer, layoutModel, type ModelLayout } from '../../src/nn/model.js';
import { applyWeightNorm } from '../../src/nn/networkWeightNorm.js';
import {
  initializeWeightNormFromData,
  LAST_LAYER_SPREAD,
  multiplyAddsPerPicture,
} from '../../src/nn/weightNormInit.js';

const SLOPE = 0.2;

/** A small deterministic generator of values in [−1, 1). */
function values(count: number, seed: number): Float32Array {
  let state = seed >>> 0;
  return Float32Array.from({ length: count }, () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 31 - 1;
  });
}

/** Parameters as a unit start draws them: v and biases random, g = 1. */
function unitStart(layout: ModelLayout, seed: number): Float32Array {
  const flat = values(layout.parameterFloats, seed);
  for (const p of layout.layers)
    if (p.weightScale) flat.fill(1, p.weightScale.offset, p.weightScale.offset + p.weightScale.count);
  return flat;
}

const mlp: Layer[] = [
  { kind: 'linear', out: 7 },
  { kind: 'activation', fn: 'leaky-relu' },
  { kind: 'gaussian-noise', sigma: 0.5 },
  { kind: 'linear', out: 5, bias: false },
  { kind: 'activation', fn: 'leaky-relu' },
  { kind: 'linear', out: 1 },
];
const conv: Layer[] = [
  { kind: 'conv2d', out: 3, kernel: 4, stride: 2, padding: 1 },
  { kind: 'activation', fn: 'leaky-relu' },
  { kind: 'conv2d', out: 4, kernel: 3, stride: 2, bias: false },
  { kind: 'activation', fn: 'relu' },
  { kind: 'flatten' },
  { kind: 'linear', out: 2 },
];

/** Each normalised layer's outputs over the pictures, from the normalised weights: [unit][samples]. */
function normalisedOutputs(
  layout: ModelLayout,
  flat: Float32Array,
  pictures: Float32Array,
  rows: number,
  normal?: () => number,
) {
  const used = flat.slice();
  applyWeightNorm(layout, used);
  const seen: Array<{ hasBias: boolean; units: number[][] }> = [];
  let x: Float64Array = Float64Array.from(pictures);
  for (const p of layout.layers) {
    const kind = p.layer.kind;
    if (kind === 'activation') {
      const slope = p.layer.fn === 'relu' ? 0 : SLOPE;
      x = x.map((v) => (v >= 0 ? v : slope * v));
    }
    if (p.layer.kind === 'gaussian-noise' && normal) {
      const { sigma } = p.layer;
      x = x.map((v) => v + sigma * normal());
    }
    if (kind !== 'linear' && kind !== 'conv2d') continue;
    const w = used.subarray(p.weight!.offset, p.weight!.offset + p.weight!.count);
    const b = p.bias && used.subarray(p.bias.offset, p.bias.offset + p.bias.count);
    const units = p.weight!.shape[0]!;
    let y: Float64Array;
    if (kind === 'conv2d') y = conv2dReference({ ...p.conv!, batch: rows }, x, w, b).values;
    else {
      const inputs = p.weight!.shape[1]!;
      y = Float64Array.from({ length: rows * units }, (_, e) => {
        const [r, o] = [Math.floor(e / units), e % units];
        let sum = b ? b[o]! : 0;
        for (let i = 0; i < inputs; i++) sum += w[o * inputs + i]! * x[r * inputs + i]!;
        return sum;
      });
    }
    const plane = y.length / (rows * units);
    seen.push({
      hasBias: b !== undefined,
      units: Array.from({ length: units }, (_, u) =>
        Array.from({ length: rows * plane }, (_, s) => y[(Math.floor(s / plane) * units + u) * plane + (s % plane)]!),
      ),
    });
    x = y;
  }
  return seen;
}

/** Every layer's outputs of mean 0 (with a bias) and spread 1, the last's of spread LAST_LAYER_SPREAD. */
function expectStandardised(layers: Array<{ hasBias: boolean; units: number[][] }>) {
  for (const [l, { hasBias, units }] of layers.entries())
    for (const samples of units) {
      const mean = samples.reduce((a, v) => a + v, 0) / samples.length;
      const moment = samples.reduce((a, v) => a + (v - (hasBias ? mean : 0)) ** 2, 0) / samples.length;
      const spread = l === layers.length - 1 ? LAST_LAYER_SPREAD : 1;
      if (hasBias) expect(Math.abs(mean)).toBeLessThan(1e-5);
      expect(Math.abs(moment - spread ** 2)).toBeLessThan(1e-5);
    }
}

describe('data-dependent initialisation of weight normalisation', () => {
  const cases: Array<[string, readonly number[], Layer[], number]> = [
    ['an MLP with a noise layer and a bias-free layer, 11 pictures', [13], mlp, 11],
    ['an MLP, 500 pictures', [13], mlp, 500],
    ['convolutions at stride 2 on a 9×9 side, 5 pictures', [2, 9, 9], conv, 5],
  ];
  it.each(cases)(
    '%s: every normalised layer has outputs of mean 0, variance 1 (the last 0.1²)',
    (_, inShape, layers, rows) => {
      const layout = layoutModel(inShape, layers, 'layers', { weightNorm: true });
      const flat = unitStart(layout, 7);
      const before = flat.slice();
      const pictures = values(rows * layout.inShape.reduce((a, b) => a * b, 1), 11);
      initializeWeightNormFromData(layout, flat, pictures, { leakySlope: SLOPE });
      expectStandardised(normalisedOutputs(layout, flat, pictures, rows));
      for (const p of layout.layers)
        if (p.weight)
          expect(flat.subarray(p.weight.offset, p.weight.offset + p.weight.count)).toEqual(
            before.subarray(p.weight.offset, p.weight.offset + p.weight.count),
          );
    },
  );

  it('noise layers add their noise from the given generator, as training does, before the next layer is set', () => {
    const layout = layoutModel([13], mlp, 'layers', { weightNorm: true });
    const pictures = values(40 * 13, 2);
    const normals = () => {
      const random = values(100_000, 9);
      let i = 0;
      return () => random[i++]! * Math.sqrt(3); // uniform of variance 1: any sequence will do here
    };
    const [noisy, quiet] = [unitStart(layout, 7), unitStart(layout, 7)];
    initializeWeightNormFromData(layout, noisy, pictures, { leakySlope: SLOPE, normal: normals() });
    initializeWeightNormFromData(layout, quiet, pictures, { leakySlope: SLOPE });
    expectStandardised(normalisedOutputs(layout, noisy, pictures, 40, normals()));
    // The layer after the noise is set from noisy inputs: its g differs from the noiseless one's.
    const after = layout.layers[3]!.weightScale!;
    expect(noisy.subarray(after.offset, after.offset + after.count)).not.toEqual(
      quiet.subarray(after.offset, after.offset + after.count),
    );
  });

  it('one picture leaves every unit constant: each keeps g = 1 and is centred, so every output is 0', () => {
    const layout = layoutModel([13], mlp, 'layers', { weightNorm: true });
    const flat = unitStart(layout, 3);
    initializeWeightNormFromData(layout, flat, values(13, 5), { leakySlope: SLOPE });
    for (const p of layout.layers.filter((l) => l.weightScale))
      expect(Array.from(flat.subarray(p.weightScale!.offset, p.weightScale!.offset + p.weightScale!.count))).toEqual(
        new Array(p.weightScale!.count).fill(1),
      );
    for (const { units } of normalisedOutputs(layout, flat, values(13, 5), 1))
      for (const [v] of units) expect(Math.abs(v!)).toBeLessThan(1e-6);
  });

  it('refuses pictures of the wrong size, a network without g, and a batch norm', () => {
    const layout = layoutModel([13], mlp, 'layers', { weightNorm: true });
    const flat = unitStart(layout, 3);
    expect(() => initializeWeightNormFromData(layout, flat, values(20, 1), { leakySlope: SLOPE })).toThrow(
      /whole pictures of 13 values, got 20/,
    );
    expect(() => initializeWeightNormFromData(layout, flat, new Float32Array(0), { leakySlope: SLOPE })).toThrow(
      ArgumentError,
    );
    const plain = layoutModel([13], mlp);
    expect(() =>
      initializeWeightNormFromData(plain, unitStart(plain, 1), values(13, 1), { leakySlope: SLOPE }),
    ).toThrow(/no weight-normalised layer/);
    const normed = layoutModel([13], [{ kind: 'linear', out: 4 }, { kind: 'batch-norm' }], 'layers', {
      weightNorm: true,
    });
    expect(() =>
      initializeWeightNormFromData(normed, unitStart(normed, 1), values(13, 1), { leakySlope: SLOPE }),
    ).toThrow(/layer 1 \(batch-norm\) is not one data-dependent initialisation takes/);
  });

  it('counts the multiply-adds of a picture through linear and conv2d layers', () => {
    expect(multiplyAddsPerPicture(layoutModel([13], mlp))).toBe(13 * 7 + 7 * 5 + 5);
    // 3 filters of 2·4·4 taps at 4×4 outputs, 4 of 3·3·3 at 1×1, then 4 → 2.
    expect(multiplyAddsPerPicture(layoutModel([2, 9, 9], conv))).toBe(3 * 32 * 16 + 4 * 27 + 8);
  });
});
