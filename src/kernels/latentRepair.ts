// The two kernels of image repair's objective (shaders/latent_repair.wgsl): the realism term with
// its gradient at the discriminator's logit, and the known pixels' error with the gradient at the
// generator's last pre-activation. The latent search (src/repair/repairer.ts) records them around the
// discriminator's and the generator's backward passes.
import { ArgumentError, requireFinite, requirePositiveInteger } from '../base/errors.js';
import type { GpuContext } from '../gpu/context.js';
import { getPipeline } from '../gpu/pipelines.js';
import repairShader from '../../shaders/latent_repair.wgsl';
import {
  activationCode,
  Bindings,
  BoundKernel,
  grid1d,
  gridForItems,
  type Activation,
  type TensorRef,
} from './kernel.js';

/**
 * How the realism term reads D's logits: one real/fake logit, class logits whose log-sum-exp is
 * the real/fake logit (K + 1), or class logits followed by a real/fake logit of their own.
 */
export type RealismHead = 'one-logit' | 'log-sum-exp' | 'last-logit';
const HEAD_CODES: Record<RealismHead, number> = { 'one-logit': 0, 'log-sum-exp': 1, 'last-logit': 2 };

export interface RepairRealismSpec {
  rows: number;
  /** rows × logitsPerRow: the discriminator's logits of each generated image. */
  logits: TensorRef;
  /** rows × logitsPerRow, written: the realism term's gradient at the logits, λ(σ(D) − 1) at D. */
  logitGrads: TensorRef;
  /** Default 'one-logit'. */
  head?: RealismHead;
  /** D's logits a row: 1 for 'one-logit' (the default), at least 2 otherwise. */
  logitsPerRow?: number;
  /** rows × 2: the second float of each row is written, λ·softplus(−D). */
  scores: TensorRef;
  /** λ, the realism term's weight (≥ 0). */
  weight: number;
  label?: string;
}

export async function createRepairRealism(ctx: GpuContext, spec: RepairRealismSpec): Promise<BoundKernel> {
  const rows = requirePositiveInteger('rows', spec.rows);
  const weight = requireFinite('weight', spec.weight, { min: 0 });
  const head = spec.head ?? 'one-logit';
  if (!Object.hasOwn(HEAD_CODES, head))
    throw new ArgumentError('head', `must be one of ${Object.keys(HEAD_CODES).join(', ')}, got ${String(head)}`);
  const width = requirePositiveInteger('logitsPerRow', spec.logitsPerRow ?? 1);
  if ((head === 'one-logit') !== (width === 1))
    throw new ArgumentError(
      'logitsPerRow',
      `must be ${head === 'one-logit' ? '1 for one-logit' : `at least 2 for ${head}`}; got ${width}`,
    );
  if (rows * width >= 2 ** 32) throw new ArgumentError('rows', 'rows × logitsPerRow must be below 2^32');
  const bindings = new Bindings(ctx)
    .tensor('logits', 'logits', spec.logits, rows * width)
    .tensor('logit_grads', 'logitGrads', spec.logitGrads, rows * width)
    .tensor('scores', 'scores', spec.scores, 2 * rows);
  const resources = bindings.forEntry(repairShader, 'repair_realism');
  const compiled = await getPipeline(ctx.device, repairShader, 'repair_realism', { HEAD: HEAD_CODES[head] });
  return new BoundKernel(
    ctx,
    compiled,
    spec.label ?? `repair realism ${rows}${width > 1 ? `×${width} (${head})` : ''}`,
    resources,
    { rows, dim: width, inv_known: 0, realism_weight: weight, alpha: 0 },
    gridForItems(ctx, compiled.layout, rows),
  );
}

export interface RepairPixelsSpec {
  rows: number;
  /** Pixels per image. */
  dim: number;
  /** rows × dim: the generated images y (after the generator's output activation). */
  generated: TensorRef;
  /** dim: the damaged image x. */
  target: TensorRef;
  /** dim: each pixel's weight in the error: 1 where it is known, 0 where it is to be filled (or ≥ 0 weights). */
  known: TensorRef;
  /** K, the sum of `known`'s weights (how many pixels are known, for a 0/1 mask), 0 < K ≤ dim. */
  knownCount: number;
  /** rows × dim: the realism term's gradient with respect to y, added when given. */
  imageGrads?: TensorRef;
  /** rows × dim, written: ∂L/∂(pre-activation of the generator's last layer). */
  outputGrads: TensorRef;
  /** rows × 2: the first float of each row is written, the known pixels' mean squared error. */
  scores: TensorRef;
  /** The generator's output activation, whose derivative the gradient is gated by. */
  outputActivation: Activation;
  leakySlope?: number;
  label?: string;
}

