// Float64 references for image repair by latent search (src/repair/repairer.ts): its two kernels
// (shaders/latent_repair.wgsl) and the whole objective L(z) = known-pixel MSE + λ·softplus(−D(G(z))),
// for finite differences with respect to z.
import type { Activation } from '../src/kernels/kernel.js';
import { derivativeFromOutput, mlpForwardReference, sigmoid, softplus } from './cpu.js';

export interface PixelsReference {
  /** Each row's known-pixel mean squared error. */
  errors: Float64Array;
  /** rows × dim: ∂L/∂(G's last pre-activation). */
  outputGrads: Float64Array;
}

export function repairPixelsReference(
  generated: ArrayLike<number>,
  target: ArrayLike<number>,
  known: ArrayLike<number>,
  imageGrads: ArrayLike<number> | null,
  rows: number,
  activation: Activation,
  leakySlope: number,
): PixelsReference {
  const dim = target.length;
  let knownCount = 0;
  for (let j = 0; j < dim; j++) knownCount += known[j]!;
  const errors = new Float64Array(rows);
  const outputGrads = new Float64Array(rows * dim);
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < dim; j++) {
      const i = r * dim + j;
      const [difference, weight] = [generated[i]! - target[j]!, known[j]!];
      errors[r]! += (weight * difference * difference) / knownCount;
      const grad = (2 * weight * difference) / knownCount + (imageGrads ? imageGrads[i]! : 0);
      outputGrads[i] = grad * derivativeFromOutput(activation, generated[i]!, leakySlope);
    }
  }
  return { errors, outputGrads };
}

/** λ·softplus(−D) per row and its gradient with respect to the logit, λ(σ(D) − 1). */
export function repairRealismReference(
  logits: ArrayLike<number>,
  weight: number,
): { realism: Float64Array; logitGrads: Float64Array } {
  const realism = Float64Array.from(logits, (l) => weight * softplus(-l));
  const logitGrads = Float64Array.from(logits, (l) => weight * (sigmoid(l) - 1));
  return { realism, logitGrads };
}

export interface ReferenceNetwork {
  tensors: ReadonlyMap<string, { data: ArrayLike<number> }>;
  prefix: string;
  spec: { widths: number[]; hidden: Activation; output: Activation; leakySlope: number };
}

/** Each row's objective terms at noise z (rows × noiseDim), unconditional networks. */
export function repairObjectiveReference(
  generator: ReferenceNetwork,
  discriminator: ReferenceNetwork | null,
  z: ArrayLike<number>,
  rows: number,
  target: ArrayLike<number>,
  known: ArrayLike<number>,
  weight: number,
): { errors: Float64Array; realism: Float64Array; generated: Float64Array } {
  const generated = mlpForwardReference(generator.tensors, generator.prefix, generator.spec, z, rows).outputs.at(-1)!;
  const { errors } = repairPixelsReference(generated, target, known, null, rows, 'none', 0);
  if (!discriminator || weight === 0) return { errors, realism: new Float64Array(rows), generated };
  const d = discriminator;
  const logits = mlpForwardReference(d.tensors, d.prefix, d.spec, generated, rows).outputs.at(-1)!;
  return { errors, realism: repairRealismReference(logits, weight).realism, generated };
}

/** The prior step in float64: each row of `latents` (rows × dim) scaled to norm √dim; a zero row stays. */
export function latentToSphereReference(latents: ArrayLike<number>, rows: number, dim: number): Float64Array {
  const out = Float64Array.from(latents);
  for (let r = 0; r < rows; r++) {
    const row = out.subarray(r * dim, (r + 1) * dim);
    const norm = Math.sqrt(row.reduce((sum, v) => sum + v * v, 0));
    if (norm > 0) for (let j = 0; j < dim; j++) row[j] = (row[j]! * Math.sqrt(dim)) / norm;
  }
  return out;
}
