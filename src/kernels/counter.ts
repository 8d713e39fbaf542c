// A step counter that lives on the GPU. Recording `increment` before Adam and the random
// generator lets any number of steps be recorded and submitted with no upload in between.
// A step can also advance it inside its own first and last kernels instead (the trainer does:
// createBatchGather's advanceStep, createAdam's commitStep), which saves the increment dispatch.
import { guardedCreator } from '../gpu/creation.js';
import type { GpuContext } from '../gpu/context.js';
import { requireUint32 } from '../base/errors.js';
import { getPipeline } from '../gpu/pipelines.js';
import counterShader from '../../shaders/counter.wgsl';
import { BoundKernel, type Kernel } from './kernel.js';
import { requireContext, requireObject } from '../base/arguments.js';

export interface StepCounterSpec {
  /** The step number to start from (a resumed run's step). Default 0. */
  start?: number;
  label?: string;
}

export const createStepCounter = /* @__PURE__ */ guardedCreator('createStepCounter', makeStepCounter);

async function makeStepCounter(ctx: GpuContext, spec: StepCounterSpec = {}): Promise<StepCounter> {
  requireContext(ctx);
  requireObject('spec', spec, 'an object of settings');
  const start = requireUint32('start', spec.start ?? 0);
  const label = spec.label ?? 'step counter';
  const buffer = ctx.memory.createStorage(label, new Uint32Array([start, start]));
  try {
    const compiled = await getPipeline(ctx.device, counterShader, 'increment_counter');
    const kernel = new BoundKernel(
      ctx,
      compiled,
      `${label} increment`,
      { counter: { buffer, offset: 0, size: 8 } },
      null,
      [1, 1, 1],
    );
    return new StepCounter(ctx, label, buffer, kernel);
  } catch (error) {
    ctx.memory.release(buffer);
    throw error;
  }
}

export class StepCounter implements Kernel {
  /**
   * Two u32: [0] the step number (increments recorded and executed so far, plus the start
   * value), [1] the step in progress, equal to [0] between steps (see shaders/counter.wgsl).
   */
  readonly buffer: GPUBuffer;

  /** Made by createStepCounter. */
  constructor(
    private readonly ctx: GpuContext,
    readonly label: string,
    buffer: GPUBuffer,
    private readonly incrementKernel: BoundKernel,
  ) {
    this.buffer = buffer;
  }

  /** Records counter += 1. */
  record(target: GPUComputePassEncoder | GPUCommandEncoder): void {
    this.incrementKernel.record(target);
  }

  /** Sets the counter (e.g. when resuming from a checkpoint). */
  set(value: number): void {
    this.ctx.write(this.buffer, new Uint32Array([value, value]));
  }

  async read(): Promise<number> {
    return (await this.ctx.readU32(this.buffer, 0, 1))[0]!;
  }

  destroy(): void {
    this.incrementKernel.destroy();
    this.ctx.memory.release(this.buffer);
  }
}
