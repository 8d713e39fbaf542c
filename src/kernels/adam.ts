// Adam / AdamW over one flat parameter buffer: one dispatch updates weights and both moments.
import { requireFinite, requirePositiveInteger } from '../gpu/errors.js';
import type { GpuContext } from '../gpu/context.js';
import { getPipeline } from '../gpu/pipelines.js';
import { Bindings, BoundKernel, grid1d, type TensorRef } from './kernel.js';

export interface AdamHyperparameters {
  lr: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  /** Decoupled weight decay (AdamW); 0 gives plain Adam. */
  weightDecay: number;
}

export const ADAM_DEFAULTS: AdamHyperparameters = { lr: 1e-3, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0 };

export interface AdamSpec extends Partial<AdamHyperparameters> {
  n: number;
  weights: TensorRef;
  grads: TensorRef;
  moment1: TensorRef;
  moment2: TensorRef;
  /**
   * A u32 holding the step number t (1 for the first update), e.g. StepCounter.buffer,
   * incremented before this kernel runs.
   */
  stepCount: TensorRef;
  label?: string;
}

export function checkAdamHyperparameters(h: Partial<AdamHyperparameters>): AdamHyperparameters {
  const all = { ...ADAM_DEFAULTS, ...h };
  return {
    lr: requireFinite('lr', all.lr, { min: 0 }),
    beta1: requireFinite('beta1', all.beta1, { min: 0, max: 1, maxExclusive: true }),
    beta2: requireFinite('beta2', all.beta2, { min: 0, max: 1, maxExclusive: true }),
    epsilon: requireFinite('epsilon', all.epsilon, { min: 0, minExclusive: true }),
    weightDecay: requireFinite('weightDecay', all.weightDecay, { min: 0 }),
  };
}

export class AdamKernel {
  private constructor(private readonly kernel: BoundKernel, private readonly n: number, private hyper: AdamHyperparameters) {}

  static async create(ctx: GpuContext, spec: AdamSpec): Promise<AdamKernel> {
    const n = requirePositiveInteger('n', spec.n);
    const hyper = checkAdamHyperparameters(spec);
    const { resources } = new Bindings(ctx)
      .tensor('weights', 'weights', spec.weights, n)
      .tensor('grads', 'grads', spec.grads, n)
      .tensor('moment1', 'moment1', spec.moment1, n)
      .tensor('moment2', 'moment2', spec.moment2, n)
      .tensor('step_count', 'stepCount', spec.stepCount, 1)
      .forbidAliasing('weights', 'moment1', 'moment2');
    const compiled = await getPipeline(ctx.device, 'adam', 'adam_step');
    const kernel = new BoundKernel(ctx, compiled, spec.label ?? `adam ${n}`, resources, AdamKernel.uniforms(n, hyper), grid1d(ctx, Math.ceil(n / 256)));
    return new AdamKernel(kernel, n, hyper);
  }

  private static uniforms(n: number, h: AdamHyperparameters) {
    return { n, lr: h.lr, beta1: h.beta1, beta2: h.beta2, epsilon: h.epsilon, weight_decay: h.weightDecay };
  }

  get hyperparameters(): AdamHyperparameters {
    return { ...this.hyper };
  }

  /** Changes hyper-parameters for work submitted from now on (validated first). */
  setHyperparameters(changes: Partial<AdamHyperparameters>): void {
    const next = checkAdamHyperparameters({ ...this.hyper, ...changes });
    this.kernel.setUniforms(AdamKernel.uniforms(this.n, next));
    this.hyper = next;
  }

  record(target: GPUComputePassEncoder | GPUCommandEncoder): void {
    this.kernel.record(target);
  }

  destroy(): void {
    this.kernel.destroy();
  }
}
