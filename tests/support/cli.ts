// Running the CLI as a user does: `node bin/webgpu-gan.js ...` in a child process.
import { spawnSync, type SpawnSyncOptions } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const BIN = join(ROOT, 'bin', 'webgpu-gan.js');
/** Tiny runs: batch 8, a log line every 2 steps, samples and a checkpoint every 4. */
export const TINY = ['--batch', '8', '--log-every', '2', '--sample-every', '4', '--steps-per-submit', '2'];

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
  /** stderr without Dawn's "Warning: …" lines about lavapipe's limits, which are not ours. */
  errors: string[];
}

export function cli(args: string[], options: SpawnSyncOptions = {}): CliResult {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, encoding: 'utf8', timeout: 120_000, ...options });
  const stderr = String(r.stderr ?? '');
  const errors = stderr.split('\n').filter((l) => l.trim() && !l.startsWith('Warning:') && !l.startsWith('['));
  return { status: r.status, stdout: String(r.stdout ?? ''), stderr, errors };
}
