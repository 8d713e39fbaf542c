// The semi-supervised discriminator loss in float64 (Salimans et al. 2016), written plainly from
// its definition: a real/fake logit log Σ_k exp(l_k) scored by logitLoss for generated and
// unlabelled real rows, −log softmax(l)_y for labelled rows; every gradient by the chain rule.
// An auxiliary classifier's classed rows add weight × −log softmax(l)_y / divisor to their real/fake loss.
// With ownLogit (two heads) a row is its class logits and then a real/fake logit, which is scored
// in place of the log-sum-exp; the class logits then take only the cross-entropy's gradient.
import { logitLoss, type LogitLossKind } from './cpu.js';

export interface SemiSupervisedReference {
  /** The real/fake loss over `divisor`, the mean readings of generated and real rows. */
  stats: [number, number, number];
  /** The labelled rows' mean cross-entropy and the fraction whose largest logit is their label. */
  supervised: [number, number];
  gradLogits: Float64Array;
  /** The whole loss: real/fake plus cross-entropy, what gradLogits is the gradient of. */
  total: number;
}

export function semiSupervisedReference(
  logits: ArrayLike<number>,
  classes: number,
  blocks: { fakeRows: number; realRows: number; labels: ArrayLike<number> },
  options: {
    kind?: LogitLossKind;
    targetFake?: number;
    targetReal?: number;
    divisor: number;
    labelledDivisor: number;
    /** Scales the real/fake rows' loss and gradient (default 1). */
    adversarialWeight?: number;
    /** Rows [first, first + rows) of the real/fake ones that also learn their class (labels[r − first]). */
    classed?: { first: number; rows: number; weight: number };
    /** A real/fake logit of its own after each row's class logits (default false). */
    ownLogit?: boolean;
  },
): SemiSupervisedReference {
  const classed = options.classed ?? { first: 0, rows: 0, weight: 0 };
  const width = classes + (options.ownLogit ? 1 : 0);
  const rows = logits.length / width;
  const weight = options.adversarialWeight ?? 1;
  const grad = new Float64Array(logits.length);
  const row = (r: number) => Array.from({ length: classes }, (_, k) => logits[r * width + k]!);
  const lse = (l: number[]) => {
    const top = Math.max(...l);
    return top + Math.log(l.reduce((sum, v) => sum + Math.exp(v - top), 0));
  };
  let [adversarial, fakeReading, realReading, crossEntropy, correct] = [0, 0, 0, 0, 0];
  for (let r = 0; r < rows; r++) {
    const l = row(r);
    const z = lse(l);
    const softmax = l.map((v) => Math.exp(v - z));
    // The cross-entropy of class y and its gradient, scaled by 1 / over.
    const learnClass = (y: number, over: number) => {
      crossEntropy += z - l[y]!;
      if (l.indexOf(Math.max(...l)) === y) correct++;
      softmax.forEach((p, k) => {
        grad[r * width + k]! += (p - (k === y ? 1 : 0)) / over;
      });
    };
    if (r < blocks.fakeRows + blocks.realRows) {
      const fake = r < blocks.fakeRows;
      const realFake = options.ownLogit ? logits[r * width + classes]! : z;
      const target = fake ? (options.targetFake ?? 0) : (options.targetReal ?? 1);
      const scored = logitLoss(options.kind ?? 'bce', realFake, target);
      adversarial += weight * scored.loss;
      if (fake) fakeReading += scored.reading;
      else realReading += scored.reading;
      const dRealFake = (weight * scored.grad) / options.divisor;
      if (options.ownLogit) grad[r * width + classes] = dRealFake;
      else
        softmax.forEach((p, k) => {
          grad[r * width + k] = dRealFake * p;
        });
      if (r >= classed.first && r < classed.first + classed.rows)
        learnClass(blocks.labels[r - classed.first]!, options.divisor / classed.weight);
    } else {
      learnClass(blocks.labels[r - blocks.fakeRows - blocks.realRows]!, options.labelledDivisor);
    }
  }
  const labelled = rows - blocks.fakeRows - blocks.realRows;
  const learnt = labelled + classed.rows;
  // A classed row's cross-entropy is in the loss with weight / divisor, a labelled one's over labelledDivisor.
  const entropyScale = classed.rows > 0 ? classed.weight / options.divisor : 1 / options.labelledDivisor;
  return {
    stats: [
      adversarial / options.divisor,
      blocks.fakeRows ? fakeReading / blocks.fakeRows : 0,
      blocks.realRows ? realReading / blocks.realRows : 0,
    ],
    supervised: [
      labelled > 0 ? crossEntropy / options.labelledDivisor : classed.rows > 0 ? crossEntropy / classed.rows : 0,
      learnt ? correct / learnt : 0,
    ],
    gradLogits: grad,
    total: adversarial / options.divisor + crossEntropy * entropyScale,
  };
}

/**
 * Feature matching in float64: (1/F) Σ_j (mean of the first B rows' column j − mean of the next
 * B rows')², its gradient for the first B rows' features, and the mean σ(LSE) of `logits`' rows.
 */
export function featureMatchingReference(features: ArrayLike<number>, rows: number, width: number) {
  const mean = (first: number, j: number) => {
    let sum = 0;
    for (let r = first; r < first + rows; r++) sum += features[r * width + j]!;
    return sum / rows;
  };
  const difference = Array.from({ length: width }, (_, j) => mean(0, j) - mean(rows, j));
  const loss = difference.reduce((sum, d) => sum + d * d, 0) / width;
  const grad = Float64Array.from({ length: rows * width }, (_, i) => (2 * difference[i % width]!) / (width * rows));
  return { loss, grad };
}
