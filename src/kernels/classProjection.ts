// The class term of a projection discriminator (shaders/class_projection.wgsl): V[y]·φ(x) added to
// the logit, with φ the input of D's last layer. Three kernels around the logit head: the forward
// writes each row's offset (the head adds it as a per-row bias), and after the head has written
// each row's loss gradient, the input gradient's class part and V's (and the bias's) gradient.
import { guardedCreator } from '../gpu/creation.js';
import { ArgumentError, requireFinite, requirePositiveInteger } from '../base/errors.js';
import type { GpuContext } from '../gpu/context.js';
import { getPipeline } from '../gpu/pipelines.js';
import classProjectionShader from '../../shaders/class_projection.wgsl';
import {
  activationCode,
  Bindings,
  BoundKernel,
  grid1d,
  gridForItems,
  type Activation,
  type TensorRef,
} from './kernel.js';
import { requireCreatorArguments } from '../base/arguments.js';

export interface ClassProjectionShape {
  rows: number;
  /** Features per row: the values the logit head reads. */
  width: number;
  classes: number;
  /** rows × width: φ, the head's input. */
  features: TensorRef;
  /** classes × width: V, one row per class. */
  classWeight: TensorRef;
  /** labelRows class indices stored as floats; row r takes label r mod labelRows. */
  labels: TensorRef;
  /** Default rows. */
  labelRows?: number;
  label?: string;
}

export interface ProjectionForwardSpec extends ClassProjectionShape {
  /** The head's bias (1 value), folded into the offsets; left out for a bias-free head. */
  bias?: TensorRef;
  /** rows values, written: b + V[y_r]·φ_r. */
  offsets: TensorRef;
}

export interface ProjectionInputGradSpec extends ClassProjectionShape {
  /** rows values: each row's dLoss/dlogit, as the logit head wrote it (LogitHeadSpec.rowOffsets). */
  rowGrads: TensorRef;
  /** rows × width: the head's input gradient, to which g_r·V[y_r]·f'(φ) is added. */
  inputGrad: TensorRef;
  /** As the head's inputGrad.gate: the activation that made φ, or none. */
  gate?: Exclude<Activation, 'none'>;
  leakySlope?: number;
}

export interface ProjectionWeightGradSpec extends ClassProjectionShape {
  rowGrads: TensorRef;
  /** classes × width, written: dV. */
  classWeightGrad: TensorRef;
  /** 1 value, written: db = Σ_r g_r, for a head with a bias. */
  biasGrad?: TensorRef;
}

function checkedShape(spec: ClassProjectionShape) {
  const rows = requirePositiveInteger('rows', spec.rows);
  const width = requirePositiveInteger('width', spec.width);
  const classes = requirePositiveInteger('classes', spec.classes);
  const labelRows = requirePositiveInteger('labelRows', spec.labelRows ?? rows);
  if (labelRows > rows) throw new ArgumentError('labelRows', `must be at most rows (${rows}), got ${labelRows}`);
  if (rows * width >= 2 ** 32 || classes * width >= 2 ** 32)
    throw new ArgumentError('width', 'rows × width and classes × width must be below 2^32');
  return { rows, width, classes, labelRows };
}

function sharedBindings(ctx: GpuContext, spec: ClassProjectionShape, shape: ReturnType<typeof checkedShape>) {
  return new Bindings(ctx)
    .tensor('features', 'features', spec.features, shape.rows * shape.width)
    .tensor('labels', 'labels', spec.labels, shape.labelRows);
}

const uniforms = (shape: ReturnType<typeof checkedShape>, alpha = 0.2) => ({
  rows: shape.rows,
  width: shape.width,
  classes: shape.classes,
  label_rows: shape.labelRows,
  alpha,
});

export const createProjectionForward = /* @__PURE__ */ guardedCreator('createProjectionForward', makeProjectionForward);

