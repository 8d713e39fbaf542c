// The batch order of shaders/gather.wgsl, in plain TypeScript: a Feistel permutation per epoch keyed
// by Philox(seed, epoch), with cycle-walking. Used to check the gather kernel and to feed the
// float64 reference trainer the same batches.
import { STREAMS } from '../src/kernels/streams.js';
import { philox4x32 } from './cpu.js';

function mix32(value: number, key: number): number {
  let x = (value ^ key) >>> 0;
  x = (x ^ (x >>> 16)) >>> 0;
  x = Math.imul(x, 0x7feb352d) >>> 0;
  x = (x ^ (x >>> 15)) >>> 0;
  x = Math.imul(x, 0x846ca68b) >>> 0;
  return (x ^ (x >>> 16)) >>> 0;
}

export function halfBits(count: number): number {
  const bits = Math.max(2, Math.ceil(Math.log2(Math.max(count, 2))));
  return Math.ceil(bits / 2);
}

export function shuffledExample(sample: number, count: number, seed: number): number {
  const key: [number, number] = [seed >>> 0, Math.floor(seed / 2 ** 32) >>> 0];
  const keys = philox4x32([Math.floor(sample / count), 0, STREAMS.shuffle, 0], key);
  const h = halfBits(count);
  const mask = (1 << h) - 1;
  const feistel = (index: number) => {
    let left = index >>> h;
    let right = index & mask;
    for (let round = 0; round < 4; round++) {
      const next = (left ^ (mix32(right, keys[round]!) & mask)) >>> 0;
      left = right;
      right = next;
    }
    return ((left << h) | right) >>> 0;
  };
  let x = feistel(sample % count);
  while (x >= count) x = feistel(x);
  return x;
}

/** The example indices of the batch for step t (1-based). */
export function batchExamples(step: number, rows: number, count: number, seed: number): number[] {
  return Array.from({ length: rows }, (_, r) => shuffledExample((step - 1) * rows + r, count, seed));
}
