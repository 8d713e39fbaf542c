// The webgpu-gan command line: train, sample, eval, classify, repair and restore. Errors the user can fix (flags, data,
// checkpoints, files, limits, no adapter) print one line and exit 2, or 1 when a run that was
// under way had to stop (a divergence, a disk that filled up); anything else is a bug and shows
// its stack.
import { followLauncher } from './launcher.js';
import { GpuFailureError, WebGpuUnavailableError } from '../gpu/errors.js';
import { ArgumentError } from '../base/errors.js';
import { CheckpointFormatError } from '../io/safetensors.js';
import { DatasetError } from '../io/idx.js';
import { errorForFlags, type FlagTable, helpText, printable, UsageError } from './args.js';
import { CliError } from './files.js';
import { EVAL_FLAGS, evalCommand } from './eval.js';
import { SAMPLE_FLAGS, sampleCommand } from './sample.js';
import { TRAIN_FLAGS, trainCommand } from './train.js';
import { REPAIR_FLAGS, repairCommand } from './repair.js';
import { CLASSIFY_FLAGS, classifyCommand } from './classify.js';
import { RESTORE_FLAGS, restoreCommand } from './restore.js';

interface Command {
  run: (argv: string[]) => Promise<number>;
  /** The command's one flag table: its --help, and the flag an error about a library setting names. */
  flags: FlagTable;
  /** The line under `usage:` in --help. */
  summary: string;
}

const COMMANDS: Record<string, Command> = {
  train: {
    run: trainCommand,
    flags: TRAIN_FLAGS,
    summary:
      'Train the GAN on MNIST (or --data: fashion-mnist, a folder of pictures, an IDX file); writes ' +
      'checkpoint.safetensors, samples.png and log.jsonl into --out. With --task restore, train a restorer that ' +
      'undoes --degradation instead; writes restorer.safetensors and restorer-log.jsonl.',
  },
  sample: {
    run: sampleCommand,
    flags: SAMPLE_FLAGS,
    summary: 'Draw a grid (or --interpolate strip) of samples from a checkpoint.',
  },
  eval: {
    run: evalCommand,
    flags: EVAL_FLAGS,
    summary:
      "Score a checkpoint's samples: the Fréchet classifier distance to MNIST's test digits (or --data " +
      "fashion-mnist's held-out images), class coverage and confidence.",
  },
  classify: {
    run: classifyCommand,
    flags: CLASSIFY_FLAGS,
    summary:
      "Classify pictures with a semi-supervised checkpoint's discriminator (trained with --labeled N); with " +
      'labels, the accuracy and the confusion matrix.',
  },
  repair: {
    run: repairCommand,
    flags: REPAIR_FLAGS,
    summary:
      "Fill in a damaged picture's unknown pixels (black in --mask) with a checkpoint's generator, by searching " +
      'its noise for images that match the known pixels.',
  },
  restore: {
    run: restoreCommand,
    flags: RESTORE_FLAGS,
    summary:
      "Undo a --degradation (blur, noise, downscale, dark, washed, mask, or a chain joined by +) with a checkpoint's " +
      'generator, by searching its noise for an image that, degraded the same way, matches the picture; or in ' +
      'one pass of a trained restorer (train --task restore; --checkpoint mnist ships some, see the README); ' +
      '--degrade-only makes the degraded picture instead.',
  },
};

const USAGE = `usage: webgpu-gan <command> [flags]

commands:
  train    train the GAN on MNIST or your pictures (e.g. webgpu-gan train --steps 5000), or
           a restorer (e.g. webgpu-gan train --task restore --degradation blur --steps 1000)
  sample   draw samples from a checkpoint
  eval     score a checkpoint's samples (Fréchet classifier distance, class coverage)
  classify classify pictures with a semi-supervised checkpoint (e.g. --image digit.png)
  repair   fill in the damaged part of a picture (e.g. --image in.png --mask mask.png)
  restore  undo blur, noise, downscaling or exposure (e.g. --image in.png --degradation blur:sigma=1.5)

webgpu-gan <command> --help shows the command's flags.
`;

const USER_ERRORS = [UsageError, ArgumentError, CheckpointFormatError, DatasetError, WebGpuUnavailableError];

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === '--help' || command === '-h') {
    process.stdout.write(USAGE);
    return command ? 0 : 2;
  }
  const entry = COMMANDS[command];
  if (!entry) {
    process.stderr.write(`webgpu-gan: unknown command "${command}"\n${USAGE}`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(helpText(command, entry.summary, entry.flags));
    return 0;
  }
  const stopFollowing = followLauncher();
  try {
    return await entry.run(rest);
  } catch (error) {
    if (error instanceof CliError || USER_ERRORS.some((E) => error instanceof E)) {
      // The library names a setting (discriminatorLr); the user gave a flag (--lr-d).
      const message = error instanceof ArgumentError ? errorForFlags(error, entry.flags) : (error as Error).message;
      process.stderr.write(`webgpu-gan ${command}: ${printable(message)}\n`);
      return error instanceof CliError ? error.exitCode : 2;
    }
    if (error instanceof GpuFailureError) {
      // The GPU failed (lost, out of memory): not the user's input, and not a bug of ours to show.
      process.stderr.write(`webgpu-gan ${command}: the GPU failed: ${printable(error.message)}\n`);
      return 1;
    }
    throw error;
  } finally {
    stopFollowing();
  }
}
