// The GAN's configuration: the design's networks and hyper-parameters by default, validated in
// one place so the CLI, the demo and library users all get the same clear errors.
import { ArgumentError, requireFinite, requirePositiveInteger } from '../base/errors.js';
import { checkAdamHyperparameters } from '../kernels/adam.js';
import { seedWords } from '../kernels/random.js';
import { MAX_LAYERS } from '../kernels/streams.js';
import type { Activation } from '../kernels/kernel.js';
import { requireOneHotValue, type MlpSpec } from '../nn/mlp.js';
import type { Architecture } from '../nn/presets.js';
import { describeValue, requireObject } from '../base/arguments.js';
import {
  checkArchitecture,
  checkAuxiliary,
  checkDiscriminatorNoise,
  checkGeneratorBatchNorm,
  checkWeightNorm,
  checkSemiSupervised,
  isSquareOfPlanes,
} from './configChecks.js';

export interface GanConfig {
  /**
   * The networks: 'mlp', the design's fully connected ones (generatorHidden, discriminatorHidden),
   * or 'dcgan', the convolutional preset for the images' side (28, 32 or 64; nn/presets.ts), which
   * ignores the hidden widths.
   */
  architecture: Architecture;
  /** Length of the noise vector z. */
  noiseDim: number;
  generatorHidden: number[];
  discriminatorHidden: number[];
  /** Values per real example (784 for MNIST); must match the dataset. */
  dataDim: number;
  /**
   * Colour planes of an image example: 1 (grey) or 3 (RGB, planar C×H×W as a flattened PyTorch
   * image), so dataDim = channels × side². It decides how samples are drawn, not the networks.
   */
  channels: 1 | 3;
  /**
   * A conditional GAN over this many classes; training needs a label per example. 0:
   * unconditional. In the MLP each example's label enters both networks as a one-hot input beside
   * the noise (G) and the image (D), so the first layers have `classes` more inputs. In DCGAN it
   * enters G the same way (a one-hot beside the noise channels) and D by projection (Miyato and
   * Koyama 2018): a learned row per class, whose dot product with the features D's last layer
   * reads is added to the logit.
   */
  classes: number;
  /**
   * How a conditional GAN's class enters D: 'one-hot', the MLP's one-hot input beside the image
   * (and beside the noise in G, both scaled by oneHotValue), or 'projection' (Miyato and Koyama
   * 2018), a plain one-hot beside G's noise and a learned row per class whose dot product with the
   * features of D's last layer is added to its logit, or 'auxiliary' (AC-GAN, Odena et al. 2017,
   * in the K + 1 form of Salimans et al. 2016): a plain one-hot beside G's noise, and D ends in a
   * logit per class with "fake" as the implicit class of logit 0; D also learns the real batch's
   * classes by cross-entropy, and G is also trained to have its samples read as the class it drew
   * them for. A DCGAN projects unless it is given 'auxiliary'; left out, an MLP takes one-hot.
   */
  conditioning: Conditioning;
  /**
   * An auxiliary classifier's D (conditioning 'auxiliary'): 'k-plus-one', Salimans et al.'s form,
   * K class logits whose log-sum-exp is the real/fake logit ("fake" the implicit class of logit 0),
   * or 'two-heads', Odena et al.'s own: a real/fake logit of its own after the K class logits, one
   * trunk, the class logits learning only from the classes. QUALITY.md measures both.
   */
  auxiliaryHead: AuxiliaryHead;
  /**
   * The weight of G's class term under an auxiliary classifier: G's loss adds this times the
   * cross-entropy of D reading each sample as the class it was drawn for (Odena et al.: 1).
   * Heavier holds the class harder and, measured, draws further from the data (QUALITY.md).
   */
  classWeight: number;
  /**
   * Semi-supervised learning (Salimans et al. 2016): D ends in this many class logits, "fake"
   * being an implicit class of logit 0, so that it is also a classifier; 0 for an ordinary GAN's
   * one real/fake logit. Trained with `labeled` labelled images beside the unlabelled ones.
   */
  labelClasses: number;
  /**
   * How many training images come with their labels (semi-supervised, with labelClasses): each
   * step D also sees a batch of them, gathered on the GPU, and learns their classes. 0 otherwise.
   */
  labeled: number;
  /**
   * A semi-supervised generator's loss: feature matching (Salimans et al. 2016), the squared
   * distance between the generated and the real batch's mean features at the layer before D's
   * class logits, instead of fooling D's real/fake logit.
   */
  featureMatching: boolean;
  /**
   * The baseline of a semi-supervised run: D learns from the labelled images alone (its real/fake
   * loss weighted 0), the same network trained the same way on the same labelled batches.
   */
  labeledOnly: boolean;
  /**
   * Salimans et al.'s regulariser of a semi-supervised D (an MLP's): Gaussian noise of this σ added
   * to D's input while it trains (they used 0.3 on MNIST's [0, 1] pixels), and of
   * discriminatorHiddenNoise after each hidden layer's activation (0.5). Each pass through D draws
   * new noise; a classifier's or repair's pass adds none. 0: no noise layer; at most 100.
   */
  discriminatorInputNoise: number;
  discriminatorHiddenNoise: number;
  /**
   * A batch norm after each of the MLP generator's hidden layers (which then have no bias), as in
   * Salimans et al.'s generator; a DCGAN's generator has them always.
   */
  generatorBatchNorm: boolean;
  /**
   * The hot entry of a conditional GAN's one-hot label as the networks train with it. Adam's
   * steps do not grow with an input, so under a plain one-hot (1) a class column moves no faster
   * than a pixel's and the class hardly decides the digit; QUALITY.md has the measurements.
   * Checkpoints hold the class columns times this value, the weights a plain one-hot input needs.
   * A power of two, 1 to 64, so that this scaling is exact and resuming stays bit-identical.
   * The MLP's only: DCGAN's generator takes a plain one-hot (its class rows are trained as any
   * other input channel's), and its discriminator takes no one-hot.
   */
  oneHotValue: number;
  /** tanh for pixels in [−1, 1]; 'none' for unbounded data (e.g. 2-D points). */
  generatorOutput: Activation;
  leakySlope: number;
  batch: number;
  seed: number;
  /** Adam's learning rate for both networks, unless discriminatorLr or generatorLr is set. */
  lr: number;
  /** The discriminator's own learning rate (a two-time-scale recipe); null: lr. */
  discriminatorLr: number | null;
  /** The generator's own learning rate; null: lr. */
  generatorLr: number | null;
  beta1: number;
  beta2: number;
  epsilon: number;
  /**
   * The adversarial loss: 'bce' (the discriminator's cross-entropy, the generator's non-saturating
   * form), 'hinge' (D: max(0, 1 − D(x)) + max(0, 1 + D(G(z))); G: −D(G(z))) or 'least-squares'
   * (½(D − target)² for both, targets 0 and realLabel for D, 1 for G).
   */
  loss: GanLoss;
  /** Target for real examples: 1, or e.g. 0.9 for one-sided label smoothing (bce, least-squares). */
  realLabel: number;
  /**
   * Spectral normalisation of the discriminator: each weight matrix is used as W / σ(W), σ its
   * largest singular value by power iteration (a step before each of the step's two passes
   * through D), which bounds D's Lipschitz constant. A conditional first layer's class columns are
   * left as trained: they add a class's bias, which leaves the constant in the image as it is.
   */
  spectralNorm: boolean;
  /**
   * Weight normalisation of the discriminator (Salimans and Kingma 2016), in place of spectral
   * normalisation: each row of each linear and convolution weight is used as g · v / ‖v‖, with
   * g a trained scale per row (starting at 1). Salimans et al.'s semi-supervised D has it. Like
   * spectral normalisation it takes the place of a DCGAN D's batch norms. A conditional D must be an
   * auxiliary classifier (one-hot class columns and a projection are refused).
   */
  weightNorm: boolean;
  /**
   * How weight normalisation's g and D's biases start: 'unit' (g = 1, every row at unit length,
   * biases as drawn), or 'data', Salimans and Kingma's data-dependent initialisation: up to 500
   * training pictures go through D before the first step (its noise layers adding noise from the
   * seed), and each normalised layer's g and bias are set so that its outputs over them have mean
   * 0 and variance 1 per unit, the logits' 0.1 (as Salimans et al.'s semi-supervised D starts
   * from the data). 'data' needs weightNorm.
   */
  weightNormInit: WeightNormInit;
  /** Decay of the generator's exponential moving average; 0 keeps it equal to the weights. */
  emaDecay: number;
  /**
   * Warm-up of that average: at step t its decay is min(emaDecay, (1 + t) / (emaWarmup + t)), so
   * early steps average over few steps and the average keeps up with a fast early run. 0: none,
   * the full decay from the first step.
   */
  emaWarmup: number;
}

