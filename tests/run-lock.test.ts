// One writer per run folder: a train run holds train.lock in its --out (pid, host, start), a second
// run is refused while it lives (--force included), a dead run's lock is taken over, and the lock
// goes when the run ends. Most cases are refused before the GPU is touched.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { processStartTime } from '../src/cli/processes.js';
import { LOCK_FILE, takeRunLock } from '../src/cli/runLock.js';
import { BIN, cli, ROOT, TINY } from './support/cli.js';
import { useTempDirs } from './support/temp.js';

const tempDir = useTempDirs();
const tmp = () => tempDir('gan-lock-');

function writeLock(out: string, owner: object): void {
  writeFileSync(join(out, LOCK_FILE), JSON.stringify(owner));
}

/** The pid of a process that has exited. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(child.stdout);
}

describe('one train run per run folder (train.lock)', { timeout: 300_000 }, () => {
  it('a live run’s lock refuses a second run at once, --force included, naming pid, host and since', () => {
    const out = tmp();
    const since = '2026-01-01T00:00:00.000Z';
    writeLock(out, { pid: process.pid, host: hostname(), since, processStart: processStartTime(process.pid) });
    for (const extra of [[], ['--force']]) {
      const started = Date.now();
      const r = cli(['train', '--steps', '2', '--out', out, ...TINY, ...extra]);
      expect(Date.now() - started).toBeLessThan(20_000);
      expect(r.status).toBe(2);
      expect(r.errors).toEqual([
        expect.stringContaining(
          `is in use by another train run (pid ${process.pid} on host ${hostname()}, since ${since}): wait for it`,
        ),
      ]);
    }
    expect(existsSync(join(out, 'log.jsonl'))).toBe(false);
    expect(existsSync(join(out, LOCK_FILE))).toBe(true);
  });

  it('a lock of another host is refused with how to remove it', () => {
    const out = tmp();
    writeLock(out, { pid: 1, host: 'elsewhere.invalid', since: '2026-01-01T00:00:00.000Z', processStart: null });
    const r = cli(['train', '--steps', '2', '--out', out, ...TINY, '--force']);
    expect(r.status).toBe(2);
    expect(r.errors).toEqual([
      expect.stringMatching(
        new RegExp(`on another host \\(pid 1 on host elsewhere\\.invalid.*remove ${join(out, LOCK_FILE)}$`),
      ),
    ]);
  });

  it('takeRunLock takes over the lock of a dead pid, and of a live pid started at another time (reused)', () => {
    for (const owner of [
      { pid: deadPid(), processStart: null },
      { pid: process.pid, processStart: '1' },
    ]) {
      const out = tmp();
      writeLock(out, { ...owner, host: hostname(), since: '2026-01-01T00:00:00.000Z' });
      const lock = takeRunLock(out);
      const held = JSON.parse(readFileSync(join(out, LOCK_FILE), 'utf8'));
      expect(held).toMatchObject({ pid: process.pid, host: hostname(), processStart: processStartTime(process.pid) });
      expect(() => takeRunLock(out)).toThrow(/is in use by another train run/);
      lock.release();
      expect(existsSync(join(out, LOCK_FILE))).toBe(false);
    }
  });

  it('a second run beside a running one is refused; SIGTERM ends the first and removes its lock', async () => {
    const out = tmp();
    const child = spawn(process.execPath, [BIN, 'train', '--steps', '100000', '--out', out, ...TINY], { cwd: ROOT });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    while (!existsSync(join(out, 'log.jsonl'))) await new Promise((r) => setTimeout(r, 100));
    const second = cli(['train', '--steps', '100000', '--out', out, '--resume']);
    expect(second.status).toBe(2);
    expect(second.errors).toEqual([expect.stringContaining(`(pid ${child.pid} on host ${hostname()}, since `)]);
    child.kill('SIGTERM');
    expect(await exited).toBe(143);
    expect(existsSync(join(out, LOCK_FILE))).toBe(false);
    const steps = readFileSync(join(out, 'log.jsonl'), 'utf8').trim().split('\n');
    expect(new Set(steps).size).toBe(steps.length);
  });

  it('a second Ctrl-C, which quits without saving (process.exit), still removes the lock', async () => {
    const out = tmp();
    const child = spawn(process.execPath, [BIN, 'train', '--steps', '100000', '--out', out, ...TINY], { cwd: ROOT });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    while (!existsSync(join(out, 'log.jsonl'))) await new Promise((r) => setTimeout(r, 100));
    expect(existsSync(join(out, LOCK_FILE))).toBe(true);
    child.kill('SIGINT');
    child.kill('SIGINT');
    expect(await exited).toBe(130);
    expect(existsSync(join(out, LOCK_FILE))).toBe(false);
  });

  it('a run takes over the lock of a dead run with a message, and removes its own when it ends', () => {
    const out = tmp();
    writeLock(out, { pid: deadPid(), host: hostname(), since: '2026-01-01T00:00:00.000Z', processStart: null });
    const r = cli(['train', '--steps', '2', '--out', out, ...TINY]);
    expect(r.status, r.errors.join('\n')).toBe(0);
    expect(r.stdout).toMatch(/took over .*train\.lock: its run \(pid \d+ on host .*\) no longer runs/);
    expect(existsSync(join(out, LOCK_FILE))).toBe(false);
  });
});
