// Stand-alone activation kernels, for where an activation cannot ride in a matmul epilogue. 'none'
// is the identity: forward and backward are copies (a Gaussian-noise layer's eval forward, and its
// backward where no activation's derivative is to be folded in). The sum of two arrays shares the
// shader: an add-input layer's forward.
import { guardedCreator } from '../gpu/creation.js';
import { requireFinite, requirePositiveInteger } from '../base/errors.js';
import type { GpuContext } from '../gpu/context.js';
import { getPipeline } from '../gpu/pipelines.js';
import activationShader from '../../shaders/activation.wgsl';
import { activationCode, Bindings, BoundKernel, gridForItems, type Activation, type TensorRef } from './kernel.js';
import { requireCreatorArguments } from '../base/arguments.js';

export interface ActivationForwardSpec {
  /** 'none': y = x, a copy. */
  activation: Activation;
  n: number;
  input: TensorRef;
  output: TensorRef;
  leakySlope?: number;
  label?: string;
}

export interface ActivationBackwardSpec {
  /** 'none': dx = dy, a copy (output is then not read, but still bound). */
  activation: Activation;
  n: number;
  /** dL/dy. */
  gradOutput: TensorRef;
  /** y = f(x), as stored by the forward pass. */
  output: TensorRef;
  /** dL/dx = dL/dy ⊙ f'(x), written here. */
  gradInput: TensorRef;
  leakySlope?: number;
  label?: string;
}

const checkedActivation = (value: unknown): number => activationCode(activationShader, 'activation', value);

export const createActivationForward = /* @__PURE__ */ guardedCreator('createActivationForward', makeActivationForward);

async function makeActivationForward(ctx: GpuContext, spec: ActivationForwardSpec): Promise<BoundKernel> {
  requireCreatorArguments(ctx, spec);
  const n = requirePositiveInteger('n', spec.n);
  const alpha = requireFinite('leakySlope', spec.leakySlope ?? 0.2);
  const ACTIVATION = checkedActivation(spec.activation);
  const bindings = new Bindings(ctx).tensor('input', 'input', spec.input, n).tensor('output', 'output', spec.output, n);
  const resources = bindings.forEntry(activationShader, 'activation_forward');
  const compiled = await getPipeline(ctx.device, activationShader, 'activation_forward', { ACTIVATION });
  return new BoundKernel(
    ctx,
    compiled,
    spec.label ?? `${spec.activation} forward`,
    resources,
    { n, alpha },
    gridForItems(ctx, compiled.layout, n),
  );
}

export const createActivationBackward = /* @__PURE__ */ guardedCreator(
  'createActivationBackward',
  makeActivationBackward,
);

async function makeActivationBackward(ctx: GpuContext, spec: ActivationBackwardSpec): Promise<BoundKernel> {
  requireCreatorArguments(ctx, spec);
  const n = requirePositiveInteger('n', spec.n);
  const alpha = requireFinite('leakySlope', spec.leakySlope ?? 0.2);
  const ACTIVATION = checkedActivation(spec.activation);
  const bindings = new Bindings(ctx)
    .tensor('grad_output', 'gradOutput', spec.gradOutput, n)
    .tensor('saved_output', 'output', spec.output, n)
    .tensor('grad_input', 'gradInput', spec.gradInput, n);
  const resources = bindings.forEntry(activationShader, 'activation_backward');
  const compiled = await getPipeline(ctx.device, activationShader, 'activation_backward', { ACTIVATION });
  return new BoundKernel(
    ctx,
    compiled,
    spec.label ?? `${spec.activation} backward`,
    resources,
    { n, alpha },
    gridForItems(ctx, compiled.layout, n),
  );
}

export interface ElementwiseAddSpec {
  n: number;
  input: TensorRef;
  /** n values added to `input`'s. */
  addend: TensorRef;
  /** input + addend, written; may not be either of them. */
  output: TensorRef;
  label?: string;
}

/** output = input + addend, value by value. */
export const createElementwiseAdd = /* @__PURE__ */ guardedCreator('createElementwiseAdd', makeElementwiseAdd);

async function makeElementwiseAdd(ctx: GpuContext, spec: ElementwiseAddSpec): Promise<BoundKernel> {
  requireCreatorArguments(ctx, spec);
  const n = requirePositiveInteger('n', spec.n);
  const resources = new Bindings(ctx)
    .tensor('input', 'input', spec.input, n)
    .tensor('addend', 'addend', spec.addend, n)
    .tensor('output', 'output', spec.output, n)
    .forEntry(activationShader, 'add_forward');
  const compiled = await getPipeline(ctx.device, activationShader, 'add_forward', {});
  return new BoundKernel(
    ctx,
    compiled,
    spec.label ?? 'elementwise add',
    resources,
    { n, alpha: 0 },
    gridForItems(ctx, compiled.layout, n),
  );
}
