// The data a run trains on, recorded in each of its checkpoints (see DataRecord), and the check
// that a resumed run is given the same: other pictures of the same size would otherwise be
// trained on without a word, mixing two runs in one checkpoint.
import { isAbsolute, resolve } from 'node:path';
import type { Checkpoint, DataRecord } from '../gan/checkpoint.js';
import { crc32Hex } from '../io/crc32.js';
import { UsageError } from './args.js';
import { builtinData, type TrainingData } from './data.js';

/** What a checkpoint records of the data: `path` is --data as given (undefined: MNIST). */
export function dataRecordOf(data: TrainingData, path: string | undefined): DataRecord {
  return {
    source: data.dataset ?? resolve(path ?? ''),
    count: data.count,
    side: data.side,
    channels: data.channels,
    crc32: crc32Hex(data.labels ? [data.pixels, data.labels] : [data.pixels]),
  };
}

/**
 * Where a resumed run without --data finds its data: the built-in set or the path the checkpoint
 * records (undefined: MNIST, as for checkpoints that record neither).
 */
export function recordedSource(checkpoint: Checkpoint): string | undefined {
  const source = checkpoint.data?.source;
  if (source === undefined || builtinData(source) || !isAbsolute(source)) return checkpoint.dataset;
  return source;
}

const describe = (r: DataRecord) =>
  `${r.source}: ${r.count} pictures of ${r.side}×${r.side} ${r.channels === 3 ? 'RGB' : 'grey'}, CRC-32 ${r.crc32}`;

/** What differs between the recorded data and these, e.g. ["the picture count", "the fingerprint"]. */
export function dataDifferences(recorded: DataRecord, now: DataRecord): string[] {
  const differs: string[] = [];
  if (recorded.count !== now.count) differs.push('the picture count');
  if (recorded.side !== now.side) differs.push('the size');
  if (recorded.channels !== now.channels) differs.push('the channels');
  if (recorded.crc32 !== now.crc32) differs.push('the fingerprint (CRC-32 of the pixels and labels)');
  return differs;
}

/**
 * Refuses to resume on other data than the checkpoint records, unless `allowed` (--allow-other-data);
 * a checkpoint written before data were recorded resumes with a notice. Where the same pictures
 * moved (another path, the same bytes), the run goes on: it is the same data.
 */
export function checkResumeData(checkpoint: Checkpoint, now: DataRecord, allowed: boolean): void {
  const recorded = checkpoint.data;
  if (!recorded) {
    console.log(`note: the checkpoint does not record its data (an older file), so ${now.source} cannot be checked`);
    return;
  }
  const differs = dataDifferences(recorded, now);
  if (differs.length === 0) return;
  const both = `the run began with ${describe(recorded)}; given ${describe(now)}`;
  const what = `${differs.join(', ')} differ${differs.length > 1 ? '' : 's'}`;
  if (!allowed)
    throw new UsageError(
      `--resume: these are not the data the run began with (${what}: ${both}); give the run's --data, or add ` +
        '--allow-other-data to go on with these',
    );
  console.log(`--allow-other-data: training on other data than the run began with (${both})`);
}
