#!/usr/bin/env node
// The webgpu-gan command. The sources are TypeScript that import WGSL as text, so the first run
// bundles src/cli/main.ts with esbuild into node_modules/.cache (a second or so); later runs
// reuse the bundle until a file under src/ or shaders/ changes.
import { mkdirSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const cached = join(root, 'node_modules', '.cache', 'webgpu-gan', 'cli.mjs');

function newestSource(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestSource(path) : statSync(path).mtimeMs);
  }
  return newest;
}

function isStale() {
  try {
    return statSync(cached).mtimeMs < Math.max(newestSource(join(root, 'src')), newestSource(join(root, 'shaders')));
  } catch {
    return true;
  }
}

if (isStale()) {
  mkdirSync(dirname(cached), { recursive: true });
  const { bundle } = await import('../scripts/bundle.mjs');
  await bundle(join(root, 'src', 'cli', 'main.ts'), cached);
}
const { main } = await import(pathToFileURL(cached).href);
process.exitCode = await main(process.argv.slice(2));
