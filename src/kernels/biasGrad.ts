// Bias gradient: column sums of a rows×cols gradient, deterministic (no atomics).
import { guardedCreator } from '../gpu/creation.js';
import { ArgumentError, requirePositiveInteger } from '../base/errors.js';
import type { GpuContext } from '../gpu/context.js';
import { getPipeline } from '../gpu/pipelines.js';
import { entryLayout } from '../gpu/layout.js';
import biasGradShader from '../../shaders/bias_grad.wgsl';
import { Bindings, BoundKernel, type TensorRef } from './kernel.js';
import { requireCreatorArguments } from '../base/arguments.js';

export interface BiasGradSpec {
  rows: number;
  cols: number;
  /** rows×cols, row-major. */
  grad: TensorRef;
  /** cols values: the sum over rows. */
  gradBias: TensorRef;
  label?: string;
}

export const createBiasGrad = /* @__PURE__ */ guardedCreator('createBiasGrad', makeBiasGrad);

async function makeBiasGrad(ctx: GpuContext, spec: BiasGradSpec): Promise<BoundKernel> {
  requireCreatorArguments(ctx, spec);
  const rows = requirePositiveInteger('rows', spec.rows);
  const cols = requirePositiveInteger('cols', spec.cols);
  // One invocation per column in x: the shader's COLUMNS.
  const columnsPerWorkgroup = entryLayout(biasGradShader, 'bias_grad_column_sum').workgroupSize[0];
  const workgroups = Math.ceil(cols / columnsPerWorkgroup);
  if (workgroups > ctx.device.limits.maxComputeWorkgroupsPerDimension)
    throw new ArgumentError('cols', `is too large (${cols})`);
  const bindings = new Bindings(ctx)
    .tensor('grad', 'grad', spec.grad, rows * cols)
    .tensor('grad_bias', 'gradBias', spec.gradBias, cols);
  const resources = bindings.forEntry(biasGradShader, 'bias_grad_column_sum');
  const compiled = await getPipeline(ctx.device, biasGradShader, 'bias_grad_column_sum');
  return new BoundKernel(ctx, compiled, spec.label ?? `bias grad ${rows}x${cols}`, resources, { rows, cols }, [
    workgroups,
    1,
    1,
  ]);
}
