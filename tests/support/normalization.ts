// What the tests of the weight normalisations (spectral and weight) share: a creator called over
// three 64-float buffers (weights, normalized copy, gradients) must refuse a bad layer table with
// an ArgumentError that says what is wrong.
import { expect } from 'vitest';
import { ArgumentError } from '../../src/index.js';
import type { GpuContext } from '../../src/gpu/context.js';

interface NormalizationBuffers {
  floats: number;
  weights: GPUBuffer;
  normalized: GPUBuffer;
  grads: GPUBuffer;
}

/** `create` over three 64-float buffers and `change` rejects with an ArgumentError matching `message`. */
export async function expectRefused<Spec>(
  ctx: GpuContext,
  create: (ctx: GpuContext, spec: Spec) => Promise<unknown>,
  change: Partial<Spec>,
  message: RegExp,
): Promise<void> {
  const mem = ctx.memory;
  const buffers = ['weights', 'normalized', 'grads'].map((label) => mem.createStorage(label, 64));
  try {
    const base: NormalizationBuffers = {
      floats: 64,
      weights: buffers[0]!,
      normalized: buffers[1]!,
      grads: buffers[2]!,
    };
    const attempt = create(ctx, { ...base, ...change } as Spec);
    await expect(attempt).rejects.toThrow(ArgumentError);
    await expect(attempt).rejects.toThrow(message);
  } finally {
    for (const b of buffers) mem.release(b);
  }
}
