// `webgpu-gan sample`: a grid of samples, or a latent interpolation strip, from a checkpoint.
import { readCheckpointArgument, SHIPPED_HELP } from './shipped.js';
import { acquireGpu } from '../gpu/device.js';
import { checkOutputFile, CliError, writeAtomically } from './files.js';
import { sampleGrid } from '../render/grid.js';
import { GanSampler, loadGenerator } from '../gan/sampler.js';
import { interpolationNoise, seededRandom } from '../gan/interpolate.js';
import { type FlagTable, parseFlags, UsageError } from './args.js';
import { encodePng } from '../io/png.js';

export const SAMPLE_FLAGS: FlagTable = {
  checkpoint: { kind: 'string', required: true, help: `checkpoint.safetensors to sample from${SHIPPED_HELP}` },
  out: { kind: 'string', required: true, help: 'PNG file to write' },
  n: { kind: 'integer', min: 1, max: 1024, help: 'number of images (default 64)' },
  seed: { kind: 'integer', setting: 'seed', help: 'noise seed (default: the training seed)' },
  interpolate: { kind: 'boolean', help: 'a strip walking between two random noise vectors instead of a grid' },
  raw: { kind: 'boolean', help: 'use the trained weights instead of their moving average' },
  class: {
    kind: 'integer',
    min: 0,
    help: 'a conditional checkpoint: draw this class only (default: a grid with one row per class)',
  },
};

export async function sampleCommand(argv: string[]): Promise<number> {
  const flags = parseFlags(argv, SAMPLE_FLAGS);
  checkOutputFile(flags.out as string);
  const checkpoint = readCheckpointArgument(flags.checkpoint as string);
  const config = checkpoint.config;
  const chosen = flags.class as number | undefined;
  if (chosen !== undefined && config.classes === 0)
    throw new UsageError(
      `--class: ${flags.checkpoint} is not conditional (${
        config.labelClasses > 0
          ? 'it is semi-supervised: its D reads classes, for classify, and its G takes none'
          : 'it was trained without labels'
      })`,
    );
  if (chosen !== undefined && chosen >= config.classes)
    throw new UsageError(`--class ${chosen}: the checkpoint has classes 0 to ${config.classes - 1}`);
  // A conditional grid has one row per class, so its default size is a multiple of the classes.
  const perClassGrid = config.classes > 0 && chosen === undefined && !flags.interpolate;
  const count = (flags.n as number | undefined) ?? (flags.interpolate ? 10 : perClassGrid ? 8 * config.classes : 64);
  if (flags.interpolate && count < 2) throw new UsageError('--interpolate needs --n of at least 2');
  const columns = perClassGrid ? Math.ceil(count / config.classes) : flags.interpolate ? count : undefined;
  const labels =
    config.classes === 0
      ? undefined
      : Array.from({ length: count }, (_, r) => chosen ?? Math.min(Math.floor(r / columns!), config.classes - 1));
  const seed = (flags.seed as number | undefined) ?? config.seed;
  const ctx = await acquireGpu();
  try {
    const generator = loadGenerator(ctx, checkpoint);
    const sampler = await GanSampler.create(ctx, config, generator, { count, seed, useEma: !flags.raw, labels });
    try {
      if (flags.interpolate) sampler.setNoise(interpolationNoise(config.noiseDim, count, seededRandom(seed)));
      const samples = await sampler.sample();
      // The loader refuses non-finite weights; this guards the pixels themselves (an overflow).
      if (!samples.every(Number.isFinite))
        throw new CliError('the generator produced NaN or infinite pixels; no image was written', 1);
      const grid = sampleGrid(samples, count, config.dataDim, { columns, channels: config.channels });
      writeAtomically(flags.out as string, encodePng(grid));
    } finally {
      sampler.destroy();
      generator.destroy();
    }
    const ofClass = config.classes === 0 ? '' : perClassGrid ? ', a row per class' : ` of class ${chosen ?? 0}`;
    console.log(
      `wrote ${flags.out}: ${count} ${flags.interpolate ? 'interpolation steps' : 'samples'}${ofClass} from step ` +
        `${checkpoint.step} (${flags.raw ? 'trained' : 'moving-average'} weights)`,
    );
    return 0;
  } finally {
    ctx.destroy();
  }
}
