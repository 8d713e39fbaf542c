// The CLI's files: every file-system error becomes one line that names the path and says what to
// do; a run folder is checked before any GPU work (writable, not another run, temporary files of
// killed runs cleared), and log.jsonl is trimmed back to the checkpoint when a run resumes.
import {
  closeSync,
  existsSync,
  fstatSync,
  ftruncateSync,
  openSync,
  truncateSync,
  writeSync,
  mkdirSync,
  readdirSync,
  rmSync,
  statSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { writeFileAtomic } from '../gan/checkpointFile.js';
import { readRegularFile } from '../io/regularFileNode.js';
import { mayHaveWritten } from './processes.js';

/** An error the CLI reports in one line with its own exit code: 2 before training, 1 once a run is under way. */
export class CliError extends Error {
  override name = 'CliError';
  constructor(
    message: string,
    readonly exitCode = 2,
  ) {
    super(message);
  }
}

export class FileSystemError extends CliError {
  override name = 'FileSystemError';
}

const ADVICE: Record<string, string> = {
  EACCES: 'permission denied; choose a place you can write to',
  EPERM: 'permission denied; choose a place you can write to',
  EROFS: 'the file system is read-only; choose another place',
  ENOSPC: 'the disk is full; free some space',
  EDQUOT: 'the disk quota is used up; free some space',
  EEXIST: 'a file is in the way where a folder is needed',
  ENOTDIR: 'a file is in the way where a folder is needed',
  EISDIR: 'it is a folder; name a file',
  ENOENT: 'its folder does not exist; create it first',
};

export function fileSystemError(error: unknown, action: string, path: string, exitCode = 2): FileSystemError {
  const code = (error as NodeJS.ErrnoException)?.code;
  const advice = (code && ADVICE[code]) ?? (error as Error)?.message ?? String(error);
  return new FileSystemError(`cannot ${action} ${path}: ${advice}${code ? ` (${code})` : ''}`, exitCode);
}

/** Runs a file-system call, turning its errors into a FileSystemError. */
export function attempt<T>(action: string, path: string, call: () => T, exitCode = 2): T {
  try {
    return call();
  } catch (error) {
    throw fileSystemError(error, action, path, exitCode);
  }
}

export function writeAtomically(path: string, bytes: Uint8Array, exitCode = 2): void {
  attempt('write', path, () => writeFileAtomic(path, bytes), exitCode);
}

/**
 * Appends one whole line or nothing: the line goes in one write, and a write that fails partway
 * (a full disk) is cut back to where the file ended, so the log never holds half a line.
 */
export function appendLine(path: string, line: string, exitCode = 1): void {
  attempt('append to', path, () => appendWhole(path, Buffer.from(`${line}\n`)), exitCode);
}

function appendWhole(path: string, bytes: Uint8Array): void {
  const fd = openSync(path, 'a');
  try {
    const end = fstatSync(fd).size;
    try {
      let written = 0;
      while (written < bytes.length) written += writeSync(fd, bytes, written, bytes.length - written);
    } catch (error) {
      ftruncateSync(fd, end);
      throw error;
    }
  } finally {
    closeSync(fd);
  }
}

/**
 * Checks that an output file can be written, before any GPU work: its folder exists, it is not a
 * folder itself, and a file can be made in that folder (a probe, removed at once), as the atomic
 * write will need.
 */
export function checkOutputFile(path: string): void {
  if (existsSync(path) && statSync(path).isDirectory())
    throw new FileSystemError(`cannot write ${path}: it is a folder; name a file, e.g. ${join(path, 'samples.png')}`);
  const folder = dirname(path);
  if (!existsSync(folder))
    throw new FileSystemError(`cannot write ${path}: its folder ${folder} does not exist; create it first`);
  if (!statSync(folder).isDirectory())
    throw new FileSystemError(`cannot write ${path}: ${folder} is a file, not a folder`);
  const probe = join(folder, `.${basename(path)}.${process.pid}.tmp`);
  attempt('write', path, () => writeFileSync(probe, ''));
  rmSync(probe, { force: true });
}

/** Makes the run folder and proves it writable with a probe file, before any GPU work. */
export function prepareRunFolder(out: string): void {
  attempt('create the run folder', out, () => mkdirSync(out, { recursive: true }));
  if (!statSync(out).isDirectory())
    throw new FileSystemError(`cannot use ${out} as the run folder: it is a file; --out must name a folder`);
  const probe = join(out, `.write-test.${process.pid}`);
  attempt('write into the run folder', out, () => writeFileSync(probe, ''));
  unlinkSync(probe);
}

/**
 * writeFileAtomic's temporary files of the run's own files, `.NAME.PID.tmp`: a killed run leaves
 * them behind. Other programs' files in the folder are never touched.
 */
const TEMPORARY = /^\.(?:checkpoint\.safetensors|log\.jsonl|samples(?:-\d{7,})?\.png)\.(\d+)\.tmp$/;

/**
 * Removes temporary files of runs that were killed (their process is gone, or its pid now names a
 * process that started after the file was written); says what it removed.
 */
export function removeStaleTemporaries(out: string): string | null {
  let count = 0;
  let bytes = 0;
  for (const name of readdirSync(out)) {
    const match = TEMPORARY.exec(name);
    if (!match) continue;
    const path = join(out, name);
    const stats = statSync(path);
    if (mayHaveWritten(Number(match[1]), stats.mtimeMs)) continue;
    bytes += stats.size;
    attempt('remove the stale temporary file', path, () => rmSync(path, { force: true }));
    count++;
  }
  if (count === 0) return null;
  const files = `${count} temporary file${count > 1 ? 's' : ''} (${(bytes / 2 ** 20).toFixed(1)} MiB)`;
  return `removed ${files} left in ${out} by a run that was killed`;
}

/** The files of a run, as train writes them. */
export const RUN_FILES = { checkpoint: 'checkpoint.safetensors', log: 'log.jsonl', samples: 'samples.png' };
const NUMBERED_SAMPLES = /^samples-\d{7,}\.png$/;

/** Whether the folder already holds a run (a checkpoint, or a log of one killed before its first save). */
export function holdsRun(out: string): boolean {
  const log = join(out, RUN_FILES.log);
  return existsSync(join(out, RUN_FILES.checkpoint)) || (existsSync(log) && statSync(log).size > 0);
}

/** --force: the old run's checkpoint, log and samples go, so the new run's files are never mixed with them. */
export function clearRun(out: string): void {
  const names = readdirSync(out).filter((n) => Object.values(RUN_FILES).includes(n) || NUMBERED_SAMPLES.test(n));
  for (const name of names) attempt('remove', join(out, name), () => rmSync(join(out, name), { force: true }));
}

/**
 * On resume (and when a save failed), drops the log lines past the checkpoint's step (written after
 * the last save by a run that was then killed or stopped), so that the log agrees with the
 * checkpoint and a resumed log neither repeats nor skips a step. Where the lines kept are the
 * file's start, as they are unless the log was edited, the file is cut in place: that needs no
 * free space, which a full disk does not have. Returns how many lines were dropped.
 */
export function trimLog(path: string, step: number): number {
  if (!existsSync(path)) return 0;
  const text = attempt('read', path, () => readRegularFile(path).toString('utf8'));
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  const kept = lines.filter((line) => {
    try {
      return ((JSON.parse(line) as { step?: unknown }).step as number) <= step;
    } catch {
      return false; // a line cut off by the kill
    }
  });
  if (kept.length === lines.length) return 0;
  const start = kept.map((l) => `${l}\n`).join('');
  if (text.startsWith(start)) attempt('trim', path, () => truncateSync(path, Buffer.byteLength(start)));
  else writeAtomically(path, new TextEncoder().encode(start));
  return lines.length - kept.length;
}
