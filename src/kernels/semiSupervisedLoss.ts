// The discriminator's loss with K class logits, "fake" as an implicit class whose logit is 0
// (Salimans et al. 2016): shaders/semi_supervised_loss.wgsl. Generated and unlabelled real rows
// are scored on the real/fake logit log Σ exp(l_k); labelled rows by cross-entropy on their class.
// An auxiliary classifier (AC-GAN) adds the cross-entropy to rows of the first two blocks too (classed),
// and may score a real/fake logit of its own after the class logits instead (ownLogit: two heads).
import { guardedCreator } from '../gpu/creation.js';
import { ArgumentError, requireFinite, requirePositiveInteger } from '../base/errors.js';
import type { GpuContext } from '../gpu/context.js';
import { getPipeline } from '../gpu/pipelines.js';
import semiSupervisedShader from '../../shaders/semi_supervised_loss.wgsl';
import { Bindings, BoundKernel, type TensorRef } from './kernel.js';
import { logitLossCode, type LogitLoss } from './logitHead.js';
import { requireCreatorArguments } from '../base/arguments.js';

export interface SemiSupervisedLossSpec {
  /** Generated rows first, then unlabelled real rows, then labelled real rows. */
  rows: number;
  classes: number;
  /**
   * Odena et al.'s two heads: each row's class logits are followed by a real/fake logit of its
   * own, which the real/fake loss scores instead of their log-sum-exp; the class logits then learn
   * only on labelled or classed rows. Default false (Salimans et al.'s K + 1 form).
   */
  ownLogit?: boolean;
  fakeRows: number;
  realRows: number;
  /** rows × classes (rows × (classes + 1) with ownLogit). */
  logits: TensorRef;
  /**
   * One class index per labelled row (rows − fakeRows − realRows of them), or per classed row,
   * stored as floats.
   */
  labels?: TensorRef;
  /**
   * An auxiliary classifier's rows among the generated and real ones that also learn their class:
   * rows [first, first + rows) add weight × their cross-entropy / divisor to their loss. Only
   * without labelled rows (their labels and statistics take the same places).
   */
  classed?: { first: number; rows: number; weight?: number };
  /** As logits, written: dLoss/dlogits. */
  gradLogits: TensorRef;
  /** The real/fake loss of the log-sum-exp logit (default 'bce'). */
  loss?: LogitLoss;
  /** Targets of the real/fake loss: default 0 for generated rows and 1 for real ones. */
  targetFake?: number;
  targetReal?: number;
  /** The real/fake loss and its gradient are divided by this; default the batch, fakeRows (or realRows). */
  divisor?: number;
  /** The cross-entropy and its gradient are divided by this; default the labelled rows. */
  labelledDivisor?: number;
  /** Scales the real/fake loss and its gradient (default 1); 0 learns from the labelled rows alone. */
  adversarialWeight?: number;
  /** 3 values: the real/fake loss, the mean reading (σ of the logit) of generated and of real rows. */
  stats: TensorRef;
  /** 2 values, with labelled (or classed) rows: their mean cross-entropy and the fraction classified right. */
  supervised?: TensorRef;
  /** Add into stats and supervised instead of overwriting them. */
  accumulate?: boolean;
  label?: string;
}

export const createSemiSupervisedLoss = /* @__PURE__ */ guardedCreator(
  'createSemiSupervisedLoss',
  makeSemiSupervisedLoss,
);

