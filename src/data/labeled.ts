// Which training images a semi-supervised run learns the labels of: `n` of them, as even over the
// classes as their counts allow, each class's drawn by a shuffle seeded by the run's seed, so
// that a resumed run (same seed, same n) sees the same ones. Then those images and their labels
// on the GPU, the trainer's LabeledSet.
import { ArgumentError, requirePositiveInteger } from '../base/errors.js';
import type { GpuContext } from '../gpu/context.js';
import { GpuDataset } from './dataset.js';
import { describeValue, requireArrayLike, requireBytes, requireContext, requireNumber } from '../base/arguments.js';

/** A small seeded generator (splitmix32) for the choice: uniform u32s from a 53-bit seed. */
function seededU32(seed: number): () => number {
  let state = (seed ^ Math.floor(seed / 2 ** 32)) >>> 0;
  return () => {
    state = (state + 0x9e3779b9) >>> 0;
    let z = state;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
}

/**
 * `n` example indices (ascending) with their classes as balanced as possible: ⌊n/K⌋ per class
 * and one more for the first n mod K classes, fewer only where a class has fewer examples (the
 * rest then go to the classes with the most left). Refuses more than there are.
 */
export function chooseLabeled(labels: ArrayLike<number>, n: number, classes: number, seed: number): number[] {
  requireArrayLike('labels', labels);
  requirePositiveInteger('labeled', n);
  requirePositiveInteger('classes', classes);
  if (n > labels.length)
    throw new ArgumentError('labeled', `is ${n}, but there are only ${labels.length} labelled training images`);
  const byClass: number[][] = Array.from({ length: classes }, () => []);
  for (let i = 0; i < labels.length; i++) {
    const label = labels[i]!;
    if (!Number.isInteger(label) || label < 0 || label >= classes)
      throw new ArgumentError('labels', `label ${i} is ${label}, not a class in [0, ${classes})`);
    byClass[label]!.push(i);
  }
  const next = seededU32(seed);
  for (const members of byClass) {
    for (let i = members.length - 1; i > 0; i--) {
      const j = next() % (i + 1);
      [members[i], members[j]] = [members[j]!, members[i]!];
    }
  }
  const quota = byClass.map((members, k) =>
    Math.min(members.length, Math.floor(n / classes) + (k < n % classes ? 1 : 0)),
  );
  let short = n - quota.reduce((a, b) => a + b, 0);
  while (short > 0) {
    const k = quota.reduce(
      (best, q, c) => (byClass[c]!.length - q > byClass[best]!.length - quota[best]! ? c : best),
      0,
    );
    quota[k]!++;
    short--;
  }
  return byClass.flatMap((members, k) => members.slice(0, quota[k])).sort((a, b) => a - b);
}

export interface ChosenLabeledSet {
  images: GpuDataset;
  labels: GpuDataset;
  destroy(): void;
}

/** The chosen images (bytes, `dim` per image) and their labels as the trainer's LabeledSet; the caller owns both. */
export function labeledSetFromBytes(
  ctx: GpuContext,
  pixels: Uint8Array,
  dim: number,
  labels: ArrayLike<number>,
  chosen: readonly number[],
  classes: number,
): ChosenLabeledSet {
  requireBytes('pixels', pixels);
  checkChoice(ctx, dim, labels, chosen);
  const images = GpuDataset.fromBytes(ctx, gatherRows(pixels, dim, chosen), chosen.length, dim, 'labelled images');
  return withLabels(ctx, images, labels, chosen, classes);
}

/**
 * The same from float examples (e.g. 2-D points, as GpuDataset.fromFloats takes them): the
 * chosen rows of `values`, `dim` per example, and their labels; the caller owns both.
 */
export function labeledSetFromFloats(
  ctx: GpuContext,
  values: Float32Array,
  dim: number,
  labels: ArrayLike<number>,
  chosen: readonly number[],
  classes: number,
): ChosenLabeledSet {
  if (!(values instanceof Float32Array))
    throw new ArgumentError('values', `must be a Float32Array, got ${describeValue(values)}`);
  checkChoice(ctx, dim, labels, chosen);
  const images = GpuDataset.fromFloats(ctx, gatherRows(values, dim, chosen), chosen.length, dim, 'labelled examples');
  return withLabels(ctx, images, labels, chosen, classes);
}

function checkChoice(ctx: GpuContext, dim: number, labels: ArrayLike<number>, chosen: readonly number[]): void {
  requireContext(ctx);
  requireNumber('dim', dim);
  requireArrayLike('labels', labels);
  requireArrayLike('chosen', chosen, 'an array of example indices');
}

function gatherRows<T extends Uint8Array | Float32Array>(rows: T, dim: number, chosen: readonly number[]): T {
  requirePositiveInteger('dim', dim);
  // By the element type, not rows.constructor: Node's pixels come as a Buffer, whose constructor is deprecated.
  const length = chosen.length * dim;
  const out = (rows instanceof Float32Array ? new Float32Array(length) : new Uint8Array(length)) as T;
  chosen.forEach((e, i) => {
    if (!Number.isInteger(e) || e < 0 || (e + 1) * dim > rows.length)
      throw new ArgumentError('chosen', `example ${e} is not one of the ${Math.floor(rows.length / dim)} given`);
    out.set(rows.subarray(e * dim, (e + 1) * dim), i * dim);
  });
  return out;
}

/** Adds the chosen examples' labels to their images; destroys the images if that fails. */
function withLabels(
  ctx: GpuContext,
  images: GpuDataset,
  labels: ArrayLike<number>,
  chosen: readonly number[],
  classes: number,
): ChosenLabeledSet {
  try {
    const classOf = GpuDataset.fromLabels(
      ctx,
      chosen.map((e) => labels[e]!),
      classes,
      'labelled classes',
    );
    return {
      images,
      labels: classOf,
      destroy: () => {
        images.destroy();
        classOf.destroy();
      },
    };
  } catch (error) {
    images.destroy();
    throw error;
  }
}
