// `webgpu-gan train --task restore --degradation KIND`: trains a restorer (src/restore/) that
// undoes the degradation, on synthetic degradations of MNIST, Fashion-MNIST or your pictures.
// Writes OUT/restorer.safetensors (atomically, at the end and when stopped by Ctrl-C or SIGTERM)
// and OUT/restorer-log.jsonl; `restore --checkpoint OUT/restorer.safetensors` then uses it.
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { ArgumentError, TrainingDivergedError } from '../base/errors.js';
import { GpuDataset } from '../data/dataset.js';
import { formatAdapter } from '../gpu/adapter.js';
import { acquireGpu } from '../gpu/device.js';
import { RECONSTRUCTION_LOSSES } from '../kernels/reconstructionLoss.js';
import { encodeRestorer } from '../restore/restorerFile.js';
import { type ResolvedRestorerSettings, RestorerTrainer, resolveRestorerSettings } from '../restore/restorerTrainer.js';
import { type Degradation, parseDegradation } from '../restore/spec.js';
import { restorerFileOf } from '../restore/trainedRestorer.js';
import {
  errorForFlags,
  type FlagTable,
  type ParsedFlags,
  parseFlags,
  printable,
  settingsOf,
  UsageError,
  withDefaults,
} from './args.js';
import { loadTrainingData } from './data.js';
import { appendLine, attempt, CliError, prepareRunFolder, writeAtomically } from './files.js';
import { takeRunLock } from './runLock.js';
import { leaveOnSignal, SIGNAL_EXIT, watchSignals } from './trainLoop.js';

export const RESTORER_FILE = 'restorer.safetensors';
const LOG = 'restorer-log.jsonl';

export const RESTORER_TRAIN_FLAGS: FlagTable = {
  task: { kind: 'string', choices: ['gan', 'restore'], help: 'restore: train a restorer instead of a GAN' },
  degradation: {
    kind: 'string',
    required: true,
    help: 'what the restorer learns to undo: KIND[:name=value,...] joined by + (as restore takes it)',
  },
  steps: { kind: 'integer', min: 1, required: true, help: 'training steps' },
  // The library judges these (resolveRestorerSettings); its errors are put in the flags' words.
  batch: { kind: 'integer', setting: 'batch', default: 64, help: 'pictures per step' },
  seed: { kind: 'integer', setting: 'seed', default: 1, help: 'seed of the weights and the batches' },
  lr: { kind: 'number', setting: 'learningRate', default: 1e-3, help: "Adam's learning rate" },
  loss: { kind: 'string', setting: 'loss', choices: RECONSTRUCTION_LOSSES, default: 'l1', help: 'reconstruction loss' },
  adversarial: {
    kind: 'number',
    setting: 'adversarial',
    default: 0,
    help: "weight of pix2pix's adversarial term, a critic of (degraded, restored) pairs (pix2pix's: 0.01; 0: off)",
  },
  'edge-weight': {
    kind: 'number',
    setting: 'edgeWeight',
    default: 0,
    help: "weight of an l1 on the pictures' gradients (each step between neighbouring pixels) beside --loss; 0: off",
  },
  residual: {
    kind: 'boolean',
    setting: 'residual',
    help: 'a full-resolution network that adds a correction to the degraded picture (not with downscale)',
  },
  data: { kind: 'string', help: 'mnist (default), fashion-mnist, a folder of pictures or an IDX images file' },
  size: { kind: 'integer', min: 4, max: 128, help: 'side the pictures are resized to (default 28)' },
  channels: { kind: 'string', choices: ['1', '3'], help: '1 (grey) or 3 (RGB) (default: from the pictures)' },
  out: { kind: 'string', default: join('runs', 'restorer'), help: 'output folder' },
  force: { kind: 'boolean', help: `replace the ${RESTORER_FILE} in --out` },
  'log-every': { kind: 'integer', min: 1, default: 100, help: 'steps between progress lines and log lines' },
};

