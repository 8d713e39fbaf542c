// The pair discriminator's input and its gradient (src/kernels/restorePair.ts) in float64, from
// their definitions: each pair row is the degraded picture with each pixel repeated factor × factor
// times, then the picture; the gradient adds weight · ∂L/∂(picture half) · (1 − y²) (tanh's
// derivative at its output y), or without the factor for a residual restorer, to the restorer's gradient.
export interface PairReferenceShape {
  rows: number;
  channels: number;
  side: number;
  inputSide: number;
}

export function pairPackReference(
  shape: PairReferenceShape,
  degraded: ArrayLike<number>,
  picture: ArrayLike<number>,
): Float64Array {
  const { rows, channels, side, inputSide } = shape;
  const plane = channels * side * side;
  const factor = side / inputSide;
  const pair = new Float64Array(rows * 2 * plane);
  for (let r = 0; r < rows; r++)
    for (let c = 0; c < channels; c++)
      for (let y = 0; y < side; y++)
        for (let x = 0; x < side; x++) {
          const at = c * side * side + y * side + x;
          const source = ((r * channels + c) * inputSide + Math.floor(y / factor)) * inputSide + Math.floor(x / factor);
          pair[r * 2 * plane + at] = degraded[source]!;
          pair[r * 2 * plane + plane + at] = picture[r * plane + at]!;
        }
  return pair;
}

/** grad + weight × the pair gradient's restored half, through tanh (`gate`) or as it is (a residual restorer's). */
export function pairGradientReference(
  shape: PairReferenceShape,
  restored: ArrayLike<number>,
  pairGrads: ArrayLike<number>,
  grad: ArrayLike<number>,
  weight: number,
  gate: 'tanh' | 'none' = 'tanh',
): Float64Array {
  const plane = shape.channels * shape.side * shape.side;
  return Float64Array.from(grad, (g, i) => {
    const r = Math.floor(i / plane);
    const y = restored[i]!;
    return g + weight * pairGrads[(2 * r + 1) * plane + (i % plane)]! * (gate === 'tanh' ? 1 - y * y : 1);
  });
}
