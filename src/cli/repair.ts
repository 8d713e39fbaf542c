// `webgpu-gan repair`: fills in the damaged part of a picture with a checkpoint's generator, by
// latent search (src/repair/repairer.ts). The mask is white where the picture is intact (known) and
// black where it is to be filled; both are resized to the model's image size.
import { readCheckpointArgument, SHIPPED_HELP } from './shipped.js';
import { readImageFile } from '../data/imageFolderNode.js';
import { prepareImage } from '../data/images.js';
import { imageSide, sampleGrid } from '../render/grid.js';
import { loadDiscriminator } from '../gan/discriminator.js';
import { ImageRepairer } from '../repair/repairer.js';
import {
  REPAIR_BLENDS,
  REPAIR_CONTEXTS,
  REPAIR_PRIORS,
  type RepairOptions,
  repairSettings,
} from '../repair/options.js';
import { loadGenerator } from '../gan/sampler.js';
import { acquireGpu } from '../gpu/device.js';
import { type FlagTable, parseFlags, settingsOf, UsageError } from './args.js';
import { checkOutputFile, CliError, writeAtomically } from './files.js';
import { encodePng } from '../io/png.js';

/** The latent search's flags that restore shares (its --realism's help differs, so it sits between). */
export const SEARCH_START_FLAGS = {
  class: {
    kind: 'integer',
    setting: 'label',
    help: "a conditional checkpoint: the picture's class (required for one)",
  },
  starts: { kind: 'integer', setting: 'starts', help: 'starting points searched at once (default 64)' },
  steps: { kind: 'integer', min: 1, max: 100000, help: 'Adam steps on each start (default 500)' },
} satisfies FlagTable<keyof RepairOptions>;

export const SEARCH_END_FLAGS = {
  lr: { kind: 'number', setting: 'lr', help: "Adam's learning rate on the noise (default 0.05)" },
  seed: { kind: 'integer', min: 0, max: Number.MAX_SAFE_INTEGER, help: 'seed of the starting points (default 1)' },
  raw: {
    kind: 'boolean',
    setting: 'useEma',
    value: false,
    help: 'use the trained weights instead of their moving average',
  },
  prior: {
    kind: 'string',
    setting: 'prior',
    choices: REPAIR_PRIORS,
    help: 'where each noise vector is kept: none (default) or sphere (Yeh et al.: back to norm √d after each step)',
  },
} satisfies FlagTable<keyof RepairOptions>;

export const REPAIR_FLAGS: FlagTable<keyof RepairOptions> = {
  checkpoint: {
    kind: 'string',
    required: true,
    help: `checkpoint.safetensors whose generator fills the picture in${SHIPPED_HELP}`,
  },
  image: { kind: 'string', required: true, help: 'the damaged picture, PNG or JPEG' },
  mask: {
    kind: 'string',
    required: true,
    help: 'PNG or JPEG, white where the picture is intact, black where it is to be filled',
  },
  out: { kind: 'string', required: true, help: 'PNG file to write: the repaired picture' },
  strip: { kind: 'boolean', help: 'write a strip instead: the known pixels (grey where unknown), G(z), the repair' },
  ...SEARCH_START_FLAGS,
  realism: {
    kind: 'number',
    setting: 'realism',
    help: "weight of the discriminator's realism term; 0 to match the known pixels only (default 0.02)",
  },
  context: {
    kind: 'string',
    setting: 'context',
    choices: REPAIR_CONTEXTS,
    help: 'how known pixels count: nearness (default; Yeh et al.: by nearness to the hole) or uniform',
  },
  blend: {
    kind: 'string',
    setting: 'blend',
    choices: REPAIR_BLENDS,
    help: "how the fill meets them: poisson (default; G(z)'s gradients, no seam) or copy (G(z) as it is)",
  },
  ...SEARCH_END_FLAGS,
};

