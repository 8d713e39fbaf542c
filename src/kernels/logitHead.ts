// The discriminator's last layer (one logit per row) fused with its loss (BCE with logits, least
// squares, hinge or the negated logit), its input gradient and its parameter gradients:
// shaders/logit_head.wgsl. It replaces four dispatches of
// the general path (an N = 1 matmul, BCE, an M = 1 weight-gradient matmul, a K = 1 input-gradient
// matmul) with one, or two when its rows are spread over several workgroups (headRowsPerGroup).
import { guardedCreator } from '../gpu/creation.js';
import { ArgumentError, requireFinite, requirePositiveInteger } from '../base/errors.js';
import type { GpuContext } from '../gpu/context.js';
import { getPipeline } from '../gpu/pipelines.js';
import { shaderConstant, type WgslShader } from '../gpu/layout.js';
import logitHeadShader from '../../shaders/logit_head.wgsl';
import { bceUniforms, type BceTargets } from './bce.js';
import { activationCode, Bindings, BoundKernel, StagedKernel, type Activation, type TensorRef } from './kernel.js';
import { requireCreatorArguments } from '../base/arguments.js';

/**
 * The loss of each logit x with target t: 'bce' softplus(x) − t·x; 'least-squares' ½(x − t)²;
 * 'hinge' max(0, 1 − (2t − 1)·x); 'negative-logit' −x (the hinge GAN's generator loss).
 */
export type LogitLoss = 'bce' | 'least-squares' | 'hinge' | 'negative-logit';
export const LOGIT_LOSSES: readonly LogitLoss[] = ['bce', 'least-squares', 'hinge', 'negative-logit'];

/** A shader's code for a loss: its LOSS_* constant (shaders/logit_loss.wgsl). */
export function logitLossCode(shader: WgslShader, loss: unknown): number {
  if (!LOGIT_LOSSES.includes(loss as LogitLoss))
    throw new ArgumentError('loss', `must be one of ${LOGIT_LOSSES.join(', ')}, got ${String(loss)}`);
  return shaderConstant(shader, `LOSS_${(loss as string).toUpperCase().replace('-', '_')}`);
}

export interface LogitHeadSpec extends BceTargets {
  /** Default 'bce'. */
  loss?: LogitLoss;
  rows: number;
  /** Features per row entering the layer. */
  width: number;
  /** rows × width: the previous layer's activated output (or the data, for a one-layer network). */
  input: TensorRef;
  /** width values: the layer's weight row. */
  weight: TensorRef;
  /** 1 value; left out for a bias-free layer (DCGAN's last convolution). */
  bias?: TensorRef;
  /**
   * 3 values: loss / divisor, then the mean reading of rows < split and of rows ≥ split: σ(logit),
   * or for 'least-squares' (whose targets are the readings wanted) the logit itself.
   */
  stats: TensorRef;
  /**
   * dLoss/d(input) (rows × width), times f'(input) when `gate` names the activation that made the
   * input: the previous layer's pre-activation gradient.
   */
  inputGrad?: { output: TensorRef; gate?: Exclude<Activation, 'none'>; leakySlope?: number };
  /**
   * A per-row offset added to each logit (a projection discriminator's b + V[y]·φ, from
   * createProjectionForward, which folds the bias in: give no `bias` with it), and where each
   * row's dLoss/dlogit is written for that term's gradients (createProjectionInputGrad and
   * createProjectionWeightGrad): rows values each.
   */
  rowOffsets?: { offsets: TensorRef; grads: TensorRef };
  /** dLoss/dweight (width values) and dLoss/dbias (1 value, with a bias only); overwritten. */
  paramGrads?: { weight: TensorRef; bias?: TensorRef };
  /**
   * Rows per workgroup, 1 to SINGLE_DISPATCH_MAX_ROWS; at least `rows` gives one dispatch, fewer
   * a second that adds the groups' partial sums. Default headRowsPerGroup(rows). For measuring
   * (bench/tune-head.ts): the result is the same to float32 rounding.
   */
  rowsPerGroup?: number;
  label?: string;
}

/** The most rows one workgroup can take: the shader's MAX_GROUP_ROWS. */
export const SINGLE_DISPATCH_MAX_ROWS = shaderConstant(logitHeadShader, 'MAX_GROUP_ROWS');

/**
 * Rows per workgroup for a head over `rows` rows: 16, the rows the logits' pass takes at once. One
 * workgroup runs on one multiprocessor, so a head of hundreds of rows in one workgroup leaves the
 * rest of the GPU idle; groups of 16 were the fastest or nearly so for every head of the step
 * (BENCHMARKS.md, "Measurements behind the code's choices"). A head of at most 16 rows stays one
 * dispatch.
 */
export function headRowsPerGroup(rows: number): number {
  return Math.min(rows, 16);
}

export const createLogitHead = /* @__PURE__ */ guardedCreator('createLogitHead', makeLogitHead);

