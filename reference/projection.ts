// A projection discriminator's last layer in float64 (Miyato and Koyama 2018), written plainly:
// each row's logit is (w + V[y_r])·a_r + b, its loss as logit_head.wgsl defines it, and every
// gradient by the textbook formulas. What the logit head with row offsets and the class projection
// kernels together compute (shaders/class_projection.wgsl).
import { derivativeFromOutput, logitLossReference, type BceReference, type LogitLossKind } from './cpu.js';
import type { Activation } from '../src/kernels/kernel.js';

export interface ProjectedHeadReference {
  logits: Float64Array;
  /** rows × width: dLoss/d(input), times f'(input) where a gate is given. */
  inputGrad: Float64Array;
  weightGrad: Float64Array;
  /** classes × width. */
  classWeightGrad: Float64Array;
  biasGrad: number;
  /** Σ|terms| of each input gradient entry and each dV entry: the scale of their rounding. */
  classWeightGradMagnitude: Float64Array;
  bce: BceReference;
}

export interface ProjectedHeadInputs {
  rows: number;
  width: number;
  classes: number;
  input: ArrayLike<number>;
  weight: ArrayLike<number>;
  bias: number;
  classWeight: ArrayLike<number>;
  /** Row r's class is labels[r mod labels.length]. */
  labels: ArrayLike<number>;
}

export function projectedHeadReference(
  x: ProjectedHeadInputs,
  loss: { split: number; targetFirst: number; targetSecond: number; divisor?: number; kind?: LogitLossKind },
  gate?: { kind: Activation; alpha: number },
): ProjectedHeadReference {
  const { rows, width, classes } = x;
  const classOf = (r: number) => x.labels[r % x.labels.length]!;
  const effective = (r: number, j: number) => x.weight[j]! + x.classWeight[classOf(r) * width + j]!;
  const logits = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    let sum = x.bias;
    for (let j = 0; j < width; j++) sum += effective(r, j) * x.input[r * width + j]!;
    logits[r] = sum;
  }
  const bce = logitLossReference(
    loss.kind ?? 'bce',
    logits,
    loss.split,
    loss.targetFirst,
    loss.targetSecond,
    loss.divisor ?? rows,
  );
  const inputGrad = new Float64Array(rows * width);
  const weightGrad = new Float64Array(width);
  const classWeightGrad = new Float64Array(classes * width);
  const classWeightGradMagnitude = new Float64Array(classes * width);
  let biasGrad = 0;
  for (let r = 0; r < rows; r++) {
    const g = bce.grad[r]!;
    const k = classOf(r);
    biasGrad += g;
    for (let j = 0; j < width; j++) {
      const a = x.input[r * width + j]!;
      const f = gate ? derivativeFromOutput(gate.kind, a, gate.alpha) : 1;
      inputGrad[r * width + j] = g * effective(r, j) * f;
      weightGrad[j]! += g * a;
      classWeightGrad[k * width + j]! += g * a;
      classWeightGradMagnitude[k * width + j]! += Math.abs(g * a);
    }
  }
  return { logits, inputGrad, weightGrad, classWeightGrad, biasGrad, classWeightGradMagnitude, bce };
}
