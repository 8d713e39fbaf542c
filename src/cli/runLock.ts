// One writer per run folder. Two `train` processes into one --out would both append to log.jsonl
// and overwrite each other's checkpoint, so a run holds train.lock in its folder: created
// atomically (O_EXCL), it names the process (pid, host, start), and goes when the run ends. A lock
// whose process is gone (same host, pid not running, or running but started at another time, so
// a reused pid is told apart) is taken over; a lock of another host cannot be checked and is
// refused. --force never overrides a lock: it clears a finished run, not a running one.
import { closeSync, openSync, readFileSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { CliError } from './files.js';
import { isRunning, processStartTime } from './processes.js';

export const LOCK_FILE = 'train.lock';
/** A lock file whose content is not yet written may be one being taken this instant: younger than this, it is live. */
const BEING_WRITTEN_MS = 10_000;

export class RunFolderLockedError extends CliError {
  override name = 'RunFolderLockedError';
}

interface LockOwner {
  pid: number;
  host: string;
  /** When the run took the lock (ISO time). */
  since: string;
  /** The process's start in clock ticks since boot (/proc/PID/stat), where the system tells it. */
  processStart: string | null;
}

function readOwner(path: string): LockOwner | null {
  try {
    const owner = JSON.parse(readFileSync(path, 'utf8')) as LockOwner;
    return Number.isInteger(owner?.pid) && typeof owner.host === 'string' ? owner : null;
  } catch {
    return null;
  }
}

/** Whether the lock's process still runs; null when it cannot be told from this host. */
function ownerAlive(owner: LockOwner): boolean | null {
  if (owner.host !== hostname()) return null;
  if (!isRunning(owner.pid)) return false;
  const start = processStartTime(owner.pid);
  return owner.processStart === null || start === null || start === owner.processStart;
}

function describe(owner: LockOwner): string {
  return `pid ${owner.pid} on host ${owner.host}, since ${owner.since}`;
}

function lockedError(out: string, path: string, owner: LockOwner | null, alive: boolean | null): RunFolderLockedError {
  if (owner === null)
    return new RunFolderLockedError(
      `${out} is being taken by another train run this instant (${path}); wait for it or choose another --out`,
    );
  if (alive === null)
    return new RunFolderLockedError(
      `${out} is in use by a train run on another host (${describe(owner)}), which cannot be checked from here: ` +
        `wait for it to finish or choose another --out; if you are sure it no longer runs, remove ${path}`,
    );
  return new RunFolderLockedError(
    `${out} is in use by another train run (${describe(owner)}): wait for it to finish, stop it (kill ` +
      `${owner.pid}; it saves a checkpoint), or choose another --out (--force does not override a running run)`,
  );
}

/** Creates the lock file only if none exists; false when one does. */
function create(path: string): boolean {
  let fd: number;
  try {
    fd = openSync(path, 'wx');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
  try {
    const owner: LockOwner = {
      pid: process.pid,
      host: hostname(),
      since: new Date().toISOString(),
      processStart: processStartTime(process.pid),
    };
    writeSync(fd, `${JSON.stringify(owner)}\n`);
  } finally {
    closeSync(fd);
  }
  return true;
}

/**
 * Moves a dead run's lock aside and checks that what moved is the lock judged dead, not one a
 * third process took meanwhile (then it is moved back and the run refused).
 */
function takeOverStale(path: string, stale: string): boolean {
  const aside = `${path}.${process.pid}.stale`;
  try {
    renameSync(path, aside);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return true; // someone removed it: try again
    throw error;
  }
  const moved = readFileSync(aside, 'utf8');
  if (moved !== stale) {
    renameSync(aside, path);
    return false;
  }
  rmSync(aside, { force: true });
  return true;
}

/** The run's hold on its folder: release() removes the lock (also called when the process exits). */
export interface RunLock {
  release(): void;
}

/** Takes train.lock in `out` (which must exist), or throws a RunFolderLockedError naming its holder. */
export function takeRunLock(out: string): RunLock {
  const path = join(out, LOCK_FILE);
  for (let attempt = 0; attempt < 3; attempt++) {
    if (create(path)) return holding(path);
    let content: string;
    let young: boolean;
    try {
      content = readFileSync(path, 'utf8');
      young = Date.now() - statSync(path).mtimeMs < BEING_WRITTEN_MS;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue; // released meanwhile: try again
      throw error;
    }
    const owner = readOwner(path);
    if (owner === null && young) throw lockedError(out, path, null, null);
    const alive = owner && ownerAlive(owner);
    if (owner && alive !== false) throw lockedError(out, path, owner, alive);
    if (!takeOverStale(path, content)) continue;
    console.log(`took over ${path}: ${owner ? `its run (${describe(owner)})` : 'its run'} no longer runs`);
  }
  const owner = readOwner(path);
  throw lockedError(out, path, owner, owner && ownerAlive(owner));
}

/** Refuses early, before data are read, when a live run holds the folder; takes nothing. */
export function checkRunLock(out: string): void {
  const path = join(out, LOCK_FILE);
  const owner = readOwner(path);
  if (owner === null) return; // no lock, or one being written: takeRunLock decides
  const alive = ownerAlive(owner);
  if (alive !== false) throw lockedError(out, path, owner, alive);
}

function holding(path: string): RunLock {
  let held = true;
  // process.exit (a second Ctrl-C, an error path) skips finally blocks but not 'exit' handlers.
  const onExit = () => release();
  function release(): void {
    if (!held) return;
    held = false;
    process.off('exit', onExit);
    const owner = readOwner(path);
    if (owner?.pid === process.pid && owner.host === hostname()) rmSync(path, { force: true });
  }
  process.on('exit', onExit);
  return { release };
}
