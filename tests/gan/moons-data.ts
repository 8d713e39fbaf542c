// Two interleaving half-moons in the plane, a class each: the standard picture of data whose
// classes a few labels cannot separate on their own (the line between one labelled point of each
// moon cuts both moons) but whose unlabelled points draw the boundary along the gap between them.
import { seededRandom } from '../../reference/numeric.js';

export const MOONS = { classes: 2, sigma: 0.08 };

/** count points (interleaved x, y) and their moons, drawn with a fixed seed; even rows the upper moon. */
export function moonPoints(count: number, seed: number): { points: Float32Array; labels: Uint8Array } {
  const next = seededRandom(seed);
  const gaussian = () => Math.sqrt(-2 * Math.log(1 - next())) * Math.cos(2 * Math.PI * next());
  const points = new Float32Array(count * 2);
  const labels = new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    const moon = i % 2;
    const t = Math.PI * next();
    const [x, y] = moon === 0 ? [Math.cos(t), Math.sin(t)] : [1 - Math.cos(t), 0.5 - Math.sin(t)];
    points[2 * i] = x + MOONS.sigma * gaussian();
    points[2 * i + 1] = y + MOONS.sigma * gaussian();
    labels[i] = moon;
  }
  return { points, labels };
}
