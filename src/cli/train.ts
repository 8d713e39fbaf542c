// `webgpu-gan train`: trains the design's GAN on MNIST (or --data) on whatever adapter Dawn finds,
// with a progress bar, log.jsonl, samples.png (plus numbered copies) and checkpoint.safetensors in
// --out. What the user can get wrong is refused before the GPU is touched.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { acquireGpu } from '../gpu/device.js';
import { formatAdapter } from '../gpu/adapter.js';
import type { GpuContext } from '../gpu/context.js';
import { restoreCheckpoint, type Checkpoint } from '../gan/checkpoint.js';
import { readCheckpointFile } from '../gan/checkpointFile.js';
import { GpuFailureError } from '../gpu/errors.js';
import { TrainingDivergedError } from '../base/errors.js';
import { GpuDataset } from '../data/dataset.js';
import { testAccuracyMeter } from './trainTestAccuracy.js';
import { chooseLabeled, labeledSetFromBytes } from '../data/labeled.js';
import { classifierWeightsPath, readDatasetClassifier } from '../eval/classifierFile.js';
import { createGeneratorEvaluator, type GeneratorEvaluator } from '../eval/evaluate.js';
import { learningRates, resolveGanConfig, type GanConfig } from '../gan/config.js';
import { imageSide } from '../render/grid.js';
import type { Channels } from '../data/images.js';
import { builtinData, type BuiltinData, loadTrainingData, type TrainingData } from './data.js';
import { GanSampler } from '../gan/sampler.js';
import {
  clearRun,
  CliError,
  FileSystemError,
  holdsRun,
  prepareRunFolder,
  removeStaleTemporaries,
  RUN_FILES,
  trimLog,
} from './files.js';
import { GanTrainer } from '../gan/trainer.js';
import { checkResumeData, dataRecordOf, recordedSource } from './dataRecord.js';
import { checkRunLock, type RunLock, takeRunLock } from './runLock.js';
import { parseFlags, printable, UsageError, type ParsedFlags } from './args.js';
import {
  checkResumeFlags,
  ganSettings,
  recipeNote,
  runOf,
  semiSupervised,
  TRAIN_FLAGS,
  type Run,
} from './trainFlags.js';
import { leaveOnSignal, loop, save, SIGNAL_EXIT, type Training, watchSignals } from './trainLoop.js';
import { trainRestorerCommand } from './trainRestorer.js';

export { TRAIN_FLAGS } from './trainFlags.js';

const CHECKPOINT = RUN_FILES.checkpoint;

/** --task's value (`--task X` or `--task=X`), read before the flags, which differ by task. */
function taskOf(argv: string[]): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--task') return argv[i + 1];
    if (argv[i]!.startsWith('--task=')) return argv[i]!.slice('--task='.length);
  }
  return undefined;
}
const SAMPLES = 64;

