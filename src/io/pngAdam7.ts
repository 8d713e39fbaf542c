// Adam7-interlaced PNGs of 1, 2 or 4 bits a sample (grey or palette), de-interlaced here because
// fast-png 8 unpacks each of their passes as if a sample were a byte and so returns wrong pixels.
// The result is what fast-png gives for the same picture saved without interlacing: rows packed
// MSB first, so pictures.ts turns both into RGBA the same way, and into the bytes pngjs gave.
import { unzlibSync } from 'fflate';
import { crc32 } from './crc32.js';

/** The seven passes: first column and row, then the step between columns and between rows. */
const PASSES = [
  [0, 0, 8, 8],
  [4, 0, 8, 8],
  [0, 4, 4, 8],
  [2, 0, 4, 4],
  [0, 2, 2, 4],
  [1, 0, 2, 2],
  [0, 1, 1, 2],
] as const;

/** A PNG's samples as fast-png gives them: what pictures.ts turns into RGBA. */
export interface RawPng {
  width: number;
  height: number;
  data: ArrayLike<number>;
  depth: number;
  channels: number;
  /** Palette entries, [r, g, b] or with the tRNS alpha [r, g, b, a]. */
  palette?: number[][];
  /** The tRNS colour of a grey or RGB picture. */
  transparency?: Uint16Array;
}

/**
 * The chunks of an interlaced grey or palette PNG below 8 bits a sample, each CRC checked, with
 * its samples de-interlaced: the RawPng fast-png gives for the same picture without interlacing.
 */
export function decodeInterlacedLowDepth(bytes: Uint8Array): RawPng {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const idat: Uint8Array[] = [];
  let palette: number[][] | undefined;
  let trns: Uint8Array | undefined;
  for (let at = 8; ; ) {
    if (at + 12 > bytes.length) throw new Error('the file ends before its IEND chunk');
    const length = view.getUint32(at, false);
    const type = String.fromCharCode(...bytes.subarray(at + 4, at + 8));
    if (at + 12 + length > bytes.length) throw new Error(`the ${type} chunk is cut short`);
    const data = bytes.subarray(at + 8, at + 8 + length);
    if (crc32([bytes.subarray(at + 4, at + 8), data]) !== view.getUint32(at + 8 + length, false))
      throw new Error(`CRC mismatch in the ${type} chunk`);
    if (type === 'IDAT') idat.push(data);
    else if (type === 'PLTE')
      palette = Array.from({ length: length / 3 }, (_, i) => [...data.subarray(3 * i, 3 * i + 3)]);
    else if (type === 'tRNS') trns = data;
    else if (type === 'IEND') break;
    at += 12 + length;
  }
  const [width, height, depth, colourType] = [view.getUint32(16), view.getUint32(20), bytes[24]!, bytes[25]!];
  if (colourType === 3) {
    if (!palette) throw new Error('a palette PNG without a PLTE chunk');
    palette.forEach((entry, i) => {
      entry.push(trns?.[i] ?? 255);
    });
  }
  const transparency =
    colourType === 0 && trns && trns.length >= 2 ? Uint16Array.of((trns[0]! << 8) | trns[1]!) : undefined;
  const data = deinterlace(unzlibSync(concat(idat)), width, height, depth);
  return { width, height, depth, channels: 1, data, palette: colourType === 3 ? palette : undefined, transparency };
}

function concat(parts: Uint8Array[]): Uint8Array {
  const all = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    all.set(part, offset);
    offset += part.length;
  }
  return all;
}

/** One filtered row undone in place; below 8 bits a sample the filters' pixel step is one byte. */
function unfilter(type: number, row: Uint8Array, previous: Uint8Array): void {
  for (let i = 0; i < row.length; i++) {
    const a = i > 0 ? row[i - 1]! : 0;
    const b = previous[i]!;
    const c = i > 0 ? previous[i - 1]! : 0;
    let predicted: number;
    if (type === 0) predicted = 0;
    else if (type === 1) predicted = a;
    else if (type === 2) predicted = b;
    else if (type === 3) predicted = (a + b) >> 1;
    else if (type === 4) {
      const p = a + b - c;
      const [pa, pb, pc] = [Math.abs(p - a), Math.abs(p - b), Math.abs(p - c)];
      predicted = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
    } else throw new Error(`unknown filter type ${type}`);
    row[i] = (row[i]! + predicted) & 0xff;
  }
}

/** The samples (one channel of `depth` < 8 bits) of the seven passes as plain rows packed MSB first. */
function deinterlace(data: Uint8Array, width: number, height: number, depth: number): Uint8Array {
  const rowBytes = Math.ceil((width * depth) / 8);
  const out = new Uint8Array(rowBytes * height);
  const mask = 2 ** depth - 1;
  let offset = 0;
  for (const [x0, y0, dx, dy] of PASSES) {
    const passWidth = Math.ceil((width - x0) / dx);
    const passHeight = Math.ceil((height - y0) / dy);
    if (passWidth <= 0 || passHeight <= 0) continue;
    const passRowBytes = Math.ceil((passWidth * depth) / 8);
    let previous = new Uint8Array(passRowBytes);
    for (let y = 0; y < passHeight; y++) {
      if (offset + 1 + passRowBytes > data.length) throw new Error('image data ends early');
      const row = data.slice(offset + 1, offset + 1 + passRowBytes);
      unfilter(data[offset]!, row, previous);
      offset += 1 + passRowBytes;
      const outRow = (y0 + y * dy) * rowBytes;
      for (let x = 0; x < passWidth; x++) {
        const bit = x * depth;
        const value = (row[bit >> 3]! >> (8 - depth - (bit & 7))) & mask;
        const outBit = (x0 + x * dx) * depth;
        out[outRow + (outBit >> 3)]! |= value << (8 - depth - (outBit & 7));
      }
      previous = row;
    }
  }
  return out;
}
