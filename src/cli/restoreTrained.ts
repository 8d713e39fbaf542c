// `restore --checkpoint R` where R is a trained restorer (`train --task restore`): one pass of its
// network instead of a latent search. The restorer knows what it undoes, so --degradation may be
// left out; given, it must be the same. Flags of the latent search have no meaning here and are
// refused rather than ignored.
import { closeSync, existsSync, fstatSync, openSync, readSync } from 'node:fs';
import { readRegularFile } from '../io/regularFileNode.js';
import { acquireGpu } from '../gpu/device.js';
import { decodeRestorer, isRestorerHeader } from '../restore/restorerFile.js';
import { parseDegradation, restorationKey } from '../restore/spec.js';
import { TrainedRestorer } from '../restore/trainedRestorer.js';
import { type ParsedFlags, UsageError } from './args.js';
import { attempt, CliError } from './files.js';
import { readPicture, writePictures } from './pictureFiles.js';
import { upscaleNearest } from '../restore/degradePictures.js';

/** The flags a trained restorer takes; any other that restore knows belongs to the latent search. */
export const TRAINED_RESTORER_FLAGS: ReadonlySet<string> = new Set([
  'checkpoint',
  'image',
  'degradation',
  'out',
  'strip',
]);

/** Whether the file names a restorer, from its header (a GAN checkpoint's says otherwise). */
export function isRestorerPath(path: string): boolean {
  if (!existsSync(path)) return false;
  const fd = attempt('open', path, () => openSync(path, 'r'));
  try {
    return isRestorerHeader(fstatSync(fd).size, (position, count) => {
      const bytes = new Uint8Array(count);
      return bytes.subarray(0, readSync(fd, bytes, 0, count, position));
    });
  } finally {
    closeSync(fd);
  }
}

export async function restoreWithTrained(flags: ParsedFlags, path: string, out: string): Promise<number> {
  const extra = Object.keys(flags).filter((f) => !TRAINED_RESTORER_FLAGS.has(f));
  if (extra.length > 0)
    throw new UsageError(
      `${extra.map((f) => `--${f}`).join(', ')}: ${path} is a trained restorer, which takes ` +
        `${[...TRAINED_RESTORER_FLAGS].map((f) => `--${f}`).join(', ')}; the other flags are for a GAN ` +
        "checkpoint's search",
    );
  const file = decodeRestorer(attempt('read', path, () => readRegularFile(path)));
  const undoes = restorationKey(file.settings.degradation);
  if (flags.degradation !== undefined) {
    const asked = restorationKey(parseDegradation(flags.degradation as string));
    if (asked !== undoes)
      throw new UsageError(
        `--degradation ${asked}: ${path} was trained to undo ${undoes}; drop --degradation, or train a restorer ` +
          `for it (webgpu-gan train --task restore --degradation ${asked})`,
      );
  }
  const s = file.settings;
  const geometry = { rows: 1, channels: s.channels, height: s.inputSide, width: s.inputSide };
  const degraded = readPicture(flags.image as string, geometry);
  const ctx = await acquireGpu();
  try {
    const restorer = TrainedRestorer.fromFile(ctx, file);
    try {
      const restored = await restorer.restore(degraded);
      if (!restored.every(Number.isFinite)) throw new CliError('the restorer produced NaN or infinite pixels', 1);
      const pictures = flags.strip ? [upscaleNearest(degraded, geometry, s.side), restored] : [restored];
      writePictures(out, pictures, restorer.outputSize, s.channels, flags.strip === true);
      console.log(`wrote ${out}: undid ${undoes} with the restorer ${path} (trained ${file.step} steps)`);
      return 0;
    } finally {
      restorer.destroy();
    }
  } finally {
    ctx.destroy();
  }
}
