// How good the samples of each training recipe are (a benchmark, not a test): trains every recipe
// for the same steps at the same batch on this machine's adapter, scores the trained weights and
// their moving average with the committed classifier, and writes QUALITY.md's table.
//   npm run quality [-- --steps 5000 --batch 64 --n 10000 --recipes plain,default --out QUALITY.md]
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { acquireGpu } from '../src/gpu/device.js';
import { formatAdapter } from '../src/gpu/adapter.js';
import type { GpuContext } from '../src/gpu/context.js';
import { GpuDataset } from '../src/data/dataset.js';
import { loadMnistImages } from '../src/data/mnistNode.js';
import { resolveGanConfig, resolveRecordedConfig, SEED_RECIPE, type GanConfig } from '../src/gan/config.js';
import { GanTrainer } from '../src/gan/trainer.js';
import type { ClassifierFile } from '../src/eval/classifier.js';
import { readClassifierFile } from '../src/eval/classifierFile.js';
import { createGeneratorEvaluator } from '../src/eval/evaluate.js';
import type { SampleScore } from '../src/eval/scorer.js';

/** The seed's recipe in full (SEED_RECIPE), so that no recipe but `default` changes when the defaults do. */
const SEED = SEED_RECIPE;

/** The seed's recipe with the moving average warmed up, which the recipes after it keep. */
const WARM = { ...SEED, emaWarmup: 10 };

/** The recipes the library can train today; each is a configuration of the same engine. */
export const RECIPES: Record<string, { about: string; config: Partial<GanConfig> }> = {
  plain: { about: "the seed's: BCE, Adam 2e-4 / β1 0.5, no moving average", config: SEED },
  default: { about: 'the library default, samples from its moving average', config: {} },
  'ema-0.999': { about: 'as plain, samples from a 0.999 moving average', config: SEED },
  'warmup-10': {
    about: 'as plain, samples from a 0.999 moving average warmed up over (1 + t) / (10 + t)',
    config: WARM,
  },
  'smooth-0.9': {
    about: 'as warmup-10, one-sided label smoothing (real target 0.9)',
    config: { ...WARM, realLabel: 0.9 },
  },
  ttur: {
    about: 'as warmup-10, two time scales: D 4e-4, G 1e-4',
    config: { ...WARM, discriminatorLr: 4e-4, generatorLr: 1e-4 },
  },
  hinge: { about: 'as warmup-10, the hinge loss', config: { ...WARM, loss: 'hinge' } },
  'least-squares': { about: 'as warmup-10, the least-squares loss', config: { ...WARM, loss: 'least-squares' } },
  'spectral-norm': { about: 'as warmup-10, spectral normalisation of D', config: { ...WARM, spectralNorm: true } },
  'sn-gan': {
    about: 'as warmup-10, the SN-GAN recipe: hinge loss, spectral normalisation of D, D 4e-4 and G 1e-4',
    config: { ...WARM, loss: 'hinge', spectralNorm: true, discriminatorLr: 4e-4, generatorLr: 1e-4 },
  },
};

/** Which weights each recipe's samples come from: the plain recipe has no moving average. */
const SCORE_EMA: Record<string, boolean> = { plain: false };

/** One recipe's measurement, as --results keeps it (a line of JSON each). */
interface StoredResult extends RecipeResult {
  /** What makes a stored result reusable: the same resolved configuration, sizes and adapter. */
  key: string;
}

interface RecipeResult {
  name: string;
  score: SampleScore;
  stepsPerSecond: number;
}

async function trainAndScore(
  ctx: GpuContext,
  dataset: GpuDataset,
  classifier: ClassifierFile,
  name: string,
  options: { steps: number; batch: number; n: number },
): Promise<RecipeResult> {
  const config = recipeConfig(name, options.batch);
  const trainer = await GanTrainer.create(ctx, config, dataset);
  try {
    const started = performance.now();
    await trainer.train(options.steps, { stepsPerSubmit: 10, statsEvery: options.steps });
    await ctx.sync();
    const stepsPerSecond = (options.steps * 1000) / (performance.now() - started);
    const evaluator = await createGeneratorEvaluator(ctx, {
      classifier: classifier.tensors,
      reference: classifier.reference,
      config,
      generator: trainer.generator,
      count: options.n,
      useEma: SCORE_EMA[name] ?? true,
    });
    try {
      return { name, score: await evaluator.evaluate(), stepsPerSecond };
    } finally {
      evaluator.destroy();
    }
  } finally {
    trainer.destroy();
  }
}

function recipeConfig(name: string, batch: number): GanConfig {
  return resolveGanConfig({ ...RECIPES[name]!.config, batch, dataDim: 784 });
}

interface ResultKey {
  config: GanConfig;
  scoresEma: boolean;
  adapter: string;
  steps: number;
  batch: number;
  n: number;
}

