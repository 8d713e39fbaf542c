// The restoration benchmark (issue 29, section 3): fixed MNIST test digits × each degradation at
// its default; our latent-search restore (ImageRepairer) against the nearest training picture and
// the classical method for each degradation, all in one run. Each is scored by PSNR and SSIM
// against the truth (src/eval/pictureQuality.ts) and by the committed MNIST classifier's accuracy
// on the restored digits. Prints a markdown table, and under it each of ours against the baseline
// read best, picture by picture (bench/restore/paired.ts); --json FILE writes the numbers.
// --figure FILE writes a PNG of the first two pictures of each degradation: degraded, each method
// in the table's order, truth. --restorers DIR adds each trained restorer found there (restorer.safetensors files of
// `train --task restore`, matched to a degradation by what they undo) as a method of its own.
//   npm run bench:restore -- --checkpoint run/checkpoint.safetensors [--restorers DIR] [--n 100] [--quick]
//     [--json out.json]
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { degradePictures } from '../src/restore/degradePictures.js';
import { createAccuracyMeter } from '../src/eval/accuracy.js';
import { loadClassifier } from '../src/eval/classifier.js';
import { readClassifierFile } from '../src/eval/classifierFile.js';
import { readCheckpointFile } from '../src/gan/checkpointFile.js';
import { loadDiscriminator } from '../src/gan/discriminator.js';
import { loadGenerator } from '../src/gan/sampler.js';
import { formatAdapter } from '../src/gpu/adapter.js';
import type { GpuContext } from '../src/gpu/context.js';
import { acquireGpu } from '../src/gpu/device.js';
import type { MlpWeights } from '../src/nn/mlp.js';
import { ImageRepairer, type RepairOptions } from '../src/repair/repairer.js';
import { decodeRestorer, isRestorerFile, type RestorerFile } from '../src/restore/restorerFile.js';
import { type Degradation, isFitted, parseDegradation, restorationKey } from '../src/restore/spec.js';
import { TrainedRestorer } from '../src/restore/trainedRestorer.js';
import { classicalBaselines, BENCH_DEGRADATIONS, knownValues, toUnit } from './restore/methods.js';
import { type FigureRow, figurePng } from './restore/figure.js';
import { type HitsRow, pairedComparisons, pairedLines } from './restore/paired.js';
import { nameApart, type NamedRestorer } from './restore/restorerNames.js';
import { psnr, ssim } from '../src/eval/pictureQuality.js';
import { nearestRow, pasteUnknown } from './restore/nearest.js';
import { benchPictures, classCounts } from './restore/pictures.js';

const SIDE = 28;
/** Pictures of each degradation in --figure's PNG. */
const FIGURE_PICTURES = 2;
const PIXELS = SIDE * SIDE;

interface Settings {
  n: number;
  train: number;
  starts: number;
  steps: number;
  degradations: string[];
}

export interface MethodScore {
  degradation: string;
  method: string;
  psnr: number;
  ssim: number;
  accuracy: number;
}

function settingsFrom(values: Record<string, string | boolean | undefined>): Settings {
  const quick = values.quick === true;
  const number = (key: string, fallback: number) => {
    const v = values[key] === undefined ? fallback : Number(values[key]);
    if (!Number.isInteger(v) || v < 1) throw new Error(`--${key} must be a positive integer, got ${values[key]}`);
    return v;
  };
  return {
    n: number('n', quick ? 4 : 100),
    train: number('train', quick ? 500 : 10_000),
    starts: number('starts', quick ? 4 : 64),
    steps: number('steps', quick ? 20 : 500),
    // Separated by ; since a spec has commas of its own (noise:sigma=0,salt=0.1).
    degradations: values.degradations ? String(values.degradations).split(';') : BENCH_DEGRADATIONS,
  };
}

