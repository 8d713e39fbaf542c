// Fused binary cross-entropy with logits: gradient per row and reduced statistics in one pass.
import { guardedCreator } from '../gpu/creation.js';
import { ArgumentError, requireFinite, requirePositiveInteger } from '../base/errors.js';
import type { GpuContext } from '../gpu/context.js';
import { getPipeline } from '../gpu/pipelines.js';
import bceShader from '../../shaders/bce.wgsl';
import { Bindings, BoundKernel, type TensorRef } from './kernel.js';
import { requireCreatorArguments } from '../base/arguments.js';

/** Targets, the real/fake split and the loss's divisor: shared with the fused logit head. */
export interface BceTargets {
  /** Target of rows [0, split), in [0, 1] (1 for real, 0.9 for one-sided smoothing, ...). */
  targetFirst: number;
  /** Target of rows [split, n). Default: targetFirst. */
  targetSecond?: number;
  /** Rows before this index use targetFirst. Default n. */
  split?: number;
  /** Loss and gradient are divided by this. Default n (the mean). */
  divisor?: number;
  /** Add into stats instead of overwriting (to sum over steps on the GPU). */
  accumulate?: boolean;
}

export interface BceSpec extends BceTargets {
  /** Number of logits. */
  n: number;
  logits: TensorRef;
  /** d(loss)/d(logit), n values. */
  gradLogits: TensorRef;
  /** 3 values: loss / divisor, mean sigmoid of rows < split, mean sigmoid of rows ≥ split. */
  stats: TensorRef;
  label?: string;
}

/** The BCE uniforms for n rows, validated, with the defaults filled in. */
export function bceUniforms(spec: BceTargets, n: number) {
  const targetFirst = requireFinite('targetFirst', spec.targetFirst, { min: 0, max: 1 });
  const targetSecond = requireFinite('targetSecond', spec.targetSecond ?? targetFirst, { min: 0, max: 1 });
  const split = spec.split ?? n;
  if (!Number.isInteger(split) || split < 0 || split > n)
    throw new ArgumentError('split', `must be an integer in [0, ${n}] (the rows), got ${split}`);
  const divisor = requireFinite('divisor', spec.divisor ?? n, { min: 0, minExclusive: true });
  return { split, target_first: targetFirst, target_second: targetSecond, divisor };
}

export const createBceWithLogits = /* @__PURE__ */ guardedCreator('createBceWithLogits', makeBceWithLogits);

async function makeBceWithLogits(ctx: GpuContext, spec: BceSpec): Promise<BoundKernel> {
  requireCreatorArguments(ctx, spec);
  const n = requirePositiveInteger('n', spec.n);
  const targets = bceUniforms(spec, n);
  const bindings = new Bindings(ctx)
    .tensor('logits', 'logits', spec.logits, n)
    .tensor('grad_logits', 'gradLogits', spec.gradLogits, n)
    .tensor('stats', 'stats', spec.stats, 3);
  const resources = bindings.forEntry(bceShader, 'bce_logits_loss_grad');
  const compiled = await getPipeline(ctx.device, bceShader, 'bce_logits_loss_grad', {
    ACCUMULATE: spec.accumulate ?? false,
  });
  const uniforms = { n, ...targets };
  return new BoundKernel(ctx, compiled, spec.label ?? 'bce with logits', resources, uniforms, [1, 1, 1]);
}
