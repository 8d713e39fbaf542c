// Blur kernels as taps for createBlur (src/kernels/degrade.ts): a sampled Gaussian.

export interface BlurTaps {
  /** height × width non-negative weights, row by row. */
  taps: Float32Array;
  height: number;
  width: number;
}

/** A Gaussian of standard deviation `sigma` pixels, cut at 3σ (over 99% of its weight), summing to 1. */
export function gaussianTaps(sigma: number): BlurTaps {
  const radius = Math.max(1, Math.ceil(3 * sigma));
  const side = 2 * radius + 1;
  const line = Array.from({ length: side }, (_, i) => Math.exp(-((i - radius) ** 2) / (2 * sigma * sigma)));
  const total = line.reduce((s, v) => s + v, 0);
  const taps = new Float32Array(side * side);
  for (let a = 0; a < side; a++) for (let b = 0; b < side; b++) taps[a * side + b] = (line[a]! * line[b]!) / total ** 2;
  return { taps, height: side, width: side };
}
