// The loop of `webgpu-gan train` once everything is built: train in chunks up to the next save or
// score, log every statistic, warn when the losses run away, save atomically, stop on a signal.
import { noteSignal } from './launcher.js';
import { join } from 'node:path';
import { TrainingDivergedError } from '../base/errors.js';
import { encodeCheckpoint } from '../gan/checkpoint.js';
import { type GanConfig, learningRates } from '../gan/config.js';
import type { GanSampler } from '../gan/sampler.js';
import type { TrainingStats } from '../gan/stats.js';
import type { GanTrainer } from '../gan/trainer.js';
import type { GeneratorEvaluator } from '../eval/evaluate.js';
import type { SampleScore } from '../eval/scorer.js';
import type { ClassificationScore } from '../gan/ganClassifier.js';
import type { TestAccuracyMeter } from './trainTestAccuracy.js';
import { sampleGrid } from '../render/grid.js';
import { flagFor, showValue } from './args.js';
import { appendLine, RUN_FILES, writeAtomically } from './files.js';
import { encodePng } from '../io/png.js';
import { Progress, progressLine } from './progress.js';
import { type Run, TRAIN_FLAGS } from './trainFlags.js';

/** Past this a BCE loss means logits beyond ±100: the networks are running away. */
const RUNAWAY_LOSS = 100;
/** Exit codes of a stopped run, as a shell reports a process ended by the signal. */
export const SIGNAL_EXIT: Record<string, number> = { SIGINT: 130, SIGTERM: 143 };

/**
 * The warning for losses past RUNAWAY_LOSS. It names the rates the networks train with: each has
 * its own (--lr-d, --lr-g), and `lr` is only the one they fall back to.
 */
export function runawayWarning(stats: Pick<TrainingStats, 'step' | 'lossD' | 'lossG'>, config: GanConfig): string {
  const rates = learningRates(config);
  const flag = (setting: keyof GanConfig, rate: number) => `--${flagFor(TRAIN_FLAGS, setting)} ${showValue(rate)}`;
  const suspect =
    rates.discriminator === rates.generator
      ? `is ${flag('lr', rates.generator)} too high?`
      : `are ${flag('discriminatorLr', rates.discriminator)} and ${flag('generatorLr', rates.generator)} too high?`;
  return (
    `warning: losses of ${Math.max(stats.lossD, stats.lossG).toPrecision(3)} at step ${stats.step}: training ` +
    `is running away (${suspect})\n`
  );
}

/** The handlers that hold until watchSignals takes over (see leaveOnSignal). */
let setupHandlers: Array<readonly [string, () => void]> = [];

/**
 * While a run is set up (the run folder locked, the GPU and the networks not yet ready), Ctrl-C or
 * SIGTERM runs `cleanup` (releasing the lock) and leaves at once with 130 or 143: nothing is
 * written yet, and a lock left behind would stand in the next run's way. watchSignals takes over.
 * Returns the release of these handlers, for a run that ends before training.
 */
export function leaveOnSignal(cleanup: () => void): () => void {
  releaseSetupHandlers();
  setupHandlers = Object.keys(SIGNAL_EXIT).map((name) => {
    const handler = () => {
      noteSignal();
      cleanup();
      process.stderr.write(
        `\n${name === 'SIGINT' ? 'interrupted' : 'terminated'} before training began: nothing written\n`,
      );
      process.exit(SIGNAL_EXIT[name]);
    };
    process.on(name, handler);
    return [name, handler] as const;
  });
  return releaseSetupHandlers;
}

function releaseSetupHandlers(): void {
  for (const [name, handler] of setupHandlers) process.off(name, handler);
  setupHandlers = [];
}

/**
 * Ctrl-C and SIGTERM (timeout, docker stop, systemd) both save, then exit 130 or 143. `saved`
 * names what is saved in the message (a GAN run's checkpoint, a restorer's file).
 */
