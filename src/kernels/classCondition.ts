// A class label as a one-hot input of a layer (shaders/class_condition.wgsl): adds the label's
// column of the layer's class weights to each row that the layer's matmul computed without an
// activation, applies the activation in place, and writes the one-hot rows the class weights'
// gradient (dZᵀ·onehot, a matmul) needs; the one-hot's hot entry may be other than 1.
import { guardedCreator } from '../gpu/creation.js';
import { ArgumentError, requireFinite, requirePositiveInteger } from '../base/errors.js';
import type { GpuContext } from '../gpu/context.js';
import { getPipeline } from '../gpu/pipelines.js';
import classConditionShader from '../../shaders/class_condition.wgsl';
import { activationCode, Bindings, BoundKernel, gridForItems, type Activation, type TensorRef } from './kernel.js';
import { requireCreatorArguments } from '../base/arguments.js';

export interface ClassConditionSpec {
  rows: number;
  /** The layer's outputs per row. */
  width: number;
  classes: number;
  /** rows × width: W_x·x + b from the matmul; replaced by f(W_x·x + b + W_c[:, c]). */
  values: TensorRef;
  /** width × classes: the class columns of the layer's weight ([out, in] layout, as their own block). */
  classWeight: TensorRef;
  /** labelRows class indices stored as floats; row r takes label r mod labelRows. */
  labels: TensorRef;
  /** Default rows. */
  labelRows?: number;
  /** rows × classes, written: each row's one-hot class, its hot entry hotValue. */
  onehot: TensorRef;
  /**
   * The one-hot's hot entry (default 1): the rows add hotValue × the class column, and the
   * one-hot rows hold hotValue, so the class weights' gradient is that of this input.
   */
  hotValue?: number;
  /** Applied after the class column is added (the layer's activation). */
  activation: Activation;
  leakySlope?: number;
  label?: string;
}

export const createClassCondition = /* @__PURE__ */ guardedCreator('createClassCondition', makeClassCondition);

async function makeClassCondition(ctx: GpuContext, spec: ClassConditionSpec): Promise<BoundKernel> {
  requireCreatorArguments(ctx, spec);
  const rows = requirePositiveInteger('rows', spec.rows);
  const width = requirePositiveInteger('width', spec.width);
  const classes = requirePositiveInteger('classes', spec.classes);
  const labelRows = requirePositiveInteger('labelRows', spec.labelRows ?? rows);
  if (labelRows > rows) throw new ArgumentError('labelRows', `must be at most rows (${rows}), got ${labelRows}`);
  const alpha = requireFinite('leakySlope', spec.leakySlope ?? 0.2);
  const hot = requireFinite('hotValue', spec.hotValue ?? 1, { min: 0, minExclusive: true });
  const ACTIVATION = activationCode(classConditionShader, 'activation', spec.activation);
  if (rows * (width + classes) >= 2 ** 32)
    throw new ArgumentError('rows', 'rows × (width + classes) must be below 2^32');
  const bindings = new Bindings(ctx)
    .tensor('values', 'values', spec.values, rows * width)
    .tensor('class_weight', 'classWeight', spec.classWeight, width * classes)
    .tensor('labels', 'labels', spec.labels, labelRows)
    .tensor('onehot', 'onehot', spec.onehot, rows * classes);
  const resources = bindings.forEntry(classConditionShader, 'class_condition');
  const compiled = await getPipeline(ctx.device, classConditionShader, 'class_condition', { ACTIVATION });
  return new BoundKernel(
    ctx,
    compiled,
    spec.label ?? `class condition ${rows}×${width} (${classes} classes)`,
    resources,
    { rows, width, classes, label_rows: labelRows, alpha, hot },
    gridForItems(ctx, compiled.layout, rows * (width + classes)),
  );
}
