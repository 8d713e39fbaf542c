// PNG and JPEG bytes decoded to 8-bit RGBA, the same in a page and in Node: the one picture
// decoder of the CLI's folders and the demo's dropped files, so that both train on the same
// pixels, which are those pngjs gave the CLI before (tests/data/pictures.test.ts). Files are
// recognised by their first bytes, never their name. All of it is pure JavaScript with no Node
// imports: fast-png (inflating with fflate, where pngjs needs Node's zlib and streams), pngAdam7.ts
// for the interlaced kind fast-png mis-reads, and jpeg-js in its Uint8Array mode.
import { decode as decodePngBytes } from 'fast-png';
import { decode as decodeJpegBytes } from 'jpeg-js';
import { decodeInterlacedLowDepth, type RawPng } from './pngAdam7.js';
import { requireBytes } from '../base/arguments.js';

/** A decoded picture: row-major RGBA, 4 bytes per pixel (what decodePicture and canvas getImageData give). */
export interface DecodedImage {
  width: number;
  height: number;
  /** width × height × 4 bytes: R, G, B, A of the top-left pixel first. */
  rgba: Uint8Array | Uint8ClampedArray;
}

/** Larger pictures are skipped: decoding one would take gigabytes for a training image of ≤ 256². */
export const MAX_MEGAPIXELS = 64;
/** No PNG or JPEG of at most MAX_MEGAPIXELS comes near this; a bigger file is something else. */
export const MAX_PICTURE_BYTES = 512 * 1024 * 1024;
/** How many first bytes pictureFormat needs to tell the formats apart. */
export const PICTURE_HEADER_BYTES = 32;
/** jpeg-js's own cap on what it allocates while decoding (RGBA output included). */
const JPEG_MEMORY_MB = 1024;

export type PictureFormat = { kind: 'png' | 'jpeg' } | { kind: 'other'; reason: string };

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** What a file's first bytes say it is; other common picture formats get a reason that names them. */
export function pictureFormat(header: Uint8Array): PictureFormat {
  const startsWith = (bytes: number[], at = 0) => bytes.every((b, i) => header[at + i] === b);
  const ascii = (text: string) => [...text].map((c) => c.charCodeAt(0));
  if (startsWith(PNG_SIGNATURE)) return { kind: 'png' };
  if (startsWith([0xff, 0xd8, 0xff])) return { kind: 'jpeg' };
  const named = (name: string): PictureFormat => ({
    kind: 'other',
    reason: `a ${name} picture: only PNG and JPEG are read, convert it to one of those`,
  });
  if (startsWith(ascii('GIF8'))) return named('GIF');
  if (startsWith(ascii('RIFF')) && startsWith(ascii('WEBP'), 8)) return named('WebP');
  if (startsWith(ascii('BM'))) return named('BMP');
  if (startsWith(ascii('II*\0')) || startsWith(ascii('MM\0*'))) return named('TIFF');
  if (startsWith(ascii('ftyp'), 4) && ['heic', 'heix', 'mif1', 'avif'].some((b) => startsWith(ascii(b), 8)))
    return named('HEIC/AVIF');
  return { kind: 'other', reason: 'not a PNG or JPEG picture (judged by its content, not its name)' };
}

/** A PNG or JPEG file's bytes as RGBA, or the one-line reason it cannot be used. */
export function decodePicture(bytes: Uint8Array): { image: DecodedImage } | { reason: string } {
  bytes = requireBytes('bytes', bytes);
  const format = pictureFormat(bytes.subarray(0, PICTURE_HEADER_BYTES));
  if (format.kind === 'other') return { reason: format.reason };
  if (bytes.length > MAX_PICTURE_BYTES)
    return { reason: `larger than ${MAX_PICTURE_BYTES / 1024 / 1024} MB, far more than a picture this reads` };
  try {
    return format.kind === 'png' ? decodePng(bytes) : decodeJpeg(bytes);
  } catch (error) {
    return { reason: `corrupt or truncated ${format.kind.toUpperCase()} (${oneLine(error)})` };
  }
}

/** A decoder's message on one line, short enough for a list of skipped files. */
export function oneLine(error: unknown): string {
  const message = String((error as Error)?.message ?? error)
    .split('\n')[0]!
    .trim();
  return message.length > 160 ? `${message.slice(0, 157)}...` : message;
}

