// The benchmark's classical baselines and metrics (bench/restore/) on tiny pictures whose answers
// are worked out by hand or follow from a property (a ramp that cubic convolution keeps, a
// Laplace equation whose solution is a line), not from the same formulas re-typed.
import { describe, expect, it } from 'vitest';
import {
  bicubicUpscale,
  convolve,
  equalizeHistogram,
  gaussianFilter,
  harmonicFill,
  inverseExposure,
  median3,
  richardsonLucy,
} from '../../bench/restore/classical.js';
import { psnr, ssim } from '../../src/eval/pictureQuality.js';
import { nearestRow, pasteUnknown } from '../../bench/restore/nearest.js';
import { exposureReference } from '../../reference/degrade.js';

const flat = (width: number, height: number, value: number) => ({
  width,
  height,
  values: new Float64Array(width * height).fill(value),
});

describe('metrics', () => {
  it('PSNR: an error of 0.1 everywhere is 20 dB, one of 0.01 is 40 dB; equal pictures are Infinity', () => {
    expect(psnr([0, 0, 0, 0], [0.1, 0.1, 0.1, 0.1])).toBeCloseTo(20, 10);
    expect(psnr([0.5, 0.5], [0.51, 0.49])).toBeCloseTo(40, 8);
    expect(psnr([0.3], [0.3])).toBe(Number.POSITIVE_INFINITY);
  });

  it('SSIM: 1 for equal pictures; for flat ones only the luminance term is left', () => {
    const picture = { width: 9, height: 8, values: Float64Array.from({ length: 72 }, (_, i) => ((i * 37) % 11) / 10) };
    expect(ssim(picture, picture)).toBeCloseTo(1, 12);
    // Flat 0.2 against flat 0.6: (2·0.12 + 1e−4) / (0.04 + 0.36 + 1e−4) at every window.
    expect(ssim(flat(7, 7, 0.2), flat(7, 7, 0.6))).toBeCloseTo(0.2401 / 0.4001, 12);
    const noisy = { ...picture, values: picture.values.map((v, i) => v + (i % 2 ? 0.2 : -0.2)) };
    expect(ssim(picture, noisy)).toBeLessThan(0.99);
    expect(ssim(picture, noisy)).toBeCloseTo(ssim(noisy, picture), 12);
    expect(() => ssim(flat(6, 6, 0), flat(6, 6, 0))).toThrow(/at least 7×7/);
  });
});

