// Command-line flags. Each command keeps one table of its flags; the table drives parsing (`--name
// value`, `--name=value`, boolean `--name`), `--help`, defaults, and which flag an error names.
// A flag that sets a library setting is only converted here: the library validates the setting,
// once, and its ArgumentError is reported under the flag's name (the CLI exits 2 on these errors).
// A small parser of our own rather than node's util.parseArgs, which reads only strings and
// booleans (numbers and their messages would be ours anyway) and silently keeps a repeated flag's last value.
import type { ArgumentError } from '../base/errors.js';

/**
 * Text for the terminal with its control characters escaped (\x1b as "\x1b"): a file name may hold
 * any byte but "/" and NUL, and one with an escape sequence in it must not drive the terminal.
 */
export function printable(text: string): string {
  return Array.from(text, (c) => {
    const code = c.charCodeAt(0);
    const control = code < 0x20 ? code !== 0x09 : code >= 0x7f && code <= 0x9f; // C0 but tab, DEL, C1
    return control ? `\\x${code.toString(16).padStart(2, '0')}` : c;
  }).join('');
}

export class UsageError extends Error {
  override name = 'UsageError';
}

/** 'integers': a comma-separated list of whole numbers, e.g. layer widths `1000,500,250`. */
export type FlagKind = 'integer' | 'number' | 'string' | 'boolean' | 'integers';
export type FlagValue = number | string | boolean | number[];

export interface FlagSpec<Setting extends string = string> {
  kind: FlagKind;
  help: string;
  /** Without the flag the command stops with "--name is required". */
  required?: boolean;
  /**
   * The value without the flag, shown in --help. A flag with a `setting` only shows it: the
   * library fills in its own default, which the table takes from the library rather than restating.
   */
  default?: number | string;
  /** The library setting this flag sets. The library checks the value and names this flag's setting in errors. */
  setting?: Setting;
  /** A boolean flag's value for its setting (default true): `--no-spectral-norm` sets spectralNorm false. */
  value?: boolean;
  /** Checks of a flag without a setting, which only the CLI has: its range, or the values it takes. */
  min?: number;
  max?: number;
  choices?: readonly string[];
}

export type FlagTable<Setting extends string = string> = Record<string, FlagSpec<Setting>>;
/** The flags as given: a flag left out is absent, whatever its default. */
export type ParsedFlags = Record<string, FlagValue | undefined>;

export function parseFlags(argv: string[], specs: FlagTable): ParsedFlags {
  const flags: ParsedFlags = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('--')) throw new UsageError(`unexpected argument "${arg}"`);
    const [name, inline] = arg.slice(2).split(/=(.*)/s, 2) as [string, string | undefined];
    const spec = specs[name];
    if (!spec) throw new UsageError(`unknown flag --${name} (known: ${flagList(Object.keys(specs))})`);
    if (name in flags) throw new UsageError(`--${name} given twice`);
    if (spec.kind === 'boolean') {
      if (inline !== undefined) throw new UsageError(`--${name} takes no value`);
      flags[name] = true;
      continue;
    }
    const value = inline ?? argv[++i];
    if (value === undefined || (inline === undefined && value.startsWith('--')))
      throw new UsageError(`--${name} needs a value`);
    flags[name] = convert(name, value, spec);
  }
  checkGiven(flags, specs);
  return flags;
}

function flagList(names: string[]): string {
  return names.map((k) => `--${k}`).join(', ');
}

/** Flags the command cannot do without, and two flags that would set one setting two ways. */
function checkGiven(flags: ParsedFlags, specs: FlagTable): void {
  for (const [name, spec] of Object.entries(specs)) {
    if (spec.required && flags[name] === undefined)
      throw new UsageError(`--${name} is required (${spec.help.replace(/ \(required\)$/, '')})`);
  }
  const bySetting = new Map<string, string[]>();
  for (const name of Object.keys(flags)) {
    const setting = specs[name]!.setting;
    if (setting !== undefined) bySetting.set(setting, [...(bySetting.get(setting) ?? []), name]);
  }
  for (const names of bySetting.values())
    if (names.length > 1) throw new UsageError(`${flagList(names).replace(/, ([^,]*)$/, ' and $1')}: give one of them`);
}

