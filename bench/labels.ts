// Issue 28's table of learning from few labels (a benchmark, not a test): for each number of
// labelled MNIST images, architecture and seed, the same D trained on its labelled images alone
// (`--labeled-only`, the baseline) and semi-supervised, each scored on the 10,000 test digits at
// its last step. It runs the CLI as a user would, one run at a time, each in its own folder under
// --out. A run whose log already holds its last step's accuracy is read rather than trained again,
// and one cut short resumes from its checkpoint, so a device run that ends early loses nothing.
//   npm run bench:labels -- [--labels 100,600,1000,60000] [--arch mlp,dcgan] [--seeds 1,2,3]
//     [--steps 3000] [--batch 64] [--out DIR] [--json FILE] [-- FLAGS FOR EVERY TRAIN RUN]
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { helpText, parseFlags, UsageError, type FlagTable } from '../src/cli/args.js';
import { decodeCheckpoint } from '../src/gan/checkpoint.js';

const FLAGS: FlagTable = {
  labels: {
    kind: 'integers',
    help: 'how many labelled images, balanced over the classes (default 100,600,1000,60000)',
  },
  arch: { kind: 'string', help: 'architectures, comma-separated: mlp, dcgan (default mlp)' },
  seeds: { kind: 'integers', help: 'seeds: each picks its own labelled images and first weights (default 1,2,3)' },
  steps: { kind: 'integer', min: 1, help: 'training steps per run (default 3000)' },
  batch: { kind: 'integer', min: 1, help: 'batch size (default 64)' },
  out: { kind: 'string', help: 'the folder of the runs, one sub-folder each (default runs/labels)' },
  json: { kind: 'string', help: 'also write the test accuracy of every run to this JSON file' },
  help: { kind: 'boolean', help: 'this text' },
};

const USAGE = helpText(
  'bench:labels',
  'Trains D on labelled MNIST images alone and semi-supervised, for each number of labels, architecture and\n' +
    'seed, and prints the test error of each as a table. Flags after a lone -- go to every train run.',
  FLAGS,
).replace('usage: webgpu-gan bench:labels [flags]', 'usage: npm run bench:labels -- [flags] [-- train flags]');

const ARCHITECTURES = ['mlp', 'dcgan'];
/** MNIST's classes and training images: the fewest and the most labels a run can take. */
const [CLASSES, IMAGES] = [10, 60000];
/** Train flags the bench sets for each run (or that would make its table wrong), so not after --. */
const OWNED = [
  ...['labeled', 'labeled-only', 'seed', 'steps', 'batch', 'out', 'arch', 'eval-every', 'eval-n'],
  ...['resume', 'force', 'data', 'labels'],
];
const KINDS = ['labels-alone', 'semi-supervised'] as const;
type Kind = (typeof KINDS)[number];

interface Options {
  labels: number[];
  arch: string[];
  seeds: number[];
  steps: number;
  batch: number;
  out: string;
  json?: string;
  trainFlags: string[];
}

/** One trained run and the test accuracy its D reached at the last step. */
interface RunResult {
  labels: number;
  arch: string;
  seed: number;
  kind: Kind;
  /** NaN where the run failed (`failure` says how). */
  accuracy: number;
  /** Read from an earlier bench's log, not trained now. */
  logged?: boolean;
  failure?: string;
}

