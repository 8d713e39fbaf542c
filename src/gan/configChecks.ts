// The checks of resolveGanConfig (config.ts) that concern how settings go together: the
// architecture and the images' side, semi-supervised training and the auxiliary classifier (a D
// with class logits), and Salimans et al.'s noise layers in an MLP's D and batch norms in its G.
import { ArgumentError, requireFinite } from '../base/errors.js';
import { MAX_LAYERS } from '../kernels/streams.js';
import { makesBlock } from '../nn/model.js';
import { ARCHITECTURES, DCGAN_SIDES, mlpDiscriminator, type Architecture } from '../nn/presets.js';

/** The largest σ of a noise layer in D (discriminatorInputNoise, discriminatorHiddenNoise). */
export const MAX_NOISE = 100;

/** The settings these checks read: a GanConfig's (named here so that this file need not import config.ts). */
export interface CheckedSettings {
  architecture: Architecture;
  dataDim: number;
  channels: number;
  classes: number;
  conditioning: string;
  auxiliaryHead: string;
  classWeight: number;
  labelClasses: number;
  labeled: number;
  featureMatching: boolean;
  labeledOnly: boolean;
  spectralNorm: boolean;
  weightNorm: boolean;
  weightNormInit: string;
  discriminatorHidden: readonly number[];
  discriminatorInputNoise: number;
  discriminatorHiddenNoise: number;
  generatorBatchNorm: boolean;
}

/** The architecture is known, and a DCGAN's images have a side its preset builds. */
export function checkArchitecture(c: CheckedSettings): void {
  if (!ARCHITECTURES.includes(c.architecture))
    throw new ArgumentError(
      'architecture',
      `must be ${ARCHITECTURES.join(' or ')}, got ${JSON.stringify(c.architecture)}`,
    );
  if (c.architecture === 'mlp') return;
  const side = Math.round(Math.sqrt(c.dataDim / c.channels));
  if (side * side * c.channels !== c.dataDim || !(DCGAN_SIDES as readonly number[]).includes(side))
    throw new ArgumentError(
      'dataDim',
      `is ${c.dataDim} values of ${c.channels} channel(s), but dcgan builds square images of side ` +
        `${DCGAN_SIDES.join(', ')}: resize the pictures (--size 32 or 64) or use the mlp architecture`,
    );
}

/** The largest weight of G's class term (classWeight): past it the class drowns the real/fake loss. */
export const MAX_CLASS_WEIGHT = 100;

/**
 * An auxiliary classifier's D ends in class logits, as a semi-supervised D does, and so shares its
 * limits; its head and G's class weight are its own settings, refused away from it.
 */
export function checkAuxiliary(c: CheckedSettings, heads: readonly string[]): void {
  if (!heads.includes(c.auxiliaryHead))
    throw new ArgumentError('auxiliaryHead', `must be ${heads.join(' or ')}, got ${JSON.stringify(c.auxiliaryHead)}`);
  requireFinite('classWeight', c.classWeight, { min: 0, minExclusive: true, max: MAX_CLASS_WEIGHT });
  // Conditioning alone decides: the CLI checks its flags before the data have given the classes.
  if (c.conditioning !== 'auxiliary' && c.auxiliaryHead !== heads[0])
    throw new ArgumentError('auxiliaryHead', "is an auxiliary classifier's: set conditioning to 'auxiliary'");
  if (c.conditioning !== 'auxiliary' && c.classWeight !== 1)
    throw new ArgumentError(
      'classWeight',
      "weighs an auxiliary classifier's class term: set conditioning to 'auxiliary'",
    );
  if (c.classes === 0 || c.conditioning !== 'auxiliary') return;
  if (c.classes < 2) throw new ArgumentError('classes', 'must be at least 2 for an auxiliary classifier to tell apart');
  requireDcganWithoutBatchNorm(c, 'an auxiliary classifier');
}

/** Semi-supervised settings come together, without class conditioning or batch norm in D. */
export function checkSemiSupervised(c: CheckedSettings): void {
  if (!Number.isInteger(c.labelClasses) || c.labelClasses < 0 || c.labelClasses > 1024)
    throw new ArgumentError('labelClasses', `must be a whole number from 0 (none) to 1024, got ${c.labelClasses}`);
  if (!Number.isInteger(c.labeled) || c.labeled < 0)
    throw new ArgumentError('labeled', `must be a whole number of labelled images (0: none), got ${c.labeled}`);
  if (c.labeled > 0 !== c.labelClasses > 0)
    throw new ArgumentError(
      'labeled',
      c.labeled > 0
        ? `is ${c.labeled}, but D has no class logits: set labelClasses to the number of classes`
        : `is 0, but D has ${c.labelClasses} class logits: give the number of labelled images`,
    );
  if (typeof c.featureMatching !== 'boolean')
    throw new ArgumentError('featureMatching', `must be true or false, got ${String(c.featureMatching)}`);
  if (c.featureMatching && c.labelClasses === 0)
    throw new ArgumentError(
      'featureMatching',
      'matches the features under a semi-supervised D: give labeled and labelClasses',
    );
  if (typeof c.labeledOnly !== 'boolean')
    throw new ArgumentError('labeledOnly', `must be true or false, got ${String(c.labeledOnly)}`);
  if (c.labeledOnly && c.labelClasses === 0)
    throw new ArgumentError('labeledOnly', 'trains D on labelled images: give labeled and labelClasses');
  if (c.labelClasses === 0) return;
  if (c.labelClasses < 2) throw new ArgumentError('labelClasses', 'must be at least 2 to classify anything');
  if (c.labeled < c.labelClasses)
    throw new ArgumentError('labeled', `must be at least one image per class (${c.labelClasses}), got ${c.labeled}`);
  if (c.classes > 0) throw new ArgumentError('classes', 'a semi-supervised GAN is not conditional: leave classes at 0');
  requireDcganWithoutBatchNorm(c, 'semi-supervised training');
}

