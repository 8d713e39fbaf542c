// The degradation spec: defaults for 28×28 digits, chains, a round trip through formatDegradation,
// and a named error saying what to write for every kind of bad spec.
import { describe, expect, it } from 'vitest';
import { ArgumentError } from '../../src/base/errors.js';
import { formatDegradation, isFitted, MAX_CHAIN, parseDegradation, restorationKey } from '../../src/restore/spec.js';

describe('parseDegradation', () => {
  it('gives each kind its defaults', () => {
    expect(parseDegradation('mask')).toEqual([{ kind: 'mask', first: 11, last: 18 }]);
    expect(parseDegradation('blur')).toEqual([{ kind: 'blur', sigma: 1.5 }]);
    expect(parseDegradation('noise')).toEqual([{ kind: 'noise', sigma: 0.2, salt: 0, seed: 1 }]);
    expect(parseDegradation('downscale')).toEqual([{ kind: 'downscale', factor: 2 }]);
    expect(parseDegradation('dark')).toEqual([{ kind: 'exposure', gain: 0.4, gamma: 1.5, lift: 0 }]);
    expect(parseDegradation('washed')).toEqual([{ kind: 'exposure', gain: 0.55, gamma: 0.7, lift: 0.45 }]);
    expect(parseDegradation('exposure')).toEqual([{ kind: 'exposure', gain: 1, gamma: 1, lift: 0 }]);
  });

  it('reads parameters and chains, left to right, with spaces and capitals forgiven', () => {
    expect(parseDegradation(' Blur:sigma=2.5 + noise:sigma=0.1,seed=7 + downscale:factor=4')).toEqual([
      { kind: 'blur', sigma: 2.5 },
      { kind: 'noise', sigma: 0.1, salt: 0, seed: 7 },
      { kind: 'downscale', factor: 4 },
    ]);
    expect(parseDegradation('mask:first=0,last=0')).toEqual([{ kind: 'mask', first: 0, last: 0 }]);
  });

  it('salt and pepper alone has no Gaussian part; both can be asked for', () => {
    expect(parseDegradation('noise:salt=0.1')[0]).toMatchObject({ sigma: 0, salt: 0.1 });
    expect(parseDegradation('noise:salt=0.1,sigma=0.05')[0]).toMatchObject({ sigma: 0.05, salt: 0.1 });
  });

  it('round-trips through formatDegradation', () => {
    for (const spec of ['blur+noise:salt=0.2', 'dark+downscale:factor=4', 'mask:first=3,last=9+washed']) {
      const chain = parseDegradation(spec);
      expect(parseDegradation(formatDegradation(chain))).toEqual(chain);
    }
    expect(formatDegradation(parseDegradation('blur'))).toBe('blur:sigma=1.5');
  });

  it("names what a restorer undoes without the noise's seed, which draws other numbers of the same noise", () => {
    const key = (spec: string) => restorationKey(parseDegradation(spec));
    expect(key('noise:seed=7+blur')).toBe('noise:sigma=0.2,salt=0+blur:sigma=1.5');
    expect(key('noise:seed=7')).toBe(key('noise'));
    expect(key('noise:sigma=0.3')).not.toBe(key('noise'));
    expect(key('dark')).toBe('exposure:gain=0.4,gamma=1.5,lift=0');
  });

  it('leaves noise out of the fit and keeps everything else in', () => {
    expect(parseDegradation('blur+noise+mask+dark+downscale').map(isFitted)).toEqual([true, false, true, true, true]);
  });

  const bad: Array<[string, RegExp]> = [
    ['', /is empty; give KIND/],
    ['   ', /is empty/],
    ['blurr:sigma=1', /unknown kind "blurr".*kinds are mask, blur, noise, downscale, dark, washed, exposure/],
    ['blur+', /part 2 is empty/],
    ['blur++noise', /part 2 is empty/],
    ['blur:radius=2', /blur has no parameter "radius"; its parameters are sigma/],
    ['blur:sigma', /blur: write sigma=NUMBER/],
    ['blur:sigma=', /blur: write sigma=NUMBER/],
    ['blur:sigma=1=2', /blur: write sigma=NUMBER/],
    ['blur:sigma=NaN', /sigma must be a finite number, got "NaN"/],
    ['blur:sigma=Infinity', /finite number/],
    ['blur:sigma=abc', /finite number, got "abc"/],
    ['blur:sigma=0', /sigma must be above 0 and at most 10/],
    ['blur:sigma=11', /at most 10/],
    ['blur:sigma=1,sigma=2', /sigma is given twice/],
    ['downscale:factor=3', /factor must be one of 2, 4, got 3/],
    ['downscale:factor=2.5', /whole number/],
    ['mask:first=12,last=4', /first \(12\) must not be after last \(4\)/],
    ['mask:first=-1', /at least 0/],
    ['noise:sigma=0', /both 0, so nothing would change/],
    ['noise:salt=1.5', /salt must be at least 0 and at most 1/],
    ['noise:seed=1.5', /whole number/],
    ['dark:gain=0', /gain must be above 0/],
    ['dark:gamma=-1', /gamma must be above 0/],
    ['washed:lift=0.6', /lift \+ gain must be at most 1/],
    [
      Array(MAX_CHAIN + 1)
        .fill('blur')
        .join('+'),
      /at most 8 degradations/,
    ],
  ];
  for (const [spec, message] of bad) {
    it(`refuses ${JSON.stringify(spec.length > 40 ? `${spec.slice(0, 40)}…` : spec)} by name`, () => {
      expect(() => parseDegradation(spec)).toThrow(ArgumentError);
      expect(() => parseDegradation(spec)).toThrow(message);
      expect(() => parseDegradation(spec)).toThrow(/^degradation: /);
    });
  }

  it('refuses a spec that is not a string', () => {
    expect(() => parseDegradation(undefined)).toThrow(
      /^degradation: must be a string KIND\[:name=value,...\] .*got nothing$/,
    );
    expect(() => parseDegradation(3)).toThrow(ArgumentError);
    expect(() => parseDegradation('  ')).toThrow(/^degradation: is empty/);
  });
});
