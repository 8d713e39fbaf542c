// Only regular files are read: /dev/zero, a FIFO or a folder named as a checkpoint or as data is
// refused at once by name, never read without end; and a file is read only up to its reader's limit.
import { spawnSync } from 'node:child_process';
import { symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readRegularFile, readRegularFileStart, UnreadableFileError } from '../src/io/regularFileNode.js';
import { cli } from './support/cli.js';
import { useTempDirs } from './support/temp.js';

const tempDir = useTempDirs();
const tmp = () => tempDir('gan-regular-');
const CHECKPOINT = 'checkpoint.safetensors';

describe('only regular files are read', { timeout: 120_000 }, () => {
  it('readRegularFile refuses /dev/zero, a FIFO and a folder in under a second', () => {
    const dir = tmp();
    const fifo = join(dir, 'fifo');
    const made = spawnSync('mkfifo', [fifo]);
    const paths = ['/dev/zero', dir, ...(made.status === 0 ? [fifo] : [])];
    for (const path of paths) {
      const started = performance.now();
      expect(() => readRegularFile(path)).toThrow(UnreadableFileError);
      expect(() => readRegularFile(path)).toThrow(`${path} is not a regular file`);
      expect(performance.now() - started).toBeLessThan(1000);
    }
    writeFileSync(join(dir, 'small'), 'abc');
    expect(readRegularFile(join(dir, 'small')).toString()).toBe('abc');
    expect(() => readRegularFile(join(dir, 'small'), 2)).toThrow(/is 3 bytes, more than the 2 this reader takes/);
    // A picture's first bytes, to tell what it is: the same checks, a short read.
    expect(readRegularFileStart(join(dir, 'small'), 2).toString()).toBe('ab');
    expect(readRegularFileStart(join(dir, 'small'), 16).toString()).toBe('abc');
    expect(() => readRegularFileStart('/dev/zero', 16)).toThrow('/dev/zero is not a regular file (it is a device)');
  });

  it('the CLI refuses /dev/zero as --checkpoint, --resume’s checkpoint and --data, and a FIFO as --data', () => {
    const out = tmp();
    symlinkSync('/dev/zero', join(out, CHECKPOINT));
    const fifo = join(out, 'fifo');
    spawnSync('mkfifo', [fifo]);
    const cases = [
      ['sample', '--checkpoint', '/dev/zero', '--out', join(out, 'grid.png')],
      ['train', '--steps', '2', '--resume', '--out', out],
      ['train', '--steps', '2', '--data', '/dev/zero', '--out', tmp()],
      ['train', '--steps', '2', '--data', fifo, '--out', tmp()],
    ];
    for (const args of cases) {
      const r = cli(args, { timeout: 30_000 });
      expect(r.status, args.join(' ')).toBe(2);
      expect(r.errors, args.join(' ')).toEqual([
        expect.stringMatching(/is not a regular file \(it is a (device|FIFO)/),
      ]);
    }
  });
});
