// What a repair search takes and gives: its options, its progress and its result, and the checks
// of the options that do not need the GPU.
import { ArgumentError, requireFinite, requirePositiveInteger } from '../base/errors.js';
import type { GanConfig } from '../gan/config.js';
import { requireRepairable } from '../gan/networks.js';
import { parseDegradation, type Degradation } from '../restore/spec.js';
import type { BlurTaps } from '../restore/taps.js';

export interface RepairOptions {
  /** Starting points searched at once (rows of one batch). Default 64. */
  starts?: number;
  /**
   * λ, the weight of the discriminator's realism term λ·softplus(−D(G(z))) beside the known
   * pixels' mean squared error. 0 (or no discriminator) searches for agreement alone. Default 0.02.
   */
  realism?: number;
  /** Adam's learning rate on z. Default 0.05. */
  lr?: number;
  /** Seed of the starting points. Default: the training seed. */
  seed?: number;
  /** Search the generator's moving average (default) or its trained weights. */
  useEma?: boolean;
  /** A conditional generator's class: the class of the image being repaired. */
  label?: number;
  /**
   * Restoration: the damage the picture went through, as a chain or a spec (`blur:sigma=1.5`).
   * The search then fits A(G(z)) to the degraded picture through the chain (noise left out:
   * the noisy picture is fitted as it is), and the result is G(z) itself. Without it: repair.
   */
  degradation?: readonly Degradation[] | string;
  /** 1 where a value is known, for a chain's mask stages instead of their bands (H×W or C×H×W). */
  degradationMask?: ArrayLike<number>;
  /** The kernel of a chain's blur stages instead of their Gaussian (e.g. one given as a picture). */
  blurKernel?: BlurTaps;
  /**
   * Repair: how the known pixels count in the error. 'nearness' (Yeh et al. 2017; the default for
   * square pictures, which it repaired better, QUALITY.md): each by how much of the hole lies in
   * the 7×7 window around it, so the hole's border decides the fill. 'uniform' (the default for
   * values that are no square picture): all alike.
   */
  context?: RepairContext;
  /**
   * Repair: how the fill meets the known pixels. 'poisson' (Yeh et al., after Pérez et al. 2003;
   * the default for square pictures): the generated picture's gradients, shifted to meet the known
   * pixels at the hole's edge without a seam. 'copy' (the default otherwise): the generated pixels
   * as they are.
   */
  blend?: RepairBlend;
  /**
   * Where each z is kept (Yeh et al. 2017 keep z where the prior puts its mass). 'sphere': after
   * every Adam step each z is scaled back to norm √d, the shell where almost all of a d-dimensional
   * N(0, I) lies, so the generator is never fed an input it did not train on. 'none': z goes where
   * Adam takes it. Default 'none'.
   */
  prior?: RepairPrior;
}

export const REPAIR_PRIORS = ['none', 'sphere'] as const;
export type RepairPrior = (typeof REPAIR_PRIORS)[number];
export const REPAIR_CONTEXTS = ['uniform', 'nearness'] as const;
export type RepairContext = (typeof REPAIR_CONTEXTS)[number];
export const REPAIR_BLENDS = ['copy', 'poisson'] as const;
export type RepairBlend = (typeof REPAIR_BLENDS)[number];

export interface RepairRunOptions {
  /** Adam steps on every start. Default 500. */
  steps?: number;
  /** Steps between reading the scores back for onProgress (one command buffer each). Default 50. */
  chunk?: number;
  onProgress?: (progress: RepairProgress) => void;
  /**
   * Called after a chunk whose best start beats every chunk's before, with that start's fill: to
   * show the repair as it improves. Its picture is read back only when this is given, and only
   * when the best improves (one row, dataDim values).
   */
  onImprove?: (best: RepairImprovement) => void;
  /** Asked between chunks; true ends the search early with what it has. */
  shouldStop?: () => boolean;
}

/** The best start so far, as onImprove gets it. */
export interface RepairImprovement {
  step: number;
  /** As RepairResult's: the known pixels as given, the others from this start's G(z). */
  completion: Float32Array;
  /** Its known-pixel error and realism term. */
  error: number;
  realism: number;
  start: number;
}

export interface RepairProgress {
  step: number;
  /** The lowest known-pixel error of any start, and the mean over starts. */
  bestError: number;
  meanError: number;
}

export interface RepairResult {
  /** The image: its known pixels as given, the others from the best start's generated image. */
  completion: Float32Array;
  /** The best start's generated image G(z). */
  generated: Float32Array;
  /** Its noise vector z. */
  noise: Float32Array;
  /** Its known pixels' mean squared error (pixels in [−1, 1]; weighted as the search's context says). */
  error: number;
  /** Its realism term λ·softplus(−D(G(z))) (0 without one). */
  realism: number;
  /** Which start it was. */
  start: number;
  /** Every start's known-pixel error. */
  errors: Float32Array;
  /** Adam steps taken. */
  steps: number;
}