function tooManyPixels(width: number, height: number): string | null {
  if (width * height <= MAX_MEGAPIXELS * 1e6) return null;
  return `${width}×${height} pixels is more than the ${MAX_MEGAPIXELS} megapixels read; scale it down first`;
}

function decodeJpeg(bytes: Uint8Array): { image: DecodedImage } {
  const jpeg = decodeJpegBytes(bytes, {
    useTArray: true,
    formatAsRGBA: true,
    maxResolutionInMP: MAX_MEGAPIXELS,
    maxMemoryUsageInMB: JPEG_MEMORY_MB,
  });
  return { image: { width: jpeg.width, height: jpeg.height, rgba: jpeg.data } };
}

function decodePng(bytes: Uint8Array): { image: DecodedImage } | { reason: string } {
  // The IHDR chunk follows the signature: refuse a huge picture before the decoder allocates for
  // it (fast-png has no limit of its own, unlike jpeg-js).
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const ihdr = bytes.length >= 29 && String.fromCharCode(...bytes.subarray(12, 16)) === 'IHDR';
  if (ihdr) {
    const tooLarge = tooManyPixels(view.getUint32(16, false), view.getUint32(20, false));
    if (tooLarge) return { reason: tooLarge };
  }
  // fast-png 8 de-interlaces 1-, 2- and 4-bit samples as if each were a byte: pngAdam7.ts does it.
  const lowDepthInterlaced = ihdr && bytes[24]! < 8 && bytes[28] === 1;
  const png: RawPng = lowDepthInterlaced ? decodeInterlacedLowDepth(bytes) : decodePngBytes(bytes, { checkCrc: true });
  return { image: { width: png.width, height: png.height, rgba: toRgba8(png) } };
}

/**
 * fast-png's samples (1 to 4 channels of 1 to 16 bits, or palette indices) as 8-bit RGBA, as pngjs
 * made them before, so that a folder trains on the same bytes: palette entries with their tRNS
 * alpha; a grey or RGB pixel equal to the tRNS colour becomes 0, 0, 0, 0; other depths scaled by
 * ⌊v · 255 / (2^depth − 1) + ½⌋. No gamma or colour profile is applied, as pngjs applied none.
 */
function toRgba8(png: RawPng): Uint8Array {
  const { width, height, depth, channels, data, palette, transparency } = png;
  const samplesPerRow = width * channels;
  const rowBytes = Math.ceil((samplesPerRow * depth) / 8);
  const expected = depth < 8 ? rowBytes * height : samplesPerRow * height;
  if (data.length !== expected) throw new Error(`image data has ${data.length} samples, expected ${expected}`);
  const max = 2 ** depth - 1;
  const scale = (v: number) => (depth === 8 ? v : Math.floor((v * 255) / max + 0.5));
  const sample =
    depth >= 8
      ? (y: number, i: number) => data[y * samplesPerRow + i]!
      : (y: number, i: number) => {
          const bit = i * depth;
          return (data[y * rowBytes + (bit >> 3)]! >> (8 - depth - (bit & 7))) & max;
        };
  const key = transparency && transparency.length === (channels === 1 ? 1 : 3) ? transparency : null;
  const out = new Uint8Array(width * height * 4);
  const raw = [0, 0, 0, 0];
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const o = 4 * (y * width + x);
      for (let c = 0; c < channels; c++) raw[c] = sample(y, x * channels + c);
      if (palette) {
        const colour = palette[raw[0]!];
        if (!colour) throw new Error(`index ${raw[0]} not in palette`);
        out.set([colour[0]!, colour[1]!, colour[2]!, colour[3] ?? 255], o);
        continue;
      }
      const grey = channels <= 2;
      const [r, g, b] = grey ? [raw[0]!, raw[0]!, raw[0]!] : [raw[0]!, raw[1]!, raw[2]!];
      const alpha = channels === 2 ? raw[1]! : channels === 4 ? raw[3]! : max;
      if (key && (channels === 1 ? key[0] === r : key[0] === r && key[1] === g && key[2] === b)) continue; // 0s
      out[o] = scale(r);
      out[o + 1] = scale(g);
      out[o + 2] = scale(b);
      out[o + 3] = scale(alpha);
    }
  }
  return out;
}