export type GanLoss = 'bce' | 'hinge' | 'least-squares';
export type Conditioning = 'one-hot' | 'projection' | 'auxiliary';
export const CONDITIONINGS: readonly Conditioning[] = ['one-hot', 'projection', 'auxiliary'];
export type AuxiliaryHead = 'k-plus-one' | 'two-heads';
export const AUXILIARY_HEADS: readonly AuxiliaryHead[] = ['k-plus-one', 'two-heads'];
export type WeightNormInit = 'unit' | 'data';
export const WEIGHT_NORM_INITS: readonly WeightNormInit[] = ['unit', 'data'];
export const GAN_LOSSES: readonly GanLoss[] = ['bce', 'hinge', 'least-squares'];

/**
 * The design's networks with the recipe that scored best in QUALITY.md (its `sn-gan` row): the
 * hinge loss, spectral normalisation of D, two time scales (D 4e-4, G 1e-4) and a 0.999 moving
 * average warmed up over 10 steps. SEED_RECIPE is the seed article's recipe.
 */
export const DEFAULT_GAN_CONFIG: GanConfig = {
  architecture: 'mlp',
  noiseDim: 100,
  generatorHidden: [128, 256],
  discriminatorHidden: [256, 128],
  dataDim: 784,
  channels: 1,
  classes: 0,
  conditioning: 'one-hot',
  auxiliaryHead: 'k-plus-one',
  classWeight: 1,
  labelClasses: 0,
  labeled: 0,
  featureMatching: false,
  labeledOnly: false,
  discriminatorInputNoise: 0,
  discriminatorHiddenNoise: 0,
  generatorBatchNorm: false,
  oneHotValue: 16,
  generatorOutput: 'tanh',
  leakySlope: 0.2,
  batch: 64,
  seed: 1,
  lr: 2e-4,
  discriminatorLr: 4e-4,
  generatorLr: 1e-4,
  beta1: 0.5,
  beta2: 0.999,
  epsilon: 1e-8,
  loss: 'hinge',
  realLabel: 1,
  spectralNorm: true,
  weightNorm: false,
  weightNormInit: 'unit',
  emaDecay: 0.999,
  emaWarmup: 10,
};

