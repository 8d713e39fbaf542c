// A projection discriminator's last layer in float64 (Miyato and Koyama 2018): each row's logit is
// (w + V[y_r])·a_r + b, the logit head's reference with a per-row weight, and dV the shared
// weight's gradient split by class. What the logit head with row offsets and the class projection
// kernels together compute (shaders/class_projection.wgsl).
import { logitHeadReference, type BceReference, type LogitLossKind } from './cpu.js';
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
  const head = logitHeadReference(x.input, rows, width, x.weight, x.bias, loss, gate, (r, j) => {
    return x.classWeight[classOf(r) * width + j]!;
  });
  // dV[k] = Σ over the rows of class k of dLoss/dlogit · a_r: the shared weight's gradient, split by class.
  const classWeightGrad = new Float64Array(classes * width);
  const classWeightGradMagnitude = new Float64Array(classes * width);
  for (let r = 0; r < rows; r++) {
    const g = head.bce.grad[r]!;
    const k = classOf(r);
    for (let j = 0; j < width; j++) {
      const term = g * x.input[r * width + j]!;
      classWeightGrad[k * width + j]! += term;
      classWeightGradMagnitude[k * width + j]! += Math.abs(term);
    }
  }
  return {
    logits: head.logits,
    inputGrad: head.inputGrad,
    weightGrad: head.weightGrad,
    classWeightGrad,
    biasGrad: head.biasGrad,
    classWeightGradMagnitude,
    bce: head.bce,
  };
}
