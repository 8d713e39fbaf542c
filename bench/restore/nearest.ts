// The lookup baseline: the training picture nearest to a degraded one, compared after degrading
// every training picture the same way (without noise), or on the known pixels alone for a hole.

/**
 * Index of the row of `candidates` (rows × size, already degraded) nearest to `target` in squared
 * distance over the values where `weight` is 1 (all values when it is omitted).
 */
export function nearestRow(
  candidates: ArrayLike<number>,
  rows: number,
  target: ArrayLike<number>,
  weight?: ArrayLike<number>,
): number {
  const size = target.length;
  if (candidates.length !== rows * size)
    throw new Error(`nearestRow: ${candidates.length} values for ${rows} rows of ${size}`);
  let [best, bestDistance] = [-1, Number.POSITIVE_INFINITY];
  for (let r = 0; r < rows; r++) {
    let d = 0;
    for (let i = 0; i < size && d < bestDistance; i++) {
      if (weight && weight[i] === 0) continue;
      d += (candidates[r * size + i]! - target[i]!) ** 2;
    }
    if (d < bestDistance) [best, bestDistance] = [r, d];
  }
  return best;
}

/** The picture with its unknown values (known = 0) copied from `source`, its known ones kept. */
export function pasteUnknown(picture: ArrayLike<number>, source: ArrayLike<number>, known: ArrayLike<number>) {
  return Float64Array.from(picture as ArrayLike<number>, (v, i) => (known[i] === 0 ? source[i]! : v));
}
