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

/** Refuses a batch whose widest buffer this device cannot bind, naming the largest batch that fits. */
export function checkModelFits(config: GanConfig, limits: GPUSupportedLimits): void {
  const limit = Math.min(limits.maxStorageBufferBindingSize, limits.maxBufferSize);
  const { label, bytesPerRow } = widestPerBatchRow(config);
  const bytes = bytesPerRow * config.batch;
  if (bytes > limit) {
    const fits = Math.floor(limit / bytesPerRow);
    throw new ArgumentError(
      'batch',
      `${config.batch} needs ${mib(bytes)} MiB for ${label} in one binding, but this device binds at most ` +
        `${mib(limit)} MiB; use a batch of at most ${fits}`,
    );
  }
}
