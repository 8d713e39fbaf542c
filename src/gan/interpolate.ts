// Latent walks: noise vectors along the great circle between two random endpoints (spherical
// interpolation, since Gaussian noise of high dimension concentrates near a sphere, where a
// straight line would pass through unlikely, low-norm vectors).
import { requireFunction, requireInstance, requireNumber } from '../base/arguments.js';

/** A small deterministic generator (mulberry32) for choosing endpoints on the CPU. */
export function seededRandom(seed: number): () => number {
  requireNumber('seed', seed);
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** One standard normal value from two uniform ones (Box–Muller). */
export const standardNormal = (random: () => number): number =>
  Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());

export function gaussianVector(dim: number, random: () => number): Float32Array {
  requireFunction('random', random);
  return Float32Array.from({ length: dim }, () => standardNormal(random));
}

export function slerp(a: Float32Array, b: Float32Array, t: number): Float32Array {
  requireInstance('a', a, Float32Array, 'a Float32Array');
  requireInstance('b', b, Float32Array, 'a Float32Array');
  requireNumber('t', t);
  const norm = (v: Float32Array) => Math.hypot(...v);
  const cos = a.reduce((s, x, i) => s + x * b[i]!, 0) / (norm(a) * norm(b));
  const omega = Math.acos(Math.min(1, Math.max(-1, cos)));
  if (omega < 1e-6) return a.map((x, i) => x + t * (b[i]! - x));
  const [wa, wb] = [Math.sin((1 - t) * omega) / Math.sin(omega), Math.sin(t * omega) / Math.sin(omega)];
  return a.map((x, i) => wa * x + wb * b[i]!);
}

/** `steps` vectors from one random endpoint to another, laid end to end (steps × dim). */
export function interpolationNoise(
  dim: number,
  steps: number,
  random: () => number,
  from = gaussianVector(dim, random),
  to = gaussianVector(dim, random),
): Float32Array {
  requireFunction('random', random);
  const out = new Float32Array(steps * dim);
  for (let s = 0; s < steps; s++) out.set(slerp(from, to, steps === 1 ? 0 : s / (steps - 1)), s * dim);
  return out;
}
