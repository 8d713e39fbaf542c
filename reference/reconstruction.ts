// A restorer's reconstruction loss in float64, from its definition: the mean squared (l2) or
// absolute (l1) difference over `divisor`; with `edges`, plus weight × (1/divisor) Σ |Δy − Δt| over
// each pair of horizontal and of vertical neighbours of each plane (the l1 of the pictures'
// gradients), differentiated pair by pair; its gradient by the chain rule through tanh when the
// restored values are a tanh's outputs (dtanh/dz = 1 − y²).
export function reconstructionReference(
  restored: ArrayLike<number>,
  target: ArrayLike<number>,
  options: {
    loss: 'l1' | 'l2';
    divisor?: number;
    tanhGate?: boolean;
    edges?: { weight: number; width: number; height: number };
  },
): { loss: number; grad: Float64Array } {
  const divisor = options.divisor ?? restored.length;
  const slopes = new Float64Array(restored.length);
  let loss = 0;
  for (let i = 0; i < restored.length; i++) {
    const difference = restored[i]! - target[i]!;
    loss += options.loss === 'l1' ? Math.abs(difference) : difference * difference;
    slopes[i] = options.loss === 'l1' ? Math.sign(difference) : 2 * difference;
  }
  if (options.edges) loss += edgeLoss(restored, target, options.edges, slopes);
  const grad = Float64Array.from(slopes, (slope, i) => {
    const y = restored[i]!;
    return (slope / divisor) * (options.tanhGate ? 1 - y * y : 1);
  });
  return { loss: loss / divisor, grad };
}

/** weight × Σ |Δy − Δt| over neighbour pairs (a, b); adds each pair's slope to `slopes` at a and b. */
function edgeLoss(
  y: ArrayLike<number>,
  t: ArrayLike<number>,
  edges: { weight: number; width: number; height: number },
  slopes: Float64Array,
): number {
  const { weight, width, height } = edges;
  const plane = width * height;
  let loss = 0;
  const pair = (a: number, b: number) => {
    const error = y[a]! - y[b]! - (t[a]! - t[b]!);
    loss += weight * Math.abs(error);
    slopes[a]! += weight * Math.sign(error);
    slopes[b]! -= weight * Math.sign(error);
  };
  for (let start = 0; start < y.length; start += plane)
    for (let row = 0; row < height; row++)
      for (let column = 0; column < width; column++) {
        const i = start + row * width + column;
        if (column + 1 < width) pair(i, i + 1);
        if (row + 1 < height) pair(i, i + width);
      }
  return loss;
}