function convert(name: string, text: string, spec: FlagSpec): number | string | number[] {
  if (spec.kind === 'integers') return integerList(name, text);
  if (spec.kind === 'string') {
    if (text.length === 0) throw new UsageError(`--${name} must not be empty`);
    if (spec.choices && !spec.setting && !spec.choices.includes(text))
      throw new UsageError(`--${name} must be one of ${spec.choices.join(', ')}, got "${text}"`);
    return text;
  }
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value)) throw new UsageError(`--${name} must be a number, got "${text}"`);
  if (spec.setting) return value; // the library's to judge
  if (spec.kind === 'integer' && !Number.isInteger(value))
    throw new UsageError(`--${name} must be a whole number, got "${text}"`);
  if (spec.min !== undefined && value < spec.min)
    throw new UsageError(`--${name} must be at least ${spec.min}, got ${text}`);
  if (spec.max !== undefined && value > spec.max)
    throw new UsageError(`--${name} must be at most ${spec.max}, got ${text}`);
  return value;
}

/** `1000,500,250` as [1000, 500, 250]; an empty list is written as `none`. Ranges are the library's to judge. */
function integerList(name: string, text: string): number[] {
  if (text === 'none') return [];
  const parts = text.split(',');
  const values = parts.map((part) => Number(part));
  // Digits only: Number() would also read 0x10, 1e3 and " 7 " as whole numbers.
  if (!parts.every((part) => /^\d+$/.test(part)) || !values.every(Number.isSafeInteger))
    throw new UsageError(`--${name} must be whole numbers separated by commas (e.g. 256,128) or none, got "${text}"`);
  return values;
}

/** The given flags with the table's defaults filled in, except a setting's, which the library fills. */
export function withDefaults(flags: ParsedFlags, specs: FlagTable): ParsedFlags {
  const filled: ParsedFlags = { ...flags };
  for (const [name, spec] of Object.entries(specs))
    if (filled[name] === undefined && spec.default !== undefined && !spec.setting) filled[name] = spec.default;
  return filled;
}

/** The library settings the given flags set, by the setting's name: what a command hands the library. */
export function settingsOf<Setting extends string>(
  flags: ParsedFlags,
  specs: FlagTable<Setting>,
): Partial<Record<Setting, FlagValue>> {
  const settings: Partial<Record<Setting, FlagValue>> = {};
  for (const [name, value] of Object.entries(flags)) {
    const spec = specs[name];
    if (spec?.setting !== undefined && value !== undefined)
      settings[spec.setting] = spec.kind === 'boolean' ? (spec.value ?? true) : value;
  }
  return settings;
}

/** The flag that sets a library setting (the first, where two do), or undefined. */
export function flagFor(specs: FlagTable, setting: string): string | undefined {
  return Object.keys(specs).find((name) => specs[name]!.setting === setting);
}

/**
 * A library error about a setting, told as the flag that sets it: `lr-d: must be >= 0` for
 * discriminatorLr. An error about anything else is left as the library wrote it.
 */
export function errorForFlags(error: ArgumentError, specs: FlagTable): string {
  const flag = flagFor(specs, error.argument);
  const prefix = `${error.argument}: `;
  if (flag === undefined || !error.message.startsWith(prefix)) return error.message;
  return `--${flag}: ${error.message.slice(prefix.length)}`;
}

/** How a flag's value is shown in help: its choices, TEXT or N. */
function valueHint(spec: FlagSpec): string {
  if (spec.kind === 'boolean') return '';
  if (spec.kind === 'integers') return ' N,N,...';
  return ` ${spec.choices ? spec.choices.join('|') : spec.kind === 'string' ? 'TEXT' : 'N'}`;
}

/** A flag's help as --help shows it: its text, then whether it is required or its default. */
export function flagHelp(spec: FlagSpec): string {
  if (spec.required) return `${spec.help} (required)`;
  return spec.default === undefined ? spec.help : `${spec.help} (default ${showValue(spec.default)})`;
}

/** Small rates as they are written by hand (4e-4, not 0.0004). */
export function showValue(value: number | string): string {
  return typeof value === 'number' && value !== 0 && Math.abs(value) < 1e-3 ? value.toExponential() : String(value);
}

export function helpText(command: string, summary: string, specs: FlagTable): string {
  // Two spaces at least between a flag and its help, however long the flag.
  const lines = Object.entries(specs).map(([name, s]) => `${`  --${name}${valueHint(s)}`.padEnd(26)}  ${flagHelp(s)}`);
  return `usage: webgpu-gan ${command} [flags]\n${summary}\n\n${lines.join('\n')}\n`;
}
