// Runs once before any test: without a WebGPU adapter or Chromium every test would fail one by
// one, so stop at once with one line that says how to fix the machine.
import { existsSync } from 'node:fs';
import { acquireGpu } from '../../src/gpu/device.js';
import { WebGpuUnavailableError } from '../../src/gpu/errors.js';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const FIX = `run \`${installCommand(process.getuid?.())}\` (installs Mesa 25 lavapipe and Debian chromium)`;

/** The install script as this user runs it: as root there is no sudo to ask (a container has none). */
export function installCommand(uid: number | undefined): string {
  return uid === 0 ? 'bash scripts/install-headless.sh' : 'sudo bash scripts/install-headless.sh';
}

export default async function preflight(): Promise<void> {
  let adapter: string;
  try {
    const ctx = await acquireGpu();
    adapter = [ctx.adapter.vendor, ctx.adapter.architecture, ctx.adapter.description].filter(Boolean).join(' / ');
    ctx.destroy();
  } catch (error) {
    const reason =
      error instanceof WebGpuUnavailableError ? 'Dawn found no adapter' : (error as Error).message.split('\n')[0];
    stop(`no WebGPU adapter for Node (${reason}): ${FIX}`);
  }
  if (!existsSync(CHROMIUM)) stop(`no Chromium at ${CHROMIUM} for the browser tests: ${FIX} or set CHROMIUM_PATH`);
  console.log(`webgpu-gan tests: Dawn adapter ${adapter!}; browser ${CHROMIUM}`);
}

function stop(line: string): never {
  console.error(`webgpu-gan tests cannot run: ${line}`);
  process.exit(1);
}