async function makeSemiSupervisedLoss(ctx: GpuContext, spec: SemiSupervisedLossSpec): Promise<BoundKernel> {
  requireCreatorArguments(ctx, spec);
  const rows = requirePositiveInteger('rows', spec.rows);
  const classes = requirePositiveInteger('classes', spec.classes);
  const loss = logitLossCode(semiSupervisedShader, spec.loss ?? 'bce');
  const counts = [spec.fakeRows, spec.realRows];
  for (const [name, n] of [
    ['fakeRows', spec.fakeRows],
    ['realRows', spec.realRows],
  ] as const)
    if (!Number.isInteger(n) || n < 0) throw new ArgumentError(name, `must be a whole number, got ${n}`);
  const labelled = rows - spec.fakeRows - spec.realRows;
  if (labelled < 0) throw new ArgumentError('rows', `must be at least fakeRows + realRows (${counts.join(' + ')})`);
  if (labelled > 0 && (!spec.labels || !spec.supervised))
    throw new ArgumentError(
      spec.labels ? 'supervised' : 'labels',
      `is required: ${labelled} rows after the generated and real ones are labelled`,
    );
  const classed = checkClassed(spec, labelled);
  if (spec.ownLogit !== undefined && typeof spec.ownLogit !== 'boolean')
    throw new ArgumentError('ownLogit', `must be true or false, got ${String(spec.ownLogit)}`);
  const width = classes + (spec.ownLogit ? 1 : 0);
  if (rows * width >= 2 ** 32) throw new ArgumentError('rows', 'rows × the logits of a row must be below 2^32');
  const divisor = requireFinite('divisor', spec.divisor ?? Math.max(spec.fakeRows, spec.realRows, 1), {
    min: 0,
    minExclusive: true,
  });
  const labelledDivisor = requireFinite('labelledDivisor', spec.labelledDivisor ?? Math.max(labelled, 1), {
    min: 0,
    minExclusive: true,
  });
  const adversarialWeight = requireFinite('adversarialWeight', spec.adversarialWeight ?? 1, { min: 0 });
  const targetFake = requireFinite('targetFake', spec.targetFake ?? 0, { min: 0, max: 1 });
  const targetReal = requireFinite('targetReal', spec.targetReal ?? 1, { min: 0, max: 1 });
  const bindings = new Bindings(ctx)
    .tensor('logits', 'logits', spec.logits, rows * width)
    .tensor('grad_logits', 'gradLogits', spec.gradLogits, rows * width)
    .tensor('stats', 'stats', spec.stats, 3);
  const labelCount = labelled + classed.rows;
  if (labelCount > 0) {
    bindings.tensor('labels', 'labels', spec.labels, labelCount).tensor('supervised', 'supervised', spec.supervised, 2);
  } else {
    bindings.unused('labels').unused('supervised', true);
  }
  const resources = bindings.forEntry(semiSupervisedShader, 'semi_supervised_loss');
  const compiled = await getPipeline(ctx.device, semiSupervisedShader, 'semi_supervised_loss', {
    LOSS: loss,
    ACCUMULATE: spec.accumulate ?? false,
    OWN_LOGIT: spec.ownLogit ?? false,
  });
  const uniforms = {
    rows,
    classes,
    fake_rows: spec.fakeRows,
    real_rows: spec.realRows,
    target_fake: targetFake,
    target_real: targetReal,
    divisor,
    labelled_divisor: labelledDivisor,
    adversarial_weight: adversarialWeight,
    class_first: classed.first,
    class_rows: classed.rows,
    class_weight: classed.weight,
  };
  const label = spec.label ?? `semi-supervised loss ${rows}×${classes}`;
  return new BoundKernel(ctx, compiled, label, resources, uniforms, [1, 1, 1]);
}

/** The classed rows, checked: within the generated and real blocks, never beside labelled rows. */
function checkClassed(spec: SemiSupervisedLossSpec, labelled: number): { first: number; rows: number; weight: number } {
  if (spec.classed === undefined) return { first: 0, rows: 0, weight: 1 };
  const { first, rows } = spec.classed;
  const adversarialRows = spec.fakeRows + spec.realRows;
  if (!Number.isInteger(first) || !Number.isInteger(rows) || first < 0 || rows < 1 || first + rows > adversarialRows)
    throw new ArgumentError(
      'classed',
      `must be whole rows within the ${adversarialRows} generated and real ones, got first ${first}, rows ${rows}`,
    );
  if (labelled > 0)
    throw new ArgumentError(
      'classed',
      `goes without labelled rows (there are ${labelled}): their labels share a binding`,
    );
  if (!spec.labels || !spec.supervised)
    throw new ArgumentError(spec.labels ? 'supervised' : 'labels', `is required: ${rows} rows learn their class`);
  const weight = requireFinite('classed.weight', spec.classed.weight ?? 1, { min: 0, minExclusive: true });
  return { first, rows, weight };
}