/**
 * The seed article's recipe, whatever the defaults become: BCE, Adam 2e-4 / β1 0.5 for both
 * networks, no smoothing, no spectral normalisation, a 0.999 moving average without warm-up. The
 * PyTorch and TensorFlow.js peers of the benchmarks train it, and QUALITY.md's `plain` row is it.
 */
export const SEED_RECIPE: Partial<GanConfig> = {
  loss: 'bce',
  lr: 2e-4,
  beta1: 0.5,
  discriminatorLr: null,
  generatorLr: null,
  realLabel: 1,
  spectralNorm: false,
  emaDecay: 0.999,
  emaWarmup: 0,
};

/**
 * The settings added after checkpoints first recorded a configuration, each with the value every
 * run had before it: a checkpoint without one was trained that way, whatever the default is now.
 */
export const SETTINGS_BEFORE_THEY_EXISTED: Partial<GanConfig> = {
  architecture: 'mlp',
  emaWarmup: 0,
  loss: 'bce',
  discriminatorLr: null,
  generatorLr: null,
  spectralNorm: false,
  classes: 0,
  channels: 1,
  oneHotValue: 1,
  labelClasses: 0,
  labeled: 0,
  featureMatching: false,
  labeledOnly: false,
  discriminatorInputNoise: 0,
  discriminatorHiddenNoise: 0,
  generatorBatchNorm: false,
  auxiliaryHead: 'k-plus-one',
  classWeight: 1,
  weightNorm: false,
  weightNormInit: 'unit',
};

