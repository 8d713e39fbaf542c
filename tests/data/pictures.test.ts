// The platform-neutral picture decoder (src/io/pictures.ts) against pngjs, the decoder the CLI used
// before: PNGs of every colour type and bit depth, palette and tRNS included, written here byte by
// byte, must decode to the same RGBA, so that a folder trains on the same bytes as it did. And the
// one rule of PictureSetReader for classes and loose pictures, which the CLI and the demo share.
import { deflateSync } from 'node:zlib';
import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { describeSkippedPictures, PictureSetReader } from '../../src/data/pictureSet.js';
import { decodePicture, pictureFormat } from '../../src/io/pictures.js';

/** CRC-32 of a chunk's type and data, as PNG wants it. */
function crc32(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of bytes) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0xedb88320 : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Uint8Array): Buffer {
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const out = Buffer.alloc(body.length + 8);
  out.writeUInt32BE(data.length, 0);
  body.copy(out, 4);
  out.writeUInt32BE(crc32(body), body.length + 4);
  return out;
}

interface Kind {
  colorType: 0 | 2 | 3 | 4 | 6;
  depth: 1 | 2 | 4 | 8 | 16;
  interlace?: boolean;
  trns?: boolean;
}

const CHANNELS = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 } as const;

/** Rows of samples, packed MSB first at depths below 8, big-endian at 16. */
function packRows(samples: number[][], depth: number): Uint8Array[] {
  return samples.map((row) => {
    const bytes = new Uint8Array(Math.ceil((row.length * depth) / 8));
    row.forEach((v, i) => {
      if (depth === 16) bytes.set([v >> 8, v & 0xff], 2 * i);
      else if (depth === 8) bytes[i] = v;
      else bytes[(i * depth) >> 3]! |= v << (8 - depth - ((i * depth) & 7));
    });
    return bytes;
  });
}

const ADAM7 = [
  [0, 0, 8, 8],
  [4, 0, 8, 8],
  [0, 4, 4, 8],
  [2, 0, 4, 4],
  [0, 2, 2, 4],
  [1, 0, 2, 2],
  [0, 1, 1, 2],
];

/** A PNG of `kind`, its samples from a fixed pseudo-random sequence, with a palette of 5 where one is used. */
function pngOf(kind: Kind, width = 9, height = 7): Buffer {
  const channels = CHANNELS[kind.colorType];
  const max = kind.colorType === 3 ? 4 : 2 ** kind.depth - 1;
  let state = 17 * kind.colorType + kind.depth + (kind.interlace ? 5 : 0);
  const next = () => {
    state = (state * 1103515245 + 12345) >>> 0;
    return (state >>> 8) % (max + 1);
  };
  const samples = Array.from({ length: height }, () => Array.from({ length: width * channels }, next));
  // Some pixels equal the tRNS colour, which is the first pixel's.
  if (kind.trns) for (let y = 0; y < height; y += 2) samples[y]!.splice(0, channels, ...samples[0]!.slice(0, channels));
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([kind.depth, kind.colorType, 0, 0, kind.interlace ? 1 : 0], 8);
  const chunks = [chunk('IHDR', ihdr)];
  if (kind.colorType === 3) {
    chunks.push(
      chunk(
        'PLTE',
        Uint8Array.from({ length: 15 }, (_, i) => (i * 53) & 0xff),
      ),
    );
    if (kind.trns) chunks.push(chunk('tRNS', Uint8Array.of(0, 128, 255)));
  } else if (kind.trns) {
    const key = Buffer.alloc(2 * channels);
    for (let c = 0; c < channels; c++) key.writeUInt16BE(samples[0]![c]!, 2 * c);
    chunks.push(chunk('tRNS', key));
  }
  const raw: Uint8Array[] = [];
  for (const [x0, y0, dx, dy] of kind.interlace ? ADAM7 : [[0, 0, 1, 1]]) {
    const rows: number[][] = [];
    for (let y = y0!; y < height; y += dy!) {
      const row: number[] = [];
      for (let x = x0!; x < width; x += dx!) row.push(...samples[y]!.slice(x * channels, (x + 1) * channels));
      if (row.length > 0) rows.push(row);
    }
    for (const packed of packRows(rows, kind.depth)) raw.push(Uint8Array.of(0), packed);
  }
  chunks.push(chunk('IDAT', deflateSync(Buffer.concat(raw))), chunk('IEND', new Uint8Array(0)));
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), ...chunks]);
}

const KINDS: Kind[] = [];
for (const depth of [1, 2, 4, 8, 16] as const) {
  KINDS.push({ colorType: 0, depth }, { colorType: 0, depth, trns: true });
  if (depth <= 8) KINDS.push({ colorType: 3, depth }, { colorType: 3, depth, trns: true });
  if (depth >= 8)
    for (const colorType of [2, 4, 6] as const) {
      KINDS.push({ colorType, depth }, { colorType, depth, interlace: true });
      if (colorType === 2) KINDS.push({ colorType, depth, trns: true });
    }
}
// Interlaced: 8-bit grey, and grey and palette below 8 bits (which fast-png alone mis-reads).
KINDS.push({ colorType: 0, depth: 8, interlace: true });
for (const depth of [1, 2, 4] as const)
  KINDS.push({ colorType: 0, depth, interlace: true }, { colorType: 3, depth, interlace: true, trns: true });

