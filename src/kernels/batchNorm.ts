// Batch normalisation (PyTorch's BatchNorm2d / BatchNorm1d over [N, C, S]): the forward in
// training and eval mode, with an optional fused activation, the training-mode backward, and the
// eval-mode backward to the input (a network differentiated without training it). Each
// may work on a window of rows (firstRow) of larger tensors, and the backward may add its dgamma
// and dbeta to another window's: a GAN normalises its fake and real halves of one buffer apart.
import { guardedCreator } from '../gpu/creation.js';
import { ArgumentError, requireFinite, requirePositiveInteger } from '../base/errors.js';
import type { GpuContext } from '../gpu/context.js';
import { shaderConstant } from '../gpu/layout.js';
import { getPipeline } from '../gpu/pipelines.js';
import batchNormShader from '../../shaders/batch_norm.wgsl';
import {
  ACTIVATIONS,
  activationCode,
  Bindings,
  BoundKernel,
  grid1d,
  gridForItems,
  type Activation,
  type TensorRef,
} from './kernel.js';
import { requireCreatorArguments } from '../base/arguments.js';

/** 'relu' is leaky-relu with slope 0: the shaders' activations have no ReLU of their own. */
export type BatchNormActivation = Activation | 'relu';
const BATCH_NORM_ACTIVATIONS: readonly BatchNormActivation[] = [...ACTIVATIONS, 'relu'];
export type BatchNormMode = 'train' | 'eval';

/** The layout every batch-norm kernel shares: x is [batch, channels, spatial], row-major. */
export interface BatchNormShape {
  /** Rows normalised together: rows [firstRow, firstRow + batch) of x and every [rows, C, S] tensor. */
  batch: number;
  /** The window's first row (default 0); the [rows, C, S] tensors hold at least firstRow + batch rows. */
  firstRow?: number;
  channels: number;
  /** H·W for BatchNorm2d; 1 (the default) for BatchNorm1d on [batch, channels]. */
  spatial?: number;
  /** Applied after the affine step; default 'none'. */
  activation?: BatchNormActivation;
  /** The leaky-relu slope (default 0.2); refused with any other activation. */
  leakySlope?: number;
  label?: string;
}

export interface BatchNormSpec extends BatchNormShape {
  /**
   * 'train' normalises by this batch's statistics, saves them and updates the running estimates;
   * 'eval' normalises by the running estimates and changes nothing else.
   */
  mode: BatchNormMode;
  x: TensorRef;
  /** The output, same shape as x. */
  y: TensorRef;
  /** channels values each: the affine scale and shift. */
  gamma: TensorRef;
  beta: TensorRef;
  /** channels values each, updated in place in 'train' mode, read in 'eval' mode. */
  runningMean: TensorRef;
  runningVar: TensorRef;
  /** 2·channels values written in 'train' mode: the batch means, then the inverse std devs. */
  saved?: TensorRef;
  /** Added to the variance under the square root; default 1e-5. */
  eps?: number;
  /** Weight of the batch in the running estimates, in [0, 1]; default 0.1. */
  momentum?: number;
}

export interface BatchNormBackwardSpec extends BatchNormShape {
  /** The forward's input. */
  x: TensorRef;
  gamma: TensorRef;
  /** What the training forward saved: the means, then the inverse std devs (2·channels values). */
  saved: TensorRef;
  /** dL/dy. */
  dy: TensorRef;
  /** The forward's (activated) output: needed only with an activation, for its derivative. */
  y?: TensorRef;
  /** dL/dx, written. */
  dx: TensorRef;
  /**
   * dL/dgamma and dL/dbeta (channels values each), overwritten unless `accumulate`. Both or neither:
   * without them only dx is computed (a network that is not being trained).
   */
  dgamma?: TensorRef;
  dbeta?: TensorRef;
  /** Add this window's dgamma and dbeta to what the buffers hold (another window's), in float32. */
  accumulate?: boolean;
}

export const BATCH_NORM_DEFAULTS = { eps: 1e-5, momentum: 0.1 } as const;

interface CheckedShape {
  batch: number;
  firstRow: number;
  channels: number;
  spatial: number;
  /** The shader's ACT_* code, and whether it is anything but none. */
  activation: number;
  fused: boolean;
  alpha: number;
}

