// Creating a library object without risking the shared context: a creator's GPU work runs inside
// out-of-memory and validation error scopes, so that a buffer the device cannot make is reported
// to that creator's caller as a named error, what was made is destroyed, and the context (and
// every other object on it) works on. Without the scopes the error would be uncaptured, and the
// context takes an uncaptured error as the end of the device (context.ts).
import type { GpuContext } from './context.js';
import { GpuDeviceError, GpuFailureError } from './errors.js';
import { requireContext } from '../base/arguments.js';

/** Creations under way per context: only the outermost opens scopes (nested creators run inside it). */
const open = new WeakMap<GpuContext, number>();

/**
 * Runs `build` (the GPU part of creating `what`, e.g. "GanSampler.create") inside error scopes.
 * A GPU error inside it destroys what `build` returned and throws a GpuFailureError (out of
 * memory) or GpuDeviceError (a validation error), whose message says what failed and what to do;
 * the device's own text is on `detail`. On a device the application made (GpuContext.fromDevice)
 * no scope is opened: its error handling stays the application's.
 */
export async function guardedCreation<T extends { destroy(): void }>(
  ctx: GpuContext,
  what: string,
  build: () => Promise<T>,
  advice = 'ask for less (a smaller count or batch), or use a GPU with more memory',
): Promise<T> {
  ctx.throwIfFailed();
  const depth = open.get(ctx) ?? 0;
  if (!ctx.ownsDevice || depth > 0) return build();
  const { device } = ctx;
  open.set(ctx, depth + 1);
  device.pushErrorScope('validation');
  device.pushErrorScope('out-of-memory');
  let made: T | undefined;
  let thrown: { error: unknown } | null = null;
  try {
    made = await build();
  } catch (error) {
    thrown = { error };
  }
  const outOfMemory = await device.popErrorScope();
  const invalid = await device.popErrorScope();
  open.set(ctx, depth);
  const failure = outOfMemory
    ? new GpuFailureError(`${what}: the GPU ran out of memory making it; ${advice}`, outOfMemory.message)
    : invalid
      ? new GpuDeviceError(`${what}: the GPU refused to make it (a bug: please report it)`, invalid.message)
      : null;
  if (failure) {
    made?.destroy();
    throw failure;
  }
  if (thrown) throw thrown.error;
  return made as T;
}

/**
 * A public kernel creator, `make`, whose GPU work runs under guardedCreation: called on its own,
 * a failure inside it leaves the context working; called while a larger object is being made
 * (a trainer's kernels), it runs inside that object's scopes.
 */
export function guardedCreator<A extends unknown[], K extends { destroy(): void }>(
  name: string,
  make: (ctx: GpuContext, ...args: A) => Promise<K>,
): (ctx: GpuContext, ...args: A) => Promise<K> {
  return async (ctx, ...args) => {
    requireContext(ctx);
    return guardedCreation(ctx, name, () => make(ctx, ...args));
  };
}
