// Half precision (safetensors' F16): every one of the 65,536 bit patterns widens to the value the
// IEEE 754 formula gives, every finite half rounds back to itself, and float32 values between
// halves round to the nearer (ties to even), checked against a search over the sorted halves.
// Then F16 tensors in a safetensors file: written, read widened, and refused past 65504.
import { describe, expect, it } from 'vitest';
import { FLOAT16_OVERFLOW, float16Bits, float16Value } from '../../src/io/float16.js';
import { decodeSafetensors, encodeSafetensors } from '../../src/io/safetensors.js';

/** The value of a half from its fields, written out independently of the module's decoder. */
function expected(bits: number): number {
  const sign = bits >= 0x8000 ? -1 : 1;
  const exponent = Math.floor(bits / 1024) % 32;
  const fraction = bits % 1024;
  if (exponent === 31) return fraction === 0 ? sign * Infinity : Number.NaN;
  return exponent === 0 ? (sign * fraction) / 2 ** 24 : sign * 2 ** (exponent - 15) * (1 + fraction / 1024);
}

/** The finite non-negative halves, ascending, with their bits. */
const ascending = Array.from({ length: 0x7c00 }, (_, bits) => ({ bits, value: expected(bits) }));

/** The nearest non-negative half to `v` by search; a tie goes to the even bit pattern. */
function nearest(v: number): number {
  let lo = 0;
  let hi = ascending.length - 1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (ascending[mid]!.value <= v) lo = mid;
    else hi = mid;
  }
  const [a, b] = [ascending[lo]!, ascending[hi]!];
  const [da, db] = [Math.abs(v - a.value), Math.abs(b.value - v)];
  if (da !== db) return da < db ? a.bits : b.bits;
  return a.bits % 2 === 0 ? a.bits : b.bits;
}

describe('float16', () => {
  it('widens each of the 65,536 bit patterns to its value, and rounds each finite half back to itself', () => {
    for (let bits = 0; bits < 0x10000; bits++) {
      const value = float16Value(bits);
      const want = expected(bits);
      if (Number.isNaN(want)) {
        expect(value, `bits ${bits}`).toBeNaN();
        expect(float16Bits(value) & 0x7fff).toBeGreaterThan(0x7c00); // still a NaN
        continue;
      }
      expect(value, `bits ${bits}`).toBe(want);
      expect(Math.fround(value)).toBe(value); // exact in float32
      if (Number.isFinite(want)) expect(float16Bits(value), `bits ${bits}`).toBe(bits);
    }
  });

  it('rounds float32 values between halves to the nearest, ties to even, subnormals included', () => {
    const values = [
      2 ** -25, // half the smallest subnormal: a tie, to 0
      1.5 * 2 ** -25,
      3 * 2 ** -25, // a tie between subnormals 1 and 2: to 2
      2 ** -14 - 2 ** -25, // just under the smallest normal
      1 + 2 ** -11, // a tie between 1 and 1 + 2^-10: to 1
      1 + 3 * 2 ** -11, // a tie: to 1 + 2^-9
      0.1,
      1 / 3,
      2047.5,
      65504,
      65519.99,
    ];
    let seed = 7;
    for (let i = 0; i < 20000; i++) {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      values.push(Math.fround((seed / 2 ** 31) * 2 ** ((i % 40) - 26)));
    }
    for (const v of values) {
      const f = Math.fround(v);
      expect(float16Bits(f), String(f)).toBe(nearest(f));
      expect(float16Bits(-f), String(-f)).toBe(nearest(f) | 0x8000);
    }
  });

  it('sends sizes from 65520 up to infinity, keeping the sign, and tiny ones to a signed zero', () => {
    expect(float16Bits(FLOAT16_OVERFLOW)).toBe(0x7c00);
    expect(float16Bits(-1e9)).toBe(0xfc00);
    expect(float16Bits(Math.fround(65519.99))).toBe(0x7bff);
    expect(float16Bits(1e-30)).toBe(0);
    expect(float16Bits(-1e-30)).toBe(0x8000);
  });
});

describe('F16 tensors in a safetensors file', () => {
  const tensors = new Map([
    ['a', { shape: [2, 3], data: Float32Array.from([0, -1.5, 0.1, 1 / 3, 65504, -(2 ** -24)]) }],
    ['b', { shape: [1], data: Float32Array.of(Math.PI) }],
  ]);

  it('writes F16 at two bytes a value and reads them back widened to the nearest halves', () => {
    const bytes = encodeSafetensors(tensors, { note: 'half' }, new Map(), { float16: true });
    expect(bytes.length).toBeLessThan(encodeSafetensors(tensors, { note: 'half' }).length);
    const length = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + length)));
    expect(header.a).toEqual({ dtype: 'F16', shape: [2, 3], data_offsets: [0, 12] });
    const decoded = decodeSafetensors(bytes);
    expect(decoded.metadata.note).toBe('half');
    for (const [name, t] of tensors) {
      const got = decoded.tensors.get(name)!;
      expect(got.shape).toEqual(t.shape);
      expect(Array.from(got.data)).toEqual(Array.from(t.data, (v) => float16Value(float16Bits(v))));
    }
  });

  it('stores in F16 only the tensors a function picks by name, the rest in F32 as they are', () => {
    const bytes = encodeSafetensors(tensors, {}, new Map(), { float16: (name) => name === 'b' });
    const decoded = decodeSafetensors(bytes);
    expect(Array.from(decoded.tensors.get('a')!.data)).toEqual(Array.from(tensors.get('a')!.data));
    expect(decoded.tensors.get('b')!.data[0]).toBe(float16Value(float16Bits(Math.PI)));
    expect(decoded.tensors.get('b')!.data[0]).not.toBe(Math.fround(Math.PI));
    expect(() => encodeSafetensors(tensors, {}, new Map(), { float16: 'yes' as never })).toThrow(/float16/);
  });

  it('refuses a value past 65504, naming the tensor, rather than store infinity', () => {
    const large = new Map([['w', { shape: [2], data: Float32Array.of(1, 70000) }]]);
    expect(() => encodeSafetensors(large, {}, new Map(), { float16: true })).toThrow(
      'tensor "w": a value of 70000 does not fit float16 (at most 65504 in size); store it as F32',
    );
  });
});
