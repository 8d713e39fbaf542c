// The GAN's settings without a GPU: each is validated with an error naming it, the learning rates
// resolve per network, and a checkpoint's configuration that predates a setting takes the value
// runs had before that setting existed.
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_GAN_CONFIG,
  learningRates,
  resolveGanConfig,
  resolveRecordedConfig,
  SETTINGS_BEFORE_THEY_EXISTED,
} from '../../src/gan/config.js';
import { ArgumentError } from '../../src/base/errors.js';
import {
  classHeadClasses,
  classifiesBuiltinSet,
  discriminatorNetworkSpec,
  discriminatorOutputs,
} from '../../src/gan/networks.js';

describe('GAN settings', () => {
  it.each([
    [{ loss: 'wasserstein' }, /loss.*bce, hinge, least-squares/],
    [{ loss: 'wgan' }, /^loss: must be one of bce, hinge, least-squares, got "wgan"$/],
    [{ loss: 'hinge', realLabel: 0.9 }, /realLabel.*hinge loss has no targets to smooth/],
    [{ discriminatorLr: -1e-4 }, /discriminatorLr.*>= 0/],
    [{ generatorLr: Number.NaN }, /generatorLr.*finite/],
    [{ generatorLr: '1e-4' }, /generatorLr.*finite/],
    [{ emaWarmup: 0.5 }, /emaWarmup.*at least 1/],
    // The GPU reads the decay as a 32-bit float, in which this is 1: an average that never moves.
    [{ emaDecay: 0.99999999 }, /emaDecay.*1 in 32-bit floats/],
    [{ oneHotValue: 3 }, /oneHotValue.*power of two from 1 to 64/],
    [{ oneHotValue: 0.5 }, /oneHotValue.*power of two from 1 to 64/],
    [{ oneHotValue: 128 }, /oneHotValue.*power of two from 1 to 64/],
    [{ oneHotValue: '8' }, /oneHotValue.*power of two from 1 to 64/],
    [{ discriminatorInputNoise: -0.1 }, /^discriminatorInputNoise: must be >= 0/],
    // Far past the pictures' range: it drowned them, then overflowed D's loss and was blamed on the rate.
    [{ discriminatorInputNoise: 1e30 }, /^discriminatorInputNoise: must be <= 100, got 1e\+30/],
    [{ discriminatorHiddenNoise: 100.5 }, /^discriminatorHiddenNoise: must be <= 100/],
    [{ generatorBatchNorm: 'yes' }, /^generatorBatchNorm: must be true or false/],
    [{ architecture: 'dcgan', generatorBatchNorm: true }, /^generatorBatchNorm: is for the MLP's generator/],
    [{ discriminatorHiddenNoise: Number.NaN }, /^discriminatorHiddenNoise: must be a finite number/],
    [
      { architecture: 'dcgan', discriminatorHiddenNoise: 0.5 },
      /^discriminatorHiddenNoise: adds noise layers to the MLP discriminator; a DCGAN has none/,
    ],
    [{ classes: 10, discriminatorInputNoise: 0.3 }, /^discriminatorInputNoise: would come before the one-hot class/],
    [
      { discriminatorHidden: new Array(12).fill(8), discriminatorInputNoise: 0.3, discriminatorHiddenNoise: 0.5 },
      /^discriminatorInputNoise: makes 26 layers of D \(each noise layer counts\), more than the 24/,
    ],
    [{ weightNorm: 1 }, /^weightNorm: must be true or false, got 1/],
    [{ weightNorm: true }, /^weightNorm: takes the place of spectral normalisation in D: turn spectralNorm off/],
    [
      { weightNorm: true, spectralNorm: false, classes: 10 },
      /^weightNorm: takes a conditional D only as an auxiliary classifier/,
    ],
    [
      { weightNorm: true, spectralNorm: false, classes: 10, conditioning: 'projection' },
      /^weightNorm: takes a conditional D only as an auxiliary classifier/,
    ],
  ])('refuses %o with an ArgumentError naming the setting', (partial, message) => {
    const attempt = () => resolveGanConfig(partial as never);
    expect(attempt).toThrow(ArgumentError);
    expect(attempt).toThrow(message);
  });

  it('takes weight normalisation in place of spectral normalisation, a DCGAN without batch norms in D', () => {
    const plain = { weightNorm: true, spectralNorm: false };
    expect(resolveGanConfig(plain).weightNorm).toBe(true);
    expect(resolveGanConfig({ ...plain, classes: 10, conditioning: 'auxiliary' }).weightNorm).toBe(true);
    const semi = resolveGanConfig({ ...plain, architecture: 'dcgan', labelClasses: 10, labeled: 100 });
    const kinds = discriminatorNetworkSpec(semi).layers.map((layer) => layer.kind);
    expect(kinds).not.toContain('batch-norm');
    expect(kinds).toContain('conv2d');
  });

  it('accepts every loss, and smoothing with the two that have targets', () => {
    for (const loss of ['bce', 'hinge', 'least-squares'] as const) expect(resolveGanConfig({ loss }).loss).toBe(loss);
    expect(resolveGanConfig({ loss: 'least-squares', realLabel: 0.9 }).realLabel).toBe(0.9);
  });

  it('learning rates: each network its own where set, else lr', () => {
    expect(learningRates(resolveGanConfig({ lr: 3e-4 }))).toEqual({ discriminator: 3e-4, generator: 3e-4 });
    expect(learningRates(resolveGanConfig({ lr: 3e-4, discriminatorLr: 4e-4 }))).toEqual({
      discriminator: 4e-4,
      generator: 3e-4,
    });
    expect(learningRates(resolveGanConfig({ generatorLr: 1e-4, discriminatorLr: undefined }))).toEqual({
      discriminator: DEFAULT_GAN_CONFIG.lr,
      generator: 1e-4,
    });
    // Left out or undefined reads as null, which a checkpoint's JSON keeps.
    expect(resolveGanConfig({ discriminatorLr: undefined }).discriminatorLr).toBeNull();
  });
});

describe("a checkpoint's recorded configuration", () => {
  it('fills a setting the file predates with the value runs had before it, whatever the default', () => {
    const recorded = { ...DEFAULT_GAN_CONFIG } as Record<string, unknown>;
    for (const key of Object.keys(SETTINGS_BEFORE_THEY_EXISTED)) delete recorded[key];
    const config = resolveRecordedConfig(recorded);
    for (const [key, value] of Object.entries(SETTINGS_BEFORE_THEY_EXISTED))
      expect(config[key as keyof typeof config], key).toEqual(value);
    // And what a file does record is kept.
    expect(resolveRecordedConfig({ ...recorded, loss: 'hinge', emaWarmup: 7 })).toMatchObject({
      loss: 'hinge',
      emaWarmup: 7,
    });
  });

  it('conditioning: MLPs take the one-hot unless told, a DCGAN projects or classifies, old files keep theirs', () => {
    expect(resolveGanConfig({ classes: 10 }).conditioning).toBe('one-hot');
    expect(resolveGanConfig({ classes: 10, conditioning: 'projection' }).conditioning).toBe('projection');
    expect(resolveGanConfig({ architecture: 'dcgan', classes: 10 }).conditioning).toBe('projection');
    // A settings object made for an MLP may carry its one-hot along: a DCGAN projects all the same.
    expect(resolveGanConfig({ architecture: 'dcgan', classes: 10, conditioning: 'one-hot' }).conditioning).toBe(
      'projection',
    );
    for (const architecture of ['mlp', 'dcgan'] as const)
      expect(resolveGanConfig({ architecture, classes: 10, conditioning: 'auxiliary' }).conditioning).toBe('auxiliary');
    expect(() => resolveGanConfig({ conditioning: 'concat' as 'one-hot' })).toThrow(
      /^conditioning: must be one-hot or projection or auxiliary, got "concat"/,
    );
    expect(() => resolveGanConfig({ classes: 1, conditioning: 'auxiliary' })).toThrow(
      /^classes: must be at least 2 for an auxiliary classifier/,
    );
    expect(() =>
      resolveGanConfig({ architecture: 'dcgan', classes: 10, conditioning: 'auxiliary', spectralNorm: false }),
    ).toThrow(/^spectralNorm: is off, which gives a DCGAN batch norms in D; an auxiliary classifier takes/);
    const auxiliary = { classes: 10, conditioning: 'auxiliary' } as const;
    expect(resolveGanConfig({ ...auxiliary, auxiliaryHead: 'two-heads', classWeight: 2 })).toMatchObject({
      auxiliaryHead: 'two-heads',
      classWeight: 2,
    });
    expect(() => resolveGanConfig({ ...auxiliary, auxiliaryHead: 'three' as 'two-heads' })).toThrow(
      /^auxiliaryHead: must be k-plus-one or two-heads, got "three"/,
    );
    for (const classWeight of [0, -1, 101, Number.NaN])
      expect(() => resolveGanConfig({ ...auxiliary, classWeight })).toThrow(/^classWeight: must be/);
    expect(() => resolveGanConfig({ classes: 10, auxiliaryHead: 'two-heads' })).toThrow(
      /^auxiliaryHead: is an auxiliary classifier's: set conditioning to 'auxiliary'/,
    );
    expect(() => resolveGanConfig({ classWeight: 2 })).toThrow(/^classWeight: weighs an auxiliary classifier's/);
    // Before the data give the classes (the CLI's first check), the conditioning alone decides.
    expect(resolveGanConfig({ conditioning: 'auxiliary', auxiliaryHead: 'two-heads', classWeight: 2 }).classes).toBe(0);
    const recorded = { ...DEFAULT_GAN_CONFIG, classes: 10 } as Record<string, unknown>;
    delete recorded.conditioning;
    delete recorded.auxiliaryHead;
    delete recorded.classWeight;
    expect(resolveRecordedConfig(recorded)).toMatchObject({ auxiliaryHead: 'k-plus-one', classWeight: 1 });
    expect(resolveRecordedConfig(recorded).conditioning).toBe('one-hot');
    expect(resolveRecordedConfig({ ...recorded, architecture: 'dcgan' }).conditioning).toBe('projection');
  });

  it.each([null, [], 'bce', 3])('refuses %o: not an object of settings', (recorded) => {
    expect(() => resolveRecordedConfig(recorded)).toThrow(/config.*must be an object of settings/);
  });
});

describe("D's class head", () => {
  const semi = (labelClasses: number) => ({ labeled: 10 * labelClasses, labelClasses, spectralNorm: false });

  it('counts the class logits of a semi-supervised D and of an auxiliary classifier, and none otherwise', () => {
    expect(classHeadClasses(resolveGanConfig({}))).toBe(0);
    expect(classHeadClasses(resolveGanConfig({ classes: 10 }))).toBe(0);
    expect(classHeadClasses(resolveGanConfig({ classes: 7, conditioning: 'auxiliary' }))).toBe(7);
    expect(classHeadClasses(resolveGanConfig(semi(3)))).toBe(3);
    // Two heads: seven class logits and a real/fake logit, of which the classes are the seven.
    const twoHeads = resolveGanConfig({ classes: 7, conditioning: 'auxiliary', auxiliaryHead: 'two-heads' });
    expect(classHeadClasses(twoHeads)).toBe(7);
    expect(discriminatorOutputs(twoHeads)).toBe(8);
    expect(discriminatorOutputs(resolveGanConfig({ classes: 7, conditioning: 'auxiliary' }))).toBe(7);
  });

  it("reads a built-in set's classes only with ten of them on 28×28 grey pictures", () => {
    expect(classifiesBuiltinSet(resolveGanConfig(semi(10)))).toBe(true);
    expect(classifiesBuiltinSet(resolveGanConfig({ classes: 10, conditioning: 'auxiliary' }))).toBe(true);
    expect(classifiesBuiltinSet(resolveGanConfig(semi(3)))).toBe(false);
    expect(classifiesBuiltinSet(resolveGanConfig({ classes: 10 }))).toBe(false);
    expect(classifiesBuiltinSet(resolveGanConfig({ ...semi(10), dataDim: 1024 }))).toBe(false);
    expect(classifiesBuiltinSet(resolveGanConfig({ ...semi(10), dataDim: 784 * 3, channels: 3 }))).toBe(false);
  });
});
