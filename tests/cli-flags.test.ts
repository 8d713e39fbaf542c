// The CLI's flag tables without a GPU: a flag that sets a library setting leaves its checks to the
// library and is named in the library's error; --help shows the library's defaults; the warning
// of a run that is running away names the learning rates the networks actually train with.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ArgumentError } from '../src/base/errors.js';
import { DEFAULT_GAN_CONFIG, learningRates, resolveGanConfig, SEED_RECIPE } from '../src/gan/config.js';
import { conditionalRecipe, dcganRecipe, semiSupervisedRecipe } from '../src/gan/recipes.js';
import { errorForFlags, flagHelp, parseFlags, settingsOf } from '../src/cli/args.js';
import { main } from '../src/cli/main.js';
import { EVAL_FLAGS } from '../src/cli/eval.js';
import { REPAIR_FLAGS } from '../src/cli/repair.js';
import { SAMPLE_FLAGS } from '../src/cli/sample.js';
import { TRAIN_FLAGS } from '../src/cli/train.js';
import { checkResumeFlags, ganSettings, recipeNote } from '../src/cli/trainFlags.js';
import type { Checkpoint } from '../src/gan/checkpoint.js';
import { runawayWarning } from '../src/cli/trainLoop.js';

const TABLES = { train: TRAIN_FLAGS, sample: SAMPLE_FLAGS, eval: EVAL_FLAGS, repair: REPAIR_FLAGS };

