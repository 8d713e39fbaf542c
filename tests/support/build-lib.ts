// Runs once before any test: the CLI tests run bin/webgpu-gan.js, which runs dist/, and the
// package test packs dist/; both must see the current sources.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export default function buildLibrary(): void {
  const script = fileURLToPath(new URL('../../scripts/build-lib.mjs', import.meta.url));
  const result = spawnSync(process.execPath, [script, '--if-stale'], { stdio: 'inherit' });
  if (result.status !== 0) {
    console.error('webgpu-gan tests cannot run: npm run build:lib failed (see above)');
    process.exit(1);
  }
}
