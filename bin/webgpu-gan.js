#!/usr/bin/env node
// The webgpu-gan command: runs the CLI built into dist/. An installed package ships dist/ built
// (npm runs build:lib before packing), and nothing is compiled or written here at run time, so a
// read-only install works. In a clone of the repository, dist/ is first brought up to date with
// the sources (scripts/build-lib.mjs --if-stale: a few seconds when something changed).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const built = new URL('../dist/cli/main.js', import.meta.url);
const buildScript = fileURLToPath(new URL('../scripts/build-lib.mjs', import.meta.url));

if (existsSync(buildScript)) {
  // The build's own lines go to stderr: stdout is the command's.
  const build = spawnSync(process.execPath, [buildScript, '--if-stale'], { stdio: ['ignore', 2, 2] });
  if (build.status !== 0) {
    process.stderr.write(
      'webgpu-gan: building dist/ from the sources failed (see above); run `npm install`, then `npm run build:lib`\n',
    );
    process.exit(2);
  }
}
if (!existsSync(built)) {
  process.stderr.write('webgpu-gan: this install has no dist/cli/main.js; reinstall the package\n');
  process.exit(2);
}
const { main } = await import(built.href);
process.exitCode = await main(process.argv.slice(2));
