// `webgpu-gan restore`: undoes a degradation (blur, noise, downscaling, exposure, a mask, or a
// chain of them) with a checkpoint's generator, by latent search through the degradation's
// operator (src/repair/, src/restore/): it fits A(G(z)) to the degraded picture. --degrade-only
// makes the degraded picture from a clean one instead, the same way, so a user can try it.
import { readCheckpointArgument, SHIPPED_HELP } from './shipped.js';
import { fittedGeometry, readPicture, writePictures } from './pictureFiles.js';
import { upscaleNearest } from '../restore/degradePictures.js';
import { isRestorerPath, restoreWithTrained, TRAINED_RESTORER_FLAGS } from './restoreTrained.js';
import { SHIPPED_MODELS, type ShippedModel, shippedRestorerPath } from '../gan/shippedModels.js';
import { existsSync } from 'node:fs';
import { decodeRestorer } from '../restore/restorerFile.js';
import { readRegularFile } from '../io/regularFileNode.js';
import { readImageFile } from '../data/imageFolderNode.js';
import { prepareImage } from '../data/images.js';
import { imageSide } from '../render/grid.js';
import { loadDiscriminator } from '../gan/discriminator.js';
import { ImageRepairer } from '../repair/repairer.js';
import { type RepairOptions, repairSettings } from '../repair/options.js';
import { loadGenerator } from '../gan/sampler.js';
import { acquireGpu } from '../gpu/device.js';
import { pictureSize } from '../kernels/degrade.js';
import { degradePictures } from '../restore/degradePictures.js';
import { type BlurTaps, tapsFromPicture } from '../restore/taps.js';
import { formatDegradation, parseDegradation, restorationKey, type Degradation } from '../restore/spec.js';
import { type FlagTable, type ParsedFlags, parseFlags, settingsOf, UsageError } from './args.js';
import { SEARCH_END_FLAGS, SEARCH_START_FLAGS } from './repair.js';
import { checkOutputFile, CliError } from './files.js';

export const RESTORE_FLAGS: FlagTable<keyof RepairOptions> = {
  checkpoint: {
    kind: 'string',
    help: `checkpoint.safetensors whose generator restores the picture (required to restore)${SHIPPED_HELP}`,
  },
  image: {
    kind: 'string',
    required: true,
    help: 'the degraded picture (with --degrade-only: the clean one), PNG or JPEG',
  },
  degradation: {
    kind: 'string',
    help:
      'what the picture went through: KIND[:name=value,...] joined by +, KIND one of mask, blur, noise, downscale, ' +
      'dark, washed, exposure (e.g. blur:sigma=1.5+noise:sigma=0.1)',
  },
  mask: { kind: 'string', help: "PNG or JPEG for the chain's mask: white where intact, black where erased" },
  'blur-kernel': {
    kind: 'string',
    help: "PNG or JPEG of odd sides (at most 63): the blur's kernel instead of a Gaussian, brighter = more weight",
  },
  out: { kind: 'string', required: true, help: 'PNG file to write: the restored (or degraded) picture' },
  'degrade-only': { kind: 'boolean', help: 'write the degraded picture of a clean --image instead of restoring' },
  size: {
    kind: 'integer',
    min: 1,
    max: 1024,
    help: 'with --degrade-only and no --checkpoint: picture side (default 28)',
  },
  strip: {
    kind: 'boolean',
    help: 'write a strip instead: the degraded picture (blown up to size) and the restoration',
  },
  ...SEARCH_START_FLAGS,
  realism: {
    kind: 'number',
    setting: 'realism',
    help: "weight of the discriminator's realism term; 0 to fit the degraded picture only (default 0.02)",
  },
  ...SEARCH_END_FLAGS,
};

export async function restoreCommand(argv: string[]): Promise<number> {
  const flags = parseFlags(argv, RESTORE_FLAGS);
  const out = flags.out as string;
  checkOutputFile(out);
  const restorer = typeof flags.checkpoint === 'string' && isRestorerPath(flags.checkpoint);
  if (restorer && !flags['degrade-only']) return restoreWithTrained(flags, flags.checkpoint as string, out);
  if (flags.degradation === undefined)
    throw new UsageError('--degradation is required (what the picture went through, e.g. blur:sigma=1.5)');
  const chain = parseDegradation(flags.degradation as string);
  if (flags['degrade-only']) return degradeOnly(flags, chain, out);
  const shipped = shippedRestorerFor(flags, chain);
  if (shipped) return restoreWithTrained(flags, shipped, out);
  if (flags.checkpoint === undefined)
    throw new UsageError('--checkpoint is required to restore (only --degrade-only works without one)');
  const checkpoint = readCheckpointArgument(flags.checkpoint as string);
  const config = checkpoint.config;
  const side = modelSide(config.dataDim, config.channels);
  const geometry = { rows: 1, channels: config.channels, height: side, width: side };
  const degradedGeometry = fittedGeometry(geometry, chain);
  const options: RepairOptions = {
    ...(settingsOf(flags, RESTORE_FLAGS) as RepairOptions),
    seed: (flags.seed as number | undefined) ?? config.seed,
    degradation: chain,
    ...maskOption(flags.mask as string | undefined, chain, side),
    ...blurKernelOption(flags['blur-kernel'] as string | undefined, chain),
  };
  const settings = repairSettings(config, options);
  const degraded = readPicture(flags.image as string, degradedGeometry);

  const ctx = await acquireGpu();
  const networks: Array<{ destroy(): void }> = [];
  try {
    const generator = loadGenerator(ctx, checkpoint);
    networks.push(generator);
    const discriminator = settings.realism > 0 ? loadDiscriminator(ctx, checkpoint) : null;
    if (discriminator) networks.push(discriminator);
    const repairer = await ImageRepairer.create(ctx, config, generator, discriminator, options);
    try {
      const result = await repairer.restore(degraded, { steps: flags.steps as number | undefined });
      if (!result.completion.every(Number.isFinite))
        throw new CliError('the search produced NaN or infinite pixels; try a lower --lr', 1);
      const pictures = flags.strip
        ? [upscaleNearest(degraded, degradedGeometry, side), result.completion]
        : [result.completion];
      writePictures(out, pictures, config.dataDim, config.channels, flags.strip === true);
      const rms = Math.sqrt(result.error);
      console.log(
        `wrote ${out}: restored from ${formatDegradation(chain)}; after ${result.steps} steps on ${repairer.starts} ` +
          `starts the best (start ${result.start}) degraded matches the picture to an RMS error of ` +
          `${rms.toFixed(4)} (${(rms * 127.5).toFixed(1)} grey levels of 255)`,
      );
    } finally {
      repairer.destroy();
    }
    return 0;
  } finally {
    for (const network of networks) network.destroy();
    ctx.destroy();
  }
}