/** Batch norms in an MLP's G: a DCGAN's G has them always. */
export function checkGeneratorBatchNorm(c: CheckedSettings): void {
  if (typeof c.generatorBatchNorm !== 'boolean')
    throw new ArgumentError('generatorBatchNorm', `must be true or false, got ${String(c.generatorBatchNorm)}`);
  if (c.generatorBatchNorm && c.architecture !== 'mlp')
    throw new ArgumentError('generatorBatchNorm', "is for the MLP's generator; a DCGAN's has batch norms already");
}

/**
 * Weight normalisation is D's one normalisation when on: spectral normalisation would divide what
 * g scales. A one-hot input's class columns and a projection's class embedding are not built into
 * it (each would need rows of its own in the normalised copy), so a conditional D is an auxiliary classifier.
 */
export function checkWeightNorm(c: CheckedSettings, inits: readonly string[]): void {
  if (typeof c.weightNorm !== 'boolean')
    throw new ArgumentError('weightNorm', `must be true or false, got ${String(c.weightNorm)}`);
  if (!inits.includes(c.weightNormInit))
    throw new ArgumentError('weightNormInit', `must be ${inits.join(' or ')}, got ${JSON.stringify(c.weightNormInit)}`);
  if (!c.weightNorm) {
    if (c.weightNormInit !== inits[0])
      throw new ArgumentError(
        'weightNormInit',
        "sets weight normalisation's g: turn weightNorm on (--weight-norm) to use it",
      );
    return;
  }
  if (c.spectralNorm)
    throw new ArgumentError(
      'weightNorm',
      'takes the place of spectral normalisation in D: turn spectralNorm off (--no-spectral-norm) to use it',
    );
  if (c.classes > 0 && c.conditioning !== 'auxiliary')
    throw new ArgumentError(
      'weightNorm',
      "takes a conditional D only as an auxiliary classifier: a one-hot input's class columns or a " +
        "projection's class embedding would be left out of it; choose conditioning 'auxiliary'",
    );
}

/** Noise layers in an MLP's D, each a block of its own: the blocks must fit the stream table. */
export function checkDiscriminatorNoise(c: CheckedSettings): void {
  // Past MAX_NOISE the noise drowns the pictures (in [−1, 1]) and D's activations alike, and far
  // past it (1e30) D's sums overflow float32: a bound with its reason, not a divergence blamed on the rate.
  const input = requireFinite('discriminatorInputNoise', c.discriminatorInputNoise, { min: 0, max: MAX_NOISE });
  const hidden = requireFinite('discriminatorHiddenNoise', c.discriminatorHiddenNoise, { min: 0, max: MAX_NOISE });
  if (input === 0 && hidden === 0) return;
  const setting = input > 0 ? 'discriminatorInputNoise' : 'discriminatorHiddenNoise';
  if (c.architecture !== 'mlp')
    throw new ArgumentError(setting, 'adds noise layers to the MLP discriminator; a DCGAN has none, leave it at 0');
  if (input > 0 && c.classes > 0 && c.conditioning === 'one-hot')
    throw new ArgumentError(
      'discriminatorInputNoise',
      "would come before the one-hot class's first layer, which must be D's first: use hidden noise only",
    );
  const layers = mlpDiscriminator({
    noise: 1,
    generatorHidden: [],
    discriminatorHidden: c.discriminatorHidden,
    data: c.dataDim,
    output: null,
    discriminatorInputNoise: input,
    discriminatorHiddenNoise: hidden,
  });
  const blocks = layers.filter((layer) => makesBlock(layer.kind)).length;
  if (blocks > MAX_LAYERS)
    throw new ArgumentError(
      setting,
      `makes ${blocks} layers of D (each noise layer counts), more than the ${MAX_LAYERS} the random streams ` +
        'have room for: use fewer hidden layers',
    );
}

/**
 * A D with class logits (`what`) is a DCGAN's only with spectral (or weight) normalisation in place of its batch norms:
 * those would need a group of rows of their own (the labelled or classed batch) that no recipe measured.
 */
function requireDcganWithoutBatchNorm(c: CheckedSettings, what: string): void {
  if (c.architecture === 'dcgan' && !c.spectralNorm && !c.weightNorm)
    throw new ArgumentError(
      'spectralNorm',
      `is off, which gives a DCGAN batch norms in D; ${what} takes D spectrally (or weight) normalised`,
    );
}

export function isSquareOfPlanes(dim: number, planes: number): boolean {
  const side = Math.round(Math.sqrt(dim / planes));
  return side * side * planes === dim;
}
