// --resume trains on the data the run began with: each checkpoint records them (source, count,
// size, channels, a CRC-32 of the bytes), a resume without --data finds them again, other data are
// refused in one line naming what differs unless --allow-other-data, and a checkpoint written
// before the record existed resumes with a one-line notice.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { decodeCheckpoint } from '../src/gan/checkpoint.js';
import { CheckpointFormatError, decodeSafetensors, encodeSafetensors } from '../src/io/safetensors.js';
import { cli, TINY } from './support/cli.js';
import { useTempDirs } from './support/temp.js';

const tempDir = useTempDirs();
const CHECKPOINT = 'checkpoint.safetensors';

/** A grey 8×8 PNG with a stripe at column `at`. */
function stripe(at: number): Buffer {
  const png = new PNG({ width: 8, height: 8 });
  for (let i = 0; i < 64; i++) png.data.set(i % 8 === at ? [250, 250, 250, 255] : [5, 5, 5, 255], i * 4);
  return PNG.sync.write(png);
}

/** A folder of `count` striped pictures. */
function pictures(count: number): string {
  const dir = tempDir('gan-resume-data-');
  for (let i = 0; i < count; i++) writeFileSync(join(dir, `${i}.png`), stripe(i % 8));
  return dir;
}

const readCheckpoint = (out: string) => decodeCheckpoint(readFileSync(join(out, CHECKPOINT)));
const small = ['--size', '8', ...TINY];

describe('--resume and the data a run began with', { timeout: 300_000 }, () => {
  it('records the data, finds them again without --data, refuses others unless --allow-other-data', () => {
    const data = pictures(16);
    const out = tempDir('gan-resume-run-');
    const first = cli(['train', '--data', data, '--steps', '4', '--out', out, ...small]);
    expect(first.status, first.errors.join('\n')).toBe(0);
    const recorded = readCheckpoint(out).data!;
    expect(recorded).toMatchObject({ source: data, count: 16, side: 8, channels: 1 });
    expect(recorded.crc32).toMatch(/^[0-9a-f]{8}$/);

    // Without --data, the resumed run reads the folder the checkpoint names (not MNIST).
    const resumed = cli(['train', '--resume', '--steps', '6', '--out', out, '--log-every', '2']);
    expect(resumed.status, resumed.errors.join('\n')).toBe(0);
    expect(resumed.stdout).toContain(`data: ${data}: 16 pictures as 8×8 grey`);
    expect(readCheckpoint(out).data).toEqual(recorded);

    // One picture changed: same count, same size, another fingerprint.
    writeFileSync(join(data, '3.png'), stripe(0));
    const before = readFileSync(join(out, CHECKPOINT));
    const refused = cli(['train', '--resume', '--steps', '8', '--out', out]);
    expect(refused.status).toBe(2);
    expect(refused.errors).toEqual([
      expect.stringMatching(
        new RegExp(
          '--resume: these are not the data the run began with \\(the fingerprint \\(CRC-32 of the pixels and ' +
            "labels\\) differs: .*\\); give the run's --data, or add --allow-other-data",
        ),
      ),
    ]);
    expect(refused.stdout).not.toMatch(/adapter:/);
    expect(readFileSync(join(out, CHECKPOINT)).equals(before)).toBe(true);

    // Other pictures altogether: the count and the fingerprint are named.
    const fewer = cli(['train', '--resume', '--steps', '8', '--out', out, '--data', pictures(12)]);
    expect(fewer.status).toBe(2);
    expect(fewer.errors.join('\n')).toMatch(
      /the picture count, the fingerprint .* differ: the run began with .*: 16 pictures/,
    );

    const allowed = cli(['train', '--resume', '--allow-other-data', '--steps', '8', '--out', out]);
    expect(allowed.status, allowed.errors.join('\n')).toBe(0);
    expect(allowed.stdout).toMatch(/--allow-other-data: training on other data than the run began with/);
    expect(readCheckpoint(out).step).toBe(8);
    expect(readCheckpoint(out).data!.crc32).not.toBe(recorded.crc32);
  });

  it('a checkpoint without the record resumes with a one-line notice; --allow-other-data needs --resume', () => {
    const data = pictures(16);
    const out = tempDir('gan-resume-old-');
    expect(cli(['train', '--data', data, '--steps', '4', '--out', out, ...small]).status).toBe(0);
    const { tensors, integers, metadata } = decodeSafetensors(readFileSync(join(out, CHECKPOINT)));
    const { data: _recorded, ...older } = metadata;
    writeFileSync(join(out, CHECKPOINT), encodeSafetensors(tensors, older, integers));
    const resumed = cli(['train', '--resume', '--data', data, '--steps', '6', '--out', out]);
    expect(resumed.status, resumed.errors.join('\n')).toBe(0);
    expect(resumed.stdout.split('\n').filter((l) => l.startsWith('note:'))).toEqual([
      `note: the checkpoint does not record its data (an older file), so ${data} cannot be checked`,
    ]);
    expect(readCheckpoint(out).data!.source).toBe(data);

    const alone = cli(['train', '--allow-other-data', '--steps', '2', '--out', tempDir('gan-resume-new-'), ...small]);
    expect(alone.status).toBe(2);
    expect(alone.errors).toEqual([expect.stringMatching(/--allow-other-data is for --resume/)]);
  });

  it('refuses a damaged data record when the checkpoint is read', () => {
    const data = pictures(8);
    const out = tempDir('gan-resume-bad-');
    expect(cli(['train', '--data', data, '--steps', '4', '--out', out, ...small]).status).toBe(0);
    const { tensors, integers, metadata } = decodeSafetensors(readFileSync(join(out, CHECKPOINT)));
    for (const bad of ['not json', '{"source": 3}', 'null']) {
      const bytes = encodeSafetensors(tensors, { ...metadata, data: bad }, integers);
      expect(() => decodeCheckpoint(bytes)).toThrow(CheckpointFormatError);
      expect(() => decodeCheckpoint(bytes)).toThrow(/metadata data is not a record of the data trained on/);
    }
  });
});
