// Checks of the types of a public function's arguments, shared so that every entry point refuses
// a wrong type the same way: an ArgumentError that names the argument, what it must be and what it
// got, before anything is read from it (and long before a GPU call), instead of a TypeError from
// deep inside. The checks of values (ranges, shapes) stay with the functions that know them.
import { ArgumentError } from './errors.js';

/** A short description of what a caller passed: `null`, `a string`, `the number 42`, `an array`. */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  switch (typeof value) {
    case 'undefined':
      return 'nothing';
    case 'string':
      return 'a string';
    case 'number':
      return `the number ${value}`;
    case 'object':
      return `${value.constructor?.name && value.constructor !== Object ? `a ${value.constructor.name}` : 'an object'}`;
    default:
      return `a ${typeof value}`;
  }
}

function refuse(argument: string, expected: string, value: unknown): never {
  throw new ArgumentError(argument, `must be ${expected}, got ${describeValue(value)}`);
}

/** An object (not null, not an array) whose fields the caller reads next. */
export function requireObject<T>(argument: string, value: T, expected = 'an object'): T & object {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) refuse(argument, expected, value);
  return value as T & object;
}

/** Like requireObject, but `undefined` (left out) is allowed and gives `fallback`. */
export function optionalObject<T extends object>(argument: string, value: T | undefined, fallback: T): T {
  return value === undefined ? fallback : requireObject(argument, value);
}

export function requireString(argument: string, value: unknown, expected = 'a string'): string {
  if (typeof value !== 'string') refuse(argument, expected, value);
  return value;
}

export function requireNumber(argument: string, value: unknown, expected = 'a number'): number {
  if (typeof value !== 'number') refuse(argument, expected, value);
  return value;
}

export function requireBoolean(argument: string, value: unknown): boolean {
  if (typeof value !== 'boolean') refuse(argument, 'true or false', value);
  return value;
}

export function requireFunction<T>(argument: string, value: T): T {
  if (typeof value !== 'function') refuse(argument, 'a function', value);
  return value;
}

/** Bytes: an ArrayBuffer or a view of one (a Uint8Array, a Node Buffer), as a Uint8Array over the same memory. */
export function requireBytes(argument: string, value: unknown): Uint8Array {
  if (value instanceof Uint8Array) return value;
  if (value instanceof ArrayBuffer) return new Uint8Array(value);
  if (ArrayBuffer.isView(value)) return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
  return refuse(argument, 'bytes (an ArrayBuffer or a Uint8Array)', value);
}

/** A list of numbers: an array or a typed array (anything with a numeric length and indices). */
export function requireArrayLike<T = number>(
  argument: string,
  value: unknown,
  expected = 'an array of numbers',
): ArrayLike<T> {
  const length = (value as { length?: unknown } | null)?.length;
  if (typeof value !== 'object' || value === null || typeof length !== 'number') refuse(argument, expected, value);
  return value as ArrayLike<T>;
}

/** An instance of `type` (a class of the library), named in the message as `expected`. */
export function requireInstance<T>(argument: string, value: unknown, type: { prototype: T }, expected: string): T {
  if (!(value instanceof (type as unknown as abstract new () => T))) refuse(argument, expected, value);
  return value as T;
}

/**
 * A GpuContext, by its shape (the type's module is not imported here): what acquireGpu() or
 * GpuContext.fromDevice() made.
 */
export function requireContext<T>(value: T, argument = 'ctx'): T {
  const device = (value as { device?: { createBuffer?: unknown } } | null)?.device;
  const memory = (value as { memory?: unknown } | null)?.memory;
  if (typeof device?.createBuffer !== 'function' || typeof memory !== 'object' || memory === null)
    refuse(argument, 'a GpuContext (from acquireGpu() or GpuContext.fromDevice())', value);
  return value;
}

/** The two arguments of every createX(ctx, spec): a context and a spec object. */
export function requireCreatorArguments(ctx: unknown, spec: unknown, argument = 'spec'): void {
  requireContext(ctx);
  requireObject(argument, spec, 'an object of settings');
}
