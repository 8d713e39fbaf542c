// `--checkpoint mnist`: the trained models the package ships (gan/shippedModels.ts), by name, so
// that sample, repair, restore and eval work without training first. A file of that name in the
// current folder still wins: a name is read as the shipped model only where no such file exists.
import { existsSync } from 'node:fs';
import type { Checkpoint } from '../gan/checkpoint.js';
import { readCheckpointFile } from '../gan/checkpointFile.js';
import { SHIPPED_MODELS, type ShippedModel, shippedModelPath } from '../gan/shippedModels.js';

/** The help text's words for a --checkpoint flag that takes a shipped model's name too. */
export const SHIPPED_HELP = `, or ${Object.keys(SHIPPED_MODELS).join(' or ')} for a model the package ships`;

/**
 * The checkpoint a --checkpoint value names: a file, or a shipped model's name (said on stderr,
 * with its warnings as for any file).
 */
export function readCheckpointArgument(value: string): Checkpoint {
  const shipped = Object.hasOwn(SHIPPED_MODELS, value) && !existsSync(value) ? (value as ShippedModel) : null;
  const path = shipped ? shippedModelPath(shipped) : value;
  const checkpoint = readCheckpointFile(path);
  if (shipped)
    process.stderr.write(
      `checkpoint: the shipped ${shipped} model (${SHIPPED_MODELS[shipped]}, ${checkpoint.config.architecture} at ` +
        `step ${checkpoint.step})\n`,
    );
  for (const warning of checkpoint.warnings) process.stderr.write(`warning: ${value}: ${warning}\n`);
  return checkpoint;
}
