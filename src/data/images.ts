// A user's own pictures as training data: decoded RGBA images of any size become square rows of
// bytes like MNIST's (0 = black background … 255 = full ink or light), ready for GpuDataset.fromBytes.
// Platform-neutral: the files' bytes are decoded by io/pictures.ts (in Node and in a page alike),
// and any other row-major RGBA (a canvas's getImageData) is prepared the same way.
import { ArgumentError, requirePositiveInteger } from '../base/errors.js';
import type { DecodedImage } from '../io/pictures.js';

export type { DecodedImage } from '../io/pictures.js';

/** 1: grey, as MNIST; 3: colour, stored as three planes (R, G, B). */
export type Channels = 1 | 3;

/** The largest side accepted: the generator's output is side² × channels values, already 196 608 at 256. */
export const MAX_IMAGE_SIDE = 256;

/**
 * How far apart (of 255) a pixel's R, G and B may be and still count as grey. JPEG's chroma
 * subsampling and rounding leave grey pictures a few levels off; real colour is far beyond 8.
 */
export const GREY_TOLERANCE = 8;

// Grey as ITU-R BT.601 luma, the weights PIL's convert('L') and OpenCV's RGB2GRAY use, applied to
// the stored (gamma-encoded) values as they do, so that pictures greyed elsewhere match ours.
const LUMA_R = 0.299;
const LUMA_G = 0.587;
const LUMA_B = 0.114;

/**
 * One picture as side × side × channels bytes: centre-cropped to a square (the shorter edge),
 * resized by exact area averaging (each output pixel is the mean of the source area it covers,
 * partly covered source pixels counting by their fraction, so it shrinks without aliasing and
 * also enlarges a picture smaller than side), composited over black (transparent → 0, as MNIST's
 * background) and rounded to the nearest byte. With 3 channels the layout is planar C×H×W — all
 * of R row by row, then all of G, then all of B — as a flattened PyTorch image tensor.
 */
export function prepareImage(image: DecodedImage, side: number, channels: Channels): Uint8Array {
  requireImage('image', image);
  requireSide(side);
  requireChannels(channels);
  return resizeCrop(image, side, channels);
}

/** Whether any visible pixel has R, G and B more than GREY_TOLERANCE apart (fully transparent ones do not count). */
export function isColour(image: DecodedImage): boolean {
  requireImage('image', image);
  const { rgba } = image;
  for (let p = 0; p < rgba.length; p += 4) {
    if (rgba[p + 3] === 0) continue;
    const [r, g, b] = [rgba[p]!, rgba[p + 1]!, rgba[p + 2]!];
    if (Math.max(r, g, b) - Math.min(r, g, b) > GREY_TOLERANCE) return true;
  }
  return false;
}

/** prepareImage for each picture, one after another: images.length × side² × channels bytes. */
export function packImages(images: readonly DecodedImage[], side: number, channels: Channels): Uint8Array {
  requireSide(side);
  requireChannels(channels);
  images.forEach((image, i) => {
    requireImage(`images[${i}]`, image);
  });
  const size = side * side * channels;
  const packed = new Uint8Array(images.length * size);
  images.forEach((image, i) => {
    packed.set(resizeCrop(image, side, channels), i * size);
  });
  return packed;
}

export function requireSide(side: unknown): number {
  requirePositiveInteger('side', side);
  if ((side as number) > MAX_IMAGE_SIDE)
    throw new ArgumentError('side', `must be at most ${MAX_IMAGE_SIDE} pixels, got ${side as number}`);
  return side as number;
}

export function requireChannels(channels: unknown): Channels {
  if (channels !== 1 && channels !== 3)
    throw new ArgumentError('channels', `must be 1 (grey) or 3 (colour), got ${String(channels)}`);
  return channels;
}

