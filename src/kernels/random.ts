// Seeded counter-based random fill (Philox4x32-10): uniform or normal values into a buffer.
import { guardedCreator } from '../gpu/creation.js';
import { ArgumentError, requireFinite, requirePositiveInteger, requireUint32 } from '../base/errors.js';
import type { GpuContext } from '../gpu/context.js';
import { getPipeline } from '../gpu/pipelines.js';
import randomShader from '../../shaders/random.wgsl';
import { Bindings, BoundKernel, gridForItems, type TensorRef } from './kernel.js';
import { requireCreatorArguments } from '../base/arguments.js';

export type RandomDistribution =
  | { kind: 'uniform'; low?: number; high?: number }
  | { kind: 'normal'; mean?: number; stddev?: number };

export interface RandomFillSpec {
  n: number;
  output: TensorRef;
  /** Integer in [0, 2^53): split into Philox's two key words. */
  seed: number;
  /** Independent sequence for the same seed (noise, init, ...). */
  stream?: number;
  distribution: RandomDistribution;
  /**
   * A u32 (e.g. StepCounter.buffer) that selects the block of numbers: a new value gives new
   * numbers without any upload. Without it the counter is fixed at 0.
   */
  stepCount?: TensorRef;
  label?: string;
}

/** Philox key words for a seed: low and high 32 bits. */
export function seedWords(seed: number): [number, number] {
  if (!Number.isSafeInteger(seed) || seed < 0)
    throw new ArgumentError('seed', `must be an integer in [0, 2^53), got ${seed}`);
  return [seed >>> 0, Math.floor(seed / 2 ** 32) >>> 0];
}

/**
 * The step counter a Philox kernel reads its block from, or where none is given a buffer of two
 * zero words (step 0 in either word), which the kernel then owns.
 */
export function stepCountOrZero(
  ctx: GpuContext,
  given: TensorRef | undefined,
  label: string,
): { stepCount: TensorRef; owned: GPUBuffer[] } {
  if (given) return { stepCount: given, owned: [] };
  const zero = ctx.memory.createStorage(label, new Uint32Array(2));
  return { stepCount: zero, owned: [zero] };
}

export const createRandomFill = /* @__PURE__ */ guardedCreator('createRandomFill', makeRandomFill);

async function makeRandomFill(ctx: GpuContext, spec: RandomFillSpec): Promise<BoundKernel> {
  requireCreatorArguments(ctx, spec);
  const n = requirePositiveInteger('n', spec.n);
  if (n > 2 ** 30) throw new ArgumentError('n', 'must be at most 2^30');
  const [seedLo, seedHi] = seedWords(spec.seed);
  const stream = requireUint32('stream', spec.stream ?? 0);
  const { offset, scale, entry } = distributionParams(spec.distribution);
  const { stepCount, owned } = stepCountOrZero(ctx, spec.stepCount, 'random step 0');
  try {
    const bindings = new Bindings(ctx)
      .tensor('values', 'output', spec.output, n)
      .tensor('step_count', 'stepCount', stepCount, 1);
    const resources = bindings.forEntry(randomShader, entry);
    const compiled = await getPipeline(ctx.device, randomShader, entry);
    const uniforms = { n, seed_lo: seedLo, seed_hi: seedHi, stream, offset, scale };
    return new BoundKernel(
      ctx,
      compiled,
      spec.label ?? `random ${spec.distribution.kind} ${n}`,
      resources,
      uniforms,
      gridForItems(ctx, compiled.layout, n, 4),
      owned,
    );
  } catch (error) {
    for (const buffer of owned) ctx.memory.release(buffer);
    throw error;
  }
}

function distributionParams(d: RandomDistribution): { offset: number; scale: number; entry: string } {
  if (d?.kind === 'uniform') {
    const low = requireFinite('distribution.low', d.low ?? 0);
    const high = requireFinite('distribution.high', d.high ?? 1);
    if (!(high > low)) throw new ArgumentError('distribution.high', `must be greater than low (${low}), got ${high}`);
    return { offset: low, scale: high - low, entry: 'random_uniform' };
  }
  if (d?.kind === 'normal') {
    const mean = requireFinite('distribution.mean', d.mean ?? 0);
    const stddev = requireFinite('distribution.stddev', d.stddev ?? 1, { min: 0 });
    return { offset: mean, scale: stddev, entry: 'random_normal' };
  }
  throw new ArgumentError(
    'distribution.kind',
    `must be "uniform" or "normal", got ${String((d as { kind?: unknown })?.kind)}`,
  );
}
