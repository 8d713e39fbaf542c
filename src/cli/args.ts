// Command-line flags: `--name value`, `--name=value` and boolean `--name`, checked against what
// each command accepts, with errors that say which flag and why (the CLI exits 2 on them).

export class UsageError extends Error {
  override name = 'UsageError';
}

export type FlagKind = 'integer' | 'number' | 'string' | 'boolean';

export interface FlagSpec {
  kind: FlagKind;
  help: string;
  min?: number;
  max?: number;
  /** For a string flag: the values it takes. */
  choices?: readonly string[];
}

export type ParsedFlags = Record<string, number | string | boolean | undefined>;

export function parseFlags(argv: string[], specs: Record<string, FlagSpec>): ParsedFlags {
  const flags: ParsedFlags = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('--')) throw new UsageError(`unexpected argument "${arg}"`);
    const [name, inline] = arg.slice(2).split(/=(.*)/s, 2) as [string, string | undefined];
    const spec = specs[name];
    if (!spec)
      throw new UsageError(
        `unknown flag --${name} (known: ${Object.keys(specs)
          .map((k) => `--${k}`)
          .join(', ')})`,
      );
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
  return flags;
}

function convert(name: string, text: string, spec: FlagSpec): number | string {
  if (spec.kind === 'string') {
    if (text.length === 0) throw new UsageError(`--${name} must not be empty`);
    if (spec.choices && !spec.choices.includes(text))
      throw new UsageError(`--${name} must be one of ${spec.choices.join(', ')}, got "${text}"`);
    return text;
  }
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value)) throw new UsageError(`--${name} must be a number, got "${text}"`);
  if (spec.kind === 'integer' && !Number.isInteger(value))
    throw new UsageError(`--${name} must be a whole number, got "${text}"`);
  if (spec.min !== undefined && value < spec.min)
    throw new UsageError(`--${name} must be at least ${spec.min}, got ${text}`);
  if (spec.max !== undefined && value > spec.max)
    throw new UsageError(`--${name} must be at most ${spec.max}, got ${text}`);
  return value;
}

/** How a flag's value is shown in help: its choices, TEXT or N. */
function valueHint(spec: FlagSpec): string {
  if (spec.kind === 'boolean') return '';
  return ` ${spec.choices ? spec.choices.join('|') : spec.kind === 'string' ? 'TEXT' : 'N'}`;
}

export function helpText(command: string, summary: string, specs: Record<string, FlagSpec>): string {
  // Two spaces at least between a flag and its help, however long the flag.
  const lines = Object.entries(specs).map(([name, s]) => `${`  --${name}${valueHint(s)}`.padEnd(26)}  ${s.help}`);
  return `usage: webgpu-gan ${command} [flags]\n${summary}\n\n${lines.join('\n')}\n`;
}