/** The objective at given noise vectors: each start's two terms, and the gradient with respect to z. */
export interface RepairObjective {
  errors: Float32Array;
  realism: Float32Array;
  /** starts × noiseDim: ∂(error + realism)/∂z of each start. */
  gradient: Float32Array;
}

/** RepairOptions checked, with their defaults filled in. */
export interface RepairSettings {
  starts: number;
  realism: number;
  lr: number;
  seed: number;
  useEma: boolean;
  /** The class of every start, or null for an unconditional generator. */
  label: number | null;
  /** Restoration's chain, or null for repair. */
  degradation: readonly Degradation[] | null;
  degradationMask: ArrayLike<number> | null;
  blurKernel: BlurTaps | null;
  context: RepairContext;
  blend: RepairBlend;
  prior: RepairPrior;
}

/** The most starting points one search takes. */
export const MAX_STARTS = 4096;
/**
 * The largest realism weight. The known pixels' mean squared error is at most 4 (pixels in
 * [−1, 1]), so past 100 the realism term leaves them no say, and weights far beyond (1e40) overflow
 * float32 in the search: a bound with its reason, rather than a divergence blamed on the rate.
 */
export const MAX_REALISM = 100;

export function repairSettings(config: GanConfig, options: RepairOptions): RepairSettings {
  requireRepairable(config);
  const starts = requirePositiveInteger('starts', options.starts ?? 64);
  if (starts > MAX_STARTS) throw new ArgumentError('starts', `must be at most ${MAX_STARTS}, got ${starts}`);
  // Yeh et al.'s options need a picture's neighbourhoods; they are the default wherever there is one.
  const picture = pictureShape(config) !== null;
  const settings: RepairSettings = {
    starts,
    realism: realismOf(options.realism),
    lr: requireFinite('lr', options.lr ?? 0.05, { min: 0, minExclusive: true }),
    seed: options.seed ?? config.seed,
    useEma: options.useEma !== false,
    label: checkedLabel(config, options.label),
    degradation: checkedDegradation(config, options.degradation),
    degradationMask: options.degradationMask ?? null,
    blurKernel: options.blurKernel ?? null,
    context: oneOf('context', options.context ?? (picture ? 'nearness' : 'uniform'), REPAIR_CONTEXTS),
    blend: oneOf('blend', options.blend ?? (picture ? 'poisson' : 'copy'), REPAIR_BLENDS),
    prior: oneOf('prior', options.prior ?? 'none', REPAIR_PRIORS),
  };
  for (const [argument, plain] of [
    ['context', 'uniform'],
    ['blend', 'copy'],
  ] as const)
    if (settings[argument] !== plain && !picture)
      throw new ArgumentError(argument, `needs square pictures; this model makes ${config.dataDim} values`);
  return settings;
}

/** The generator's pictures as planes of side × side, or null where its values are no square picture. */
export function pictureShape(config: GanConfig): { channels: number; side: number } | null {
  const side = Math.round(Math.sqrt(config.dataDim / config.channels));
  return side * side * config.channels === config.dataDim ? { channels: config.channels, side } : null;
}

function oneOf<T extends string>(argument: string, value: unknown, allowed: readonly T[]): T {
  if (!allowed.includes(value as T))
    throw new ArgumentError(argument, `must be ${allowed.map((a) => `'${a}'`).join(' or ')}, got ${String(value)}`);
  return value as T;
}

function realismOf(realism: number | undefined): number {
  const weight = requireFinite('realism', realism ?? 0.02, { min: 0 });
  if (weight > MAX_REALISM)
    throw new ArgumentError(
      'realism',
      `must be at most ${MAX_REALISM}, got ${weight}: the known pixels' error is at most 4, so a larger weight ` +
        'leaves them no say in the search (try 0.02, the default)',
    );
  return weight;
}

function checkedLabel(config: GanConfig, label: number | undefined): number | null {
  if (config.classes === 0) {
    if (label !== undefined)
      throw new ArgumentError('label', 'is for a conditional generator; this one has no classes');
    return null;
  }
  if (label === undefined)
    throw new ArgumentError('label', `a conditional generator needs the image's class (0 to ${config.classes - 1})`);
  if (!Number.isInteger(label) || label < 0 || label >= config.classes)
    throw new ArgumentError('label', `must be a class from 0 to ${config.classes - 1}, got ${label}`);
  return label;
}

function checkedDegradation(config: GanConfig, degradation: RepairOptions['degradation']): Degradation[] | null {
  if (degradation === undefined) return null;
  const chain = typeof degradation === 'string' ? parseDegradation(degradation) : [...degradation];
  if (!Array.isArray(chain) || chain.length === 0)
    throw new ArgumentError('degradation', 'must be a spec such as blur:sigma=1.5, or a non-empty chain');
  const side = Math.round(Math.sqrt(config.dataDim / config.channels));
  if (side * side * config.channels !== config.dataDim)
    throw new ArgumentError('degradation', `needs square pictures; this model makes ${config.dataDim} values`);
  return chain;
}
