// The generator's feature-matching loss (Salimans et al. 2016): shaders/feature_matching.wgsl.
// The distance between the generated and the real batch's mean features at the layer before a
// semi-supervised D's class logits, its gradient for the generated rows, and D's reading of them.
import { guardedCreator } from '../gpu/creation.js';
import { ArgumentError, requireFinite, requirePositiveInteger } from '../base/errors.js';
import type { GpuContext } from '../gpu/context.js';
import { getPipeline } from '../gpu/pipelines.js';
import featureMatchingShader from '../../shaders/feature_matching.wgsl';
import { activationCode, Bindings, BoundKernel, type Activation, type TensorRef } from './kernel.js';
import { requireCreatorArguments } from '../base/arguments.js';

export interface FeatureMatchingSpec {
  /** B: the generated rows, followed in `features` by as many real rows. */
  rows: number;
  /** F: features per row. */
  width: number;
  /** 2B × F: the generated batch's features, then the real batch's. */
  features: TensorRef;
  /** B × classes: D's class logits of the generated rows (for the statistics' reading). */
  logits: TensorRef;
  classes: number;
  /** B × F, written: dL/d(features) of the generated rows, times f' where `gate` names the features' activation. */
  grad: TensorRef;
  gate?: Exclude<Activation, 'none'>;
  leakySlope?: number;
  /** 2 values: the loss, the mean σ(log Σ exp(logits)) of the generated rows. */
  stats: TensorRef;
  accumulate?: boolean;
  label?: string;
}

export const createFeatureMatching = /* @__PURE__ */ guardedCreator('createFeatureMatching', makeFeatureMatching);

async function makeFeatureMatching(ctx: GpuContext, spec: FeatureMatchingSpec): Promise<BoundKernel> {
  requireCreatorArguments(ctx, spec);
  const rows = requirePositiveInteger('rows', spec.rows);
  const width = requirePositiveInteger('width', spec.width);
  const classes = requirePositiveInteger('classes', spec.classes);
  const gate = spec.gate === undefined ? 0 : activationCode(featureMatchingShader, 'gate', spec.gate);
  if (spec.gate !== undefined && gate === 0) throw new ArgumentError('gate', 'must name an activation, not none');
  const alpha = requireFinite('leakySlope', spec.leakySlope ?? 0.2);
  if (2 * rows * width >= 2 ** 32) throw new ArgumentError('rows', '2 × rows × width must be below 2^32');
  const resources = new Bindings(ctx)
    .tensor('features', 'features', spec.features, 2 * rows * width)
    .tensor('logits', 'logits', spec.logits, rows * classes)
    .tensor('grad', 'grad', spec.grad, rows * width)
    .tensor('stats', 'stats', spec.stats, 2)
    .forEntry(featureMatchingShader, 'feature_matching');
  const compiled = await getPipeline(ctx.device, featureMatchingShader, 'feature_matching', {
    GATE: gate,
    ACCUMULATE: spec.accumulate ?? false,
  });
  const label = spec.label ?? `feature matching ${rows}×${width}`;
  return new BoundKernel(ctx, compiled, label, resources, { rows, width, classes, alpha }, [1, 1, 1]);
}
