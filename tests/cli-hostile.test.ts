// The smaller cases of issue 30, each as a hostile user meets them: repair with a mask of another
// size, an all-white mask, a huge --realism; sample and repair into a folder they cannot write;
// control characters in a file name; a temporary file whose pid now names another process; and
// SIGTERM while a run is set up, which must leave no lock behind.
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, readdirSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { printable } from '../src/cli/args.js';
import { removeStaleTemporaries } from '../src/cli/files.js';
import { LOCK_FILE } from '../src/cli/runLock.js';
import { BIN, cli, ROOT, TINY } from './support/cli.js';
import { useTempDirs } from './support/temp.js';

const tempDir = useTempDirs();
const isRoot = process.getuid?.() === 0;

function grey(width: number, height: number, value: (x: number, y: number) => number): Buffer {
  const png = new PNG({ width, height });
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      const v = value(x, y);
      png.data.set([v, v, v, 255], (y * width + x) * 4);
    }
  return PNG.sync.write(png);
}

/** A folder nothing can be written into: a read-only tmpfs as root (who ignores modes), else mode 555. */
function readOnlyFolder(): { dir: string; undo: () => void } {
  const dir = tempDir('gan-read-only-');
  if (isRoot) {
    expect(spawnSync('mount', ['-t', 'tmpfs', '-o', 'ro,size=1m', 'tmpfs', dir]).status).toBe(0);
    return { dir, undo: () => spawnSync('umount', [dir]) };
  }
  chmodSync(dir, 0o555);
  return { dir, undo: () => chmodSync(dir, 0o755) };
}

describe('the smaller cases of a hostile user', { timeout: 300_000 }, () => {
  let run: string;
  let checkpoint: string;
  beforeAll(() => {
    run = tempDir('gan-hostile-');
    const r = cli(['train', '--steps', '4', '--out', run, ...TINY]);
    if (r.status !== 0) throw new Error(r.errors.join('\n'));
    checkpoint = join(run, 'checkpoint.safetensors');
    writeFileSync(
      join(run, 'digit.png'),
      grey(28, 28, (x) => (x > 10 && x < 16 ? 255 : 0)),
    );
    writeFileSync(
      join(run, 'half.png'),
      grey(28, 28, (_, y) => (y < 14 ? 255 : 0)),
    );
    writeFileSync(
      join(run, 'small-mask.png'),
      grey(14, 14, (_, y) => (y < 7 ? 255 : 0)),
    );
    writeFileSync(
      join(run, 'white.png'),
      grey(28, 28, () => 255),
    );
  });

  const repairArgs = (mask: string, out = join(run, 'out.png')) => [
    'repair',
    '--checkpoint',
    checkpoint,
    '--image',
    join(run, 'digit.png'),
    '--mask',
    join(run, mask),
    '--out',
    out,
  ];
  const repair = (mask: string, ...more: string[]) => cli([...repairArgs(mask), ...more]);

  it('repair refuses a mask of another size, an all-white mask and a realism weight past its bound', () => {
    const cases: Array<[ReturnType<typeof repair>, RegExp]> = [
      [repair('small-mask.png'), /--mask is 14×14 but --image 28×28: .* draw it at the picture's size/],
      [repair('white.png'), /white everywhere: every pixel is known, so there is nothing to repair/],
      [repair('half.png', '--realism', '1e40'), /--realism: must be at most 100, got 1e\+40: the known pixels/],
    ];
    for (const [r, message] of cases) {
      expect(r.status).toBe(2);
      expect(r.errors).toEqual([expect.stringMatching(message)]);
      expect(r.stdout).not.toMatch(/adapter:/);
    }
    expect(existsSync(join(run, 'out.png'))).toBe(false);
  });

  it('sample and repair find out that they cannot write their output before any GPU work', () => {
    const { dir, undo } = readOnlyFolder();
    try {
      const sample = cli(['sample', '--checkpoint', checkpoint, '--out', join(dir, 'grid.png')]);
      const repaired = cli(repairArgs('half.png', join(dir, 'repaired.png')));
      for (const r of [sample, repaired]) {
        expect(r.status).toBe(2);
        expect(r.errors).toEqual([expect.stringMatching(/cannot write .*\.png: .*\((EROFS|EACCES)\)$/)]);
        expect(r.stdout).not.toMatch(/adapter:/);
      }
    } finally {
      undo();
    }
  });

  it('control characters in a file name are escaped in the message, never sent to the terminal', () => {
    expect(printable('a\u001b[31mred\u0007\nline\tTab\u009b')).toBe('a\\x1b[31mred\\x07\\x0aline\tTab\\x9b');
    const r = cli(['sample', '--checkpoint', join(run, 'no\u001b[2Jsuch.safetensors'), '--out', join(run, 'g.png')]);
    expect(r.status).toBe(2);
    expect(r.stderr).not.toContain('\u001b');
    expect(r.errors).toEqual([expect.stringMatching(/no\\x1b\[2Jsuch\.safetensors/)]);
  });

  it('a temporary file whose pid now names a process started after it was written is removed', async () => {
    const out = tempDir('gan-reused-pid-');
    const other = spawn('sleep', ['60']);
    try {
      const pid = other.pid!;
      const [old, fresh] = [`.checkpoint.safetensors.${pid}.tmp`, `.log.jsonl.${pid}.tmp`];
      writeFileSync(join(out, old), 'left by a run killed an hour ago');
      const hourAgo = new Date(Date.now() - 3_600_000);
      utimesSync(join(out, old), hourAgo, hourAgo);
      writeFileSync(join(out, fresh), 'being written by that process now');
      expect(removeStaleTemporaries(out)).toMatch(/removed 1 temporary file/);
      expect(readdirSync(out)).toEqual([fresh]);
    } finally {
      other.kill();
    }
  });

  it('SIGTERM while a run is set up (folder locked, GPU not yet ready) exits 143 and leaves no lock', async () => {
    const out = tempDir('gan-setup-signal-');
    const child = spawn(process.execPath, [BIN, 'train', '--steps', '100000', '--out', out, ...TINY], { cwd: ROOT });
    let stderr = '';
    child.stderr.on('data', (chunk) => (stderr += chunk));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    while (!existsSync(join(out, LOCK_FILE))) await new Promise((r) => setTimeout(r, 5));
    child.kill('SIGTERM');
    expect(await exited).toBe(143);
    expect(stderr).toContain('terminated before training began: nothing written');
    expect(existsSync(join(out, LOCK_FILE))).toBe(false);
  });
});