/** Runs a command in this process and returns what it wrote to stderr, for errors found before any GPU work. */
async function stderrOf(argv: string[]): Promise<{ status: number; stderr: string }> {
  let stderr = '';
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
    stderr += String(chunk);
    return true;
  });
  const status = await main(argv);
  return { status, stderr };
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('flag tables', () => {
  it.each(Object.entries(TABLES))('%s: a flag that sets a library setting has no checks of its own', (_, table) => {
    for (const [name, spec] of Object.entries(table)) {
      if (spec.setting === undefined) continue;
      expect([spec.min, spec.max], name).toEqual([undefined, undefined]);
    }
  });

  it("train --help shows the library's defaults", () => {
    expect(flagHelp(TRAIN_FLAGS.batch!)).toBe(`batch size (default ${DEFAULT_GAN_CONFIG.batch})`);
    expect(flagHelp(TRAIN_FLAGS['ema-decay']!)).toContain(`(default ${DEFAULT_GAN_CONFIG.emaDecay})`);
    expect(flagHelp(TRAIN_FLAGS['lr-d']!)).toContain('(default 4e-4, or --lr)');
    expect(flagHelp(TRAIN_FLAGS.steps!)).toBe('train until this many steps in total (required)');
  });

  it('the given flags become the settings resolveGanConfig takes', () => {
    const flags = parseFlags(['--steps', '5', '--lr-d', '3e-4', '--no-spectral-norm', '--batch=16'], TRAIN_FLAGS);
    expect(settingsOf(flags, TRAIN_FLAGS)).toEqual({ discriminatorLr: 3e-4, spectralNorm: false, batch: 16 });
  });

  it("layer widths and Salimans et al.'s noise become settings; a bad list is refused in the flag's words", () => {
    const flags = parseFlags(
      [
        '--steps',
        '5',
        '--d-hidden',
        '1000,500,250',
        '--g-hidden=none',
        '--g-batch-norm',
        '--d-input-noise',
        '0.6',
        '--d-hidden-noise=0.5',
      ],
      TRAIN_FLAGS,
    );
    expect(settingsOf(flags, TRAIN_FLAGS)).toEqual({
      discriminatorHidden: [1000, 500, 250],
      generatorHidden: [],
      generatorBatchNorm: true,
      discriminatorInputNoise: 0.6,
      discriminatorHiddenNoise: 0.5,
    });
    expect(flagHelp(TRAIN_FLAGS['d-hidden']!)).toContain('(default 256,128)');
    for (const bad of ['1000,,250', '256;128', '1.5,2', '', '0x10', '1e3', ' 7', '-3', '99999999999999999999'])
      expect(() => parseFlags(['--steps', '5', `--d-hidden=${bad}`], TRAIN_FLAGS), bad).toThrow(
        bad === '' ? /--d-hidden must be whole numbers/ : `--d-hidden must be whole numbers separated by commas`,
      );
    // Widths the library refuses are named by the flag.
    const zero = () => resolveGanConfig(ganSettings(parseFlags(['--steps', '5', '--d-hidden', '256,0'], TRAIN_FLAGS)));
    expect(zero).toThrow(/discriminatorHidden\[1\]/);
  });

  it('resuming compares a list flag with the checkpoint by value', () => {
    const checkpoint = { config: resolveGanConfig({ discriminatorHidden: [1000, 500] }) } as Checkpoint;
    const resume = (...argv: string[]) => parseFlags(['--steps', '5', '--resume', ...argv], TRAIN_FLAGS);
    expect(() => checkResumeFlags(checkpoint, resume('--d-hidden', '1000,500'))).not.toThrow();
    expect(() => checkResumeFlags(checkpoint, resume('--d-hidden', '1000,250'))).toThrow(
      "--d-hidden 1000,250 differs from the checkpoint's 1000,500; drop --d-hidden to resume",
    );
  });

  it('a semi-supervised run takes its recipe under the flags given, and says which settings it took', () => {
    const train = (...argv: string[]) => parseFlags(['--steps', '5', ...argv], TRAIN_FLAGS);
    expect(ganSettings(train('--labeled', '100'))).toEqual({ ...semiSupervisedRecipe('mlp'), labeled: 100 });
    // A DCGAN keeps spectral normalisation: without it, its D would have batch norms.
    expect(ganSettings(train('--labeled', '100', '--arch', 'dcgan'))).toEqual({
      featureMatching: true,
      loss: 'bce',
      spectralNorm: true,
      architecture: 'dcgan',
      labeled: 100,
    });
    expect(() =>
      resolveGanConfig({ ...ganSettings(train('--labeled', '100', '--arch', 'dcgan')), labelClasses: 10 }),
    ).not.toThrow();
    expect(recipeNote(train('--labeled', '100'))).toBe(
      'semi-supervised recipe: --feature-matching, --loss bce, --no-spectral-norm, --d-hidden 1000,500,250,250,250, ' +
        '--d-input-noise 0.6, --d-hidden-noise 0.5, --g-hidden 500,500, --g-batch-norm, --lr-g 0.001 ' +
        '(a flag given overrides it)',
    );
    const networks = [
      '--d-hidden',
      '256,128',
      '--g-hidden',
      '128,256',
      '--d-input-noise',
      '0',
      '--d-hidden-noise',
      '0',
    ];
    const own = train('--labeled', '100', '--loss', 'hinge', '--no-feature-matching', '--lr-g', '2e-4', ...networks);
    expect(ganSettings(own)).toMatchObject({
      featureMatching: false,
      loss: 'hinge',
      spectralNorm: false,
      labeled: 100,
    });
    expect(ganSettings(own)).toMatchObject({
      discriminatorHidden: [256, 128],
      generatorLr: 2e-4,
      generatorBatchNorm: true,
    });
    expect(recipeNote(own)).toBe(
      'semi-supervised recipe: --no-spectral-norm, --g-batch-norm (a flag given overrides it)',
    );
    expect(ganSettings(train('--labeled', '100', '--no-g-batch-norm'))).toMatchObject({ generatorBatchNorm: false });
    // --lr is one rate for both networks: the recipe's own rate for G gives way to it.
    const oneRate = ganSettings(train('--labeled', '100', '--lr', '3e-4'));
    expect(oneRate).not.toHaveProperty('generatorLr');
    expect(learningRates(resolveGanConfig({ ...oneRate, labelClasses: 10 }))).toEqual({
      discriminator: 3e-4,
      generator: 3e-4,
    });
    expect(
      recipeNote(
        train(
          '--labeled',
          '100',
          '--loss',
          'hinge',
          '--spectral-norm',
          '--feature-matching',
          '--g-batch-norm',
          '--lr-g',
          '1e-4',
          ...networks,
        ),
      ),
    ).toBeNull();
    expect(ganSettings(train('--loss', 'hinge'))).toEqual({ loss: 'hinge' });
    expect(recipeNote(train())).toBeNull();
  });

  it("a plain DCGAN takes examples/dcgan's recipe under the flags; conditional or semi-supervised, not", () => {
    const train = (...argv: string[]) => parseFlags(['--steps', '5', ...argv], TRAIN_FLAGS);
    expect(ganSettings(train('--arch', 'dcgan'))).toEqual({ ...dcganRecipe(), architecture: 'dcgan' });
    expect(resolveGanConfig(ganSettings(train('--arch', 'dcgan')))).toMatchObject({
      loss: 'bce',
      spectralNorm: false,
      lr: 2e-4,
      discriminatorLr: null,
      generatorLr: null,
      emaWarmup: 0,
    });
    expect(recipeNote(train('--arch', 'dcgan'))).toBe(
      'dcgan recipe: --loss bce, --no-spectral-norm, --lr 0.0002, --ema-warmup 0 (a flag given overrides it)',
    );
    // A flag given wins, and leaves the rest of the recipe.
    const own = train('--arch', 'dcgan', '--spectral-norm', '--lr-d', '4e-4');
    expect(resolveGanConfig(ganSettings(own))).toMatchObject({
      spectralNorm: true,
      loss: 'bce',
      discriminatorLr: 4e-4,
    });
    expect(recipeNote(own)).toBe('dcgan recipe: --loss bce, --lr 0.0002, --ema-warmup 0 (a flag given overrides it)');
    // Both networks at their own rates: --lr is unused, and the line leaves it out.
    const spectral = train('--arch', 'dcgan', '--spectral-norm', '--loss', 'hinge', '--lr-d', '4e-4', '--lr-g', '1e-4');
    expect(recipeNote(spectral)).toBe('dcgan recipe: --ema-warmup 0 (a flag given overrides it)');
    expect(ganSettings(train('--arch', 'dcgan', '--weight-norm'))).toMatchObject({
      weightNorm: true,
      spectralNorm: false,
    });
    // The MLP, a resumed run, a conditional or semi-supervised DCGAN: no such recipe.
    expect(recipeNote(train())).toBeNull();
    expect(ganSettings(train('--arch', 'dcgan', '--resume'))).toEqual({ architecture: 'dcgan' });
    expect(ganSettings(train('--arch', 'dcgan', '--conditional'))).toEqual({ architecture: 'dcgan' });
    expect(ganSettings(train('--arch', 'dcgan', '--labeled', '100')).spectralNorm).toBe(true);
    expect(recipeNote(train('--arch', 'dcgan', '--labeled', '100'))).toBe(
      'semi-supervised recipe: --feature-matching, --loss bce, --spectral-norm (a flag given overrides it)',
    );
    expect(recipeNote(train('--arch', 'dcgan', '--resume'))).toBeNull();
    // One rate for both networks: the recipe's goes, and each network trains at the flag's.
    expect(resolveGanConfig(ganSettings(train('--arch', 'dcgan', '--lr', '1e-3')))).toMatchObject({
      lr: 1e-3,
      discriminatorLr: null,
      generatorLr: null,
    });
    // D's own rate alone: G keeps the recipe's shared rate.
    expect(resolveGanConfig(ganSettings(train('--arch', 'dcgan', '--lr-d', '4e-4')))).toMatchObject({
      lr: 2e-4,
      discriminatorLr: 4e-4,
      generatorLr: null,
    });
  });

  it('--weight-norm takes the place of spectral normalisation, under a recipe too', () => {
    const train = (...args: string[]) => parseFlags(['--steps', '5', ...args], TRAIN_FLAGS);
    expect(ganSettings(train('--weight-norm'))).toEqual({ weightNorm: true, spectralNorm: false });
    expect(resolveGanConfig(ganSettings(train('--weight-norm')))).toMatchObject({
      weightNorm: true,
      spectralNorm: false,
    });
    expect(ganSettings(train('--labeled', '100', '--weight-norm'))).toMatchObject({
      ...semiSupervisedRecipe('mlp'),
      weightNorm: true,
    });
    expect(ganSettings(train('--arch', 'dcgan', '--labeled', '100', '--weight-norm'))).toMatchObject({
      weightNorm: true,
      spectralNorm: false,
    });
    expect(ganSettings(train('--conditional', '--weight-norm'))).toMatchObject({
      conditioning: 'auxiliary',
      weightNorm: true,
    });
    expect(ganSettings(train('--weight-norm', '--weight-norm-init', 'data'))).toMatchObject({
      weightNorm: true,
      weightNormInit: 'data',
    });
  });

  it("a conditional MLP takes the auxiliary classifier's recipe under the flags given, and says which settings", () => {
    const train = (...argv: string[]) => parseFlags(['--steps', '5', ...argv], TRAIN_FLAGS);
    expect(ganSettings(train('--conditional'))).toEqual(conditionalRecipe('mlp'));
    expect(conditionalRecipe('mlp')).toEqual({ conditioning: 'auxiliary', generatorHidden: [512, 1024] });
    expect(recipeNote(train('--conditional'))).toBe(
      'conditional recipe: --conditioning auxiliary, --g-hidden 512,1024 (a flag given overrides it)',
    );
    // A width given wins; the recipe's conditioning stays, and the line says only that.
    const ownWidths = train('--conditional', '--g-hidden', '128,256');
    expect(ganSettings(ownWidths)).toEqual({ conditioning: 'auxiliary', generatorHidden: [128, 256] });
    expect(recipeNote(ownWidths)).toBe('conditional recipe: --conditioning auxiliary (a flag given overrides it)');
    // --conditioning given chooses D's head alone, at the design's widths: none of the recipe.
    expect(ganSettings(train('--conditional', '--conditioning', 'one-hot'))).toEqual({ conditioning: 'one-hot' });
    expect(ganSettings(train('--conditional', '--conditioning', 'auxiliary'))).toEqual({ conditioning: 'auxiliary' });
    expect(recipeNote(train('--conditional', '--conditioning', 'auxiliary'))).toBeNull();
    expect(recipeNote(train('--conditional', '--conditioning', 'projection'))).toBeNull();
    // A DCGAN keeps its projection (unmeasured with a classifier), and a resumed run its checkpoint's settings.
    expect(ganSettings(train('--conditional', '--arch', 'dcgan'))).toEqual({ architecture: 'dcgan' });
    expect(recipeNote(train('--conditional', '--arch', 'dcgan'))).toBeNull();
    expect(recipeNote(train('--conditional', '--resume'))).toBeNull();
    expect(ganSettings(train('--conditional', '--resume'))).toEqual({});
    expect(
      resolveGanConfig({ ...ganSettings(train('--conditional', '--class-weight', '2')), classes: 10 }),
    ).toMatchObject({ conditioning: 'auxiliary', classWeight: 2, generatorHidden: [512, 1024] });
  });

  it('a library error names the flag, and anything else is left as the library wrote it', () => {
    const lr = new ArgumentError('discriminatorLr', 'must be >= 0, got -1');
    expect(errorForFlags(lr, TRAIN_FLAGS)).toBe('--lr-d: must be >= 0, got -1');
    const other = new ArgumentError('dataDim', 'is 5');
    expect(errorForFlags(other, TRAIN_FLAGS)).toBe('dataDim: is 5');
  });
});

