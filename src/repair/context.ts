// Two of Yeh et al.'s improvements to inpainting by latent search ("Semantic image inpainting with
// deep generative models", 2017), on the CPU: both work on one picture of at most a few thousand
// pixels, once per repair, so a GPU pass would cost more to set up than it saves.
//   Nearness weights: a known pixel counts in the search's error by how much of the hole lies in
//     the window around it, so the pixels that border the hole decide what fills it, and those
//     far from it (which the generator may get a little wrong anywhere) do not pull the fill.
//   Poisson blending: the fill keeps the generated picture's gradients but meets the known pixels
//     at the hole's edge, so a generated picture a little brighter or darker than the damaged one
//     leaves no seam (Pérez et al. 2003), solved by Gauss–Seidel on the hole's pixels.
import { requireArrayLike, requireObject } from '../base/arguments.js';
import { ArgumentError, requirePositiveInteger } from '../base/errors.js';

/** The window Yeh et al. use: 7×7 pixels around each known one. */
export const NEARNESS_WINDOW = 7;

/** A picture's planar layout: `channels` planes of side × side. */
export interface PlanarShape {
  channels: number;
  side: number;
}

function requireShape(values: ArrayLike<number>, shape: PlanarShape, what: string): void {
  requireArrayLike(what, values, 'a picture as numbers, planar C×H×W');
  requireObject('shape', shape, "the picture's { channels, side }");
  requirePositiveInteger('channels', shape.channels);
  requirePositiveInteger('side', shape.side);
  if (values.length !== shape.channels * shape.side * shape.side)
    throw new ArgumentError(what, `holds ${values.length} values, not ${shape.channels}×${shape.side}×${shape.side}`);
}

/**
 * Each pixel's weight in the search's error: 0 for a pixel to fill; for a known one, the share of
 * the window² pixels around it (within the picture) that are to be filled. Per plane.
 */
export function nearnessWeights(known: ArrayLike<number>, shape: PlanarShape, window = NEARNESS_WINDOW): Float32Array {
  requireShape(known, shape, 'known');
  if (!Number.isInteger(window) || window < 1 || window % 2 === 0)
    throw new ArgumentError('window', `must be an odd whole number of pixels, got ${window}`);
  const { side } = shape;
  const reach = (window - 1) / 2;
  const weights = new Float32Array(known.length);
  for (let p = 0; p < known.length; p++) {
    if (!known[p]) continue;
    const plane = p - (p % (side * side));
    const [x, y] = [p % side, Math.floor((p % (side * side)) / side)];
    let holes = 0;
    let inside = 0;
    for (let v = Math.max(0, y - reach); v <= Math.min(side - 1, y + reach); v++)
      for (let u = Math.max(0, x - reach); u <= Math.min(side - 1, x + reach); u++) {
        inside++;
        if (!known[plane + v * side + u]) holes++;
      }
    weights[p] = holes / inside;
  }
  return weights;
}

/** Gauss–Seidel sweeps at most, and the largest change of a sweep that counts as settled. */
const MAX_SWEEPS = 10_000;
const SETTLED = 1e-7;

/**
 * The damaged picture with its hole filled from `generated` by Poisson blending: inside the hole,
 * the fill f solves Δf = Δg (g the generated picture) with f equal to the known pixels where the
 * hole meets them.
 * Known pixels are returned as given; the fill is clamped to [lo, hi] (the data's range).
 */
export function poissonBlend(
  damaged: ArrayLike<number>,
  generated: ArrayLike<number>,
  known: ArrayLike<number>,
  shape: PlanarShape,
  range: { lo: number; hi: number } = { lo: -1, hi: 1 },
): Float32Array {
  for (const [values, what] of [
    [damaged, 'damaged'],
    [generated, 'generated'],
    [known, 'known'],
  ] as const)
    requireShape(values, shape, what);
  const { side } = shape;
  const f = Float64Array.from(generated, (g, p) => (known[p] ? damaged[p]! : g));
  const hole = Array.from({ length: f.length }, (_, p) => p).filter((p) => !known[p]);
  const neighbours = (p: number): number[] => {
    const [x, plane] = [p % side, p - (p % (side * side))];
    const y = Math.floor((p - plane) / side);
    const around: number[] = [];
    if (x > 0) around.push(p - 1);
    if (x < side - 1) around.push(p + 1);
    if (y > 0) around.push(p - side);
    if (y < side - 1) around.push(p + side);
    return around;
  };
  const around = hole.map(neighbours);
  // Each hole pixel's guidance: Σ over its neighbours of (g_p − g_q), the generated picture's Laplacian.
  const guidance = hole.map((p, i) => around[i]!.reduce((sum, q) => sum + generated[p]! - generated[q]!, 0));
  // The fill starts at g, which already solves any part of the hole that meets no known pixel
  // (a whole plane erased): only the parts that do meet one move.
  for (let sweep = 0; sweep < MAX_SWEEPS; sweep++) {
    let largest = 0;
    hole.forEach((p, i) => {
      if (around[i]!.length === 0) return; // a picture of one pixel: nothing to blend with
      const sum = around[i]!.reduce((s, q) => s + f[q]!, 0);
      const next = (guidance[i]! + sum) / around[i]!.length;
      largest = Math.max(largest, Math.abs(next - f[p]!));
      f[p] = next;
    });
    if (largest < SETTLED) break;
  }
  return Float32Array.from(f, (v, p) => (known[p] ? v : Math.min(range.hi, Math.max(range.lo, v))));
}