describe('decodePicture', () => {
  it.each(KINDS.map((kind) => [JSON.stringify(kind), kind] as const))('PNG %s: the RGBA pngjs gives', (_, kind) => {
    const bytes = pngOf(kind);
    const old = PNG.sync.read(bytes);
    const decoded = decodePicture(new Uint8Array(bytes));
    if ('reason' in decoded) throw new Error(decoded.reason);
    expect([decoded.image.width, decoded.image.height]).toEqual([old.width, old.height]);
    expect(Buffer.from(decoded.image.rgba).equals(old.data)).toBe(true);
  });

  it('interlaced below 8 bits, at sizes that leave passes empty: the RGBA pngjs gives', () => {
    for (const [width, height] of [
      [1, 1],
      [2, 3],
      [5, 1],
      [13, 10],
    ] as const) {
      const bytes = pngOf({ colorType: 0, depth: 2, interlace: true }, width, height);
      const decoded = decodePicture(new Uint8Array(bytes));
      if ('reason' in decoded) throw new Error(decoded.reason);
      expect(Buffer.from(decoded.image.rgba).equals(PNG.sync.read(bytes).data), `${width}×${height}`).toBe(true);
    }
    const damaged = pngOf({ colorType: 3, depth: 4, interlace: true });
    damaged[damaged.length - 20] = damaged[damaged.length - 20]! ^ 0xff;
    expect(decodePicture(new Uint8Array(damaged))).toEqual({
      reason: 'corrupt or truncated PNG (CRC mismatch in the IDAT chunk)',
    });
    expect(decodePicture(new Uint8Array(damaged.subarray(0, 60)))).toEqual({
      reason: expect.stringMatching(/^corrupt or truncated PNG \(the (IDAT chunk is cut short|file ends)/),
    });
  });

  it('a damaged chunk is a corrupt PNG; WebP and GIF are named, and only PNG and JPEG are read', () => {
    const bytes = pngOf({ colorType: 2, depth: 8 });
    bytes[40] = bytes[40]! ^ 0xff;
    expect(decodePicture(new Uint8Array(bytes))).toEqual({
      reason: expect.stringMatching(/^corrupt or truncated PNG/),
    });
    const webp = new TextEncoder().encode('RIFF\0\0\0\0WEBPVP8 ');
    expect(pictureFormat(webp)).toEqual({ kind: 'other', reason: expect.stringMatching(/^a WebP picture: only PNG/) });
    expect(decodePicture(new TextEncoder().encode('GIF89a'))).toEqual({
      reason: 'a GIF picture: only PNG and JPEG are read, convert it to one of those',
    });
  });
});

describe('PictureSetReader: one rule for classes and loose pictures', () => {
  const png = pngOf({ colorType: 0, depth: 8 });
  const file = (...path: string[]) => ({ path, kind: 'file' as const });
  function read(entries: Array<{ path: string[]; kind: 'file' | 'folder' }>, maxFiles?: number) {
    const reader = new PictureSetReader(entries, { side: 2, maxFiles });
    for (const f of reader.files) {
      const bytes = f.entry.path.at(-1)!.endsWith('.txt') ? new TextEncoder().encode('notes') : png;
      if (reader.check(f, bytes)) reader.add(f, bytes);
    }
    return reader.finish();
  }

  it('without sub-folders every picture is unlabelled; hidden names are ignored', () => {
    const set = read([file('b.png'), file('a.png'), file('.DS_Store'), file('.x', 'c.png')]);
    expect([set.count, set.withClasses, set.classNames, set.skipped]).toEqual([2, false, [], []]);
  });

  it('with sub-folders each is a class; a loose picture beside them, or one deeper down, is skipped', () => {
    const set = read([file('stray.png'), file('dogs', 'a.png'), file('cats', 'old', 'x.png'), file('cats', 'b.png')]);
    expect([set.count, set.classNames, [...set.labels]]).toEqual([2, ['cats', 'dogs'], [0, 1]]);
    expect(set.skipped).toEqual([
      { path: ['cats', 'old', 'x.png'], reason: 'in a folder inside a class folder' },
      { path: ['stray.png'], reason: 'beside the class folders, so it has no class' },
    ]);
    expect(describeSkippedPictures(set.skipped)).toBe(
      '2 files skipped — cats/old/x.png: in a folder inside a class folder; stray.png: beside the class folders, ' +
        'so it has no class',
    );
  });

  it('a class folder without a usable picture is refused by name; an empty folder still makes the rest loose', () => {
    expect(() => read([file('a.png'), { path: ['empty'], kind: 'folder' }])).toThrow(
      /^class folder empty has no PNG or JPEG picture that could be read; every class needs examples/,
    );
    expect(() => read([file('cats', 'a.png'), file('dogs', 'notes.txt')])).toThrow(
      'class folder dogs has no PNG or JPEG picture that could be read (1 file skipped — dogs/notes.txt: not a PNG',
    );
  });

  it('maxFiles reads the first files in path order and counts the rest; a class cut off is no empty class', () => {
    const set = read([file('dogs', 'b.png'), file('cats', 'b.png'), file('cats', 'a.png'), file('dogs', 'a.png')], 2);
    expect([set.count, set.classNames, set.leftOver]).toEqual([2, ['cats'], 2]);
    expect(() => read([file('a.png')], 0)).toThrow(/maxFiles/);
  });
});
