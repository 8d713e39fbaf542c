// Fused softmax cross-entropy over class logits: probabilities, the gradient and the mean loss
// and accuracy in one pass (shaders/softmax_cross_entropy.wgsl).
import { guardedCreator } from '../gpu/creation.js';
import { ArgumentError, requireFinite, requirePositiveInteger } from '../base/errors.js';
import type { GpuContext } from '../gpu/context.js';
import { getPipeline } from '../gpu/pipelines.js';
import softmaxShader from '../../shaders/softmax_cross_entropy.wgsl';
import { Bindings, BoundKernel, type TensorRef } from './kernel.js';
import { requireCreatorArguments } from '../base/arguments.js';

export interface SoftmaxCrossEntropySpec {
  rows: number;
  classes: number;
  /** rows × logitStride: each row's first `classes` values are its class logits. */
  logits: TensorRef;
  /**
   * Values from one row's first logit to the next's (default classes): more where the class
   * logits are the first of a wider row, as a two-heads D's are (its real/fake logit follows).
   * Probabilities and gradients are written packed, rows × classes, either way.
   */
  logitStride?: number;
  /**
   * rows class indices stored as floats (e.g. a label set gathered with the images). Without
   * them the kernel only scores: probabilities, no loss and no gradient.
   */
  labels?: TensorRef;
  /** rows × classes: d(loss)/d(logit); needs labels. */
  gradLogits?: TensorRef;
  /** rows × classes: each row's softmax. */
  probabilities?: TensorRef;
  /**
   * 3 values: Σ loss / divisor; the fraction of rows whose most likely class is their label; the
   * number of labels that are not a class index (those rows get no loss and no target).
   */
  stats: TensorRef;
  /** Loss and gradient are divided by this. Default rows (the mean). */
  divisor?: number;
  label?: string;
}

export const createSoftmaxCrossEntropy = /* @__PURE__ */ guardedCreator(
  'createSoftmaxCrossEntropy',
  makeSoftmaxCrossEntropy,
);

async function makeSoftmaxCrossEntropy(ctx: GpuContext, spec: SoftmaxCrossEntropySpec): Promise<BoundKernel> {
  requireCreatorArguments(ctx, spec);
  const rows = requirePositiveInteger('rows', spec.rows);
  const classes = requirePositiveInteger('classes', spec.classes);
  const divisor = requireFinite('divisor', spec.divisor ?? rows, { min: 0, minExclusive: true });
  const stride = requirePositiveInteger('logitStride', spec.logitStride ?? classes);
  if (stride < classes) throw new ArgumentError('logitStride', `must be at least classes (${classes}), got ${stride}`);
  if (spec.gradLogits && !spec.labels)
    throw new ArgumentError('gradLogits', "needs labels: the gradient is taken towards each row's label");
  const bindings = new Bindings(ctx)
    .tensor('logits', 'logits', spec.logits, (rows - 1) * stride + classes)
    .tensor('stats', 'stats', spec.stats, 3);
  if (spec.labels) bindings.tensor('labels', 'labels', spec.labels, rows);
  else bindings.unused('labels', false);
  if (spec.gradLogits) bindings.tensor('grad_logits', 'gradLogits', spec.gradLogits, rows * classes);
  else bindings.unused('grad_logits', true);
  if (spec.probabilities) bindings.tensor('probabilities', 'probabilities', spec.probabilities, rows * classes);
  else bindings.unused('probabilities', true);
  const resources = bindings.forEntry(softmaxShader, 'softmax_cross_entropy');
  const compiled = await getPipeline(ctx.device, softmaxShader, 'softmax_cross_entropy', {
    HAS_LABELS: spec.labels !== undefined,
    WRITE_GRAD: spec.gradLogits !== undefined,
    WRITE_PROBS: spec.probabilities !== undefined,
  });
  const label = spec.label ?? `softmax cross-entropy ${rows}×${classes}`;
  return new BoundKernel(ctx, compiled, label, resources, { rows, classes, divisor, stride }, [1, 1, 1]);
}
