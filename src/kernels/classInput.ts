// A conditional generator's input (shaders/class_input.wgsl): each row's noise with its class
// appended as a one-hot, the input torch.cat([z, one_hot(y)], 1) of a PyTorch conditional DCGAN.
import { guardedCreator } from '../gpu/creation.js';
import { ArgumentError, requirePositiveInteger } from '../base/errors.js';
import type { GpuContext } from '../gpu/context.js';
import { getPipeline } from '../gpu/pipelines.js';
import classInputShader from '../../shaders/class_input.wgsl';
import { Bindings, BoundKernel, gridForItems, type TensorRef } from './kernel.js';
import { requireCreatorArguments } from '../base/arguments.js';

export interface ClassInputSpec {
  rows: number;
  /** Noise values per row. */
  noiseWidth: number;
  classes: number;
  /** rows × noiseWidth. */
  noise: TensorRef;
  /** labelRows class indices stored as floats; row r takes label r mod labelRows. */
  labels: TensorRef;
  /** Default rows. */
  labelRows?: number;
  /** rows × (noiseWidth + classes), written. */
  output: TensorRef;
  label?: string;
}

export const createClassInput = /* @__PURE__ */ guardedCreator('createClassInput', makeClassInput);

async function makeClassInput(ctx: GpuContext, spec: ClassInputSpec): Promise<BoundKernel> {
  requireCreatorArguments(ctx, spec);
  const { rows, noiseWidth, classes, width } = joinedShape(spec);
  const labelRows = requirePositiveInteger('labelRows', spec.labelRows ?? rows);
  if (labelRows > rows) throw new ArgumentError('labelRows', `must be at most rows (${rows}), got ${labelRows}`);
  const resources = new Bindings(ctx)
    .tensor('noise', 'noise', spec.noise, rows * noiseWidth)
    .tensor('labels', 'labels', spec.labels, labelRows)
    .tensor('joined', 'output', spec.output, rows * width)
    .forEntry(classInputShader, 'class_input');
  const compiled = await getPipeline(ctx.device, classInputShader, 'class_input');
  return new BoundKernel(
    ctx,
    compiled,
    spec.label ?? `class input ${rows}×(${noiseWidth} + ${classes})`,
    resources,
    { rows, noise_width: noiseWidth, classes, label_rows: labelRows },
    gridForItems(ctx, compiled.layout, rows * width),
  );
}

export interface ClassInputGradSpec {
  rows: number;
  noiseWidth: number;
  classes: number;
  /** rows × (noiseWidth + classes): the gradient at the joined input. */
  joinedGrads: TensorRef;
  /** rows × noiseWidth, written: its noise columns, the gradient with respect to the noise. */
  noiseGrads: TensorRef;
  label?: string;
}

/** The class input's gradient with respect to the noise (the one-hot's columns are constants). */
export const createClassInputGrad = /* @__PURE__ */ guardedCreator('createClassInputGrad', makeClassInputGrad);

async function makeClassInputGrad(ctx: GpuContext, spec: ClassInputGradSpec): Promise<BoundKernel> {
  requireCreatorArguments(ctx, spec);
  const { rows, noiseWidth, classes, width } = joinedShape(spec);
  const resources = new Bindings(ctx)
    .tensor('joined_grads', 'joinedGrads', spec.joinedGrads, rows * width)
    .tensor('noise_grads', 'noiseGrads', spec.noiseGrads, rows * noiseWidth)
    .forEntry(classInputShader, 'class_input_grad');
  const compiled = await getPipeline(ctx.device, classInputShader, 'class_input_grad');
  return new BoundKernel(
    ctx,
    compiled,
    spec.label ?? `class input gradient ${rows}×${noiseWidth} of ${width}`,
    resources,
    { rows, noise_width: noiseWidth, classes, label_rows: rows },
    gridForItems(ctx, compiled.layout, rows * noiseWidth),
  );
}

/** The joined input's checked shape, shared by the kernel and its gradient: rows × (noiseWidth + classes). */
function joinedShape(spec: { rows: number; noiseWidth: number; classes: number }) {
  const rows = requirePositiveInteger('rows', spec.rows);
  const noiseWidth = requirePositiveInteger('noiseWidth', spec.noiseWidth);
  const classes = requirePositiveInteger('classes', spec.classes);
  const width = noiseWidth + classes;
  if (rows * width >= 2 ** 32) throw new ArgumentError('rows', 'rows × (noiseWidth + classes) must be below 2^32');
  return { rows, noiseWidth, classes, width };
}
