// Errors of input and use that have nothing to do with the GPU: a bad argument (and the checks that
// throw it), a call after destroy(), training that diverged.

/** An argument is invalid (wrong shape, too small a buffer, non-finite value). Thrown before anything is recorded. */
export class ArgumentError extends Error {
  override name = 'ArgumentError';
  constructor(
    readonly argument: string,
    problem: string,
  ) {
    super(`${argument}: ${problem}`);
  }
}

export function requirePositiveInteger(argument: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new ArgumentError(argument, `must be a positive integer, got ${String(value)}`);
  }
  return value;
}

export function requireFinite(
  argument: string,
  value: unknown,
  range?: { min?: number; max?: number; minExclusive?: boolean; maxExclusive?: boolean },
): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new ArgumentError(argument, `must be a finite number, got ${String(value)}`);
  }
  if (range?.min !== undefined && (range.minExclusive ? value <= range.min : value < range.min)) {
    throw new ArgumentError(argument, `must be ${range.minExclusive ? '>' : '>='} ${range.min}, got ${value}`);
  }
  if (range?.max !== undefined && (range.maxExclusive ? value >= range.max : value > range.max)) {
    throw new ArgumentError(argument, `must be ${range.maxExclusive ? '<' : '<='} ${range.max}, got ${value}`);
  }
  return value;
}

export function requireUint32(argument: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 0xffffffff) {
    throw new ArgumentError(argument, `must be an integer in [0, 2^32), got ${String(value)}`);
  }
  return value;
}

/**
 * Each named tensor ([name, offset, count] in floats) lies inside a flat buffer of `floats`:
 * `where` names the owner in the error (e.g. "layers[2]", which gives "layers[2].weightOffset").
 */
export function requireInside(where: string, tensors: Array<[string, number, number]>, floats: number): void {
  for (const [name, offset, count] of tensors) {
    if (!Number.isInteger(offset) || offset < 0 || offset + count > floats)
      throw new ArgumentError(`${where}.${name}`, `must place ${count} floats inside the ${floats} of the buffers`);
  }
}

/**
 * A method was called on an object after its destroy(), or after the destroy() of an object it
 * reads (`reason` says which: a sampler whose trainer was destroyed).
 */
export class DestroyedError extends Error {
  override name = 'DestroyedError';
  constructor(object: string, method: string, reason?: string) {
    super(
      reason
        ? `${object}.${method}(): ${reason}`
        : `${object}.${method}() called after destroy(); create a new ${object}`,
    );
  }
}

/**
 * Training produced non-finite values (a loss, a weight or an optimiser moment). Nothing more is
 * trained or saved from the broken state; the usual cause is a learning rate far too high.
 */
export class TrainingDivergedError extends Error {
  override name = 'TrainingDivergedError';
  constructor(
    readonly step: number,
    detail: string,
  ) {
    super(`training diverged by step ${step}: ${detail}; the learning rate is the usual cause (try a smaller one)`);
  }
}