describe('classical baselines', () => {
  it('bicubic keeps a flat picture flat and a ramp a ramp away from the border', () => {
    expect(Array.from(bicubicUpscale(flat(3, 4, 0.3), 2).values).every((v) => Math.abs(v - 0.3) < 1e-12)).toBe(true);
    const ramp = { width: 8, height: 2, values: Float64Array.from({ length: 16 }, (_, i) => (i % 8) / 10) };
    const up = bicubicUpscale(ramp, 2);
    expect([up.width, up.height]).toEqual([16, 4]);
    // Output x sits at source (x + 0.5)/2 − 0.5; the ramp there is that over 10.
    for (let x = 4; x < 12; x++) expect(up.values[x]).toBeCloseTo(((x + 0.5) / 2 - 0.5) / 10, 12);
  });

  it('the 3×3 median removes a lone salt pixel and takes the edge-repeated neighbourhood at a corner', () => {
    const salted = flat(5, 5, 0.2);
    salted.values[12] = 1;
    expect(Array.from(median3(salted).values).every((v) => v === 0.2)).toBe(true);
    const counting = { width: 3, height: 3, values: Float64Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9]) };
    const m = median3(counting).values;
    expect(m[4]).toBe(5);
    // Corner (0, 0) sees 1 1 2 / 1 1 2 / 4 4 5: sorted, the fifth is 2.
    expect(m[0]).toBe(2);
  });

  it('a Gaussian filter spreads an impulse: the centre keeps 1/(Σ exp(−k²/2))² of it at σ = 1', () => {
    const impulse = flat(9, 9, 0);
    impulse.values[40] = 1;
    let line = 0;
    for (let k = -3; k <= 3; k++) line += Math.exp(-(k * k) / 2);
    expect(gaussianFilter(impulse, 1).values[40]).toBeCloseTo(1 / line ** 2, 12);
    expect(Array.from(gaussianFilter(flat(4, 3, 0.7), 1).values).every((v) => Math.abs(v - 0.7) < 1e-12)).toBe(true);
  });

  it('Richardson–Lucy sharpens a blurred dot: its blur matches the picture better than the picture does', () => {
    const taps = [1, 2, 1, 2, 4, 2, 1, 2, 1];
    const dot = flat(9, 9, 0.05);
    dot.values[40] = 1;
    const blurred = { ...dot, values: convolve(dot, taps, 3) };
    const sharp = richardsonLucy(blurred, taps, 3, 50);
    const misfit = (x: Float64Array) => psnr(convolve({ ...dot, values: x }, taps, 3), blurred.values);
    expect(misfit(sharp.values as Float64Array)).toBeGreaterThan(misfit(blurred.values) + 10);
    expect(sharp.values[40]).toBeGreaterThan(blurred.values[40]! + 0.2);
    expect(psnr(sharp.values, dot.values)).toBeGreaterThan(psnr(blurred.values, dot.values));
  });

  it("the inverse exposure undoes the reference operator's dark curve", () => {
    const curve = { gain: 0.4, gamma: 1.5, lift: 0 };
    const truth = [0, 0.1, 0.5, 0.9, 1];
    const darkened = truth.map((u) => (exposureReference(2 * u - 1, curve) + 1) / 2);
    const back = inverseExposure({ width: 5, height: 1, values: darkened }, curve).values;
    for (let i = 0; i < 5; i++) expect(back[i]).toBeCloseTo(truth[i]!, 12);
  });

  it('histogram equalisation maps levels to their cumulative share', () => {
    // Levels 0, 0, 128, 255: cumulative counts 2, 3, 4; (c − 2) / (4 − 2) gives 0, 0, 0.5, 1.
    const out = equalizeHistogram({ width: 4, height: 1, values: [0, 0, 0.5, 1] }).values;
    expect(Array.from(out)).toEqual([0, 0, 0.5, 1]);
    const dim = equalizeHistogram({ width: 3, height: 1, values: [0.1, 0.2, 0.3] }).values;
    expect(Array.from(dim)).toEqual([0, 0.5, 1]);
  });

  it('harmonic fill between a black and a white column is a straight ramp', () => {
    const picture = { width: 5, height: 3, values: new Float64Array(15) };
    const known = new Float64Array(15);
    for (let y = 0; y < 3; y++) {
      picture.values[y * 5 + 4] = 1;
      known[y * 5] = known[y * 5 + 4] = 1;
    }
    const filled = harmonicFill(picture, known).values;
    for (let y = 0; y < 3; y++) for (let x = 0; x < 5; x++) expect(filled[y * 5 + x]).toBeCloseTo(x / 4, 6);
  });
});

describe('nearest training picture', () => {
  it('picks the nearest row, on the known values only when a weight is given', () => {
    const rows = [0, 0, 0, 1, 1, 1, 0, 5, 0];
    expect(nearestRow(rows, 3, [0.9, 1, 1.2])).toBe(1);
    // Only the ends count: row 2 (0, _, 0) matches (0, 9, 0.1) best.
    expect(nearestRow(rows, 3, [0, 9, 0.1], [1, 0, 1])).toBe(0);
    expect(nearestRow(rows, 3, [0, 4, 0])).toBe(2);
    expect(Array.from(pasteUnknown([1, 2, 3], [7, 8, 9], [1, 0, 1]))).toEqual([1, 8, 3]);
  });
});
