// Lays out square samples (values in [−1, 1]), grey or colour, as one image: a grid, or a strip.
// A colour sample is planar, C×H×W (all red values, then green, then blue), as a flattened
// PyTorch image is; the grid interleaves them, RGB per pixel, as PNG stores it.
import { requireInstance, requireObject } from '../base/arguments.js';
import { ArgumentError, requirePositiveInteger } from '../base/errors.js';

export interface GridImage {
  width: number;
  height: number;
  /** 1: grey, one byte per pixel; 3: RGB, three bytes per pixel. */
  channels: 1 | 3;
  pixels: Uint8Array;
}

/** Side of a square image of `dim` values over `channels` planes, or an error for data that is not images. */
export function imageSide(dim: number, channels: 1 | 3 = 1): number {
  requirePositiveInteger('dim', dim);
  if (channels !== 1 && channels !== 3) throw new ArgumentError('channels', `must be 1 or 3, got ${String(channels)}`);
  const side = Math.round(Math.sqrt(dim / channels));
  if (side * side * channels !== dim)
    throw new ArgumentError(
      'dim',
      `must be side² × channels values; ${dim} values are not square ${channels === 3 ? 'colour ' : ''}images`,
    );
  return side;
}

export interface GridLayout {
  /** Samples per row of the grid. Default: a square grid. */
  columns?: number;
  /** Background pixels around and between samples. Default 2. */
  padding?: number;
  /** Colour planes of each sample. Default 1. */
  channels?: 1 | 3;
}

const toByte = (v: number) => Math.round(Math.min(1, Math.max(-1, Number.isFinite(v) ? v : -1)) * 127.5 + 127.5);

export function sampleGrid(samples: Float32Array, count: number, dim: number, layout: GridLayout = {}): GridImage {
  requireInstance('samples', samples, Float32Array, 'a Float32Array of count × dim values');
  requireObject('layout', layout, 'an object of layout options');
  const channels = layout.channels ?? 1;
  const padding = layout.padding ?? 2;
  const columns = layout.columns ?? Math.ceil(Math.sqrt(count));
  const side = imageSide(dim, channels);
  const plane = side * side;
  const rows = Math.ceil(count / columns);
  const cell = side + padding;
  const width = columns * cell + padding,
    height = rows * cell + padding;
  const pixels = new Uint8Array(width * height * channels); // black background, like MNIST's
  for (let i = 0; i < count; i++) {
    const ox = padding + (i % columns) * cell,
      oy = padding + Math.floor(i / columns) * cell;
    for (let y = 0; y < side; y++) {
      for (let x = 0; x < side; x++) {
        const at = ((oy + y) * width + ox + x) * channels;
        for (let c = 0; c < channels; c++) pixels[at + c] = toByte(samples[i * dim + c * plane + y * side + x]!);
      }
    }
  }
  return { width, height, channels, pixels };
}
