// Small datasets and trainer set-ups shared by the GAN tests.
import { expect } from 'vitest';
import { GpuDataset } from '../../src/data/dataset.js';
import { type Checkpoint, decodeCheckpoint, encodeCheckpoint, restoreCheckpoint } from '../../src/gan/checkpoint.js';
import { SEED_RECIPE, type GanConfig } from '../../src/gan/config.js';
import { exportTensors } from '../../src/gan/state.js';
import { GanTrainer } from '../../src/gan/trainer.js';
import type { TensorMap } from '../../src/io/safetensors.js';
import type { GpuContext } from '../../src/index.js';
import type { ReferenceDataset } from '../../reference/gan.js';

export interface TestData {
  upload(ctx: GpuContext): GpuDataset;
  reference: ReferenceDataset;
  dim: number;
  /** Class labels, for a conditional GAN: how many, and each example's. */
  labels?: { classes: number; of: (example: number) => number; count: number };
}

/** The same data with example e of class (e · 7) mod classes. */
export function labelled(data: TestData, classes: number): TestData {
  const of = (e: number) => (e * 7) % classes;
  return { ...data, labels: { classes, of, count: data.reference.count }, reference: { ...data.reference, label: of } };
}

/** Deterministic bytes standing in for images (the real MNIST is tested separately). */
export function byteImages(count: number, dim: number): TestData {
  const bytes = Uint8Array.from({ length: count * dim }, (_, i) => (i * 7919 + (i >> 9)) % 256);
  const scale = Math.fround(1 / 255);
  return {
    dim,
    upload: (ctx) => GpuDataset.fromBytes(ctx, bytes, count, dim),
    reference: {
      count,
      values: (e) => Array.from(bytes.subarray(e * dim, (e + 1) * dim), (b) => Math.fround(scale * (2 * b - 255))),
    },
  };
}

/** Points with coordinates in [−scale, scale] (default 2). */
export function floatPoints(count: number, dim: number, scale = 2): TestData {
  const values = Float32Array.from({ length: count * dim }, (_, i) => Math.sin(i * 1.3) * scale);
  return {
    dim,
    upload: (ctx) => GpuDataset.fromFloats(ctx, values, count, dim),
    reference: { count, values: (e) => values.subarray(e * dim, (e + 1) * dim) },
  };
}

/** A trainer together with the dataset it owns for the test. */
export async function makeTrainer(
  ctx: GpuContext,
  data: TestData,
  config: Partial<GanConfig>,
): Promise<{ trainer: GanTrainer; destroy(): void }> {
  const dataset = data.upload(ctx);
  const labels = data.labels
    ? GpuDataset.fromLabels(
        ctx,
        Array.from({ length: data.labels.count }, (_, e) => data.labels!.of(e)),
        data.labels.classes,
      )
    : undefined;
  try {
    // The seed's recipe under each test's settings, whatever the library's defaults are.
    const trainer = await GanTrainer.create(ctx, { dataDim: data.dim, ...SEED_RECIPE, ...config }, dataset, labels);
    return {
      trainer,
      destroy: () => {
        trainer.destroy();
        dataset.destroy();
        labels?.destroy();
      },
    };
  } catch (error) {
    dataset.destroy();
    labels?.destroy();
    throw error;
  }
}

/**
 * A checkpoint (decoded from its bytes) after two steps of `trainer`, and its tensors after one
 * more: what expectResumedStep's resumed run must reproduce.
 */
export async function checkpointAndNextStep(
  trainer: GanTrainer,
): Promise<{ checkpoint: Checkpoint; straight: TensorMap }> {
  await trainer.train(2);
  const bytes = await encodeCheckpoint(trainer);
  await trainer.train(1);
  return { checkpoint: decodeCheckpoint(bytes), straight: await exportTensors(trainer) };
}

/**
 * Bit-identical resume: a trainer from `make`, restored from `checkpoint` and trained one step,
 * holds exactly the tensors of `straight` (the run that went on from the checkpoint's step).
 */
export async function expectResumedStep(
  checkpoint: Checkpoint,
  straight: TensorMap,
  make: () => Promise<{ trainer: GanTrainer; destroy(): void }>,
): Promise<void> {
  const resumed = await make();
  try {
    restoreCheckpoint(resumed.trainer, checkpoint);
    await resumed.trainer.train(1);
    const again = await exportTensors(resumed.trainer);
    expect([...again.keys()]).toEqual([...straight.keys()]);
    for (const [name, t] of straight) expect(again.get(name)!.data, name).toEqual(t.data);
  } finally {
    resumed.destroy();
  }
}
