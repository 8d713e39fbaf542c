// What the trainer trains, whatever the architecture: both networks on the GPU, the step's kernels
// in recording order, D's spectral or weight normalisation, and one destroy() for all of it (buildModel.ts
// makes one).
import type { GpuDataset } from '../data/dataset.js';
import type { StepCounter } from '../kernels/counter.js';
import type { NetworkParameters } from '../nn/network.js';
import type { NetworkWeightNorm } from '../nn/networkWeightNorm.js';
import type { LabeledSet } from './semiSupervised.js';
import type { StepEntry } from './stepEntries.js';

/** A network the trainer trains: a layer list, the MLP's included. */
export type GanNetwork = NetworkParameters;

export interface TrainerModel {
  readonly generator: GanNetwork;
  readonly discriminator: GanNetwork;
  /** One training step's kernels in recording order. */
  readonly kernels: readonly StepEntry[];
  /** With config.spectralNorm: D's power-iteration state and normalised weights. */
  readonly spectralNorm: {
    /** Each normalised layer's u as a range of one buffer, in layer order. */
    vectors(): Array<{ buffer: GPUBuffer; offset: number; size: number }>;
  } | null;
  /** With config.weightNorm: the copy of D's weights that its passes read (g · v / ‖v‖), and its kernels. */
  readonly weightNorm: Pick<NetworkWeightNorm, 'normalized' | 'kernels'> | null;
  destroy(): void;
}

export interface ModelParts {
  dataset: GpuDataset;
  labels?: GpuDataset;
  /** A semi-supervised model's labelled images and classes. */
  labeled?: LabeledSet;
  counter: StepCounter;
  /** The statistics buffer (StatsReader.buffer). */
  stats: GPUBuffer;
}