async function makeLogitHead(ctx: GpuContext, spec: LogitHeadSpec): Promise<StagedKernel> {
  requireCreatorArguments(ctx, spec);
  const rows = requirePositiveInteger('rows', spec.rows);
  const width = requirePositiveInteger('width', spec.width);
  const targets = bceUniforms(spec, rows);
  const loss = logitLossCode(logitHeadShader, spec.loss ?? 'bce');
  const gate =
    spec.inputGrad?.gate === undefined ? 0 : activationCode(logitHeadShader, 'inputGrad.gate', spec.inputGrad.gate);
  if (spec.inputGrad?.gate !== undefined && gate === 0)
    throw new ArgumentError('inputGrad.gate', 'must name an activation, not none');
  const alpha = requireFinite('inputGrad.leakySlope', spec.inputGrad?.leakySlope ?? 0.2);

  const rowsPerGroup = Math.min(
    rows,
    spec.rowsPerGroup === undefined
      ? headRowsPerGroup(rows)
      : requirePositiveInteger('rowsPerGroup', spec.rowsPerGroup),
  );
  if (rowsPerGroup > SINGLE_DISPATCH_MAX_ROWS)
    throw new ArgumentError(
      'rowsPerGroup',
      `must be at most ${SINGLE_DISPATCH_MAX_ROWS} (the rows one workgroup can hold), got ${spec.rowsPerGroup}`,
    );
  const groups = Math.ceil(rows / rowsPerGroup);
  if (groups > ctx.device.limits.maxComputeWorkgroupsPerDimension)
    throw new ArgumentError('rows', `is too large for one dispatch (${rows})`);

  const bindings = new Bindings(ctx)
    .tensor('head_input', 'input', spec.input, rows * width)
    .tensor('head_weight', 'weight', spec.weight, width)
    .tensor('stats', 'stats', spec.stats, 3);
  if (spec.inputGrad) bindings.tensor('input_grad', 'inputGrad.output', spec.inputGrad.output, rows * width);
  else bindings.unused('input_grad', true);
  if (spec.rowOffsets && spec.bias)
    throw new ArgumentError('bias', 'must be left out with rowOffsets: the offsets hold it (createProjectionForward)');
  if (spec.bias) bindings.tensor('head_bias', 'bias', spec.bias, 1);
  else if (spec.rowOffsets) bindings.tensor('head_bias', 'rowOffsets.offsets', spec.rowOffsets.offsets, rows);
  else bindings.unused('head_bias');
  if (spec.paramGrads && (spec.paramGrads.bias === undefined) !== (spec.bias === undefined))
    throw new ArgumentError(
      'paramGrads.bias',
      spec.bias ? 'is required: the head has a bias' : 'must be left out: the head has no bias (no bias given)',
    );
  if (spec.paramGrads) bindings.tensor('weight_grad', 'paramGrads.weight', spec.paramGrads.weight, width);
  else bindings.unused('weight_grad', true);
  if (spec.rowOffsets) bindings.tensor('bias_grad', 'rowOffsets.grads', spec.rowOffsets.grads, rows);
  else if (spec.paramGrads?.bias) bindings.tensor('bias_grad', 'paramGrads.bias', spec.paramGrads.bias, 1);
  else bindings.unused('bias_grad', true);

  const label = spec.label ?? `logit head ${rows}x${width}`;
  const constants = {
    LOSS: loss,
    GATE: gate,
    HAS_INPUT_GRAD: spec.inputGrad !== undefined,
    HAS_PARAM_GRADS: spec.paramGrads !== undefined,
    HAS_BIAS: spec.bias !== undefined,
    ROW_OFFSETS: spec.rowOffsets !== undefined,
    ACCUMULATE: spec.accumulate ?? false,
  };
  const uniforms = { rows, width, rows_per_group: rowsPerGroup, ...targets, alpha };
  // The caller's arguments are checked before anything is made; the workspace is ours alone.
  const resources = bindings.unused('partials', true).forEntry(logitHeadShader, 'logit_head');
  if (groups === 1) {
    const main = await getPipeline(ctx.device, logitHeadShader, 'logit_head', { ...constants, WRITE_PARTIALS: false });
    return new StagedKernel(ctx, label, new BoundKernel(ctx, main, label, resources, uniforms, [1, 1, 1]), null, null);
  }
  // Per group: the PARTIAL_HEADER sums, then the weight gradient's column sums where it is wanted.
  const partialStride = shaderConstant(logitHeadShader, 'PARTIAL_HEADER') + (spec.paramGrads ? width : 0);
  const workspaceFloats = groups * partialStride;
  const workspace = ctx.memory.createStorage(`${label} partial sums`, workspaceFloats);
  try {
    const withPartials = bindings.tensor('partials', 'partials', workspace, workspaceFloats);
    const [mainResources, reduceResources] = [
      withPartials.forEntry(logitHeadShader, 'logit_head'),
      withPartials.forEntry(logitHeadShader, 'logit_head_reduce'),
    ];
    const main = await getPipeline(ctx.device, logitHeadShader, 'logit_head', { ...constants, WRITE_PARTIALS: true });
    const reduce = await getPipeline(ctx.device, logitHeadShader, 'logit_head_reduce', {
      HAS_PARAM_GRADS: constants.HAS_PARAM_GRADS,
      // Without a bias the reduce must not write bias_grad, which ROW_OFFSETS binds to the rows' g.
      HAS_BIAS: constants.HAS_BIAS,
      ACCUMULATE: constants.ACCUMULATE,
    });
    return new StagedKernel(
      ctx,
      label,
      new BoundKernel(ctx, main, `${label} ×${groups} groups`, mainResources, uniforms, [groups, 1, 1]),
      new BoundKernel(ctx, reduce, `${label} reduce`, reduceResources, uniforms, [
        Math.ceil(partialStride / shaderConstant(logitHeadShader, 'COLUMNS_PER_REDUCE')),
        1,
        1,
      ]),
      workspace,
    );
  } catch (error) {
    ctx.memory.release(workspace);
    throw error;
  }
}