export async function trainCommand(argv: string[]): Promise<number> {
  if (taskOf(argv) === 'restore') return trainRestorerCommand(argv);
  const flags = parseFlags(argv, TRAIN_FLAGS);
  if (flags.degradation !== undefined)
    throw new UsageError('--degradation is what a restorer learns to undo: add --task restore');
  const run = runOf(flags);
  // A run already writing this folder is named at once, before its checkpoint or the data are read.
  checkRunLock(run.out);
  const checkpoint = flags.resume ? loadForResume(run.out, flags) : null;
  // A mistaken setting is named before the data, which can take seconds to read, are touched.
  // (--labeled's classes come with the data: two stand in for them until then.)
  if (!checkpoint) resolveGanConfig({ ...ganSettings(flags), ...(semiSupervised(flags) && { labelClasses: 2 }) });
  const recipe = recipeNote(flags);
  if (recipe) console.log(recipe);
  if (checkpoint && checkpoint.step >= run.total) {
    console.log(
      `${join(run.out, CHECKPOINT)} is already at step ${checkpoint.step} ≥ --steps ${run.total}; nothing to do.`,
    );
    return 0;
  }
  const data = readData(flags, checkpoint);
  run.dataset = data.dataset;
  run.data = dataRecordOf(data, data.path);
  if (checkpoint) checkResumeData(checkpoint, run.data, flags['allow-other-data'] === true);
  const config =
    checkpoint?.config ??
    resolveGanConfig({
      ...ganSettings(flags),
      dataDim: data.channels * data.side * data.side,
      channels: data.channels,
      // Classes 0 to the largest label (MNIST's ten digits, or what a labels file names), or a folder's
      // sub-folders: a conditional GAN's, or those a semi-supervised D learns.
      ...(data.labels && (semiSupervised(flags) ? { labelClasses: data.classes } : { classes: data.classes })),
    });
  checkRun(run, config, data, checkpoint);
  const force = flags.force === true;
  // Handlers first, then the lock: a signal at any moment before training leaves no stale lock.
  let lock: RunLock | null = null;
  const releaseHandlers = leaveOnSignal(() => lock?.release());
  try {
    lock = prepareOutput(run.out, checkpoint, force);
  } catch (error) {
    releaseHandlers();
    throw error;
  }
  try {
    const ctx = await acquireGpu();
    try {
      console.log(`adapter: ${formatAdapter(ctx.adapter)}`);
      GanTrainer.checkFits(config, ctx.device.limits, { resuming: checkpoint !== null });
      return await trainOn(ctx, run, config, checkpoint, data, force && !checkpoint);
    } finally {
      ctx.destroy();
    }
  } finally {
    releaseHandlers();
    lock.release();
  }
}

/** The pictures to train on, of the checkpoint's size and colours when resuming. */
function readData(flags: ParsedFlags, checkpoint: Checkpoint | null): TrainingData & { path?: string } {
  const conditional = checkpoint ? checkpoint.config.classes > 0 : flags.conditional === true;
  const semi = checkpoint ? checkpoint.config.labeled > 0 : semiSupervised(flags);
  if (checkpoint && !conditional && !semi && flags.labels !== undefined)
    throw new UsageError('--labels: the checkpoint is of an unconditional GAN, which takes no labels');
  const given = {
    size: flags.size as number | undefined,
    channels: flags.channels === undefined ? undefined : (Number(flags.channels) as Channels),
  };
  const shape = checkpoint ? imageShape(checkpoint.config) : null;
  if (shape) {
    for (const [flag, value] of [
      ['size', shape.side],
      ['channels', shape.channels],
    ] as const) {
      if (given[flag] !== undefined && given[flag] !== value)
        throw new UsageError(
          `--${flag} ${given[flag]} differs from the checkpoint's ${value}; drop --${flag} to resume, or train ` +
            'into a new --out',
        );
    }
  }
  const path = dataOf(flags.data as string | undefined, checkpoint);
  const data = loadTrainingData({
    path,
    labelsPath: flags.labels as string | undefined,
    conditional,
    semiSupervised: semi,
    side: given.size ?? shape?.side,
    channels: given.channels ?? shape?.channels,
  });
  console.log(`data: ${printable(data.description)}`);
  reportSkipped(data.skipped);
  return { ...data, path };
}

/**
 * --data, or when resuming without it the data the checkpoint records (a built-in set, or the
 * folder or file); a built-in name other than the checkpoint's is refused here, other data later.
 */
function dataOf(given: string | undefined, checkpoint: Checkpoint | null): string | undefined {
  if (given === undefined && checkpoint) return recordedSource(checkpoint);
  const learned = checkpoint?.dataset;
  if (given === undefined) return learned;
  const named = builtinData(given);
  if (learned && named && named !== learned)
    throw new UsageError(
      `--data ${given}: the checkpoint learned ${learned}; drop --data to resume on it, or train into a new --out`,
    );
  return given;
}

