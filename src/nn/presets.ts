// The model presets as layer lists: the design's MLP, and DCGAN (Radford et al.) at 28×28 for
// MNIST-sized data and, as PyTorch's examples/dcgan builds it, at 64×64 (one block fewer at 32).
// Convolutions carry no bias, as in that example: every one but the last of each network feeds a
// batch norm, whose β does a bias's job. The discriminator ends in a logit (no sigmoid): the losses
// take logits.
import { ArgumentError } from '../base/errors.js';
import type { Layer, LayerActivation } from './model.js';

export const ARCHITECTURES = ['mlp', 'dcgan'] as const;
export type Architecture = (typeof ARCHITECTURES)[number];

export interface MlpPresetSpec {
  noise: number;
  generatorHidden: readonly number[];
  discriminatorHidden: readonly number[];
  /** Values per example. */
  data: number;
  /** The generator's last activation, or null for none (unbounded data). */
  output: LayerActivation | null;
  /** The discriminator's outputs: 1 (a real/fake logit, the default) or a semi-supervised D's class logits. */
  outputs?: number;
  /**
   * A conditional GAN's classes, a one-hot beside each network's input (in the first layer's class
   * columns), its hot entry `hotValue`; absent or 0 for none.
   */
  classes?: number;
  hotValue?: number;
  /** A batch norm after each of the generator's hidden linear layers (then without bias), as Salimans et al.'s. */
  generatorBatchNorm?: boolean;
  /** σ of Gaussian noise on the discriminator's input, and after each of its hidden layers; absent or 0 for none. */
  discriminatorInputNoise?: number;
  discriminatorHiddenNoise?: number;
}

const act = (fn: LayerActivation): Layer => ({ kind: 'activation', fn });

/** Linear, leaky-ReLU, …, Linear (and the output activation): the MLP's Sequential. */
function mlp(widths: readonly number[], output: LayerActivation | null, s: MlpPresetSpec): Layer[] {
  const layers: Layer[] = [];
  const classes = s.classes ?? 0;
  const oneHot = classes > 0 ? { classes, ...(s.hotValue !== undefined && { hotValue: s.hotValue }) } : {};
  widths.forEach((out, i) => {
    layers.push({ kind: 'linear', out, ...(i === 0 && oneHot) });
    if (i + 1 < widths.length) layers.push(act('leaky-relu'));
  });
  if (output) layers.push(act(output));
  return layers;
}

export function mlpGenerator(s: MlpPresetSpec): Layer[] {
  const layers = mlp([...s.generatorHidden, s.data], s.output, s);
  if (!s.generatorBatchNorm) return layers;
  // Each hidden Linear loses its bias (the batch norm's β does its job) and gains a BatchNorm1d
  // before its activation; the output layer is left as it is.
  const output = layers.map((layer) => layer.kind).lastIndexOf('linear');
  return layers.flatMap((layer, i): Layer[] =>
    layer.kind === 'linear' && i < output ? [{ ...layer, bias: false }, { kind: 'batch-norm' }] : [layer],
  );
}

/**
 * The MLP's discriminator, with Salimans et al.'s noise layers where asked for: on the input, and
 * after each hidden layer's activation (so before each linear layer but the first).
 */
export function mlpDiscriminator(s: MlpPresetSpec): Layer[] {
  const layers = mlp([...s.discriminatorHidden, s.outputs ?? 1], null, s);
  const [input, hidden] = [s.discriminatorInputNoise ?? 0, s.discriminatorHiddenNoise ?? 0];
  if (input === 0 && hidden === 0) return layers;
  const noisy: Layer[] = [];
  layers.forEach((layer, i) => {
    if (layer.kind === 'linear') {
      const sigma = i === 0 ? input : hidden;
      if (sigma > 0) noisy.push({ kind: 'gaussian-noise', sigma });
    }
    noisy.push(layer);
  });
  return noisy;
}

export const DCGAN_SIDES = [28, 32, 64] as const;
export type DcganSide = (typeof DCGAN_SIDES)[number];

export interface DcganPresetSpec {
  noise: number;
  channels: number;
  side: number;
  /** Batch norms in the discriminator (false where spectral normalisation takes their place). */
  discriminatorBatchNorm: boolean;
  /** The discriminator's outputs: 1 (a real/fake logit, the default) or a semi-supervised D's class logits. */
  outputs?: number;
}

function requireSide(side: number): DcganSide {
  if (!DCGAN_SIDES.includes(side as DcganSide))
    throw new ArgumentError(
      'side',
      `dcgan builds ${DCGAN_SIDES.join(', ')}-pixel images, not ${side}; resize the data (--size)`,
    );
  return side as DcganSide;
}

const up = (out: number, kernel: number, stride: number, padding: number): Layer => ({
  kind: 'conv-transpose2d',
  out,
  kernel,
  stride,
  padding,
  bias: false,
});
const down = (out: number, kernel: number, stride: number, padding: number): Layer => ({
  kind: 'conv2d',
  out,
  kernel,
  stride,
  padding,
  bias: false,
});
const norm: Layer = { kind: 'batch-norm' };

/** The generator's input is the noise as a 1×1 image of `noise` channels, as PyTorch's DCGAN takes it. */
export function dcganGenerator(s: DcganPresetSpec): Layer[] {
  const side = requireSide(s.side);
  if (side === 28) {
    return [
      up(256, 7, 1, 0),
      norm,
      act('relu'),
      up(128, 4, 2, 1),
      norm,
      act('relu'),
      up(s.channels, 4, 2, 1),
      act('tanh'),
    ];
  }
  // 4×4 from the noise, then doubling: 64 ← 32 ← 16 ← 8 ← 4 (ngf = 64), one block fewer at 32.
  const widths = side === 64 ? [512, 256, 128, 64] : [256, 128, 64];
  const layers: Layer[] = [up(widths[0]!, 4, 1, 0), norm, act('relu')];
  for (const out of widths.slice(1)) layers.push(up(out, 4, 2, 1), norm, act('relu'));
  layers.push(up(s.channels, 4, 2, 1), act('tanh'));
  return layers;
}

export function dcganDiscriminator(s: DcganPresetSpec): Layer[] {
  const side = requireSide(s.side);
  const block = (out: number, normed: boolean): Layer[] => [
    down(out, 4, 2, 1),
    ...(normed && s.discriminatorBatchNorm ? [norm] : []),
    { kind: 'activation', fn: 'leaky-relu' },
  ];
  const outputs = s.outputs ?? 1;
  if (side === 28) return [...block(64, false), ...block(128, true), down(outputs, 7, 1, 0)];
  const widths = side === 64 ? [64, 128, 256, 512] : [64, 128, 256];
  return [...widths.flatMap((out, i) => block(out, i > 0)), down(outputs, 4, 1, 0)];
}

/** The generator's input shape: a vector for the MLP, a 1×1 image of noise channels for DCGAN. */
export function generatorInput(architecture: Architecture, noise: number): number[] {
  return architecture === 'dcgan' ? [noise, 1, 1] : [noise];
}