describe('train refuses a setting with the library’s words under the flag’s name, before reading data', () => {
  it.each([
    [['--lr-d', '-1'], 'webgpu-gan train: --lr-d: must be >= 0, got -1'],
    [['--batch', '2.5'], 'webgpu-gan train: --batch: must be a positive integer, got 2.5'],
    [['--ema-decay', '1'], 'webgpu-gan train: --ema-decay: must be < 1, got 1'],
    [['--label-smoothing', '0.3', '--loss', 'bce'], 'webgpu-gan train: --label-smoothing: must be >= 0.5, got 0.3'],
    [['--seed', '-1'], 'webgpu-gan train: --seed: must be an integer in [0, 2^53), got -1'],
    [['--arch', 'resnet'], 'webgpu-gan train: --arch: must be mlp or dcgan, got "resnet"'],
    [
      ['--conditioning', 'projection'],
      'webgpu-gan train: --conditioning says how a conditional GAN takes its class: add --conditional',
    ],
    [
      ['--arch', 'dcgan', '--conditional', '--conditioning', 'one-hot'],
      'webgpu-gan train: --conditioning one-hot: a DCGAN takes the class by projection or an auxiliary classifier ' +
        'in D; choose one',
    ],
    [['--class-weight', '2'], 'webgpu-gan train: --class-weight is for an auxiliary classifier: add --conditional'],
    [
      ['--weight-norm-init', 'data'],
      "webgpu-gan train: --weight-norm-init says how weight normalisation's g starts: add --weight-norm",
    ],
    [
      ['--weight-norm', '--weight-norm-init', 'lsuv'],
      'webgpu-gan train: --weight-norm-init: must be unit or data, got "lsuv"',
    ],
    [
      ['--weight-norm', '--spectral-norm'],
      'webgpu-gan train: --weight-norm takes the place of spectral normalisation in D: drop --spectral-norm',
    ],
    [
      ['--weight-norm', '--arch', 'dcgan', '--conditional'],
      'webgpu-gan train: --weight-norm takes a conditional D only as an auxiliary classifier: add --conditioning ' +
        'auxiliary',
    ],
    [
      ['--weight-norm', '--conditional', '--conditioning', 'projection'],
      'webgpu-gan train: --weight-norm takes a conditional D only as an auxiliary classifier: use --conditioning ' +
        "auxiliary (a conditional MLP's default)",
    ],
    [
      ['--labeled', '20', '--auxiliary-head', 'two-heads'],
      "webgpu-gan train: --auxiliary-head is for an auxiliary classifier: a semi-supervised D's head is K + 1 " +
        'class logits already: drop it',
    ],
    [
      ['--auxiliary-head', 'two-heads', '--conditional', '--conditioning', 'one-hot'],
      'webgpu-gan train: --auxiliary-head is for an auxiliary classifier: ' +
        "use --conditioning auxiliary (a conditional MLP's default)",
    ],
    [
      ['--arch', 'dcgan', '--conditional', '--class-weight', '2'],
      'webgpu-gan train: --class-weight is for an auxiliary classifier: add --conditioning auxiliary',
    ],
    [
      ['--arch', 'dcgan', '--auxiliary-head', 'two-heads'],
      'webgpu-gan train: --auxiliary-head is for an auxiliary classifier: add --conditional --conditioning auxiliary',
    ],
    [
      ['--conditional', '--conditioning', 'auxiliary', '--class-weight', '0'],
      'webgpu-gan train: --class-weight: must be > 0, got 0',
    ],
    [
      ['--conditional', '--conditioning', 'auxiliary', '--auxiliary-head', 'three'],
      'webgpu-gan train: --auxiliary-head: must be k-plus-one or two-heads, got "three"',
    ],
    [
      ['--arch', 'dcgan', '--size', '30'],
      'webgpu-gan train: --size 30: dcgan builds 28, 32, 64-pixel images; choose one of them',
    ],
  ])('%j', async (flags, message) => {
    const { status, stderr } = await stderrOf(['train', '--steps', '5', '--data', '/nonexistent', ...flags]);
    expect(status).toBe(2);
    expect(stderr).toBe(`${message}\n`);
  });
});