/**
 * The restorer the package ships for `--checkpoint mnist` (a shipped model's name, no such file
 * here) and this chain, unless a flag of the latent search asks for the search; else null.
 */
function shippedRestorerFor(flags: ParsedFlags, chain: Degradation[]): string | null {
  const name = flags.checkpoint as string | undefined;
  if (name === undefined || !Object.hasOwn(SHIPPED_MODELS, name) || existsSync(name)) return null;
  if (Object.keys(flags).some((flag) => !TRAINED_RESTORER_FLAGS.has(flag))) return null;
  const path = shippedRestorerPath(name as ShippedModel, restorationKey(chain));
  if (path) process.stderr.write(`checkpoint: the shipped ${name} restorer for ${restorationKey(chain)}\n`);
  return path;
}

/** Writes the degraded picture of a clean --image: the chain's own kernels, noise included. */
async function degradeOnly(flags: Record<string, unknown>, chain: Degradation[], out: string): Promise<number> {
  let [side, channels] = [(flags.size as number | undefined) ?? 28, 1 as 1 | 3];
  if (typeof flags.checkpoint === 'string' && isRestorerPath(flags.checkpoint)) {
    const { settings } = decodeRestorer(readRegularFile(flags.checkpoint));
    [side, channels] = [settings.side, settings.channels];
  } else if (flags.checkpoint !== undefined) {
    const config = readCheckpointArgument(flags.checkpoint as string).config;
    [side, channels] = [modelSide(config.dataDim, config.channels), config.channels];
  }
  const geometry = { rows: 1, channels, height: side, width: side };
  const clean = readPicture(flags.image as string, geometry);
  const mask = maskOption(flags.mask as string | undefined, chain, side).degradationMask;
  const { blurKernel } = blurKernelOption(flags['blur-kernel'] as string | undefined, chain);
  const ctx = await acquireGpu();
  try {
    const extra = { ...(mask && { mask }), ...(blurKernel && { blurKernel }) };
    const degraded = await degradePictures(ctx, chain, geometry, clean, extra);
    const small = fittedGeometry(geometry, chain);
    writePictures(out, [degraded], pictureSize(small), channels, false);
    console.log(`wrote ${out}: ${small.width}×${small.height} after ${formatDegradation(chain)}`);
    return 0;
  } finally {
    ctx.destroy();
  }
}

function maskOption(file: string | undefined, chain: readonly Degradation[], side: number) {
  if (file === undefined) return {};
  if (!chain.some((d) => d.kind === 'mask'))
    throw new UsageError(`--mask goes with a mask in --degradation (e.g. mask+blur); this chain has none`);
  if (chain.some((d) => d.kind === 'downscale'))
    throw new UsageError(
      '--mask with downscaling is not supported yet; give the mask as a band (mask:first=..,last=..)',
    );
  const grey = prepareImage(readImageFile(file), side, 1);
  const known = Float32Array.from(grey, (b) => (b >= 128 ? 1 : 0));
  if (!known.some((k) => k === 1))
    throw new UsageError(`--mask ${file} is black everywhere: nothing is known; paint the intact part white`);
  return { degradationMask: known };
}

/** The largest kernel picture's side: a blur wider than two thirds of a 28-pixel digit is no longer a blur. */
const MAX_KERNEL_SIDE = 63;

function blurKernelOption(file: string | undefined, chain: readonly Degradation[]): { blurKernel?: BlurTaps } {
  if (file === undefined) return {};
  if (!chain.some((d) => d.kind === 'blur'))
    throw new UsageError('--blur-kernel goes with a blur in --degradation (e.g. blur+noise); this chain has none');
  const picture = readImageFile(file);
  if (picture.width > MAX_KERNEL_SIDE || picture.height > MAX_KERNEL_SIDE)
    throw new UsageError(
      `--blur-kernel ${file} is ${picture.width}×${picture.height}; at most ${MAX_KERNEL_SIDE} a side`,
    );
  const grey = new Uint8Array(picture.width * picture.height);
  for (let p = 0; p < grey.length; p++) {
    const [r, g, b] = [picture.rgba[4 * p]!, picture.rgba[4 * p + 1]!, picture.rgba[4 * p + 2]!];
    grey[p] = Math.round((r + g + b) / 3);
  }
  return { blurKernel: tapsFromPicture(grey, picture.width, picture.height) };
}

function modelSide(dataDim: number, channels: 1 | 3): number {
  try {
    return imageSide(dataDim, channels);
  } catch {
    throw new UsageError(
      `the checkpoint's model makes ${dataDim} values, not square images: it cannot restore pictures`,
    );
  }
}