/**
 * The configuration a checkpoint recorded (parsed JSON), validated. A setting newer than the file
 * takes the value every run had before it existed, not today's default, which may have changed.
 */
export function resolveRecordedConfig(recorded: unknown): GanConfig {
  if (typeof recorded !== 'object' || recorded === null || Array.isArray(recorded))
    throw new ArgumentError('config', `must be an object of settings, got ${JSON.stringify(recorded)}`);
  const settings = { ...SETTINGS_BEFORE_THEY_EXISTED, ...(recorded as Partial<GanConfig>) };
  // Before the setting, a conditional MLP took the one-hot and a conditional DCGAN projected.
  settings.conditioning ??= settings.architecture === 'dcgan' ? 'projection' : 'one-hot';
  return resolveGanConfig(settings);
}

/** Settings every whole configuration has, and their types: enough to tell a GanConfig from another object. */
const CONFIG_SHAPE = {
  architecture: 'string',
  dataDim: 'number',
  channels: 'number',
  batch: 'number',
  noiseDim: 'number',
};

/**
 * A whole configuration (as resolveGanConfig() returns and a checkpoint carries), checked by its
 * shape before a function reads its settings: a wrong object is named, not read as NaN sizes.
 */
export function requireGanConfig(argument: string, value: unknown): GanConfig {
  const config = requireObject(argument, value, 'a GanConfig (resolveGanConfig() makes one)');
  for (const [key, type] of Object.entries(CONFIG_SHAPE))
    if (typeof (config as Record<string, unknown>)[key] !== type)
      throw new ArgumentError(
        argument,
        `must be a GanConfig (resolveGanConfig() makes one), got an object whose ${key} is ` +
          describeValue((config as Record<string, unknown>)[key]),
      );
  return config as GanConfig;
}

const ACTIVATIONS: Activation[] = ['none', 'leaky-relu', 'tanh', 'sigmoid'];