function resultKey(name: string, adapter: string, options: { steps: number; batch: number; n: number }): string {
  const scoresEma = SCORE_EMA[name] ?? true;
  const key: ResultKey = { config: recipeConfig(name, options.batch), scoresEma, adapter, ...options };
  return JSON.stringify(key);
}

/**
 * Results stored by earlier runs, by key (none when the file is absent). A stored configuration
 * is resolved again as a checkpoint's is, so that a setting added since it was stored reads as
 * the value it had then, and the result still matches its recipe.
 */
function readStoredResults(path: string): Map<string, StoredResult> {
  if (!existsSync(path)) return new Map();
  const lines = readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '');
  const parsed = lines.flatMap((line) => {
    try {
      return [JSON.parse(line) as StoredResult];
    } catch {
      console.log(`${path}: skipping a line that is not JSON (a run stopped while writing it)`);
      return [];
    }
  });
  return new Map(
    parsed.map((stored): [string, StoredResult] => {
      const key = JSON.parse(stored.key) as ResultKey;
      const current = JSON.stringify({ ...key, config: resolveRecordedConfig(key.config) });
      return [current, { ...stored, key: current }];
    }),
  );
}

function table(results: RecipeResult[], plain: RecipeResult | undefined): string {
  const rows = results.map((r) => {
    const ratio = plain ? `${((100 * r.score.distance) / plain.score.distance).toFixed(0)}%` : '–';
    return (
      `| ${r.name} | ${RECIPES[r.name]!.about} | ${r.score.distance.toFixed(2)} | ${ratio} | ` +
      `${r.score.coveredClasses} | ${r.score.meanConfidence.toFixed(3)} | ${r.stepsPerSecond.toFixed(1)} |`
    );
  });
  return [
    '| recipe | what it is | distance | of plain | classes ≥ 5% | confidence | steps/s |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: |',
    ...rows,
  ].join('\n');
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      steps: { type: 'string', default: '5000' },
      batch: { type: 'string', default: '64' },
      n: { type: 'string', default: '10000' },
      recipes: { type: 'string', default: Object.keys(RECIPES).join(',') },
      out: { type: 'string', default: 'QUALITY.md' },
      // Each recipe's result is appended here as it finishes, so a long run that stops loses
      // nothing, and a later run reuses it (same configuration, sizes and adapter) unless --fresh.
      results: { type: 'string', default: join('bench', 'results', 'quality.jsonl') },
      fresh: { type: 'boolean', default: false },
    },
  });
  const options = { steps: Number(values.steps), batch: Number(values.batch), n: Number(values.n) };
  const names = values.recipes.split(',');
  for (const name of names) if (!RECIPES[name]) throw new Error(`unknown recipe ${name}: ${Object.keys(RECIPES)}`);
  // Read first, so that no recipe trains for minutes before a missing file shows. This runs as a
  // bundle under node_modules/.cache, so the file is found from the repository root (npm's cwd).
  const classifier = readClassifierFile(join(process.cwd(), 'models', 'mnist-classifier.safetensors'));
  const ctx = await acquireGpu();
  const adapter = formatAdapter(ctx.adapter);
  console.log(`adapter: ${adapter}`);
  const images = loadMnistImages();
  const dataset = GpuDataset.fromBytes(ctx, images.pixels, images.count, 784, 'MNIST');
  mkdirSync(dirname(values.results), { recursive: true });
  const stored = values.fresh ? new Map<string, StoredResult>() : readStoredResults(values.results);
  const results: RecipeResult[] = [];
  for (const name of names) {
    const key = resultKey(name, adapter, options);
    const reused = stored.get(key);
    const result = reused ? { ...reused, name } : await trainAndScore(ctx, dataset, classifier, name, options);
    if (!reused) {
      appendFileSync(values.results, `${JSON.stringify({ ...result, key })}\n`);
      stored.set(key, { ...result, key });
    }
    results.push(result);
    console.log(reused ? `${name}: from ${values.results}` : `${name}: trained`);
    console.log(
      `${name}: distance ${result.score.distance.toFixed(3)}, ${result.score.coveredClasses} classes ≥ 5%, ` +
        `confidence ${result.score.meanConfidence.toFixed(3)}, ${result.stepsPerSecond.toFixed(1)} steps/s`,
    );
  }
  dataset.destroy();
  ctx.destroy();
  const plain = results.find((r) => r.name === 'plain');
  const text =
    `# Sample quality by recipe\n\n` +
    `Written by \`npm run quality -- --steps ${options.steps} --batch ${options.batch} --n ${options.n}\` on ` +
    `${adapter}, ${new Date().toISOString().slice(0, 10)}. Every recipe trains from the same seed (1) for ` +
    `${options.steps} steps at batch ${options.batch}; ${options.n} samples from the weights named are scored ` +
    `against MNIST's 10,000 test digits with the committed classifier (README, "How samples are scored"). ` +
    `"of plain": the distance as a share of the plain recipe's in this run.\n\n` +
    `${table(results, plain)}\n`;
  writeFileSync(values.out, text);
  console.log(`wrote ${values.out}`);
}

await main();