export async function repairCommand(argv: string[]): Promise<number> {
  const flags = parseFlags(argv, REPAIR_FLAGS);
  const out = flags.out as string;
  checkOutputFile(out);
  const checkpoint = readCheckpointArgument(flags.checkpoint as string);
  const config = checkpoint.config;
  const options = {
    ...(settingsOf(flags, REPAIR_FLAGS) as RepairOptions),
    seed: (flags.seed as number | undefined) ?? config.seed,
  };
  // Checked here, by the library, so that a mistaken flag is named before the GPU is touched.
  const settings = repairSettings(config, options);
  const side = modelSide(config.dataDim, config.channels);
  const [picture, maskPicture] = [readImageFile(flags.image as string), readImageFile(flags.mask as string)];
  if (picture.width !== maskPicture.width || picture.height !== maskPicture.height)
    throw new UsageError(
      `--mask is ${maskPicture.width}×${maskPicture.height} but --image ${picture.width}×${picture.height}: a mask ` +
        "marks the picture's own pixels, so draw it at the picture's size",
    );
  const image = toPixels(prepareImage(picture, side, config.channels));
  const known = knownPixels(prepareImage(maskPicture, side, 1), config.channels);
  const knownCount = known.reduce((a, m) => a + m, 0);
  if (knownCount === 0)
    throw new UsageError(`--mask ${flags.mask} is black everywhere: nothing is known; paint the intact part white`);
  if (knownCount === known.length)
    throw new UsageError(
      `--mask ${flags.mask} is white everywhere: every pixel is known, so there is nothing to repair; paint the ` +
        'part to fill in black',
    );

  const ctx = await acquireGpu();
  const networks: Array<{ destroy(): void }> = [];
  try {
    const generator = loadGenerator(ctx, checkpoint);
    networks.push(generator);
    const discriminator = settings.realism > 0 ? loadDiscriminator(ctx, checkpoint) : null;
    if (discriminator) networks.push(discriminator);
    const repairer = await ImageRepairer.create(ctx, config, generator, discriminator, options);
    try {
      const result = await repairer.repair(image, known, { steps: flags.steps as number | undefined });
      if (!result.completion.every(Number.isFinite))
        throw new CliError('the search produced NaN or infinite pixels; try a lower --lr or --realism', 1);
      const pictures = flags.strip
        ? [shownKnown(image, known), result.generated, result.completion]
        : [result.completion];
      const grid = sampleGrid(
        Float32Array.from(pictures.flatMap((p) => Array.from(p))),
        pictures.length,
        config.dataDim,
        {
          columns: pictures.length,
          padding: flags.strip ? 2 : 0,
          channels: config.channels,
        },
      );
      writeAtomically(out, encodePng(grid));
      const rms = Math.sqrt(result.error);
      const weighted = settings.context === 'nearness' ? ', weighted by nearness to the hole,' : '';
      console.log(
        `wrote ${out}: ${knownCount} of ${known.length} values known; after ${result.steps} steps on ` +
          `${repairer.starts} starts the best (start ${result.start}) matches them${weighted} to an RMS error of ` +
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

function modelSide(dataDim: number, channels: 1 | 3): number {
  try {
    return imageSide(dataDim, channels);
  } catch {
    throw new UsageError(
      `the checkpoint's model makes ${dataDim} values, not square images: it cannot repair pictures`,
    );
  }
}

/** Bytes to the values training sees: (2·byte − 255) / 255 ∈ [−1, 1]. */
function toPixels(bytes: Uint8Array): Float32Array {
  return Float32Array.from(bytes, (b) => (2 * b - 255) / 255);
}

/** A grey mask, white (≥ 128) where known, as a 0/1 value per model value (each channel alike). */
function knownPixels(mask: Uint8Array, channels: 1 | 3): Float32Array {
  const known = new Float32Array(mask.length * channels);
  for (let c = 0; c < channels; c++)
    for (let p = 0; p < mask.length; p++) known[c * mask.length + p] = mask[p]! >= 128 ? 1 : 0;
  return known;
}

/** The known pixels, the unknown ones mid-grey (0), for the strip. */
function shownKnown(image: Float32Array, known: Float32Array): Float32Array {
  return image.map((v, j) => (known[j] ? v : 0));
}
