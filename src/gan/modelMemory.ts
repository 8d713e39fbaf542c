// Whether a configuration's step can bind its buffers on a device, worked out from the networks'
// shapes before anything is allocated (WebGPU would refuse a binding too large only when the step
// is built, after the networks' buffers were made).
import { ArgumentError } from '../base/errors.js';
import { networkBlocks, networkLayout } from '../nn/network.js';
import type { GanConfig } from './config.js';
import { classHeadClasses, discriminatorNetworkSpec, generatorNetworkSpec } from './networks.js';
import { networkStepRows, rowBuffers, type RowBuffer } from './networkStepPlan.js';

const mib = (bytes: number) => (bytes / 2 ** 20).toFixed(1);

/**
 * The step's batch-sized buffers on the GPU: the widest one (it sets the largest batch a device
 * binds) and all of them together.
 */
export interface StepRowsEstimate {
  widest: { label: string; bytesPerRow: number };
  /** Bytes per batch row of every batch-sized buffer of the step. */
  bytesPerRow: number;
}

/**
 * The estimate, read from the plan the step allocates from (networkStepRows, networkStepPlan.ts),
 * with the networks' blocks as they will be built.
 */
export function stepRowsEstimate(config: GanConfig): StepRowsEstimate {
  const G = networkBlocks(networkLayout(generatorNetworkSpec(config)));
  const D = networkBlocks(networkLayout(discriminatorNetworkSpec(config)));
  // A D of class logits (semi-supervised, or an auxiliary classifier) runs them as an ordinary block;
  // otherwise its last is the fused head.
  const hidden = classHeadClasses(config) > 0 ? D.length : D.length - 1;
  const planned = rowBuffers(networkStepRows(config, G, D, hidden, { noise: config.noiseDim, data: config.dataDim }));
  const floats = (r: RowBuffer) => r.rowsPerExample * r.width;
  const widest = planned.reduce((a, b) => (floats(b) > floats(a) ? b : a));
  return {
    widest: { label: widest.holds, bytesPerRow: 4 * floats(widest) },
    bytesPerRow: 4 * planned.reduce((sum, r) => sum + floats(r), 0),
  };
}

/** The step's buffer with the most bytes per batch row: it sets the largest batch a device can bind. */
export function widestPerBatchRow(config: GanConfig): { label: string; bytesPerRow: number } {
  return stepRowsEstimate(config).widest;
}

/** The most bytes one buffer the library binds may hold on a device. */
export function bindingLimit(limits: GPUSupportedLimits): number {
  return Math.min(limits.maxStorageBufferBindingSize, limits.maxBufferSize);
}

/**
 * Refuses, before any GPU call, `rows` rows (a batch, a sample count) of a program whose widest
 * buffer holds `widest.bytesPerRow` bytes a row when the device cannot bind them. `advice` says
 * what to do given the most rows that fit; by default, to ask for at most that many.
 */
export function checkRowsFit(
  limits: GPUSupportedLimits,
  argument: string,
  rows: number,
  widest: { label: string; bytesPerRow: number },
  advice = (fits: number) => `use a ${argument} of at most ${fits}`,
): void {
  const limit = bindingLimit(limits);
  const bytes = widest.bytesPerRow * rows;
  if (widest.bytesPerRow > limit) {
    // Not even one row fits: the layer is too wide, whatever the row count.
    // An MLP's linear layer is as wide as its generatorHidden or discriminatorHidden entry says.
    const network = /^(generator|discriminator) layer \d+ \(linear/.exec(widest.label)?.[1];
    throw new ArgumentError(
      network ? `${network}Hidden` : argument,
      `make ${widest.label} narrower: one row of it needs ${mib(widest.bytesPerRow)} MiB in one binding, but ` +
        `this device binds at most ${mib(limit)} MiB`,
    );
  }
  if (bytes > limit)
    throw new ArgumentError(
      argument,
      `${rows} needs ${mib(bytes)} MiB for ${widest.label} in one binding, but this device binds at most ` +
        `${mib(limit)} MiB; ${advice(Math.floor(limit / widest.bytesPerRow))}`,
    );
}

/**
 * Refuses a batch whose widest buffer this device cannot bind, naming the largest batch that fits.
 * A resumed run cannot change its batch (the checkpoint's sample counter counts in it): the advice
 * is then what can change, the device or a new run.
 */
export function checkModelFits(
  config: GanConfig,
  limits: GPUSupportedLimits,
  options: { resuming?: boolean } = {},
): void {
  const { widest } = stepRowsEstimate(config);
  checkRowsFit(limits, 'batch', config.batch, widest, (fits) =>
    options.resuming
      ? `a resumed run keeps its checkpoint's batch of ${config.batch}: resume on a device that binds ` +
        `${mib(widest.bytesPerRow * config.batch)} MiB in one buffer, or start a new run with a batch of at ` +
        `most ${fits}`
      : `use a batch of at most ${fits}`,
  );
}

/** What to do when the device runs out of memory making a trainer, from the same estimate. */
export function trainerMemoryAdvice(config: GanConfig): string {
  const { bytesPerRow } = stepRowsEstimate(config);
  return (
    `its batch of ${config.batch} takes about ${mib(bytesPerRow * config.batch)} MiB of batch-sized buffers ` +
    `(${(bytesPerRow / 1024).toFixed(1)} KiB an example) besides the weights: a smaller batch needs less; a resumed ` +
    'run keeps its batch, so there only a GPU with more free memory will do'
  );
}