async function makeProjectionForward(ctx: GpuContext, spec: ProjectionForwardSpec): Promise<BoundKernel> {
  requireCreatorArguments(ctx, spec);
  const shape = checkedShape(spec);
  const bindings = sharedBindings(ctx, spec, shape)
    .tensor('class_weight', 'classWeight', spec.classWeight, shape.classes * shape.width)
    .tensor('offsets', 'offsets', spec.offsets, shape.rows);
  if (spec.bias) bindings.tensor('head_bias', 'bias', spec.bias, 1);
  else bindings.unused('head_bias');
  const resources = bindings.forEntry(classProjectionShader, 'projection_forward');
  const compiled = await getPipeline(ctx.device, classProjectionShader, 'projection_forward', {
    HAS_BIAS: spec.bias !== undefined,
  });
  return new BoundKernel(
    ctx,
    compiled,
    spec.label ?? `class projection ${shape.rows}×${shape.width} (${shape.classes} classes)`,
    resources,
    uniforms(shape),
    grid1d(ctx, shape.rows),
  );
}

export const createProjectionInputGrad = /* @__PURE__ */ guardedCreator(
  'createProjectionInputGrad',
  makeProjectionInputGrad,
);

async function makeProjectionInputGrad(ctx: GpuContext, spec: ProjectionInputGradSpec): Promise<BoundKernel> {
  requireCreatorArguments(ctx, spec);
  const shape = checkedShape(spec);
  const gate = spec.gate === undefined ? 0 : activationCode(classProjectionShader, 'gate', spec.gate);
  if (spec.gate !== undefined && gate === 0) throw new ArgumentError('gate', 'must name an activation, not none');
  const alpha = requireFinite('leakySlope', spec.leakySlope ?? 0.2);
  const resources = sharedBindings(ctx, spec, shape)
    .tensor('class_weight', 'classWeight', spec.classWeight, shape.classes * shape.width)
    .tensor('row_grads', 'rowGrads', spec.rowGrads, shape.rows)
    .tensor('input_grad', 'inputGrad', spec.inputGrad, shape.rows * shape.width)
    .forEntry(classProjectionShader, 'projection_input_grad');
  const compiled = await getPipeline(ctx.device, classProjectionShader, 'projection_input_grad', { GATE: gate });
  return new BoundKernel(
    ctx,
    compiled,
    spec.label ?? `class projection input grad ${shape.rows}×${shape.width}`,
    resources,
    uniforms(shape, alpha),
    gridForItems(ctx, compiled.layout, shape.rows * shape.width),
  );
}

export const createProjectionWeightGrad = /* @__PURE__ */ guardedCreator(
  'createProjectionWeightGrad',
  makeProjectionWeightGrad,
);

async function makeProjectionWeightGrad(ctx: GpuContext, spec: ProjectionWeightGradSpec): Promise<BoundKernel> {
  requireCreatorArguments(ctx, spec);
  const shape = checkedShape(spec);
  const bindings = sharedBindings(ctx, spec, shape)
    .tensor('row_grads', 'rowGrads', spec.rowGrads, shape.rows)
    .tensor('class_weight_grad', 'classWeightGrad', spec.classWeightGrad, shape.classes * shape.width);
  if (spec.biasGrad) bindings.tensor('bias_grad', 'biasGrad', spec.biasGrad, 1);
  else bindings.unused('bias_grad', true);
  const resources = bindings.forEntry(classProjectionShader, 'projection_weight_grad');
  const compiled = await getPipeline(ctx.device, classProjectionShader, 'projection_weight_grad', {
    HAS_BIAS: spec.biasGrad !== undefined,
  });
  return new BoundKernel(
    ctx,
    compiled,
    spec.label ?? `class projection weight grad ${shape.classes}×${shape.width}`,
    resources,
    uniforms(shape),
    gridForItems(ctx, compiled.layout, shape.classes * shape.width + 1),
  );
}
