// Bundles a TypeScript entry point (its WGSL imports made into shader objects) into one ESM file
// for Node, keeping the native `webgpu` package external. Used by the benches and the H100 kit.
//   node scripts/bundle.mjs ENTRY.ts OUT.mjs
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';
import { wgslEsbuildPlugin } from './wgsl.mjs';

export async function bundle(entry, outfile) {
  await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    external: ['webgpu'],
    plugins: [wgslEsbuildPlugin],
    logLevel: 'warning',
    // tsconfig.json maps TensorFlow.js to type stubs for checking only; bundle the real package.
    tsconfigRaw: {},
    // Bundled CommonJS dependencies may call require(); give the ESM bundle one.
    banner: {
      js:
        "import { createRequire as __createRequire } from 'node:module'; " +
        'const require = __createRequire(import.meta.url);',
    },
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [entry, outfile] = process.argv.slice(2);
  if (!entry || !outfile) {
    console.error('usage: node scripts/bundle.mjs ENTRY.ts OUT.mjs');
    process.exit(2);
  }
  await bundle(entry, outfile);
}
