// The 8-Gaussians benchmark: eight modes evenly spaced on a circle, a standard test of whether a
// GAN covers every mode or collapses onto a few.
import { seededRandom } from '../../reference/numeric.js';

export const RING = { modes: 8, radius: 2, sigma: 0.05 };

export function modeCentre(k: number): [number, number] {
  const angle = (2 * Math.PI * k) / RING.modes;
  return [RING.radius * Math.cos(angle), RING.radius * Math.sin(angle)];
}

/** count points, interleaved x, y, drawn with a fixed seed. */
export function ringPoints(count: number, seed: number): Float32Array {
  const next = seededRandom(seed);
  const out = new Float32Array(count * 2);
  for (let i = 0; i < count; i++) {
    const [cx, cy] = modeCentre(i % RING.modes);
    const r = Math.sqrt(-2 * Math.log(1 - next())),
      t = 2 * Math.PI * next();
    out[2 * i] = cx + RING.sigma * r * Math.cos(t);
    out[2 * i + 1] = cy + RING.sigma * r * Math.sin(t);
  }
  return out;
}

/** Per mode, the fraction of points whose nearest centre it is and that lie within `within` of it. */
export function modeCoverage(points: Float32Array, within: number): { perMode: number[]; nearFraction: number } {
  const perMode = new Array(RING.modes).fill(0);
  const n = points.length / 2;
  let near = 0;
  for (let i = 0; i < n; i++) {
    let best = Infinity,
      mode = 0;
    for (let k = 0; k < RING.modes; k++) {
      const [cx, cy] = modeCentre(k);
      const d = Math.hypot(points[2 * i]! - cx, points[2 * i + 1]! - cy);
      if (d < best) {
        best = d;
        mode = k;
      }
    }
    if (best <= within) {
      near++;
      perMode[mode]++;
    }
  }
  return { perMode: perMode.map((c) => c / n), nearFraction: near / n };
}
