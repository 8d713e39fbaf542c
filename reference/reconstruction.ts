// A restorer's reconstruction loss in float64, from its definition: the mean squared (l2) or
// absolute (l1) difference over `divisor`, its gradient by the chain rule through tanh when the
// restored values are a tanh's outputs (dtanh/dz = 1 − y²).
export function reconstructionReference(
  restored: ArrayLike<number>,
  target: ArrayLike<number>,
  options: { loss: 'l1' | 'l2'; divisor?: number; tanhGate?: boolean },
): { loss: number; grad: Float64Array } {
  const divisor = options.divisor ?? restored.length;
  const grad = new Float64Array(restored.length);
  let loss = 0;
  for (let i = 0; i < restored.length; i++) {
    const y = restored[i]!;
    const difference = y - target[i]!;
    loss += options.loss === 'l1' ? Math.abs(difference) : difference * difference;
    const slope = options.loss === 'l1' ? Math.sign(difference) : 2 * difference;
    grad[i] = (slope / divisor) * (options.tanhGate ? 1 - y * y : 1);
  }
  return { loss: loss / divisor, grad };
}