function requireImage(argument: string, image: DecodedImage): void {
  if (typeof image !== 'object' || image === null)
    throw new ArgumentError(argument, `must be a decoded image { width, height, rgba }, got ${String(image)}`);
  const { width, height, rgba } = image;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1)
    throw new ArgumentError(argument, `must be at least 1×1 pixels, got ${String(width)}×${String(height)}`);
  if (!(rgba instanceof Uint8Array || rgba instanceof Uint8ClampedArray))
    throw new ArgumentError(argument, 'rgba must be a Uint8Array (or a canvas Uint8ClampedArray) of RGBA bytes');
  if (rgba.length !== 4 * width * height)
    throw new ArgumentError(
      argument,
      `rgba has ${rgba.length} bytes, expected 4 × ${width} × ${height} = ${4 * width * height}`,
    );
}

/** Which source pixels one output pixel covers along one axis, and by how much of it each counts. */
interface Coverage {
  first: number;
  /** Weights of source pixels first, first + 1, …; they sum to 1. */
  weights: number[];
}

/**
 * Area coverage along one axis when `source` pixels become `side`. In units of 1/side of a source
 * pixel, output o spans [o·source, (o+1)·source) and source pixel i spans [i·side, (i+1)·side),
 * so every overlap is an exact integer and the weights carry no accumulated rounding.
 */
function axisCoverage(source: number, side: number): Coverage[] {
  const coverage: Coverage[] = [];
  for (let o = 0; o < side; o++) {
    const [start, end] = [o * source, (o + 1) * source];
    const first = Math.floor(start / side);
    const last = Math.ceil(end / side) - 1;
    const weights: number[] = [];
    for (let i = first; i <= last; i++) {
      weights.push((Math.min(end, (i + 1) * side) - Math.max(start, i * side)) / source);
    }
    coverage.push({ first, weights });
  }
  return coverage;
}

/** Crop, composite, grey or split into planes, resize: rows first (one source row at a time), then columns. */
function resizeCrop(image: DecodedImage, side: number, channels: Channels): Uint8Array {
  const { width, height, rgba } = image;
  const square = Math.min(width, height);
  const [left, top] = [Math.floor((width - square) / 2), Math.floor((height - square) / 2)];
  const coverage = axisCoverage(square, side);
  // rows[(c · square + y) · side + x]: source row y of the crop, already resized to side columns.
  const rows = new Float64Array(channels * square * side);
  const pixel = new Float64Array(channels * square);
  for (let y = 0; y < square; y++) {
    compositeRow(rgba, ((top + y) * width + left) * 4, square, channels, pixel);
    for (let c = 0; c < channels; c++) {
      for (let x = 0; x < side; x++) {
        const { first, weights } = coverage[x]!;
        let sum = 0;
        for (let k = 0; k < weights.length; k++) sum += weights[k]! * pixel[c * square + first + k]!;
        rows[(c * square + y) * side + x] = sum;
      }
    }
  }
  const out = new Uint8Array(channels * side * side);
  for (let c = 0; c < channels; c++) {
    for (let y = 0; y < side; y++) {
      const { first, weights } = coverage[y]!;
      for (let x = 0; x < side; x++) {
        let sum = 0;
        for (let k = 0; k < weights.length; k++) sum += weights[k]! * rows[(c * square + first + k) * side + x]!;
        out[(c * side + y) * side + x] = Math.min(255, Math.max(0, Math.round(sum)));
      }
    }
  }
  return out;
}

/** One crop row composited over black: plane c of `into` gets grey (1 channel) or R, G, B (3) for each pixel. */
function compositeRow(
  rgba: Uint8Array | Uint8ClampedArray,
  offset: number,
  length: number,
  channels: Channels,
  into: Float64Array,
): void {
  for (let x = 0; x < length; x++) {
    const p = offset + 4 * x;
    const opacity = rgba[p + 3]! / 255;
    const [r, g, b] = [rgba[p]! * opacity, rgba[p + 1]! * opacity, rgba[p + 2]! * opacity];
    if (channels === 1) {
      into[x] = LUMA_R * r + LUMA_G * g + LUMA_B * b;
    } else {
      into[x] = r;
      into[length + x] = g;
      into[2 * length + x] = b;
    }
  }
}
