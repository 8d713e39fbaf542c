// Yeh et al.'s two improvements to inpainting on the CPU: nearness weights against counts made by
// hand, and Poisson blending, which must give back a picture whose generated fill differs from it
// by a constant (same gradients), meet the known pixels, keep them as given, and clamp.
import { describe, expect, it } from 'vitest';
import { ArgumentError } from '../../src/index.js';
import { nearnessWeights, poissonBlend } from '../../src/repair/context.js';
import { seededRandom } from '../../reference/numeric.js';

/** A side × side plane (per channel) known everywhere but rows first…last. */
function bandMask(channels: number, side: number, first: number, last: number): Float32Array {
  return Float32Array.from({ length: channels * side * side }, (_, i) => {
    const row = Math.floor((i % (side * side)) / side);
    return row >= first && row <= last ? 0 : 1;
  });
}

describe('nearness weights', () => {
  it('count the share of the window that is hole, within the picture, plane by plane', () => {
    // 4×4, one hole at (0, 0) in the first plane only; a 3×3 window.
    const known = new Float32Array(32).fill(1);
    known[0] = 0;
    const w = nearnessWeights(known, { channels: 2, side: 4 }, 3);
    expect(w[0]).toBe(0); // the hole itself
    expect(w[1]).toBeCloseTo(1 / 6, 7); // (1, 0): a 3×2 window inside the picture
    expect(w[4]).toBeCloseTo(1 / 6, 7); // (0, 1)
    expect(w[5]).toBeCloseTo(1 / 9, 7); // (1, 1): the whole window inside
    expect(w[2]).toBe(0); // (2, 0): the hole is out of its window
    expect(w[10]).toBe(0);
    expect(Array.from(w.subarray(16))).toEqual(new Array(16).fill(0)); // the second plane has no hole
  });

  it("give the band's border rows the most, and far rows nothing, with the default 7×7 window", () => {
    const w = nearnessWeights(bandMask(1, 28, 11, 18), { channels: 1, side: 28 });
    const at = (x: number, y: number) => w[y * 28 + x]!;
    expect(at(14, 10)).toBeCloseTo(3 / 7, 6); // next to the band: 3 of the window's 7 rows are hole
    expect(at(14, 9)).toBeCloseTo(2 / 7, 6);
    expect(at(14, 8)).toBeCloseTo(1 / 7, 6);
    expect(at(14, 7)).toBe(0);
    expect(at(14, 14)).toBe(0); // in the band
    expect(at(0, 10)).toBeCloseTo(3 / 7, 6); // at the edge, the window is cut the same way above and below
  });

  it('refuse a window that is not odd, and a mask of the wrong size', () => {
    expect(() => nearnessWeights(new Float32Array(16), { channels: 1, side: 4 }, 4)).toThrow(/odd whole number/);
    expect(() => nearnessWeights(new Float32Array(15), { channels: 1, side: 4 })).toThrow(ArgumentError);
  });
});

describe('Poisson blending', () => {
  const random = seededRandom(7);
  const shape = { channels: 3, side: 12 };
  const truth = Float32Array.from({ length: 3 * 144 }, () => random() * 1.2 - 0.6);
  const known = bandMask(3, 12, 4, 7);

  it('gives back the truth when the fill is the truth shifted by a constant, where copying leaves a seam', () => {
    const generated = truth.map((v) => v + 0.3);
    const blended = poissonBlend(truth, generated, known, shape);
    let largest = 0;
    for (let i = 0; i < truth.length; i++) {
      if (known[i])
        expect(blended[i]).toBe(truth[i]); // known pixels as given
      else largest = Math.max(largest, Math.abs(blended[i]! - truth[i]!));
    }
    expect(largest).toBeLessThan(1e-5);
  });

  it('keeps the generated fill where the hole meets no known pixel, and clamps to the range', () => {
    const everything = new Float32Array(144); // one plane, all erased
    const generated = Float32Array.from({ length: 144 }, (_, i) => (i % 2 ? 0.5 : -0.25));
    expect(Array.from(poissonBlend(new Float32Array(144), generated, everything, { channels: 1, side: 12 }))).toEqual(
      Array.from(generated),
    );
    const high = truth.map((v) => v + 3);
    const clamped = poissonBlend(high, truth, known, shape, { lo: -1, hi: 1 });
    for (let i = 0; i < truth.length; i++) if (!known[i]) expect(clamped[i]).toBeLessThanOrEqual(1);
    expect(clamped.some((v, i) => !known[i] && v === 1)).toBe(true);
  });

  it('refuses pictures of other sizes than the shape says', () => {
    expect(() => poissonBlend(truth, truth.subarray(1), known, shape)).toThrow(/generated/);
  });
});