export async function createRepairPixels(ctx: GpuContext, spec: RepairPixelsSpec): Promise<BoundKernel> {
  const rows = requirePositiveInteger('rows', spec.rows);
  const dim = requirePositiveInteger('dim', spec.dim);
  const knownCount = requireFinite('knownCount', spec.knownCount, { min: 0, minExclusive: true, max: dim });
  if (rows * dim >= 2 ** 32) throw new ArgumentError('rows', 'rows × dim must be below 2^32');
  const alpha = requireFinite('leakySlope', spec.leakySlope ?? 0.2);
  const OUTPUT_ACTIVATION = activationCode(repairShader, 'outputActivation', spec.outputActivation);
  const bindings = new Bindings(ctx)
    .tensor('generated', 'generated', spec.generated, rows * dim)
    .tensor('target_image', 'target', spec.target, dim)
    .tensor('known', 'known', spec.known, dim)
    .tensor('output_grads', 'outputGrads', spec.outputGrads, rows * dim)
    .tensor('scores', 'scores', spec.scores, 2 * rows);
  if (spec.imageGrads) bindings.tensor('image_grads', 'imageGrads', spec.imageGrads, rows * dim);
  else bindings.unused('image_grads');
  const resources = bindings.forEntry(repairShader, 'repair_pixels');
  const REALISM = spec.imageGrads !== undefined;
  const compiled = await getPipeline(ctx.device, repairShader, 'repair_pixels', { OUTPUT_ACTIVATION, REALISM });
  return new BoundKernel(
    ctx,
    compiled,
    spec.label ?? `repair pixels ${rows}×${dim}`,
    resources,
    { rows, dim, inv_known: 1 / knownCount, realism_weight: 0, alpha },
    grid1d(ctx, rows),
  );
}

export interface RepairGateSpec {
  rows: number;
  /** Values per generated image. */
  dim: number;
  /** rows × dim: y = G(z), after the generator's output activation. */
  generated: TensorRef;
  /** rows × dim: the data fit's gradient at y, from the degradation's backward pass. */
  fitGrads: TensorRef;
  /** rows × dim: the realism term's gradient with respect to y, added when given. */
  imageGrads?: TensorRef;
  /** rows × dim, written: ∂L/∂(pre-activation of the generator's last layer). */
  outputGrads: TensorRef;
  outputActivation: Activation;
  leakySlope?: number;
  label?: string;
}

/** Restoration's last step before G's backward pass: (fit gradient + realism gradient) ⊙ f'(y). */
export async function createRepairGate(ctx: GpuContext, spec: RepairGateSpec): Promise<BoundKernel> {
  const rows = requirePositiveInteger('rows', spec.rows);
  const dim = requirePositiveInteger('dim', spec.dim);
  if (rows * dim >= 2 ** 31) throw new ArgumentError('rows', 'rows × dim must be below 2^31');
  const alpha = requireFinite('leakySlope', spec.leakySlope ?? 0.2);
  const OUTPUT_ACTIVATION = activationCode(repairShader, 'outputActivation', spec.outputActivation);
  const bindings = new Bindings(ctx)
    .tensor('generated', 'generated', spec.generated, rows * dim)
    .tensor('fit_grads', 'fitGrads', spec.fitGrads, rows * dim)
    .tensor('output_grads', 'outputGrads', spec.outputGrads, rows * dim);
  if (spec.imageGrads) bindings.tensor('image_grads', 'imageGrads', spec.imageGrads, rows * dim);
  else bindings.unused('image_grads');
  const resources = bindings.forEntry(repairShader, 'repair_gate');
  const REALISM = spec.imageGrads !== undefined;
  const compiled = await getPipeline(ctx.device, repairShader, 'repair_gate', { OUTPUT_ACTIVATION, REALISM });
  return new BoundKernel(
    ctx,
    compiled,
    spec.label ?? `repair gate ${rows}×${dim}`,
    resources,
    { rows, dim, inv_known: 0, realism_weight: 0, alpha },
    gridForItems(ctx, compiled.layout, rows * dim),
  );
}
