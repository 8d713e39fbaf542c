// A minimal PNG writer for 8-bit grey or RGB images: signature, IHDR, one zlib-compressed IDAT
// (every scanline with filter 0), IEND. Enough for sample grids, with no dependency.
import { deflateSync } from 'node:zlib';
import { requireInstance, requireObject } from '../base/arguments.js';
import { ArgumentError, requirePositiveInteger } from '../base/errors.js';
import { crc32 } from '../io/crc32.js';

function chunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length);
  out.set(new TextEncoder().encode(type), 4);
  out.set(data, 8);
  view.setUint32(8 + data.length, crc32([out.subarray(4, 8 + data.length)]));
  return out;
}

/** `pixels`: rows of `width` pixels, each one byte (grey) or three (R, G, B). */
export function encodePng(image: { width: number; height: number; channels?: 1 | 3; pixels: Uint8Array }): Uint8Array {
  requireObject('image', image, 'a picture ({ width, height, channels, pixels }, as sampleGrid returns)');
  const width = requirePositiveInteger('image.width', image.width);
  const height = requirePositiveInteger('image.height', image.height);
  const channels = image.channels ?? 1;
  if (channels !== 1 && channels !== 3) throw new ArgumentError('image.channels', `must be 1 or 3, got ${channels}`);
  const pixels = requireInstance('image.pixels', image.pixels, Uint8Array, 'bytes, one or three per pixel');
  if (pixels.length !== width * height * channels)
    throw new ArgumentError(
      'image.pixels',
      `holds ${pixels.length} bytes, but ${width}×${height}×${channels} needs ${width * height * channels}`,
    );
  const header = new Uint8Array(13);
  const hv = new DataView(header.buffer);
  hv.setUint32(0, width);
  hv.setUint32(4, height);
  // 8 bits, colour type 0 (grey) or 2 (RGB), deflate, filter method 0, no interlace.
  header.set([8, channels === 3 ? 2 : 0, 0, 0, 0], 8);
  const stride = width * channels;
  const raw = new Uint8Array(height * (stride + 1));
  for (let y = 0; y < height; y++) raw.set(pixels.subarray(y * stride, (y + 1) * stride), y * (stride + 1) + 1);
  const parts = [
    Uint8Array.of(137, 80, 78, 71, 13, 10, 26, 10),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(raw)),
    chunk('IEND', new Uint8Array(0)),
  ];
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