function options(argv: string[]): Options | null {
  const split = argv.indexOf('--');
  const [own, trainFlags] = split < 0 ? [argv, []] : [argv.slice(0, split), argv.slice(split + 1)];
  const flags = parseFlags(own, FLAGS);
  if (flags.help) return null;
  const arch = String(flags.arch ?? 'mlp')
    .split(',')
    .map((a) => a.trim());
  const unknown = arch.filter((a) => !ARCHITECTURES.includes(a));
  if (unknown.length > 0) throw new UsageError(`--arch: unknown ${unknown.join(', ')} (known: mlp, dcgan)`);
  const lists = { labels: [100, 600, 1000, IMAGES], seeds: [1, 2, 3] };
  for (const name of ['labels', 'seeds'] as const) {
    const given = flags[name] as number[] | undefined;
    if (given && (given.length === 0 || given.some((n) => n < 1)))
      throw new UsageError(
        `--${name} takes positive whole numbers separated by commas, got ${given.join(',') || 'none'}`,
      );
    if (given) lists[name] = [...new Set(given)];
  }
  const outside = lists.labels.find((n) => n < CLASSES || n > IMAGES);
  if (outside !== undefined)
    throw new UsageError(`--labels ${outside}: MNIST takes ${CLASSES} (one image per class) to ${IMAGES} labels`);
  const owned = trainFlags.find((f) => OWNED.some((name) => f === `--${name}` || f.startsWith(`--${name}=`)));
  if (owned) throw new UsageError(`${owned} after --: the bench sets it for each run, or it would change the table`);
  return {
    ...lists,
    arch,
    steps: (flags.steps as number | undefined) ?? 3000,
    batch: (flags.batch as number | undefined) ?? 64,
    out: resolve(String(flags.out ?? join('runs', 'labels'))),
    json: flags.json as string | undefined,
    trainFlags,
  };
}

/** The test accuracy logged at `step`, if the run's log has it. */
function loggedAccuracy(dir: string, step: number): number | undefined {
  const log = join(dir, 'log.jsonl');
  if (!existsSync(log)) return undefined;
  for (const line of readFileSync(log, 'utf8').split('\n').reverse()) {
    if (!line.trim()) continue;
    let entry: { step?: number; testAccuracy?: number };
    try {
      entry = JSON.parse(line);
    } catch {
      continue; // a line cut off when a run was killed (train's resume trims it)
    }
    if (entry.step === step && typeof entry.testAccuracy === 'number') return entry.testAccuracy;
  }
  return undefined;
}

/**
 * A run's folder: what the table varies, the batch, and a digest of the flags after -- (so that a
 * run with other settings is never read for this one).
 */
function runFolder(o: Options, run: Omit<RunResult, 'accuracy'>): string {
  const digest = createHash('sha256').update(o.trainFlags.join('\0')).digest('hex').slice(0, 8);
  const flags = o.trainFlags.length > 0 ? `-${digest}` : '';
  return join(o.out, `${run.arch}-labels${run.labels}-seed${run.seed}-${run.kind}-batch${o.batch}${flags}`);
}

/** Trains one run with the CLI (or resumes it), unless its log already has the accuracy. */
function runOnce(o: Options, cli: string, run: Omit<RunResult, 'accuracy'>): RunResult {
  const dir = runFolder(o, run);
  const done = loggedAccuracy(dir, o.steps);
  if (done !== undefined) return { ...run, accuracy: done, logged: true };
  const resume = existsSync(join(dir, 'checkpoint.safetensors')) ? ['--resume'] : ['--force'];
  const args = [
    ...['train', '--labeled', String(run.labels), '--arch', run.arch, '--seed', String(run.seed)],
    ...['--steps', String(o.steps), '--batch', String(o.batch), '--eval-every', String(o.steps), '--eval-n', '500'],
    ...(run.kind === 'labels-alone' ? ['--labeled-only'] : []),
    ...o.trainFlags,
    ...['--out', dir],
    ...resume,
  ];
  const trained = spawnSync(process.execPath, [cli, ...args], { stdio: ['ignore', 'ignore', 'inherit'] });
  if (trained.status !== 0) {
    const how = trained.signal ? `killed by ${trained.signal}` : `exit ${trained.status ?? trained.error?.message}`;
    return { ...run, accuracy: Number.NaN, failure: `webgpu-gan ${args.join(' ')} failed (${how}); see above` };
  }
  const accuracy = loggedAccuracy(dir, o.steps) ?? classifiedAccuracy(o, cli, dir);
  if (accuracy === undefined)
    return { ...run, accuracy: Number.NaN, failure: `${dir}: no test accuracy at step ${o.steps}` };
  return { ...run, accuracy };
}

/**
 * The accuracy of a checkpoint at the last step whose log missed it (a run stopped just as its
 * last steps ended saves without scoring): `classify` on the test digits, as the log would have it.
 */
