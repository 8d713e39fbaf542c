// Sample grids and their PNGs: grey and colour samples (planar C×H×W) laid out in cells, and the
// PNG writer's grey and RGB files read back by an independent decoder (pngjs).
import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { encodePng } from '../src/io/png.js';
import { imageSide, sampleGrid } from '../src/render/grid.js';

describe('sampleGrid', () => {
  it('interleaves a colour sample’s planes per pixel, in its cell', () => {
    // One 2×2 colour sample: red plane, then green, then blue (values in [−1, 1]).
    const sample = Float32Array.from([1, -1, -1, 1, -1, 1, -1, 1, -1, -1, 1, 1]);
    const grid = sampleGrid(sample, 1, 12, { channels: 3, padding: 1 });
    expect([grid.width, grid.height, grid.channels]).toEqual([4, 4, 3]);
    const pixel = (x: number, y: number) => Array.from(grid.pixels.subarray((y * 4 + x) * 3, (y * 4 + x) * 3 + 3));
    expect(pixel(1, 1)).toEqual([255, 0, 0]);
    expect(pixel(2, 1)).toEqual([0, 255, 0]);
    expect(pixel(1, 2)).toEqual([0, 0, 255]);
    expect(pixel(2, 2)).toEqual([255, 255, 255]);
    expect(pixel(0, 0)).toEqual([0, 0, 0]); // padding
  });

  it('places grey samples row by row, columns as asked; NaN shows as black', () => {
    const samples = Float32Array.from({ length: 3 * 4 }, (_, i) => (i === 5 ? Number.NaN : (i % 4) / 3 - 0.5));
    const grid = sampleGrid(samples, 3, 4, { columns: 2, padding: 0 });
    expect([grid.width, grid.height, grid.channels]).toEqual([4, 4, 1]);
    expect(Array.from(grid.pixels.subarray(0, 4))).toEqual([64, 106, 64, 0]);
    expect(Array.from(grid.pixels.subarray(8, 10))).toEqual([64, 106]);
  });

  it('refuses samples that are not square images of their channels', () => {
    expect(imageSide(3072, 3)).toBe(32);
    expect(() => imageSide(784, 3)).toThrow(/not square colour images/);
    expect(() => sampleGrid(new Float32Array(10), 1, 10)).toThrow(/not square images/);
  });
});

describe('encodePng', () => {
  for (const channels of [1, 3] as const) {
    it(`writes ${channels === 1 ? 'grey' : 'RGB'} that a decoder reads back exactly, at 5×3`, () => {
      const [width, height] = [5, 3];
      const pixels = Uint8Array.from({ length: width * height * channels }, (_, i) => (i * 37) % 256);
      const png = PNG.sync.read(Buffer.from(encodePng({ width, height, channels, pixels })));
      expect([png.width, png.height]).toEqual([width, height]);
      for (let p = 0; p < width * height; p++) {
        const want =
          channels === 1 ? [pixels[p]!, pixels[p]!, pixels[p]!] : Array.from(pixels.subarray(3 * p, 3 * p + 3));
        expect(Array.from(png.data.subarray(4 * p, 4 * p + 3))).toEqual(want);
      }
    });
  }
});
