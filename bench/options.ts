// `npm run bench` flags, checked before anything touches the GPU: a typo or a bad number stops
// the bench with a message that names the flag, instead of a stack trace minutes into a run.
import { helpText, parseFlags, UsageError, type FlagSpec, type FlagValue } from '../src/cli/args.js';
import type { MatmulVariant } from '../src/kernels/matmul.js';
import { MATMUL_VARIANTS } from '../src/kernels/matmulTuning.js';

export { UsageError };

export interface BenchOptions {
  /** The model whose steps are timed: the design's MLP, or the 28×28 DCGAN preset. */
  arch: 'mlp' | 'dcgan';
  batches: number[];
  steps: number;
  /** Square matmul sizes to time; empty with `--matmul none`. */
  matmul: number[];
  stepsPerSubmit: number;
  json?: string;
  profile: number[];
  tfjs: boolean;
  variants: MatmulVariant[];
  tune: number[];
  tuneReps: number;
  /** With --tune: no matmul shape is started after this many seconds. */
  tuneLimitSeconds?: number;
  writeTuning?: string;
  tuning?: string;
  noTuning: boolean;
  /** Also time steps and square matmuls on a device with Dawn's robustness checks off. */
  robustnessOff: boolean;
  help: boolean;
}

const FLAGS: Record<string, FlagSpec> = {
  arch: {
    kind: 'string',
    choices: ['mlp', 'dcgan'],
    help: 'the model to time: mlp (default) or dcgan (the 28×28 preset; batches 64,256, 3 runs of 5 steps by default)',
  },
  batches: { kind: 'string', help: 'batch sizes to time whole steps at (default 64,256,1024,4096)' },
  steps: { kind: 'integer', min: 1, help: 'timed steps per batch size, after a warm-up (default 300)' },
  matmul: { kind: 'string', help: 'square matmul sizes to time every variant at, or none (default 1024,2048,4096)' },
  'steps-per-submit': { kind: 'integer', min: 1, help: 'steps recorded per command buffer (default 10)' },
  json: { kind: 'string', help: 'also write the results to this JSON file' },
  quick: { kind: 'boolean', help: 'batch 64, 20 steps, matmul 256: under a minute on a software adapter' },
  profile: { kind: 'string', help: 'batch sizes (among --batches) to time per kernel with timestamp queries' },
  'step-variants': {
    kind: 'string',
    help: `also time whole steps with every matmul forced to these (${MATMUL_VARIANTS.join(',')})`,
  },
  'no-tfjs': { kind: 'boolean', help: 'skip the TensorFlow.js WebGPU peer' },
  tuning: { kind: 'string', help: 'use the measured matmul choices in this file (as --write-tuning writes)' },
  'no-tuning': { kind: 'boolean', help: 'ignore the shipped matmul choices: time the rules of src/kernels/matmul.ts' },
  'robustness-off': {
    kind: 'boolean',
    help:
      "also time steps and square matmuls with Dawn's bounds checks in shaders off (disable_robustness), " +
      'beside the default',
  },
  tune: {
    kind: 'string',
    help:
      'only tune: measure every matmul variant and split count per shape of the step, ' +
      "and the logit head's rows per workgroup, at these batch sizes",
  },
  'write-tuning': { kind: 'string', help: 'with --tune: merge the measured table into this file' },
  'tune-reps': { kind: 'integer', min: 1, help: 'with --tune: timed calls per candidate (default 20)' },
  'tune-limit': {
    kind: 'integer',
    min: 1,
    help: 'with --tune: start no matmul shape after this many seconds; the table keeps the shapes measured',
  },
  help: { kind: 'boolean', help: 'print this and exit' },
};

export const BENCH_USAGE = helpText(
  'bench',
  'Times training steps and matmuls on the adapter Dawn finds.',
  FLAGS,
).replace('usage: webgpu-gan bench', 'usage: npm run bench --');

export function parseBenchOptions(argv: string[]): BenchOptions {
  const flags = parseFlags(argv, FLAGS);
  const quick = flags.quick === true;
  const arch = (flags.arch as BenchOptions['arch'] | undefined) ?? 'mlp';
  const dcgan = arch === 'dcgan';
  const batches = sizes('batches', flags.batches, quick ? [64] : dcgan ? [64, 256] : [64, 256, 1024, 4096]);
  const profile = sizes('profile', flags.profile, []);
  const missing = profile.filter((b) => !batches.includes(b));
  if (missing.length > 0)
    throw new UsageError(
      `--profile ${missing.join(',')}: only batch sizes that are timed can be profiled (--batches ` +
        `${batches.join(',')})`,
    );
  const tune = sizes('tune', flags.tune, []);
  if (flags['write-tuning'] !== undefined && tune.length === 0)
    throw new UsageError('--write-tuning needs --tune (the batch sizes to measure at)');
  for (const flag of ['tune-reps', 'tune-limit']) {
    if (flags[flag] !== undefined && tune.length === 0) throw new UsageError(`--${flag} needs --tune`);
  }
  return {
    arch,
    batches,
    steps: (flags.steps as number | undefined) ?? (dcgan ? (quick ? 2 : 5) : quick ? 20 : 300),
    matmul: flags.matmul === 'none' ? [] : sizes('matmul', flags.matmul, quick ? [256] : [1024, 2048, 4096]),
    stepsPerSubmit: (flags['steps-per-submit'] as number | undefined) ?? 10,
    json: flags.json as string | undefined,
    profile,
    tune,
    tuneReps: (flags['tune-reps'] as number | undefined) ?? 20,
    tuneLimitSeconds: flags['tune-limit'] as number | undefined,
    writeTuning: flags['write-tuning'] as string | undefined,
    tuning: flags.tuning as string | undefined,
    noTuning: flags['no-tuning'] === true,
    robustnessOff: flags['robustness-off'] === true,
    tfjs: flags['no-tfjs'] !== true,
    variants: variants(flags['step-variants']),
    help: flags.help === true,
  };
}

/** A comma-separated list of positive whole numbers, e.g. "64,4096". */
function sizes(name: string, text: FlagValue | undefined, fallback: number[]): number[] {
  if (text === undefined) return fallback;
  const values = String(text)
    .split(',')
    .map((part) => part.trim());
  for (const part of values) {
    if (!/^[1-9]\d*$/.test(part))
      throw new UsageError(`--${name} takes positive whole numbers separated by commas, e.g. 64,4096; got "${text}"`);
  }
  return [...new Set(values.map(Number))];
}

function variants(text: FlagValue | undefined): MatmulVariant[] {
  if (text === undefined) return [];
  const names = String(text)
    .split(',')
    .map((part) => part.trim());
  const unknown = names.filter((name) => !MATMUL_VARIANTS.includes(name as MatmulVariant));
  if (unknown.length > 0)
    throw new UsageError(
      `--step-variants: unknown variant ${unknown.join(', ')} (known: ${MATMUL_VARIANTS.join(', ')})`,
    );
  return names as MatmulVariant[];
}