function checkShape(spec: BatchNormShape): CheckedShape {
  const batch = requirePositiveInteger('batch', spec.batch);
  const channels = requirePositiveInteger('channels', spec.channels);
  const spatial = requirePositiveInteger('spatial', spec.spatial ?? 1);
  const firstRow = spec.firstRow ?? 0;
  if (!Number.isInteger(firstRow) || firstRow < 0)
    throw new ArgumentError('firstRow', `must be a non-negative integer, got ${firstRow}`);
  const kind = spec.activation ?? 'none';
  if (!BATCH_NORM_ACTIVATIONS.includes(kind))
    throw new ArgumentError('activation', `must be one of ${BATCH_NORM_ACTIVATIONS.join(', ')}, got ${String(kind)}`);
  if (spec.leakySlope !== undefined && kind !== 'leaky-relu')
    throw new ArgumentError('leakySlope', `applies only to leaky-relu, not ${String(kind)}`);
  const alpha = kind === 'leaky-relu' ? requireFinite('leakySlope', spec.leakySlope ?? 0.2) : 0;
  const activation = activationCode(batchNormShader, 'activation', kind === 'relu' ? 'leaky-relu' : kind);
  return { batch, firstRow, channels, spatial, activation, fused: kind !== 'none', alpha };
}

/** Values the [rows, C, S] tensors must hold: the window and the rows before it. */
const extent = (shape: CheckedShape) => (shape.firstRow + shape.batch) * shape.channels * shape.spatial;

/** PyTorch refuses training on one value per channel: it has no variance to normalise by. */
function refuseSingleValue(shape: CheckedShape): void {
  if (shape.batch * shape.spatial === 1)
    throw new ArgumentError('batch', 'expected more than 1 value per channel when training (batch·spatial is 1)');
}

const GRAD_PARAMS = {
  none: shaderConstant(batchNormShader, 'GRAD_PARAMS_NONE'),
  write: shaderConstant(batchNormShader, 'GRAD_PARAMS_WRITE'),
  add: shaderConstant(batchNormShader, 'GRAD_PARAMS_ADD'),
};

function uniforms(shape: CheckedShape, eps: number, momentum: number, gradParams = GRAD_PARAMS.none) {
  const { batch, channels, spatial, alpha } = shape;
  return { batch, channels, spatial, eps, momentum, alpha, first_row: shape.firstRow, grad_params: gradParams };
}

/**
 * The batch-norm forward. In 'train' mode N·S must exceed 1, as in PyTorch (the unbiased running
 * variance would divide by zero).
 */
export const createBatchNorm = /* @__PURE__ */ guardedCreator('createBatchNorm', makeBatchNorm);

async function makeBatchNorm(ctx: GpuContext, spec: BatchNormSpec): Promise<BoundKernel> {
  requireCreatorArguments(ctx, spec);
  const shape = checkShape(spec);
  const { batch, channels, spatial } = shape;
  if (spec.mode !== 'train' && spec.mode !== 'eval')
    throw new ArgumentError('mode', `must be 'train' or 'eval', got ${String(spec.mode)}`);
  const eps = requireFinite('eps', spec.eps ?? BATCH_NORM_DEFAULTS.eps, { min: 0, minExclusive: true });
  const momentum = requireFinite('momentum', spec.momentum ?? BATCH_NORM_DEFAULTS.momentum, { min: 0, max: 1 });
  const train = spec.mode === 'train';
  if (train) refuseSingleValue(shape);
  const n = batch * channels * spatial;
  const bindings = new Bindings(ctx)
    .tensor('input', 'x', spec.x, extent(shape))
    .tensor('output', 'y', spec.y, extent(shape))
    .tensor('gamma', 'gamma', spec.gamma, channels)
    .tensor('beta', 'beta', spec.beta, channels)
    .tensor(train ? 'running_mean' : 'eval_mean', 'runningMean', spec.runningMean, channels)
    .tensor(train ? 'running_var' : 'eval_var', 'runningVar', spec.runningVar, channels);
  if (train) bindings.tensor('saved_stats', 'saved', spec.saved, 2 * channels);
  const entry = train ? 'batch_norm_train_forward' : 'batch_norm_eval_forward';
  const resources = bindings.forEntry(batchNormShader, entry);
  const compiled = await getPipeline(ctx.device, batchNormShader, entry, { ACTIVATION: shape.activation });
  // Training reduces over each channel: one workgroup per channel. Eval is element-wise.
  const grid = train ? grid1d(ctx, channels) : gridForItems(ctx, compiled.layout, n);
  const label = spec.label ?? `batch norm ${spec.mode} ${batch}x${channels}x${spatial}`;
  return new BoundKernel(ctx, compiled, label, resources, uniforms(shape, eps, momentum), grid);
}

