// The layer lists a configuration trains (nn/presets.ts): for 'dcgan', the preset for the images'
// side and channels, the discriminator with batch norms unless spectral normalisation takes their
// place (as the issue that brought DCGAN decided: one or the other, not both). A conditional
// DCGAN's class enters G as a one-hot beside the noise, the input of PyTorch's usual conditional
// DCGAN, and D by projection rather than as input channels: a constant one-hot plane per class
// gives D's first convolution no more than a class-dependent bias on its lowest-level features,
// while the projection compares the class with the features D has formed by its last layer
// (Miyato and Koyama 2018 measured it against input concatenation and AC-GAN).
import { requireObject } from '../base/arguments.js';
import { ArgumentError } from '../base/errors.js';
import type { NetworkSpec } from '../nn/network.js';
import {
  dcganDiscriminator,
  dcganGenerator,
  generatorInput,
  mlpDiscriminator,
  mlpGenerator,
  type DcganPresetSpec,
  type MlpPresetSpec,
} from '../nn/presets.js';
import type { GanConfig } from './config.js';
import type { RealismHead } from '../kernels/latentRepair.js';

/** Side of the square images of `channels` planes that `dataDim` values make. */
export function imageSide(config: Pick<GanConfig, 'dataDim' | 'channels'>): number {
  return Math.round(Math.sqrt(config.dataDim / config.channels));
}

function dcganPreset(config: GanConfig): DcganPresetSpec {
  return {
    noise: config.noiseDim,
    channels: config.channels,
    side: imageSide(config),
    discriminatorBatchNorm: !config.spectralNorm && !config.weightNorm,
    outputs: discriminatorOutputs(config),
  };
}

/**
 * One real/fake logit, or the class logits of a semi-supervised D or an auxiliary classifier, and
 * after them a real/fake logit of its own where the auxiliary classifier has two heads.
 */
export const discriminatorOutputs = (config: GanConfig) =>
  Math.max(1, config.labelClasses, auxiliaryClasses(config)) + (hasOwnRealFakeLogit(config) ? 1 : 0);

/** Whether D's class logits are followed by a real/fake logit of its own (an auxiliary classifier's two heads). */
export const hasOwnRealFakeLogit = (config: Pick<GanConfig, 'classes' | 'conditioning' | 'auxiliaryHead'>) =>
  auxiliaryClasses(config) > 0 && config.auxiliaryHead === 'two-heads';

/**
 * How many class logits D ends in, so the classes it can read off a picture: a semi-supervised
 * D's or an auxiliary classifier's; 0 for a D of one real/fake logit.
 */
export function classHeadClasses(config: Pick<GanConfig, 'classes' | 'conditioning' | 'labelClasses'>): number {
  requireObject('config', config, 'a GanConfig (a trainer’s or a checkpoint’s config)');
  return Math.max(config.labelClasses, auxiliaryClasses(config));
}

/** The built-in sets' classes (MNIST's digits, Fashion-MNIST's garments) and their pictures' values (28×28 grey). */
const BUILTIN_CLASSES = 10;
const BUILTIN_DATA_DIM = 784;

/**
 * Whether D's classes can be a built-in set's: ten of them, on 28×28 grey pictures. Only then is
 * its accuracy on that set's test split a reading (train, eval and the demo's quality panel ask
 * this); one of fewer classes, or of other pictures, learnt from a folder or an IDX file.
 */
export function classifiesBuiltinSet(
  config: Pick<GanConfig, 'classes' | 'conditioning' | 'labelClasses' | 'dataDim' | 'channels'>,
): boolean {
  return classHeadClasses(config) === BUILTIN_CLASSES && config.dataDim === BUILTIN_DATA_DIM && config.channels === 1;
}

/** An auxiliary classifier's classes (conditioning 'auxiliary'); 0 for any other GAN. */
export const auxiliaryClasses = (config: Pick<GanConfig, 'classes' | 'conditioning'>) =>
  config.conditioning === 'auxiliary' ? config.classes : 0;

/** Whether the class enters each network as a one-hot beside its input (an MLP's first layers' class columns). */
export const takesOneHotClass = (config: Pick<GanConfig, 'classes' | 'conditioning'>) =>
  config.classes > 0 && config.conditioning === 'one-hot';

