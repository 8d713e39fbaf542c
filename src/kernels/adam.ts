// Adam / AdamW over one flat parameter buffer: one dispatch updates weights and both moments.
import { guardedCreator } from '../gpu/creation.js';
import { ArgumentError, requireFinite, requirePositiveInteger } from '../base/errors.js';
import type { GpuContext } from '../gpu/context.js';
import { getPipeline } from '../gpu/pipelines.js';
import adamShader from '../../shaders/adam.wgsl';
import { Bindings, BoundKernel, gridForItems, type TensorRef } from './kernel.js';
import { requireCreatorArguments } from '../base/arguments.js';

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
  /**
   * Which u32 of stepCount holds t. Default 0; 1 for the step in progress of a StepCounter that a
   * step advances inside its own kernels (createBatchGather's advanceStep).
   */
  stepWord?: 0 | 1;
  /**
   * As the step's last kernel, copy word 1 to word 0 of the StepCounter (needs stepWord 1): the
   * step is then done, with no separate increment dispatch.
   */
  commitStep?: boolean;
  /** Keep an exponential moving average of the weights, updated in the same dispatch. */
  ema?: { weights: TensorRef; decay: number; warmup?: number };
  /**
   * One f32 set to 1 when any updated weight, moment or average is NaN or infinite (never
   * cleared here): a divergence alarm to read back with other statistics.
   */
  nonFiniteFlag?: TensorRef;
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

export const createAdam = /* @__PURE__ */ guardedCreator('createAdam', makeAdam);

async function makeAdam(ctx: GpuContext, spec: AdamSpec): Promise<AdamKernel> {
  requireCreatorArguments(ctx, spec);
  const n = requirePositiveInteger('n', spec.n);
  const hyper = checkAdamHyperparameters(spec);
  const stepWord = spec.stepWord ?? 0;
  if (stepWord !== 0 && stepWord !== 1) throw new ArgumentError('stepWord', `must be 0 or 1, got ${String(stepWord)}`);
  if (spec.commitStep && stepWord !== 1)
    throw new ArgumentError('commitStep', 'copies word 1 of the step counter to word 0, so it needs stepWord: 1');
  const bindings = new Bindings(ctx)
    .tensor('weights', 'weights', spec.weights, n)
    .tensor('grads', 'grads', spec.grads, n)
    .tensor('moment1', 'moment1', spec.moment1, n)
    .tensor('moment2', 'moment2', spec.moment2, n)
    .tensor('step_count', 'stepCount', spec.stepCount, stepWord + 1);
  if (spec.ema) bindings.tensor('ema_weights', 'ema.weights', spec.ema.weights, n);
  else bindings.unused('ema_weights', true);
  if (spec.nonFiniteFlag) bindings.tensor('non_finite', 'nonFiniteFlag', spec.nonFiniteFlag, 1);
  else bindings.unused('non_finite', true);
  const ema = {
    decay: spec.ema ? requireFinite('ema.decay', spec.ema.decay, { min: 0, max: 1 }) : 0,
    warmup: spec.ema ? requireFinite('ema.warmup', spec.ema.warmup ?? 0, { min: 0 }) : 0,
  };
  const constants = {
    EMA: spec.ema !== undefined,
    STEP_WORD: stepWord,
    COMMIT_STEP: spec.commitStep === true,
    FLAG_NON_FINITE: spec.nonFiniteFlag !== undefined,
  };
  const resources = bindings.forEntry(adamShader, 'adam_step');
  const compiled = await getPipeline(ctx.device, adamShader, 'adam_step', constants);
  const uniforms = adamUniforms(n, hyper, ema);
  const kernel = new BoundKernel(
    ctx,
    compiled,
    spec.label ?? `adam ${n}`,
    resources,
    uniforms,
    gridForItems(ctx, compiled.layout, n),
  );
  return new AdamKernel(kernel, n, hyper, ema);
}

/** The moving average's decay and warm-up (both 0 without one). */
interface EmaSettings {
  decay: number;
  warmup: number;
}

function adamUniforms(n: number, h: AdamHyperparameters, ema: EmaSettings) {
  return {
    n,
    lr: h.lr,
    beta1: h.beta1,
    beta2: h.beta2,
    epsilon: h.epsilon,
    weight_decay: h.weightDecay,
    ema_decay: ema.decay,
    ema_warmup: ema.warmup,
  };
}

export class AdamKernel {
  /** Made by createAdam. */
  constructor(
    private readonly kernel: BoundKernel,
    private readonly n: number,
    private hyper: AdamHyperparameters,
    private readonly ema: EmaSettings,
  ) {}

  get label(): string {
    return this.kernel.label;
  }

  get hyperparameters(): AdamHyperparameters {
    return { ...this.hyper };
  }

  /** Changes hyper-parameters for work submitted from now on (validated first). */
  setHyperparameters(changes: Partial<AdamHyperparameters>): void {
    const next = checkAdamHyperparameters({ ...this.hyper, ...changes });
    this.kernel.setUniforms(adamUniforms(this.n, next, this.ema));
    this.hyper = next;
  }

  record(target: GPUComputePassEncoder | GPUCommandEncoder): void {
    this.kernel.record(target);
  }

  destroy(): void {
    this.kernel.destroy();
  }
}