function classifiedAccuracy(o: Options, cli: string, dir: string): number | undefined {
  const file = join(dir, 'checkpoint.safetensors');
  if (!existsSync(file) || decodeCheckpoint(readFileSync(file)).step !== o.steps) return undefined;
  const args = ['classify', '--checkpoint', file, '--data', 'mnist', '--json'];
  const classified = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', maxBuffer: 1 << 30 });
  const last = classified.status === 0 ? classified.stdout.trim().split('\n').at(-1) : undefined;
  return last ? (JSON.parse(last) as { accuracy?: number }).accuracy : undefined;
}

const percent = (x: number) => `${(100 * x).toFixed(2)}%`;

/** The test error over the seeds: their mean and, with more than one, the lowest and highest. */
function errorOver(results: RunResult[]): { mean: number; text: string } {
  const failed = results.filter((r) => r.failure).length;
  if (failed > 0) return { mean: Number.NaN, text: `${failed} of ${results.length} runs failed` };
  const errors = results.map((r) => 1 - r.accuracy);
  const mean = errors.reduce((a, b) => a + b, 0) / errors.length;
  const spread = errors.length > 1 ? ` (${percent(Math.min(...errors))}–${percent(Math.max(...errors))})` : '';
  return { mean, text: percent(mean) + spread };
}

function table(o: Options, results: RunResult[]): string {
  const rows = o.arch.flatMap((arch) =>
    o.labels.map((labels) => {
      const [alone, semi] = KINDS.map((kind) =>
        errorOver(results.filter((r) => r.arch === arch && r.labels === labels && r.kind === kind)),
      ) as [ReturnType<typeof errorOver>, ReturnType<typeof errorOver>];
      const ratio = alone.mean > 0 && Number.isFinite(semi.mean) ? (semi.mean / alone.mean).toFixed(2) : '–';
      return `| ${labels} | ${arch} | ${alone.text} | ${semi.text} | ${ratio} |`;
    }),
  );
  return [
    `Test error on the 10,000 MNIST test digits after ${o.steps} steps at batch ${o.batch}, ` +
      `mean over seeds ${o.seeds.join(', ')}${o.seeds.length > 1 ? ' (lowest–highest)' : ''}` +
      `${o.trainFlags.length > 0 ? `, every run with ${o.trainFlags.join(' ')}` : ''}:`,
    '',
    '| labelled images | architecture | labelled images alone | semi-supervised | semi / alone |',
    '| ---: | --- | ---: | ---: | ---: |',
    ...rows,
  ].join('\n');
}

function main(argv = process.argv.slice(2)): void {
  const o = options(argv);
  if (!o) {
    console.log(USAGE);
    return;
  }
  const cli = resolve('bin', 'webgpu-gan.js');
  if (!existsSync(cli)) throw new UsageError('run it from the repository root (npm run bench:labels), where bin/ is');
  const runs = o.arch.flatMap((arch) =>
    o.labels.flatMap((labels) => o.seeds.flatMap((seed) => KINDS.map((kind) => ({ labels, arch, seed, kind })))),
  );
  const results = runs.map((run, i) => {
    const started = Date.now();
    const result = runOnce(o, cli, run);
    const took = result.logged ? 'logged before' : `${((Date.now() - started) / 1000).toFixed(0)} s`;
    const what = result.failure ?? `${percent(result.accuracy)} right (${took})`;
    console.log(
      `run ${i + 1}/${runs.length}: ${run.arch}, ${run.labels} labels, seed ${run.seed}, ${run.kind}: ${what}`,
    );
    return result;
  });
  console.log(`\n${table(o, results)}`);
  const record = { steps: o.steps, batch: o.batch, trainFlags: o.trainFlags, results };
  if (o.json) writeFileSync(o.json, `${JSON.stringify(record, null, 2)}\n`);
  // A failed run is reported in its cell and its line; the others' results are kept above.
  if (results.some((r) => r.failure)) process.exitCode = 1;
}

try {
  main();
} catch (error) {
  // A mistyped flag is the user's to fix: one line and the usage, not a stack.
  if (error instanceof UsageError) {
    console.error(`bench:labels: ${error.message}\n${USAGE}`);
    process.exit(2);
  }
  console.error(`bench:labels: ${(error as Error).message}`);
  process.exit(1);
}
