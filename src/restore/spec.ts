// The degradation spec of `restore --degradation` and the library: KIND[:name=value,...], joined
// by + into a chain applied left to right (blur:sigma=1.5+noise:sigma=0.1 blurs, then adds noise).
// Defaults suit 28×28 digits in [−1, 1]. Bad specs get an ArgumentError naming `degradation`,
// the part at fault and what to write instead.
import { describeValue, requireArrayLike } from '../base/arguments.js';
import { ArgumentError } from '../base/errors.js';

/**
 * Rows first..last (inclusive, from 0) erased in every channel: a band, as a scratch or a fold
 * hides. Erased values become 0 (mid-grey in [−1, 1]).
 */
export interface MaskDegradation {
  kind: 'mask';
  first: number;
  last: number;
}
/** A Gaussian blur of `sigma` pixels. */
export interface BlurDegradation {
  kind: 'blur';
  sigma: number;
}
/** Gaussian noise of `sigma` (picture units, [−1, 1]) and salt and pepper hitting a share `salt`. */
export interface NoiseDegradation {
  kind: 'noise';
  sigma: number;
  salt: number;
  seed: number;
}
/** Box-average downscaling by `factor`. */
export interface DownscaleDegradation {
  kind: 'downscale';
  factor: number;
}
/** u' = lift + gain · u^gamma on u = (x + 1) / 2: `dark` and `washed` are presets of it. */
export interface ExposureDegradation {
  kind: 'exposure';
  gain: number;
  gamma: number;
  lift: number;
}

export type Degradation =
  | MaskDegradation
  | BlurDegradation
  | NoiseDegradation
  | DownscaleDegradation
  | ExposureDegradation;

interface ParameterRule {
  fallback: number;
  min: number;
  max: number;
  /** The minimum itself is refused (σ = 0 would be no blur at all). */
  minExclusive?: boolean;
  integer?: boolean;
  /** The only values allowed, when there are few. */
  allowed?: number[];
  meaning: string;
}

type Rules = Record<string, ParameterRule>;

const EXPOSURE = (gain: number, gamma: number, lift: number): Rules => ({
  gain: { fallback: gain, min: 0, max: 1, minExclusive: true, meaning: 'contrast kept, (0, 1]' },
  gamma: { fallback: gamma, min: 0, max: 10, minExclusive: true, meaning: 'tone curve, > 1 darkens mid-tones' },
  lift: { fallback: lift, min: 0, max: 0.999, meaning: 'how far black is raised, [0, 1)' },
});

/** Each kind's parameters, defaults and ranges; `dark`, `washed` and `exposure` share exposure's. */
const KINDS: Record<string, Rules> = {
  mask: {
    first: { fallback: 11, min: 0, max: 4095, integer: true, meaning: 'first erased row, from 0' },
    last: { fallback: 18, min: 0, max: 4095, integer: true, meaning: 'last erased row' },
  },
  blur: { sigma: { fallback: 1.5, min: 0, max: 10, minExclusive: true, meaning: 'Gaussian σ in pixels' } },
  noise: {
    sigma: { fallback: 0.2, min: 0, max: 2, meaning: 'Gaussian σ in picture units ([−1, 1])' },
    salt: { fallback: 0, min: 0, max: 1, meaning: 'share of values set to black or white' },
    seed: { fallback: 1, min: 0, max: 0xffffffff, integer: true, meaning: 'noise seed' },
  },
  downscale: { factor: { fallback: 2, min: 2, max: 4, integer: true, allowed: [2, 4], meaning: 'block side' } },
  dark: EXPOSURE(0.4, 1.5, 0),
  washed: EXPOSURE(0.55, 0.7, 0.45),
  exposure: EXPOSURE(1, 1, 0),
};

export const DEGRADATION_KINDS = Object.keys(KINDS);

/** Most operators a chain may hold. */
export const MAX_CHAIN = 8;

const EXAMPLE = 'e.g. blur:sigma=1.5 or blur+noise:sigma=0.1';

function fail(problem: string): never {
  throw new ArgumentError('degradation', problem);
}

/** Parses a spec such as `blur:sigma=1.5+noise:sigma=0.1` into its chain of degradations. */
export function parseDegradation(spec: unknown): Degradation[] {
  if (typeof spec !== 'string') fail(`must be a string KIND[:name=value,...] (${EXAMPLE}), got ${describeValue(spec)}`);
  if (spec.trim() === '')
    fail(`is empty; give KIND[:name=value,...] with KIND one of ${DEGRADATION_KINDS.join(', ')} (${EXAMPLE})`);
  const parts = spec.split('+').map((p) => p.trim());
  if (parts.length > MAX_CHAIN) fail(`chains at most ${MAX_CHAIN} degradations, got ${parts.length}`);
  return parts.map((part, i) => parsePart(part, i));
}