/** Scores pictures (n × 784 in [0, 1]) against the truth and through the classifier. */
async function score(
  ctx: GpuContext,
  classifier: MlpWeights,
  restored: Float64Array,
  truth: Float64Array,
  labels: Uint8Array,
) {
  const n = labels.length;
  let [p, s] = [0, 0];
  for (let i = 0; i < n; i++) {
    const [a, b] = [restored.subarray(i * PIXELS, (i + 1) * PIXELS), truth.subarray(i * PIXELS, (i + 1) * PIXELS)];
    // PSNR of a perfect restoration is infinite; 100 dB stands for it so the mean stays a number.
    p += Math.min(100, psnr(a, b));
    s += ssim({ width: SIDE, height: SIDE, values: a }, { width: SIDE, height: SIDE, values: b });
  }
  const bytes = Uint8Array.from(restored, (v) => Math.round(Math.min(1, Math.max(0, v)) * 255));
  const meter = await createAccuracyMeter(ctx, classifier, bytes, labels);
  try {
    const predictions = await meter.predictions();
    const hits = Uint8Array.from(predictions, (c, i) => (c === labels[i] ? 1 : 0));
    return { psnr: p / n, ssim: s / n, accuracy: await meter.measure(), hits };
  } finally {
    meter.destroy();
  }
}

/** Our restore, one picture at a time: `repair` for a mask alone (known pixels kept), else `restore`. */
async function restoreOurs(
  ctx: GpuContext,
  checkpoint: ReturnType<typeof readCheckpointFile>,
  chain: Degradation[],
  degraded: Float32Array,
  settings: Settings,
  search: Pick<RepairOptions, 'context' | 'blend' | 'prior'> = {},
): Promise<Float64Array> {
  const maskOnly = chain.every((d) => d.kind === 'mask');
  const generator = loadGenerator(ctx, checkpoint);
  const discriminator = loadDiscriminator(ctx, checkpoint);
  const { prior, ...picture } = search;
  const options = {
    starts: settings.starts,
    ...(prior && { prior }),
    ...(maskOnly ? picture : { degradation: chain }),
  };
  const repairer = await ImageRepairer.create(ctx, checkpoint.config, generator, discriminator, options);
  try {
    const size = degraded.length / settings.n;
    const known = knownValues(chain, SIDE);
    const out = new Float64Array(settings.n * PIXELS);
    for (let i = 0; i < settings.n; i++) {
      const picture = degraded.subarray(i * size, (i + 1) * size);
      const run = { steps: settings.steps };
      const result = maskOnly ? await repairer.repair(picture, known, run) : await repairer.restore(picture, run);
      out.set(toUnit(result.completion), i * PIXELS);
    }
    return out;
  } finally {
    repairer.destroy();
    generator.destroy();
    discriminator.destroy();
  }
}

/**
 * The latent search's rows: as it is; for a mask also without Yeh et al.'s context and blend (the
 * default); and with each z kept on the prior's sphere (one more search per degradation).
 */
async function searches(
  ctx: GpuContext,
  checkpoint: ReturnType<typeof readCheckpointFile>,
  chain: Degradation[],
  degraded: Float32Array,
  settings: Settings,
): Promise<Array<{ name: string; restored: Float64Array }>> {
  const rows = [
    { name: 'ours (latent search)', restored: await restoreOurs(ctx, checkpoint, chain, degraded, settings) },
  ];
  if (chain.every((d) => d.kind === 'mask')) {
    const plain = { context: 'uniform', blend: 'copy' } as const;
    const restored = await restoreOurs(ctx, checkpoint, chain, degraded, settings, plain);
    rows.push({ name: 'ours (latent search, uniform context, copied fill)', restored });
  }
  // Yeh et al.'s last option: each z kept on the prior's shell.
  const sphere = await restoreOurs(ctx, checkpoint, chain, degraded, settings, { prior: 'sphere' });
  rows.push({ name: 'ours (latent search, sphere prior)', restored: sphere });
  return rows;
}

/** The training picture nearest to each degraded one, degraded the same way without noise. */
async function restoreNearest(
  ctx: GpuContext,
  chain: Degradation[],
  degraded: Float32Array,
  train: Float32Array,
  settings: Settings,
): Promise<Float64Array> {
  const fitted = chain.filter(isFitted);
  const geometry = { rows: settings.train, channels: 1, height: SIDE, width: SIDE };
  const candidates = fitted.length > 0 ? await degradePictures(ctx, fitted, geometry, train, {}) : train;
  const size = degraded.length / settings.n;
  const maskOnly = chain.every((d) => d.kind === 'mask');
  const known = knownValues(chain, SIDE);
  const out = new Float64Array(settings.n * PIXELS);
  for (let i = 0; i < settings.n; i++) {
    const picture = degraded.subarray(i * size, (i + 1) * size);
    const row = nearestRow(candidates, settings.train, picture, maskOnly ? known : undefined);
    const clean = train.subarray(row * PIXELS, (row + 1) * PIXELS);
    out.set(toUnit(maskOnly ? pasteUnknown(picture, clean, known) : clean), i * PIXELS);
  }
  return out;
}

