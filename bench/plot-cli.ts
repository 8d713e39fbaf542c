// `npm run plot -- --metric M --out FILE.svg LABEL=RUN ...`: one chart of the scores that runs'
// log.jsonl files hold (RUN: a run's folder or its log.jsonl). The charts in QUALITY.md come
// from here. A bad flag or file is said in one line, with the usage for a bad flag.
import { existsSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { helpText, parseFlags, UsageError, type FlagTable } from '../src/cli/args.js';
import { PLOT_METRICS, PlotError, type PlotMetric, plotSvg, readSeries } from './plot.js';

const FLAGS: FlagTable = {
  metric: { kind: 'string', choices: [...PLOT_METRICS], required: true, help: 'the score to follow along the runs' },
  out: { kind: 'string', required: true, help: 'the SVG file to write' },
  title: { kind: 'string', help: 'a line above the chart' },
  marks: {
    kind: 'string',
    help: 'guide lines across the chart, comma-separated, in percent for a fraction (e.g. 95,97)',
  },
  help: { kind: 'boolean', help: 'print this and exit' },
};

const SUMMARY = 'Charts log.jsonl scores along runs; then LABEL=RUN for each run (its folder or log.jsonl).';
const USAGE = helpText('plot', SUMMARY, FLAGS).replace(
  'usage: webgpu-gan plot [flags]',
  'usage: npm run plot -- [flags] LABEL=RUN ...',
);

/** Splits the command line into flags (with their values) and LABEL=RUN pairs. */
function splitArgs(argv: string[]): { flags: string[]; runs: string[] } {
  const flags: string[] = [];
  const runs: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('--')) {
      runs.push(arg);
      continue;
    }
    flags.push(arg);
    const spec = FLAGS[arg.slice(2)];
    if (spec && spec.kind !== 'boolean' && i + 1 < argv.length) flags.push(argv[++i]!);
  }
  return { flags, runs };
}

function readRun(pair: string, metric: PlotMetric) {
  const at = pair.indexOf('=');
  if (at <= 0) throw new UsageError(`"${pair}" is not LABEL=RUN (e.g. one-hot=runs/onehot)`);
  const label = pair.slice(0, at);
  const path = pair.slice(at + 1);
  if (!existsSync(path)) throw new PlotError(`${label}: ${path} does not exist`);
  const file = statSync(path).isDirectory() ? join(path, 'log.jsonl') : path;
  if (!existsSync(file)) throw new PlotError(`${label}: ${path} has no log.jsonl: is it a train --out folder?`);
  return readSeries(readFileSync(file, 'utf8'), metric, label);
}

function parseMarks(text: string | undefined): number[] {
  if (text === undefined) return [];
  const marks = text.split(',').map(Number);
  if (marks.some((m) => !Number.isFinite(m))) throw new UsageError(`--marks: "${text}" is not a list of numbers`);
  return marks;
}

try {
  const { flags: flagArgs, runs } = splitArgs(process.argv.slice(2));
  if (flagArgs.includes('--help')) {
    process.stdout.write(USAGE);
    process.exit(0);
  }
  const flags = parseFlags(flagArgs, FLAGS);
  if (runs.length === 0) throw new UsageError('give at least one run as LABEL=RUN');
  const metric = flags.metric as PlotMetric;
  const marks = parseMarks(flags.marks as string | undefined);
  const series = runs.map((pair) => readRun(pair, metric));
  const svg = plotSvg(series, { metric, title: flags.title as string | undefined, marks });
  const out = flags.out as string;
  writeFileSync(`${out}.partial`, svg);
  renameSync(`${out}.partial`, out);
  console.log(`wrote ${out}: ${series.map((s) => `${s.label} (${s.points.length} points)`).join(', ')}`);
} catch (e) {
  if (e instanceof UsageError) {
    console.error(`plot: ${e.message}\n\n${USAGE}`);
    process.exit(2);
  }
  if (e instanceof PlotError) {
    console.error(`plot: ${e.message}`);
    process.exit(1);
  }
  throw e;
}
