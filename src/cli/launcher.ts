// A command that npm started (`npx webgpu-gan`, `npm exec`, a package script under `npm run`) runs
// under `sh -c`: npm passes a SIGTERM on to that shell, which dies of it without passing it to us,
// and the command would run on with no parent, its training unstoppable by the signal meant for it.
// So a command started by npm takes its parent's end as that SIGTERM.

/** How often the parent is looked at: a stop within a second is what a signal's sender expects. */
const PARENT_POLL_MS = 500;

let signalled = false;

/**
 * Called by a command's own signal handlers. npm ends (and its shell with it) on the same Ctrl-C
 * that reached us; that end is not a second signal, which would skip the save under way.
 */
export function noteSignal(): void {
  signalled = true;
}

/**
 * Under npm (which sets npm_lifecycle_event in its children's environment, as pnpm and yarn do),
 * sends this process a SIGTERM once its parent has gone. Returns the end of the watch.
 */
export function followLauncher(env: NodeJS.ProcessEnv = process.env): () => void {
  if (env.npm_lifecycle_event === undefined) return () => {};
  const parent = process.ppid;
  const timer = setInterval(() => {
    if (process.ppid === parent) return;
    clearInterval(timer);
    if (!signalled) process.kill(process.pid, 'SIGTERM');
  }, PARENT_POLL_MS);
  timer.unref(); // the watch never keeps a finished command alive
  return () => clearInterval(timer);
}