/** A conditional run's flags for an auxiliary classifier with two heads and G's class weight `weight`. */
const twoHeadsFlags = (weight: string) => [
  '--conditional',
  '--conditioning',
  'auxiliary',
  '--auxiliary-head',
  'two-heads',
  '--class-weight',
  weight,
];

describe('the auxiliary head and class weight flags', () => {
  it("set the auxiliary classifier's settings", () => {
    const flags = parseFlags(['--steps', '5', ...twoHeadsFlags('1.5')], TRAIN_FLAGS);
    expect(resolveGanConfig({ ...ganSettings(flags), classes: 10 })).toMatchObject({
      conditioning: 'auxiliary',
      auxiliaryHead: 'two-heads',
      classWeight: 1.5,
    });
  });

  it('take train past its flag checks to the data (here missing)', async () => {
    const argv = ['train', '--steps', '5', '--data', '/nonexistent', ...twoHeadsFlags('2')];
    const { status, stderr } = await stderrOf(argv);
    expect(status).toBe(2);
    expect(stderr).toMatch(/^webgpu-gan train: --data \/nonexistent: no such file or folder/);
  });
});

describe('the warning of a run that is running away', () => {
  const stats = { step: 12, lossD: 250, lossG: 3 };

  it('names the rates D and G train with (the defaults have their own), not lr', () => {
    const warning = runawayWarning(stats, resolveGanConfig());
    expect(warning).toBe(
      'warning: losses of 250 at step 12: training is running away (are --lr-d 4e-4 and --lr-g 1e-4 too high?)\n',
    );
    expect(warning).not.toContain(`--lr ${DEFAULT_GAN_CONFIG.lr}`);
  });

  it('names --lr where both networks train with it', () => {
    expect(runawayWarning(stats, resolveGanConfig({ ...SEED_RECIPE, lr: 10 }))).toContain('(is --lr 10 too high?)');
  });
});