/** What the run asks that its configuration, its data or the quality score cannot give. */
function checkRun(run: Run, config: GanConfig, data: TrainingData, checkpoint: Checkpoint | null): void {
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
  // A conditional GAN's classes, or a semi-supervised D's class logits (its labelled images').
  const classes = Math.max(config.classes, config.labelClasses);
  if (data.labels && checkpoint && data.labels.some((l) => l >= classes))
    throw new UsageError(
      `the labels name classes past the checkpoint's ${classes}: give the labels it was trained with`,
    );
  if (run.evaluation && (config.dataDim !== 784 || config.channels !== 1))
    throw new UsageError(
      "--eval-every: the quality score compares samples with MNIST's 28×28 grey digits, so it measures runs on " +
        'such images only; drop --eval-every for this data',
    );
  if (run.evaluation && data.dataset && !existsSync(classifierWeightsPath(data.dataset)))
    throw new UsageError(
      `--eval-every: scoring ${data.dataset} needs its classifier, ${classifierWeightsPath(data.dataset)}, which ` +
        `is missing (npm run train:classifier -- --data ${data.dataset}); drop --eval-every`,
    );
}

/**
 * The run folder, checked, locked for this run and made ready before any GPU work (--force clears
 * it later). Nothing in it is changed before the lock is held.
 */
function prepareOutput(out: string, checkpoint: Checkpoint | null, force: boolean): RunLock {
  prepareRunFolder(out);
  const lock = takeRunLock(out);
  try {
    readyRunFolder(out, checkpoint, force);
  } catch (error) {
    lock.release();
    throw error;
  }
  return lock;
}