export function watchSignals(saved = 'a checkpoint'): { stopped: () => string | null; release: () => void } {
  releaseSetupHandlers();
  let signal: string | null = null;
  const handlers = Object.keys(SIGNAL_EXIT).map((name) => {
    const handler = () => {
      noteSignal();
      if (signal) process.exit(SIGNAL_EXIT[signal]); // a second signal: leave now, without the save
      signal = name;
      process.stderr.write(
        `\n${name === 'SIGINT' ? 'interrupted' : 'terminated'}: saving ${saved} ` +
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

/** What one run's loop works with. */
export interface Training {
  trainer: GanTrainer;
  sampler: GanSampler;
  evaluator: GeneratorEvaluator | null;
  /** A class-head run's D on the test split, read with the evaluator. */
  tester: TestAccuracyMeter | null;
  run: Run;
  stop: () => boolean;
  onSaved: (step: number) => void;
}

export async function loop({ trainer, sampler, evaluator, tester, run, stop, onSaved }: Training): Promise<void> {
  const progress = new Progress();
  const log = statsLogger(trainer, run, progress);
  try {
    while (trainer.step < run.total && !stop()) {
      const next = (every: number) => (Math.floor(trainer.step / every) + 1) * every;
      const nextEval = run.evaluation ? next(run.evaluation.every) : Infinity;
      const chunk = Math.min(run.total, next(run.sampleEvery), nextEval) - trainer.step;
      await trainer.train(chunk, {
        stepsPerSubmit: run.stepsPerSubmit,
        statsEvery: run.logEvery,
        onStats: log.onStats,
        shouldStop: stop,
      });
      if (run.evaluation && trainer.step % run.evaluation.every === 0 && !stop()) {
        if (evaluator) log.setQuality(await evaluator.evaluate());
        if (tester) log.setTestAccuracy(await tester.measure());
        log.showScores();
      }
      if (trainer.step % run.sampleEvery === 0 && trainer.step < run.total) {
        // The log reaches the checkpoint's step first, so a resume from it repeats no line.
        const last = await trainer.readStats();
        if (last) log.onStats(last);
        await save(trainer, sampler, run, false, onSaved);
      }
    }
    const last = await trainer.readStats();
    if (last) log.onStats(last);
  } finally {
    progress.done();
  }
}

/** Each statistic to log.jsonl and the progress line; each quality score to log.jsonl, and shown. */
function statsLogger(trainer: GanTrainer, run: Run, progress: Progress) {
  // Statistics arrive asynchronously and sometimes several at once, so speed is the average since
  // this run started rather than the gap between two arrivals.
  const start = { time: performance.now(), step: trainer.step };
  let warned = false;
  let quality: SampleScore | undefined;
  let testAccuracy: number | undefined;
  let shown: { stats: TrainingStats; speed: number } | undefined;
  const write = (line: object) =>
    appendLine(join(run.out, RUN_FILES.log), JSON.stringify({ ...line, time: new Date().toISOString() }));
  const show = () => {
    if (shown)
      progress.update(progressLine(shown.stats.step, run.total, shown.speed, shown.stats, 24, quality, testAccuracy));
  };
  return {
    onStats(stats: TrainingStats): void {
      const speed = ((stats.step - start.step) * 1000) / Math.max(1, performance.now() - start.time);
      write({ ...stats, stepsPerSec: speed });
      shown = { stats, speed };
      show();
      if (!warned && Math.max(stats.lossD, stats.lossG) > RUNAWAY_LOSS) {
        warned = true;
        progress.done();
        process.stderr.write(runawayWarning(stats, trainer.config));
      }
    },
    /**
     * Draws the line again once an evaluation's scores are in: they arrive after the statistics of
     * their step, and without this the last line of a run would show the evaluation before the last.
     */
    showScores: show,
    setQuality(score: SampleScore): void {
      quality = score;
      write({ step: trainer.step, quality });
    },
    setTestAccuracy(score: ClassificationScore): void {
      testAccuracy = score.accuracy;
      write({ step: trainer.step, testAccuracy, testRight: score.right, testCount: score.count });
    },
  };
}

/**
 * The checkpoint, then samples.png (+ a numbered copy), each written atomically, and only from
 * finite weights: encodeCheckpoint refuses others, and so does the sample check. The checkpoint
 * goes first, so that a full disk never leaves samples newer than the checkpoint that is kept;
 * `onSaved` hears of it as soon as it is on disk.
 */
export async function save(
  trainer: GanTrainer,
  sampler: GanSampler,
  run: Run,
  final: boolean,
  onSaved: (step: number) => void,
): Promise<void> {
  if (trainer.diverged) throw trainer.diverged;
  const checkpoint = await encodeCheckpoint(trainer, { dataset: run.dataset, data: run.data });
  const samples = await sampler.sample();
  if (!samples.every(Number.isFinite))
    throw new TrainingDivergedError(trainer.step, 'the generator produced NaN or infinite pixels');
  const grid = sampleGrid(samples, sampler.count, trainer.config.dataDim, {
    columns: 8,
    channels: trainer.config.channels,
  });
  const png = encodePng(grid);
  writeAtomically(join(run.out, RUN_FILES.checkpoint), checkpoint, 1);
  onSaved(trainer.step);
  writeAtomically(join(run.out, 'samples.png'), png, 1);
  if (!final || trainer.step % run.sampleEvery === 0)
    writeAtomically(join(run.out, `samples-${String(trainer.step).padStart(7, '0')}.png`), png, 1);
}