/**
 * The restorer files under `dir` (searched one level down too) trained on `data`, by the chain they
 * undo, in the order of their paths: several for one chain are compared in one run.
 */
function readRestorers(dir: string | undefined, data: string): Map<string, NamedRestorer[]> {
  const found = new Map<string, NamedRestorer[]>();
  if (dir === undefined) return found;
  const files = readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.safetensors'));
  for (const path of files.sort()) {
    const bytes = readFileSync(join(dir, path));
    if (!isRestorerFile(bytes)) continue;
    const file = decodeRestorer(bytes);
    if ((file.data ?? 'mnist') !== data) continue;
    const key = restorationKey(file.settings.degradation);
    found.set(key, [...(found.get(key) ?? []), { file, path, name: '' }]);
  }
  for (const [key, list] of found) found.set(key, nameApart(list));
  return found;
}

/** A trained restorer's pictures (n × 784 in [0, 1]), all at once. */
async function restoreTrained(ctx: GpuContext, file: RestorerFile, degraded: Float32Array): Promise<Float64Array> {
  const restorer = TrainedRestorer.fromFile(ctx, file);
  try {
    return toUnit(await restorer.restore(degraded));
  } finally {
    restorer.destroy();
  }
}

function classical(chain: Degradation[], degraded: Float32Array, settings: Settings) {
  const size = degraded.length / settings.n;
  const small = Math.round(Math.sqrt(size));
  const known = knownValues(chain, SIDE);
  return classicalBaselines(chain).map((baseline) => {
    const out = new Float64Array(settings.n * PIXELS);
    for (let i = 0; i < settings.n; i++) {
      const values = toUnit(degraded.subarray(i * size, (i + 1) * size));
      out.set(baseline.restore({ width: small, height: small, values }, known).values, i * PIXELS);
    }
    return { name: baseline.name, restored: out };
  });
}

function table(scores: MethodScore[]): string {
  const rows = scores.map(
    (s) =>
      `| ${s.degradation} | ${s.method} | ${s.psnr.toFixed(2)} | ${s.ssim.toFixed(3)} | ` +
      `${(100 * s.accuracy).toFixed(1)}% |`,
  );
  return [
    '| degradation | method | PSNR (dB) | SSIM | classifier accuracy |',
    '| --- | --- | ---: | ---: | ---: |',
    ...rows,
  ].join('\n');
}

const USAGE =
  'usage: npm run bench:restore -- (--checkpoint FILE | --restorers DIR | both) [--data mnist|fashion-mnist]\n' +
  '  [--n PICTURES] [--train PICTURES] [--starts N] [--steps N] [--degradations "SPEC;SPEC"] [--quick]\n' +
  '  [--json FILE] [--figure FILE.png]';

