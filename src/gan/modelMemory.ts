// Whether a configuration's step can bind its buffers on a device, worked out from the networks'
// shapes before anything is allocated (WebGPU would refuse a binding too large only when the step
// is built, after the networks' buffers were made).
import { ArgumentError } from '../base/errors.js';
import { elements } from '../nn/model.js';
import { networkBlocks, networkLayout } from '../nn/network.js';
import type { GanConfig } from './config.js';
import { discriminatorNetworkSpec, generatorNetworkSpec, usesLayerLists } from './networks.js';
import { StepActivations } from './step.js';

const mib = (bytes: number) => (bytes / 2 ** 20).toFixed(1);

/** The step's buffer with the most bytes per batch row: it sets the largest batch a device can bind. */
export function widestPerBatchRow(config: GanConfig): { label: string; bytesPerRow: number } {
  if (!usesLayerLists(config)) return StepActivations.widestPerBatchRow(config);
  // The discriminator's input and its outputs hold fake and real rows, two per batch row, and a
  // semi-supervised one's a labelled batch's rows too: three.
  const dRows = config.labelClasses > 0 ? 3 : 2;
  const candidates = [{ label: "the discriminator's input (fake and real rows)", floats: dRows * config.dataDim }];
  for (const [name, spec, rowsPerExample] of [
    ['generator', generatorNetworkSpec(config), 1],
    ['discriminator', discriminatorNetworkSpec(config), dRows],
  ] as const) {
    const blocks = networkBlocks(networkLayout(spec));
    for (const block of blocks)
      candidates.push({
        label: `${name} layer ${block.layer.index} (${block.layer.layer.kind}, [${block.layer.outShape}])`,
        floats: rowsPerExample * elements(block.layer.outShape),
      });
  }
  const widest = candidates.reduce((a, b) => (b.floats > a.floats ? b : a));
  return { label: widest.label, bytesPerRow: widest.floats * 4 };
}

/** The most bytes one buffer the library binds may hold on a device. */
export function bindingLimit(limits: GPUSupportedLimits): number {
  return Math.min(limits.maxStorageBufferBindingSize, limits.maxBufferSize);
}

/**
 * Refuses, before any GPU call, `rows` rows (a batch, a sample count) of a program whose widest
 * buffer holds `bytesPerRow` bytes a row (for `holds`) when the device cannot bind them, naming
 * the most rows that fit.
 */
export function checkRowsFit(
  limits: GPUSupportedLimits,
  argument: string,
  rows: number,
  widest: { label: string; bytesPerRow: number },
): void {
  const limit = bindingLimit(limits);
  const bytes = widest.bytesPerRow * rows;
  if (bytes > limit)
    throw new ArgumentError(
      argument,
      `${rows} needs ${mib(bytes)} MiB for ${widest.label} in one binding, but this device binds at most ` +
        `${mib(limit)} MiB; use a ${argument} of at most ${Math.floor(limit / widest.bytesPerRow)}`,
    );
}

/** Refuses a batch whose widest buffer this device cannot bind, naming the largest batch that fits. */
export function checkModelFits(config: GanConfig, limits: GPUSupportedLimits): void {
  checkRowsFit(limits, 'batch', config.batch, widestPerBatchRow(config));
}