function parsePart(part: string, index: number): Degradation {
  if (part === '') fail(`part ${index + 1} is empty; join degradations with one + (${EXAMPLE})`);
  const colon = part.indexOf(':');
  const kind = (colon < 0 ? part : part.slice(0, colon)).trim().toLowerCase();
  const rules = KINDS[kind];
  if (!rules) fail(`unknown kind "${kind}" in "${part}"; kinds are ${DEGRADATION_KINDS.join(', ')}`);
  const values = colon < 0 ? {} : parseParameters(kind, rules, part.slice(colon + 1));
  const value = (name: string) => values[name] ?? rules[name]!.fallback;
  return buildDegradation(kind, value, values);
}

function parseParameters(kind: string, rules: Rules, text: string): Record<string, number> {
  const values: Record<string, number> = {};
  for (const assignment of text.split(',')) {
    const [rawName, rawValue, ...extra] = assignment.split('=');
    const name = rawName!.trim();
    if (!Object.hasOwn(rules, name)) {
      const known = Object.keys(rules).map((n) => `${n} (${rules[n]!.meaning})`);
      fail(`${kind} has no parameter "${name}"; its parameters are ${known.join(', ')}`);
    }
    if (rawValue === undefined || extra.length > 0 || rawValue.trim() === '')
      fail(`${kind}: write ${name}=NUMBER, got "${assignment.trim()}"`);
    if (Object.hasOwn(values, name)) fail(`${kind}: ${name} is given twice`);
    values[name] = checkValue(kind, name, rules[name]!, rawValue.trim());
  }
  return values;
}

function checkValue(kind: string, name: string, rule: ParameterRule, text: string): number {
  const value = Number(text);
  if (!Number.isFinite(value)) fail(`${kind}: ${name} must be a finite number, got "${text}"`);
  if (rule.integer && !Number.isInteger(value)) fail(`${kind}: ${name} must be a whole number, got ${text}`);
  if (rule.allowed && !rule.allowed.includes(value))
    fail(`${kind}: ${name} must be one of ${rule.allowed.join(', ')}, got ${text}`);
  const low = rule.minExclusive ? value <= rule.min : value < rule.min;
  if (low || value > rule.max) {
    const from = rule.minExclusive ? `above ${rule.min}` : `at least ${rule.min}`;
    fail(`${kind}: ${name} must be ${from} and at most ${rule.max} (${rule.meaning}), got ${text}`);
  }
  return value;
}

function buildDegradation(kind: string, value: (name: string) => number, given: Record<string, number>): Degradation {
  switch (kind) {
    case 'mask': {
      const [first, last] = [value('first'), value('last')];
      if (first > last) fail(`mask: first (${first}) must not be after last (${last})`);
      return { kind, first, last };
    }
    case 'blur':
      return { kind, sigma: value('sigma') };
    case 'noise': {
      // Salt and pepper alone, without a σ, means no Gaussian noise beside it.
      const sigma = given.sigma ?? (given.salt !== undefined ? 0 : value('sigma'));
      const salt = value('salt');
      if (sigma === 0 && salt === 0) fail('noise: sigma and salt are both 0, so nothing would change');
      return { kind, sigma, salt, seed: value('seed') };
    }
    case 'downscale':
      return { kind, factor: value('factor') };
    default: {
      const [gain, gamma, lift] = [value('gain'), value('gamma'), value('lift')];
      if (lift + gain > 1) fail(`${kind}: lift + gain must be at most 1 so white stays in range, got ${lift + gain}`);
      return { kind: 'exposure', gain, gamma, lift };
    }
  }
}

/** The chain written back as a spec, every parameter spelled out (for reports and file names). */
export function formatDegradation(chain: readonly Degradation[]): string {
  requireArrayLike('chain', chain, 'an array of degradations (from parseDegradation)');
  return chain
    .map((d) => {
      const { kind, ...parameters } = d;
      return `${kind}:${Object.entries(parameters)
        .map(([k, v]) => `${k}=${v}`)
        .join(',')}`;
    })
    .join('+');
}

/**
 * What a restorer undoes, as text: the chain as formatDegradation writes it less each noise's
 * seed, since noise of one strength is the same to undo whatever numbers drew it.
 */
export function restorationKey(chain: readonly Degradation[]): string {
  requireArrayLike('chain', chain, 'an array of degradations (from parseDegradation)');
  return formatDegradation(chain).replace(/,seed=\d+/g, '');
}

/** Whether the degradation is inside the fit: noise is not (the fit's forward is the identity). */
export function isFitted(d: Degradation): boolean {
  return d.kind !== 'noise';
}