export function resolveGanConfig(partial: Partial<GanConfig> = {}): GanConfig {
  requireObject('config', partial, 'an object of GAN settings');
  for (const key of Object.keys(partial)) {
    if (!(key in DEFAULT_GAN_CONFIG))
      throw new ArgumentError(key, `is not a GAN setting (known: ${Object.keys(DEFAULT_GAN_CONFIG).join(', ')})`);
  }
  // A given lr is the rate of each network whose own rate is not given, over the defaults' own.
  const lrGiven = partial.lr !== undefined;
  const c: GanConfig = {
    ...DEFAULT_GAN_CONFIG,
    ...(lrGiven && !('discriminatorLr' in partial) && { discriminatorLr: null }),
    ...(lrGiven && !('generatorLr' in partial) && { generatorLr: null }),
    ...partial,
  };
  // A DCGAN projects or classifies: a settings object made for an MLP may carry its one-hot along.
  if (partial.conditioning === undefined || (c.architecture === 'dcgan' && c.conditioning === 'one-hot'))
    c.conditioning = c.architecture === 'dcgan' ? 'projection' : 'one-hot';
  requirePositiveInteger('noiseDim', c.noiseDim);
  requirePositiveInteger('dataDim', c.dataDim);
  requirePositiveInteger('batch', c.batch);
  if (c.batch > 32768) throw new ArgumentError('batch', `must be at most 32768, got ${c.batch}`);
  for (const [name, widths] of [
    ['generatorHidden', c.generatorHidden],
    ['discriminatorHidden', c.discriminatorHidden],
  ] as const) {
    if (!Array.isArray(widths)) throw new ArgumentError(name, 'must be an array of layer widths');
    // Each layer draws its initial weights from its own random streams, of which there are so many.
    if (widths.length >= MAX_LAYERS)
      throw new ArgumentError(name, `must have at most ${MAX_LAYERS - 1} hidden layers, got ${widths.length}`);
    widths.forEach((w, i) => {
      requirePositiveInteger(`${name}[${i}]`, w);
    });
  }
  if (!ACTIVATIONS.includes(c.generatorOutput))
    throw new ArgumentError('generatorOutput', `must be one of ${ACTIVATIONS.join(', ')}`);
  requireFinite('leakySlope', c.leakySlope, { min: 0, max: 1 });
  seedWords(c.seed);
  checkAdamHyperparameters({ lr: c.lr, beta1: c.beta1, beta2: c.beta2, epsilon: c.epsilon });
  for (const key of ['discriminatorLr', 'generatorLr'] as const) {
    c[key] ??= null; // left out or undefined: lr
    if (c[key] !== null) requireFinite(key, c[key], { min: 0 });
  }
  if (!GAN_LOSSES.includes(c.loss))
    throw new ArgumentError('loss', `must be one of ${GAN_LOSSES.join(', ')}, got ${JSON.stringify(c.loss)}`);
  requireFinite('realLabel', c.realLabel, { min: 0.5, max: 1 });
  // Worded without the other setting's name, so that the CLI can put its flag's name in front.
  if (c.loss === 'hinge' && c.realLabel !== 1)
    throw new ArgumentError(
      'realLabel',
      `is ${c.realLabel}, but the hinge loss has no targets to smooth (hinge is the default loss): choose the bce ` +
        'or least-squares loss, or leave it at 1',
    );
  if (c.channels !== 1 && c.channels !== 3)
    throw new ArgumentError('channels', `must be 1 (grey) or 3 (RGB), got ${String(c.channels)}`);
  if (c.channels === 3 && !isSquareOfPlanes(c.dataDim, 3))
    throw new ArgumentError('dataDim', `is ${c.dataDim}, but RGB images need 3 × side² values (e.g. 3072 for 32×32)`);
  if (!Number.isInteger(c.classes) || c.classes < 0 || c.classes > 1024)
    throw new ArgumentError('classes', `must be a whole number from 0 (unconditional) to 1024, got ${c.classes}`);
  requireOneHotValue('oneHotValue', c.oneHotValue);
  if (!CONDITIONINGS.includes(c.conditioning))
    throw new ArgumentError(
      'conditioning',
      `must be ${CONDITIONINGS.join(' or ')}, got ${JSON.stringify(c.conditioning)}`,
    );
  if (c.classes > 0 && c.discriminatorHidden.length === 0)
    throw new ArgumentError('classes', 'a conditional GAN needs at least one hidden layer in the discriminator');
  checkArchitecture(c);
  checkSemiSupervised(c);
  checkAuxiliary(c, AUXILIARY_HEADS);
  checkDiscriminatorNoise(c);
  checkGeneratorBatchNorm(c);
  if (typeof c.spectralNorm !== 'boolean')
    throw new ArgumentError('spectralNorm', `must be true or false, got ${String(c.spectralNorm)}`);
  checkWeightNorm(c, WEIGHT_NORM_INITS);
  requireFinite('emaDecay', c.emaDecay, { min: 0, max: 1, maxExclusive: true });
  // The GPU reads the decay as a 32-bit float, where one this close to 1 is 1: an average that never moves.
  if (Math.fround(c.emaDecay) === 1)
    throw new ArgumentError('emaDecay', `is ${c.emaDecay}, which is 1 in 32-bit floats: use at most 0.9999999`);
  requireFinite('emaWarmup', c.emaWarmup, { min: 0 });
  if (c.emaWarmup > 0 && c.emaWarmup < 1)
    throw new ArgumentError('emaWarmup', `must be 0 (none) or at least 1, got ${c.emaWarmup}`);
  return c;
}

/** Each network's learning rate: its own where set, else lr. */
export function learningRates(c: GanConfig): { discriminator: number; generator: number } {
  return { discriminator: c.discriminatorLr ?? c.lr, generator: c.generatorLr ?? c.lr };
}

export function generatorSpec(c: GanConfig): MlpSpec {
  return {
    widths: [c.noiseDim, ...c.generatorHidden, c.dataDim],
    hidden: 'leaky-relu',
    output: c.generatorOutput,
    leakySlope: c.leakySlope,
  };
}

export function discriminatorSpec(c: GanConfig): MlpSpec {
  return {
    widths: [c.dataDim, ...c.discriminatorHidden, 1],
    hidden: 'leaky-relu',
    output: 'none',
    leakySlope: c.leakySlope,
  };
}
