// A full disk in the middle of a write to log.jsonl: the line is written whole or not at all, and
// trimming the log back to a checkpoint needs no free space. Run as root only (it mounts a
// tmpfs of two pages), as the full-disk case of cli-robustness.test.ts is.
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { appendLine, FileSystemError, trimLog } from '../src/cli/files.js';
import { useTempDirs } from './support/temp.js';

const tempDir = useTempDirs();
const isRoot = process.getuid?.() === 0;
const PAGE = 4096;

/** Runs `body` in a tmpfs of two pages mounted on a new folder. */
function onTinyDisk(body: (dir: string) => void): void {
  const dir = tempDir('gan-full-disk-');
  expect(spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${2 * PAGE}`, 'tmpfs', dir]).status).toBe(0);
  try {
    body(dir);
  } finally {
    spawnSync('umount', [dir]);
  }
}

const line = (step: number, pad: number) => JSON.stringify({ step, note: 'x'.repeat(pad) });

describe.runIf(isRoot)('log.jsonl on a full disk', () => {
  it('a line that does not fit is not written at all: the log keeps its whole lines', () => {
    onTinyDisk((dir) => {
      const log = join(dir, 'log.jsonl');
      appendLine(log, line(2, 5000));
      const before = readFileSync(log);
      // Half of this line fits in the second page; the rest does not.
      expect(() => appendLine(log, line(4, 5000))).toThrow(FileSystemError);
      expect(() => appendLine(log, line(4, 5000))).toThrow(/the disk is full; free some space \(ENOSPC\)/);
      expect(readFileSync(log).equals(before)).toBe(true);
      appendLine(log, line(4, 10));
      expect(
        readFileSync(log, 'utf8')
          .split('\n')
          .map((l) => l && JSON.parse(l).step),
      ).toEqual([2, 4, '']);
    });
  });

  it('trimming the log back to a checkpoint works on a disk with no space left', () => {
    onTinyDisk((dir) => {
      const log = join(dir, 'log.jsonl');
      writeFileSync(log, `${line(2, 10)}\n${line(4, 10)}\n${line(6, 10)}\n`);
      // The log takes one page, the filler the other: not a byte more fits.
      writeFileSync(join(dir, 'filler'), Buffer.alloc(PAGE));
      expect(() => writeFileSync(join(dir, 'more'), 'x')).toThrow(/ENOSPC/);
      expect(trimLog(log, 4)).toBe(1);
      expect(readFileSync(log, 'utf8')).toBe(`${line(2, 10)}\n${line(4, 10)}\n`);
    });
  });
});
