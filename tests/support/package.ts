// The packed package for tests: `npm pack` once per test file, and fresh consumer projects that
// install the tarball (tests/package.test.ts, tests/package-examples.test.ts).
import { spawnSync, type SpawnSyncOptions } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const TOOL = (path: string) => join(ROOT, 'node_modules', path);

/** A Dawn "Warning: …" line on stderr is the adapter's, not ours. */
export const ownErrors = (stderr: string) =>
  stderr.split('\n').filter((l) => l.trim() && !l.startsWith('Warning:') && !l.includes('XDG_RUNTIME_DIR'));

export function run(command: string, args: string[], options: SpawnSyncOptions = {}) {
  const r = spawnSync(command, args, { encoding: 'utf8', timeout: 240_000, ...options });
  return { status: r.status, stdout: String(r.stdout ?? ''), stderr: String(r.stderr ?? ''), error: r.error };
}

export function installedVersion(name: string): string {
  return JSON.parse(readFileSync(TOOL(`${name}/package.json`), 'utf8')).version;
}

export interface PackedTarball {
  path: string;
  size: number;
  unpackedSize: number;
  files: { path: string; size: number }[];
}

/** `npm pack` into `folder`. dist/ is fresh (the test setup built it); --ignore-scripts keeps prepack
 * from rebuilding it under the other test files that run the CLI from it at the same time. */
export function packTarball(folder: string): PackedTarball {
  const pack = run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', folder], { cwd: ROOT });
  if (pack.status !== 0) throw new Error(`npm pack failed:\n${pack.stderr}`);
  const [packed] = JSON.parse(pack.stdout) as (Omit<PackedTarball, 'path'> & { filename: string })[];
  return { ...packed!, path: join(folder, packed!.filename) };
}

/** A fresh project `name` in the empty folder `dir`, installing the tarball (and `dependencies`) from the npm cache. */
export function installFixture(
  dir: string,
  name: string,
  tarball: string,
  dependencies: Record<string, string>,
  files: Record<string, string>,
): string {
  chmodSync(dir, 0o755); // the CLI check runs as another user
  const manifest = {
    name,
    private: true,
    type: 'module',
    dependencies: { 'webgpu-gan': `file:${tarball}`, ...dependencies },
  };
  writeFileSync(join(dir, 'package.json'), JSON.stringify(manifest, null, 2));
  for (const [file, text] of Object.entries(files)) {
    mkdirSync(join(dir, file, '..'), { recursive: true });
    writeFileSync(join(dir, file), text);
  }
  const install = run(
    'npm',
    ['install', '--prefer-offline', '--no-audit', '--no-fund', '--ignore-scripts', '--loglevel=error'],
    { cwd: dir },
  );
  if (install.status !== 0) throw new Error(`npm install in the ${name} fixture failed:\n${install.stderr}`);
  return dir;
}