function readyRunFolder(out: string, checkpoint: Checkpoint | null, force: boolean): void {
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
  for (const { path, reason } of shown) process.stderr.write(`warning: skipped ${printable(path)}: ${reason}\n`);
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

/** The architecture and its size, e.g. "dcgan (G 1,069,440 parameters, D 138,816)". */
function modelText(trainer: GanTrainer): string {
  const count = (net: GanTrainer['generator']) => net.layout.parameterCount.toLocaleString('en');
  return `${trainer.config.architecture} (G ${count(trainer.generator)} parameters, D ${count(trainer.discriminator)})`;
}

/** A checkpoint's image side and colour planes, which its data must have. */
function imageShape(config: GanConfig): { side: number; channels: Channels } | null {
  try {
    return { side: imageSide(config.dataDim, config.channels), channels: config.channels };
  } catch {
    return null;
  }
}

/** Resuming takes the checkpoint's settings; a flag that disagrees is an error, not a silent change. */
function loadForResume(out: string, flags: ParsedFlags): Checkpoint {
  const path = join(out, CHECKPOINT);
  if (!existsSync(path)) throw new UsageError(`--resume: no checkpoint at ${path} (train without --resume first)`);
  const checkpoint = readCheckpointFile(path);
  for (const warning of checkpoint.warnings) process.stderr.write(`warning: ${path}: ${warning}\n`);
  checkResumeFlags(checkpoint, flags);
  return checkpoint;
}

/** A semi-supervised run's labelled images, chosen from the seed (so a resumed run picks the same). */
function labeledSet(ctx: GpuContext, config: GanConfig, data: TrainingData) {
  if (!data.labels) throw new UsageError('--labeled: the training images have no labels');
  if (data.classes !== config.labelClasses)
    throw new UsageError(`--labeled: the images have ${data.classes} classes; the checkpoint ${config.labelClasses}`);
  const chosen = chooseLabeled(data.labels, config.labeled, config.labelClasses, config.seed);
  const labeled = labeledSetFromBytes(ctx, data.pixels, config.dataDim, data.labels, chosen, config.labelClasses);
  console.log(`labelled: ${config.labeled} of the ${data.count} images, balanced over ${config.labelClasses} classes`);
  return labeled;
}

/**
 * Builds what a run trains with, each piece owned as it is made, so that a piece that fails to
 * build (the classifier of the test accuracy, say) takes those made before it along; then trains.
 */
async function trainOn(
  ctx: GpuContext,
  run: Run,
  config: GanConfig,
  checkpoint: Checkpoint | null,
  data: TrainingData,
  clearOld: boolean,
): Promise<number> {
  const owned: Array<{ destroy(): void }> = [];
  const own = <T extends { destroy(): void }>(object: T): T => {
    owned.push(object);
    return object;
  };
  try {
    const dataset = own(GpuDataset.fromBytes(ctx, data.pixels, data.count, config.dataDim, 'training images'));
    const labels =
      data.labels && config.classes > 0 ? own(GpuDataset.fromLabels(ctx, data.labels, config.classes)) : undefined;
    const labeled = config.labeled > 0 ? own(labeledSet(ctx, config, data)) : undefined;
    const trainer = own(await GanTrainer.create(ctx, config, dataset, labels, labeled));
    // A conditional run's samples.png has a row of 8 per class.
    const count = config.classes > 0 ? 8 * config.classes : SAMPLES;
    const gridLabels = config.classes > 0 ? Array.from({ length: count }, (_, r) => Math.floor(r / 8)) : undefined;
    const sampler = own(await GanSampler.create(ctx, config, trainer.generator, { count, labels: gridLabels }));
    const evaluator = run.evaluation
      ? own(await qualityEvaluator(ctx, trainer, run.evaluation.count, data.dataset ?? 'mnist'))
      : null;
    const tester = run.evaluation ? await testAccuracyMeter(ctx, trainer, data.dataset) : null;
    if (tester) own(tester);
    return await train(run, checkpoint, clearOld, { trainer, sampler, evaluator, tester });
  } finally {
    for (const object of owned.reverse()) object.destroy();
  }
}

/** With `clearOld` (--force) the old run's files go once everything for the new run is built. */
async function train(
  run: Run,
  checkpoint: Checkpoint | null,
  clearOld: boolean,
  built: Pick<Training, 'trainer' | 'sampler' | 'evaluator' | 'tester'>,
): Promise<number> {
  const { trainer, sampler } = built;
  const config = trainer.config;
  const signals = watchSignals();
  let saved = checkpoint?.step ?? null;
  try {
    if (clearOld) clearRun(run.out);
    if (checkpoint) restoreCheckpoint(trainer, checkpoint);
    console.log(
      `${checkpoint ? `resuming at step ${checkpoint.step}` : 'training'} to step ${run.total}: ` +
        `${modelText(trainer)}, batch ${config.batch}, seed ${config.seed}, ${rateText(config)}; writing ${run.out}`,
    );
    const stop = () => signals.stopped() !== null;
    await loop({ ...built, run, stop, onSaved: (step) => (saved = step) });
    await save(trainer, sampler, run, true, (step) => (saved = step));
    console.log(`saved ${join(run.out, CHECKPOINT)} and samples.png at step ${trainer.step}`);
    const signal = signals.stopped();
    return signal ? SIGNAL_EXIT[signal]! : 0;
  } catch (error) {
    if (
      !(error instanceof TrainingDivergedError || error instanceof FileSystemError || error instanceof GpuFailureError)
    )
      throw error;
    const kept = saved === null ? 'no checkpoint was written' : `the checkpoint of step ${saved} in ${run.out} is kept`;
    // A full disk: the log goes back to the checkpoint kept, so that both tell the same story.
    if (error instanceof FileSystemError && saved !== null) trimLogQuietly(run.out, saved);
    // A failure once training is under way: exit 1, the last good checkpoint left as it was.
    throw new CliError(`${error.message}; ${kept}`, 1);
  } finally {
    signals.release();
  }
}

/** trimLog where a failure is already being reported: the next --resume trims what this could not. */
function trimLogQuietly(out: string, step: number): void {
  try {
    trimLog(join(out, RUN_FILES.log), step);
  } catch {}
}

/**
 * The quality score of the generator's moving average, against the test images of a built-in
 * dataset by its classifier (a folder's or an IDX file's run: MNIST's).
 */
async function qualityEvaluator(
  ctx: GpuContext,
  trainer: GanTrainer,
  count: number,
  dataset: BuiltinData,
): Promise<GeneratorEvaluator> {
  const { tensors: classifier, reference } = readDatasetClassifier(dataset);
  return createGeneratorEvaluator(ctx, {
    classifier,
    reference,
    config: trainer.config,
    generator: trainer.generator,
    count,
  });
}