async function main(argv = process.argv.slice(2)): Promise<MethodScore[] | null> {
  if (argv.includes('--help')) {
    console.log(USAGE);
    return null;
  }
  const { values } = parseArgs({
    args: argv,
    options: {
      checkpoint: { type: 'string' },
      restorers: { type: 'string' },
      n: { type: 'string' },
      train: { type: 'string' },
      starts: { type: 'string' },
      steps: { type: 'string' },
      degradations: { type: 'string' },
      figure: { type: 'string' },
      data: { type: 'string', default: 'mnist' },
      quick: { type: 'boolean', default: false },
      json: { type: 'string' },
    },
  });
  if (!values.checkpoint && !values.restorers)
    throw new Error('give --checkpoint FILE (an MLP generator trained on MNIST), --restorers DIR, or both');
  const settings = settingsFrom(values);
  const checkpoint = values.checkpoint ? readCheckpointFile(values.checkpoint) : null;
  if (
    checkpoint &&
    (checkpoint.config.dataDim !== PIXELS || checkpoint.config.channels !== 1 || checkpoint.config.classes !== 0)
  )
    throw new Error('the benchmark takes an unconditional 28×28 one-channel (MNIST) generator');
  const data = values.data;
  if (data !== 'mnist' && data !== 'fashion-mnist')
    throw new Error(`--data must be mnist or fashion-mnist, got ${data}`);
  if (checkpoint?.dataset !== undefined && checkpoint.dataset !== data)
    throw new Error(`--checkpoint learned ${checkpoint.dataset}, not --data ${data}`);
  const restorers = readRestorers(values.restorers, data);
  const chains = settings.degradations.map((spec) => ({ spec, chain: parseDegradation(spec) }));
  const classifierFile = readClassifierFile(join(process.cwd(), 'models', `${data}-classifier.safetensors`));
  const sets = benchPictures(data, settings);
  const toSigned = (bytes: Uint8Array) => Float32Array.from(bytes, (b) => (2 * b - 255) / 255);
  const labels = sets.labels;
  const clean = toSigned(sets.test);
  const train = toSigned(sets.train);
  const truth = toUnit(clean);

  const ctx = await acquireGpu();
  const adapter = formatAdapter(ctx.adapter);
  const classifier = loadClassifier(ctx, classifierFile.tensors);
  const scores: MethodScore[] = [];
  const hits: HitsRow[] = [];
  const figure: FigureRow[] = [];
  // The classifier on the clean pictures: what a perfect restoration scores. A baseline level with it leaves
  // room only for luck (a restored picture the classifier reads better than its truth).
  let cleanAccuracy = Number.NaN;
  try {
    cleanAccuracy = (await score(ctx, classifier, truth, truth, labels)).accuracy;
    for (const { spec, chain } of chains) {
      const geometry = { rows: settings.n, channels: 1, height: SIDE, width: SIDE };
      const degraded = await degradePictures(ctx, chain, geometry, clean, {});
      const trained = [];
      for (const { file, name } of restorers.get(restorationKey(chain)) ?? [])
        trained.push({ name, restored: await restoreTrained(ctx, file, degraded) });
      const methods = [
        ...(checkpoint ? await searches(ctx, checkpoint, chain, degraded, settings) : []),
        ...trained,
        { name: 'nearest training picture', restored: await restoreNearest(ctx, chain, degraded, train, settings) },
        ...classical(chain, degraded, settings),
      ];
      const size = degraded.length / settings.n;
      for (let i = 0; i < Math.min(FIGURE_PICTURES, settings.n); i++)
        figure.push({
          degraded: toUnit(degraded.subarray(i * size, (i + 1) * size)),
          restorations: methods.map((m) => m.restored.subarray(i * PIXELS, (i + 1) * PIXELS)),
          truth: truth.subarray(i * PIXELS, (i + 1) * PIXELS),
        });
      for (const m of methods) {
        const { hits: right, ...scored } = await score(ctx, classifier, m.restored, truth, labels);
        const result = { degradation: spec, method: m.name, ...scored };
        scores.push(result);
        hits.push({ ...result, hits: right });
        // Each row as it comes, so that a run stopped early still shows what it measured.
        console.error(table([result]).split('\n').at(-1));
      }
    }
  } finally {
    classifier.destroy();
    ctx.destroy();
  }
  const pictures = `${data === 'mnist' ? 'MNIST' : 'Fashion-MNIST'} test pictures 0–${settings.n - 1}`;
  const classes = { test: classCounts(labels), train: classCounts(sets.trainLabels) };
  console.log(
    `Restoration on ${pictures} (of each class 0–9: ${classes.test.join(' ')}), ${adapter}; ` +
      `${values.checkpoint ?? 'no generator'}; latent search: ${settings.starts} starts × ${settings.steps} steps; ` +
      `restorers: ${values.restorers ?? 'none'}; nearest of training pictures 0–${settings.train - 1} ` +
      `(${classes.train.join(' ')}). The classifier reads ${(100 * cleanAccuracy).toFixed(1)}% of the ` +
      'clean pictures right, what giving back the truth would score.\n',
  );
  console.log(table(scores));
  const paired = pairedComparisons(hits);
  if (paired.length > 0)
    console.log(
      '\nPaired, picture by picture, each of ours against the baseline the classifier reads best:\n' +
        pairedLines(paired).join('\n'),
    );
  if (values.figure) writeFileSync(values.figure, figurePng(figure, SIDE));
  const results = { adapter, settings, classes, cleanAccuracy, scores, paired };
  if (values.json) writeFileSync(values.json, `${JSON.stringify(results, null, 2)}\n`);
  return scores;
}

try {
  await main();
} catch (error) {
  // A mistyped flag is the user's to fix: one line and the usage, not a stack.
  if ((error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
    console.error(`bench:restore: ${(error as Error).message}\n${USAGE}`);
    process.exit(2);
  }
  throw error;
}