/** The training-mode backward, from the statistics the training forward saved. */
export const createBatchNormBackward = /* @__PURE__ */ guardedCreator('createBatchNormBackward', makeBatchNormBackward);

async function makeBatchNormBackward(ctx: GpuContext, spec: BatchNormBackwardSpec): Promise<BoundKernel> {
  requireCreatorArguments(ctx, spec);
  const shape = checkShape(spec);
  const { batch, channels, spatial } = shape;
  refuseSingleValue(shape);
  const n = extent(shape);
  const params = spec.dgamma !== undefined || spec.dbeta !== undefined;
  if (params && (spec.dgamma === undefined || spec.dbeta === undefined))
    throw new ArgumentError(
      spec.dgamma === undefined ? 'dgamma' : 'dbeta',
      'is required with the other (both or neither)',
    );
  if (spec.accumulate && !params) throw new ArgumentError('accumulate', 'needs dgamma and dbeta to add to');
  const bindings = new Bindings(ctx)
    .tensor('input', 'x', spec.x, n)
    .tensor('gamma', 'gamma', spec.gamma, channels)
    .tensor('batch_stats', 'saved', spec.saved, 2 * channels)
    .tensor('grad_output', 'dy', spec.dy, n)
    .tensor('grad_input', 'dx', spec.dx, n);
  if (params)
    bindings.tensor('grad_gamma', 'dgamma', spec.dgamma, channels).tensor('grad_beta', 'dbeta', spec.dbeta, channels);
  else bindings.unused('grad_gamma', true).unused('grad_beta', true);
  if (shape.fused) bindings.tensor('saved_output', 'y', spec.y, n);
  else bindings.unused('saved_output');
  const resources = bindings.forEntry(batchNormShader, 'batch_norm_backward');
  const compiled = await getPipeline(ctx.device, batchNormShader, 'batch_norm_backward', {
    ACTIVATION: shape.activation,
  });
  const label = spec.label ?? `batch norm backward ${batch}x${channels}x${spatial}`;
  const gradParams = !params ? GRAD_PARAMS.none : spec.accumulate ? GRAD_PARAMS.add : GRAD_PARAMS.write;
  // eps and momentum are the forward's business: the saved inverse std already holds eps.
  return new BoundKernel(ctx, compiled, label, resources, uniforms(shape, 0, 0, gradParams), grid1d(ctx, channels));
}

export interface BatchNormEvalBackwardSpec extends BatchNormShape {
  gamma: TensorRef;
  /** channels values: the running variance the eval forward normalised by. */
  runningVar: TensorRef;
  /** As the forward's; default 1e-5. */
  eps?: number;
  /** dL/dy. */
  dy: TensorRef;
  /** The forward's (activated) output: needed only with an activation, for its derivative. */
  y?: TensorRef;
  /** dL/dx, written. */
  dx: TensorRef;
}

/**
 * The eval-mode backward to the input: dx = f'(y)·dy·γ/√(running_var + ε), element-wise (the
 * running estimates are constants in eval mode). No dγ or dβ: eval mode is not trained.
 */
export const createBatchNormEvalBackward = /* @__PURE__ */ guardedCreator(
  'createBatchNormEvalBackward',
  makeBatchNormEvalBackward,
);

async function makeBatchNormEvalBackward(ctx: GpuContext, spec: BatchNormEvalBackwardSpec): Promise<BoundKernel> {
  requireCreatorArguments(ctx, spec);
  const shape = checkShape(spec);
  const { batch, channels, spatial } = shape;
  const eps = requireFinite('eps', spec.eps ?? BATCH_NORM_DEFAULTS.eps, { min: 0, minExclusive: true });
  const n = extent(shape);
  const bindings = new Bindings(ctx)
    .tensor('gamma', 'gamma', spec.gamma, channels)
    .tensor('eval_var', 'runningVar', spec.runningVar, channels)
    .tensor('grad_output', 'dy', spec.dy, n)
    .tensor('grad_input', 'dx', spec.dx, n);
  if (shape.fused) bindings.tensor('saved_output', 'y', spec.y, n);
  else bindings.unused('saved_output');
  const entry = 'batch_norm_eval_backward';
  const resources = bindings.forEntry(batchNormShader, entry);
  const compiled = await getPipeline(ctx.device, batchNormShader, entry, { ACTIVATION: shape.activation });
  const label = spec.label ?? `batch norm eval backward ${batch}x${channels}x${spatial}`;
  const grid = gridForItems(ctx, compiled.layout, batch * channels * spatial);
  return new BoundKernel(ctx, compiled, label, resources, uniforms(shape, eps, 0), grid);
}
