// The webgpu-gan command line: `train`, `sample`, `eval` and `repair`. Errors the user can fix (flags, data,
// checkpoints, files, limits, no adapter) print one line and exit 2, or 1 when a run that was
// under way had to stop (a divergence, a disk that filled up); anything else is a bug and shows
// its stack.
import { GpuFailureError, WebGpuUnavailableError } from '../gpu/errors.js';
import { ArgumentError } from '../base/errors.js';
import { CheckpointFormatError } from '../io/safetensors.js';
import { DatasetError } from '../io/idx.js';
import { helpText, UsageError } from './args.js';
import { CliError } from './files.js';
import { EVAL_FLAGS, evalCommand } from './eval.js';
import { SAMPLE_FLAGS, sampleCommand } from './sample.js';
import { TRAIN_FLAGS, trainCommand } from './train.js';
import { REPAIR_FLAGS, repairCommand } from './repair.js';

const COMMANDS: Record<string, { run: (argv: string[]) => Promise<number>; help: string }> = {
  train: {
    run: trainCommand,
    help: helpText(
      'train',
      'Train the GAN on MNIST (or --data: a folder of pictures, an IDX file); writes checkpoint.safetensors, ' +
        'samples.png and log.jsonl into --out.',
      TRAIN_FLAGS,
    ),
  },
  sample: {
    run: sampleCommand,
    help: helpText('sample', 'Draw a grid (or --interpolate strip) of samples from a checkpoint.', SAMPLE_FLAGS),
  },
  eval: {
    run: evalCommand,
    help: helpText(
      'eval',
      "Score a checkpoint's samples: the Fréchet classifier distance to MNIST's test digits, class coverage and " +
        'confidence.',
      EVAL_FLAGS,
    ),
  },
  repair: {
    run: repairCommand,
    help: helpText(
      'repair',
      "Fill in a damaged picture's unknown pixels (black in --mask) with a checkpoint's generator, by searching " +
        'its noise for images that match the known pixels.',
      REPAIR_FLAGS,
    ),
  },
};

const USAGE = `usage: webgpu-gan <command> [flags]

commands:
  train    train the GAN on MNIST or your pictures (e.g. webgpu-gan train --steps 5000)
  sample   draw samples from a checkpoint
  eval     score a checkpoint's samples (Fréchet classifier distance, class coverage)
  repair   fill in the damaged part of a picture (e.g. --image in.png --mask mask.png)

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
    process.stdout.write(entry.help);
    return 0;
  }
  try {
    return await entry.run(rest);
  } catch (error) {
    if (error instanceof CliError || USER_ERRORS.some((E) => error instanceof E)) {
      process.stderr.write(`webgpu-gan ${command}: ${(error as Error).message}\n`);
      return error instanceof CliError ? error.exitCode : 2;
    }
    if (error instanceof GpuFailureError) {
      // The GPU failed (lost, out of memory): not the user's input, and not a bug of ours to show.
      process.stderr.write(`webgpu-gan ${command}: the GPU failed: ${error.message}\n`);
      return 1;
    }
    throw error;
  }
}
