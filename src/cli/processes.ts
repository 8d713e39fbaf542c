// Whether a process id still names the process that wrote a file: a pid can be reused by another
// program after a reboot or a wrap-around, so the process's start time is compared too (Linux's
// /proc; elsewhere only whether the pid runs can be told).
import { readFileSync } from 'node:fs';

/** Field 22 of /proc/PID/stat, the process's start time: with the pid, it names one process. */
export function processStartTime(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) is in parentheses and may hold spaces: count from its end.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null;
  } catch {
    return null;
  }
}

export function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'; // alive, but another user's
  }
}

/** /proc's clock ticks per second (USER_HZ, fixed at 100 in Linux's interface to user space). */
const TICKS_PER_SECOND = 100;

/** When a process started, in ms since the epoch, or null where the system does not tell. */
export function processStartedAt(pid: number): number | null {
  const ticks = processStartTime(pid);
  try {
    const boot = /^btime (\d+)$/m.exec(readFileSync('/proc/stat', 'utf8'))?.[1];
    if (ticks === null || boot === undefined) return null;
    return Number(boot) * 1000 + (Number(ticks) * 1000) / TICKS_PER_SECOND;
  } catch {
    return null;
  }
}

/** The boot time is given to the second: a process that started within this of a file's change may have written it. */
const START_SLACK_MS = 2000;

/**
 * Whether the process `pid` may have written a file last changed at `modifiedMs`: it runs, and did
 * not start after that change (then it is another program that was given the pid since).
 */
export function mayHaveWritten(pid: number, modifiedMs: number): boolean {
  if (!isRunning(pid)) return false;
  const started = processStartedAt(pid);
  return started === null || started <= modifiedMs + START_SLACK_MS;
}