export async function trainRestorerCommand(argv: string[]): Promise<number> {
  const flags = withDefaults(parseFlags(argv, RESTORER_TRAIN_FLAGS), RESTORER_TRAIN_FLAGS);
  const out = flags.out as string;
  const degradation = parseDegradation(flags.degradation as string);
  const file = join(out, RESTORER_FILE);
  if (existsSync(file) && !flags.force)
    throw new UsageError(`${file} exists; give --force to replace it, or another --out`);
  // The settings are checked before the data, which take seconds to read (28 stands in for their side).
  restorerSettings(flags, degradation, { channels: 1, side: (flags.size as number | undefined) ?? 28 });
  const data = loadTrainingData({
    path: flags.data as string | undefined,
    conditional: false,
    side: flags.size as number | undefined,
    channels: flags.channels === undefined ? undefined : (Number(flags.channels) as 1 | 3),
  });
  console.log(`data: ${printable(data.description)}`);
  const pictures = { channels: data.channels, side: data.side };
  const settings = restorerSettings(flags, degradation, pictures);
  prepareRunFolder(out);
  const lock = takeRunLock(out);
  // A restorer trains in one go: a log left by an earlier run in this folder would be mixed in.
  attempt('remove the old log', join(out, LOG), () => rmSync(join(out, LOG), { force: true }));
  const releaseHandlers = leaveOnSignal(() => lock.release());
  try {
    const ctx = await acquireGpu();
    try {
      console.log(`adapter: ${formatAdapter(ctx.adapter)}`);
      const dataset = GpuDataset.fromBytes(ctx, data.pixels, data.count, data.channels * data.side ** 2, 'pictures');
      try {
        const trainer = await RestorerTrainer.create(ctx, dataset, pictures, settings);
        releaseHandlers();
        try {
          return await trainLoop(trainer, flags, (trained) =>
            restorerFileOf(ctx, trained, data.dataset ?? undefined).then((f) =>
              writeAtomically(file, encodeRestorer(f)),
            ),
          );
        } finally {
          trainer.destroy();
        }
      } finally {
        dataset.destroy();
      }
    } finally {
      ctx.destroy();
    }
  } finally {
    releaseHandlers();
    lock.release();
  }
}

/** The settings the flags give, checked by the library; a bad one is named by its flag. */
function restorerSettings(
  flags: ParsedFlags,
  degradation: Degradation[],
  pictures: { channels: 1 | 3; side: number },
): ResolvedRestorerSettings {
  try {
    return resolveRestorerSettings({ degradation, ...settingsOf(flags, RESTORER_TRAIN_FLAGS) }, pictures);
  } catch (error) {
    if (error instanceof ArgumentError) throw new UsageError(errorForFlags(error, RESTORER_TRAIN_FLAGS));
    throw error;
  }
}

/** A chunk of training; a diverged run is said in the CLI's words (--lr), with nothing saved. */
async function trainOrExplain(trainer: RestorerTrainer, steps: number): ReturnType<RestorerTrainer['train']> {
  try {
    return await trainer.train(steps);
  } catch (error) {
    if (!(error instanceof TrainingDivergedError)) throw error;
    throw new CliError(`${error.message.replace(/\(try a smaller one\)$/, '')}(try a smaller --lr); nothing saved`, 1);
  }
}

/** Trains in chunks of --log-every steps, saving at the end or when a signal asks it to stop. */
async function trainLoop(
  trainer: RestorerTrainer,
  flags: Record<string, unknown>,
  save: (trainer: RestorerTrainer) => Promise<void>,
): Promise<number> {
  const total = flags.steps as number;
  const every = flags['log-every'] as number;
  const log = join(flags.out as string, LOG);
  const signals = watchSignals(`the restorer so far (${RESTORER_FILE})`);
  try {
    const started = performance.now();
    while (trainer.step < total) {
      const { loss, critic } = await trainOrExplain(trainer, Math.min(every, total - trainer.step));
      const seconds = (performance.now() - started) / 1000;
      // The loss holds the edge term where there is one, so its weight goes beside it.
      const { edgeWeight, loss: kind, residual } = trainer.settings;
      const line = {
        step: trainer.step,
        loss,
        ...(edgeWeight > 0 && { edgeWeight }),
        ...(residual && { residual }),
        ...(critic && { critic }),
        seconds,
      };
      appendLine(log, JSON.stringify(line));
      const judged = critic
        ? `  critic loss ${critic.loss.toFixed(3)} (σ: clean ${critic.cleanReal.toFixed(2)}, restored ` +
          `${critic.restoredReal.toFixed(2)})`
        : '';
      const reconstruction = `${kind}${edgeWeight > 0 ? ` + ${edgeWeight} × edges` : ''} loss ${loss.toFixed(5)}`;
      console.log(`step ${trainer.step}/${total}  ${reconstruction}${judged}  ${seconds.toFixed(0)} s`);
      const signal = signals.stopped();
      if (signal) {
        await save(trainer);
        console.log(`stopped by ${signal} at step ${trainer.step}: saved ${join(flags.out as string, RESTORER_FILE)}`);
        return SIGNAL_EXIT[signal]!;
      }
    }
    await save(trainer);
    console.log(
      `wrote ${join(flags.out as string, RESTORER_FILE)}: undoes ${trainer.degradation}; try ` +
        `webgpu-gan restore --checkpoint ${join(flags.out as string, RESTORER_FILE)} --image in.png --out out.png`,
    );
    return 0;
  } finally {
    signals.release();
  }
}