/**
 * Whether repair's latent search takes a checkpoint of the configuration, MLP or DCGAN: any but a
 * conditional D by class projection, whose realism term would need the projection's pass (not
 * built). D's real/fake logit is its own, or read off its class logits (realismHead).
 */
export function canRepair(
  config: Pick<GanConfig, 'architecture' | 'labelClasses' | 'classes' | 'conditioning'>,
): boolean {
  requireObject('config', config, 'a GanConfig (a trainer’s or a checkpoint’s config)');
  return !projectsClass(config);
}

/** Whether D takes the class by projection (a DCGAN's one-hot resolves to it). */
const projectsClass = (config: Pick<GanConfig, 'architecture' | 'classes' | 'conditioning'>) =>
  config.classes > 0 &&
  (config.conditioning === 'projection' || (config.conditioning === 'one-hot' && config.architecture === 'dcgan'));

/**
 * Where the realism term finds D's real/fake logit: its one logit; the log-sum-exp of the class
 * logits of a semi-supervised D or a K + 1 auxiliary classifier (Salimans et al.'s fake class);
 * or the logit after the classes of an auxiliary classifier with two heads.
 */
export function realismHead(config: GanConfig): { head: RealismHead; logitsPerRow: number } {
  const logitsPerRow = discriminatorOutputs(config);
  if (logitsPerRow === 1) return { head: 'one-logit', logitsPerRow };
  return { head: hasOwnRealFakeLogit(config) ? 'last-logit' : 'log-sum-exp', logitsPerRow };
}

function mlpPreset(config: GanConfig): MlpPresetSpec {
  return {
    noise: config.noiseDim,
    generatorHidden: config.generatorHidden,
    discriminatorHidden: config.discriminatorHidden,
    data: config.dataDim,
    output: config.generatorOutput === 'none' ? null : config.generatorOutput,
    outputs: discriminatorOutputs(config),
    ...(takesOneHotClass(config) && { classes: config.classes, hotValue: config.oneHotValue }),
    generatorBatchNorm: config.generatorBatchNorm,
    discriminatorInputNoise: config.discriminatorInputNoise,
    discriminatorHiddenNoise: config.discriminatorHiddenNoise,
  };
}

/**
 * A layer-list configuration's generator: the MLP's layers from the noise, or DCGAN's from the
 * noise as a 1×1 image of noiseDim channels (and, for a conditional GAN, the class as a one-hot
 * over `classes` more channels after them) to an image.
 */
export function generatorNetworkSpec(config: GanConfig): NetworkSpec {
  if (config.architecture === 'mlp')
    return {
      // The class enters as the input's last columns, or the first layer's class columns (one-hot).
      input: [config.noiseDim + (takesOneHotClass(config) ? 0 : config.classes)],
      layers: mlpGenerator(mlpPreset(config)),
      leakySlope: config.leakySlope,
    };
  return {
    input: generatorInput('dcgan', config.noiseDim + config.classes),
    layers: dcganGenerator(dcganPreset(config)),
    leakySlope: config.leakySlope,
  };
}

/**
 * A layer-list configuration's discriminator: the MLP's layers, or DCGAN's from an image to one
 * logit (a semi-supervised D's: its class logits), plus for a conditional GAN the
 * projection of its last layer's input on the class's row (NetworkSpec.projectionClasses).
 */
export function discriminatorNetworkSpec(config: GanConfig): NetworkSpec {
  const projection = config.classes > 0 &&
    config.conditioning === 'projection' && { projectionClasses: config.classes };
  const weightNorm = config.weightNorm && { weightNorm: true };
  if (config.architecture === 'mlp')
    return {
      input: [config.dataDim],
      layers: mlpDiscriminator(mlpPreset(config)),
      leakySlope: config.leakySlope,
      ...projection,
      ...weightNorm,
    };
  const side = imageSide(config);
  return {
    input: [config.channels, side, side],
    layers: dcganDiscriminator(dcganPreset(config)),
    leakySlope: config.leakySlope,
    ...projection,
    ...weightNorm,
  };
}

/** Refuses a model repair's latent search does not take (canRepair), saying what it takes. */
export function requireRepairable(config: GanConfig): void {
  if (!canRepair(config))
    throw new ArgumentError(
      'checkpoint',
      'is a class-projecting model; the latent search (repair, and restore without a trained restorer) takes ' +
        'any other, for now: a conditional D with a one-hot input (an MLP) or an auxiliary classifier',
    );
}
