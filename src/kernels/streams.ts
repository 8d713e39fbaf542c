// Every Philox stream the library draws from, in one table. A draw is Philox(seed; block, step,
// stream): two uses of the same seed give unrelated numbers exactly when their streams differ, so
// every use gets its own stream here, and tests/kernels/streams.test.ts checks that no two uses of
// any configuration a GanConfig allows share one. The numbers are those that every checkpoint so
// far was trained with: changing one changes what a seed trains.

/** Streams of one use each. */
export const STREAMS = {
  /** The step's noise z (drawn in the batch gather, per step). */
  noise: 1,
  /** The sampler's fixed noise batch. */
  sampleNoise: 2,
  /** Repair's starting points. */
  repairNoise: 3,
  /** Restoration's degraded pictures: Gaussian noise, and salt and pepper. */
  degradeNoise: 4,
  degradeSalt: 5,
  /** The batch shuffle (shaders/gather.wgsl's SHUFFLE_STREAM, set from here): "SHUF" in ASCII. */
  shuffle: 0x53485546,
} as const;

/** The networks whose weights are drawn at initialisation, in the order of their blocks of streams. */
export const NETWORKS = ['generator', 'discriminator'] as const;
export type Network = (typeof NETWORKS)[number];

/** Layers (hidden ones and the output) a network may have: each takes two init streams below the class stream. */
export const MAX_LAYERS = 24;

/** Initialisation: network n draws from [INIT_BASE + n·INIT_BLOCK, + INIT_BLOCK). */
const INIT_BASE = 16;
const INIT_BLOCK = 64;
/** Within a network's block, after every layer's weight and bias: a conditional first layer's class columns. */
const CLASS_WEIGHT_OFFSET = 2 * MAX_LAYERS;
/** Spectral normalisation's starting vectors, one per discriminator layer. */
const SPECTRAL_NORM_BASE = 256;

export type InitTensor = 'weight' | 'bias' | 'classWeight';

/** The stream that initialises `tensor` of layer `layer` of `network`. */
export function initStream(network: Network, layer: number, tensor: InitTensor): number {
  checkLayer(layer);
  const block = INIT_BASE + INIT_BLOCK * NETWORKS.indexOf(network);
  if (tensor === 'classWeight') return block + CLASS_WEIGHT_OFFSET;
  return block + 2 * layer + (tensor === 'bias' ? 1 : 0);
}

/** A discriminator's Gaussian-noise layers: the D update's pass, then the G update's, MAX_LAYERS streams each. */
const DISCRIMINATOR_NOISE_BASE = 512;
export const DISCRIMINATOR_PASSES = ['discriminator update', 'generator update'] as const;
export type DiscriminatorPass = (typeof DISCRIMINATOR_PASSES)[number];

/**
 * The first stream of a pass through D: its block b's noise layer draws from this + b, so that
 * the step's two passes draw unrelated noise.
 */
export function discriminatorNoiseStream(pass: DiscriminatorPass): number {
  return DISCRIMINATOR_NOISE_BASE + MAX_LAYERS * DISCRIMINATOR_PASSES.indexOf(pass);
}

/** The stream of spectral normalisation's starting vector u of discriminator layer `layer`. */
export function spectralNormStream(layer: number): number {
  checkLayer(layer);
  return SPECTRAL_NORM_BASE + layer;
}

function checkLayer(layer: number): void {
  if (!Number.isInteger(layer) || layer < 0 || layer >= MAX_LAYERS)
    throw new RangeError(`layer ${layer}: the stream table has room for layers 0 to ${MAX_LAYERS - 1}`);
}

/** One use of a stream, named for messages. */
export interface StreamUse {
  use: string;
  stream: number;
}

/** Every stream a GAN of these layer counts draws from (classes: whether its first layers are conditional). */
export function ganStreamUses(layers: { generator: number; discriminator: number }, conditional: boolean): StreamUse[] {
  const uses: StreamUse[] = Object.entries(STREAMS).map(([use, stream]) => ({ use, stream }));
  for (const network of NETWORKS) {
    for (let l = 0; l < layers[network]; l++)
      for (const tensor of ['weight', 'bias'] as const)
        uses.push({ use: `${network} layer ${l} ${tensor}`, stream: initStream(network, l, tensor) });
    if (conditional) uses.push({ use: `${network} class weight`, stream: initStream(network, 0, 'classWeight') });
  }
  for (let l = 0; l < layers.discriminator; l++)
    uses.push({ use: `spectral norm u ${l}`, stream: spectralNormStream(l) });
  // Noise layers are counted whether or not this config has them, at every block they could hold.
  for (const pass of DISCRIMINATOR_PASSES)
    for (let b = 0; b < MAX_LAYERS; b++)
      uses.push({ use: `${pass} noise ${b}`, stream: discriminatorNoiseStream(pass) + b });
  return uses;
}

/** Pairs of uses that share a stream, as messages; [] when every use has its own. */
export function sharedStreams(uses: readonly StreamUse[]): string[] {
  const first = new Map<number, string>();
  const clashes: string[] = [];
  for (const { use, stream } of uses) {
    const other = first.get(stream);
    if (other !== undefined) clashes.push(`${other} and ${use} both draw from stream ${stream}`);
    else first.set(stream, use);
  }
  return clashes;
}
