// Float64 references for image repair by latent search (src/repair/repairer.ts): its two kernels
// (shaders/latent_repair.wgsl) and the whole objective L(z) = known-pixel MSE + λ·softplus(−D(G(z))),
// for finite differences with respect to z.
import type { Activation } from '../src/kernels/kernel.js';
import type { RealismHead } from '../src/kernels/latentRepair.js';
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

/**
 * λ·softplus(−D) per row and its gradient with respect to the logits, λ(σ(D) − 1) at D. D is a
 * row's one logit, the log-sum-exp of its `width` class logits, or its last logit (two heads).
 */
export function repairRealismReference(
  logits: ArrayLike<number>,
  weight: number,
  head: RealismHead = 'one-logit',
  width = 1,
): { realism: Float64Array; logitGrads: Float64Array } {
  const rows = logits.length / width;
  const realism = new Float64Array(rows);
  const logitGrads = new Float64Array(logits.length);
  for (let r = 0; r < rows; r++) {
    const row = Array.from({ length: width }, (_, k) => logits[r * width + k]!);
    const largest = Math.max(...row);
    const total = row.reduce((sum, l) => sum + Math.exp(l - largest), 0);
    const logit = head === 'log-sum-exp' ? largest + Math.log(total) : row[width - 1]!;
    realism[r] = weight * softplus(-logit);
    const grad = weight * (sigmoid(logit) - 1);
    for (let k = 0; k < width; k++) {
      const share = head === 'log-sum-exp' ? Math.exp(row[k]! - largest) / total : k === width - 1 ? 1 : 0;
      logitGrads[r * width + k] = grad * share;
    }
  }
  return { realism, logitGrads };
}

export interface ReferenceNetwork {
  tensors: ReadonlyMap<string, { data: ArrayLike<number> }>;
  prefix: string;
  spec: { widths: number[]; hidden: Activation; output: Activation; leakySlope: number };
}

/**
 * A class-reading model's objective: G takes `label` as a one-hot of `classes` beside its noise,
 * and D's real/fake logit is read off its last layer's logits as `head` says.
 */
export interface ClassReading {
  classes: number;
  label: number;
  head: RealismHead;
}

/** Each row's objective terms at noise z (rows × noiseDim): unconditional networks, or as `reading` says. */
export function repairObjectiveReference(
  generator: ReferenceNetwork,
  discriminator: ReferenceNetwork | null,
  z: ArrayLike<number>,
  rows: number,
  target: ArrayLike<number>,
  known: ArrayLike<number>,
  weight: number,
  reading?: ClassReading,
): { errors: Float64Array; realism: Float64Array; generated: Float64Array } {
  const input = reading && reading.classes > 0 ? withOneHot(z, rows, reading.classes, reading.label) : z;
  const g = generator;
  const generated = mlpForwardReference(g.tensors, g.prefix, g.spec, input, rows).outputs.at(-1)!;
  const { errors } = repairPixelsReference(generated, target, known, null, rows, 'none', 0);
  if (!discriminator || weight === 0) return { errors, realism: new Float64Array(rows), generated };
  const d = discriminator;
  const logits = mlpForwardReference(d.tensors, d.prefix, d.spec, generated, rows).outputs.at(-1)!;
  const width = d.spec.widths.at(-1)!;
  if (width > 1 && !reading) throw new Error(`a D of ${width} logits needs the reading of its real/fake logit`);
  return { errors, realism: repairRealismReference(logits, weight, reading?.head, width).realism, generated };
}

/** Each row of z (rows × noise) followed by a one-hot of `label` among `classes`. */
function withOneHot(z: ArrayLike<number>, rows: number, classes: number, label: number): Float64Array {
  const noise = z.length / rows;
  const joined = new Float64Array(rows * (noise + classes));
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < noise; j++) joined[r * (noise + classes) + j] = z[r * noise + j]!;
    joined[r * (noise + classes) + noise + label] = 1;
  }
  return joined;
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
