// Bundles a TypeScript entry point (with its `?raw` WGSL imports) into one ESM file for Node,
// keeping the native `webgpu` package external. Used by bin/webgpu-gan.js and the H100 bench kit.
//   node scripts/bundle.mjs ENTRY.ts OUT.mjs
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';

/** esbuild has no `?raw` suffix convention: strip it and load the file as text. */
const rawText = {
  name: 'raw-text',
  setup(b) {
    b.onResolve({ filter: /\?raw$/ }, async (args) => {
      const resolved = await b.resolve(args.path.replace(/\?raw$/, ''), { resolveDir: args.resolveDir, kind: args.kind });
      return { path: resolved.path, namespace: 'raw-text' };
    });
    b.onLoad({ filter: /.*/, namespace: 'raw-text' }, async (args) => ({
      contents: (await import('node:fs')).readFileSync(args.path, 'utf8'),
      loader: 'text',
    }));
  },
};

export async function bundle(entry, outfile) {
  await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    external: ['webgpu'],
    plugins: [rawText],
    logLevel: 'warning',
    // tsconfig.json maps TensorFlow.js to type stubs for checking only; bundle the real package.
    tsconfigRaw: {},
    // Bundled CommonJS dependencies may call require(); give the ESM bundle one.
    banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
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
