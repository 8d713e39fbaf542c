// IEEE 754 half precision (safetensors' F16), for models stored at half the size: float32 values
// are rounded to the nearest half (ties to even) when written and widened exactly when read.

/** The smallest size that rounds to infinity: halfway between the largest half, 65504, and 65536. */
export const FLOAT16_OVERFLOW = 65520;

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** The half nearest to `value` (ties to even), as its 16 bits; ±Infinity past the largest half, 65504. */
export function float16Bits(value: number): number {
  f32[0] = value;
  const bits = u32[0]!;
  const sign = (bits >>> 16) & 0x8000;
  const exponent = (bits >>> 23) & 0xff;
  const mantissa = bits & 0x7fffff;
  if (exponent === 0xff) return sign | 0x7c00 | (mantissa ? 0x200 : 0); // NaN stays NaN, ±Infinity stays
  const unbiased = exponent - 127;
  if (unbiased > 15) return sign | 0x7c00;
  if (unbiased >= -14) {
    // A normal half: 10 of the 23 mantissa bits, rounded on the 13 dropped.
    const half = ((unbiased + 15) << 10) | (mantissa >>> 13);
    return sign | roundDropped(half, mantissa & 0x1fff, 0x1000);
  }
  if (unbiased < -25) return sign; // under half the smallest subnormal: zero
  // A subnormal half: the significand with its leading 1, shifted to units of 2^-24.
  const significand = mantissa | 0x800000;
  const shift = -unbiased - 1; // 14 to 24 bits dropped
  const kept = significand >>> shift;
  return sign | roundDropped(kept, significand & ((1 << shift) - 1), 1 << (shift - 1));
}

/** `kept` rounded up by the bits dropped below it (`halfway` is half a unit): to nearest, ties to even. */
function roundDropped(kept: number, dropped: number, halfway: number): number {
  return dropped > halfway || (dropped === halfway && (kept & 1) === 1) ? kept + 1 : kept;
}

/** The value of a half's 16 bits (exact in float32). */
export function float16Value(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >>> 10) & 0x1f;
  const mantissa = bits & 0x3ff;
  if (exponent === 0) return sign * mantissa * 2 ** -24;
  if (exponent === 0x1f) return mantissa ? Number.NaN : sign * Number.POSITIVE_INFINITY;
  return sign * (1 + mantissa / 1024) * 2 ** (exponent - 15);
}

/** Little-endian F16 bytes of `values`, each rounded to the nearest half. */
export function float16Bytes(values: Float32Array): Uint8Array {
  const halves = new Uint16Array(values.length);
  for (let i = 0; i < values.length; i++) halves[i] = float16Bits(values[i]!);
  return littleEndian(new Uint8Array(halves.buffer));
}

/** float32 values of little-endian F16 bytes. */
export function floatsFromFloat16Bytes(bytes: Uint8Array): Float32Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const values = new Float32Array(bytes.byteLength / 2);
  for (let i = 0; i < values.length; i++) values[i] = float16Value(view.getUint16(2 * i, true));
  return values;
}

/** Uint16Array bytes in little-endian order whatever the machine's (every platform we run on is little-endian). */
function littleEndian(bytes: Uint8Array): Uint8Array {
  if (new Uint8Array(Uint16Array.of(1).buffer)[0] === 1) return bytes;
  for (let i = 0; i < bytes.length; i += 2) [bytes[i], bytes[i + 1]] = [bytes[i + 1]!, bytes[i]!];
  return bytes;
}
