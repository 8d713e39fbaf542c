// @ts-check
// Builds the package's dist/ (npm run build:lib; npm runs it before `npm pack`, the tests before
// they start, and bin/webgpu-gan.js in a clone whenever the sources changed):
//  - dist/**/*.js: every module of src/ as its own ES module, so that a bundler keeps only the
//    modules an application imports. Relative imports stay imports; JSON (the tuning tables) is
//    inlined into the module that reads it.
//  - dist/shaders/*.js: each WGSL file that src/ imports, as a shader object made at build time
//    (scripts/wgsl.mjs): comments removed, layouts reflected here, no WGSL parser at run time.
//  - dist/**/*.d.ts: declarations from tsconfig.lib.json.
// dist/demo (npm run build) is left alone. With --if-stale it does nothing when dist/ is newer
// than everything it is built from.
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { shaderModuleSource } from './wgsl.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const SRC = join(ROOT, 'src');
const DIST = join(ROOT, 'dist');

function typescriptSources(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return typescriptSources(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts') ? [path] : [];
  });
}

/** Where the built module of a source file goes. */
const outputOf = (source) => join(DIST, relative(SRC, source)).replace(/\.ts$/, '.js');
const shaderOutput = (wgsl) => join(DIST, 'shaders', `${basename(wgsl, '.wgsl')}.js`);
const importPath = (from, to) => {
  const path = relative(dirname(from), to).split(sep).join('/');
  return path.startsWith('.') ? path : `./${path}`;
};

/** Keeps each module separate: every import stays an import, WGSL ones pointed at dist/shaders. */
function moduleByModule(shaders) {
  return {
    name: 'module-by-module',
    /** @param {import('esbuild').PluginBuild} b */
    setup(b) {
      b.onResolve({ filter: /.*/ }, async (args) => {
        if (args.kind === 'entry-point') return undefined;
        if (args.path.endsWith('.json')) return undefined; // inlined
        if (args.path.endsWith('.wgsl')) {
          const wgsl = join(args.resolveDir, args.path);
          shaders.add(wgsl);
          return { path: importPath(outputOf(args.importer), shaderOutput(wgsl)), external: true };
        }
        return { path: args.path, external: true };
      });
    },
  };
}

function cleanDist() {
  mkdirSync(DIST, { recursive: true });
  for (const entry of readdirSync(DIST)) {
    if (entry !== 'demo') rmSync(join(DIST, entry), { recursive: true, force: true });
  }
}

async function buildModules() {
  const shaders = new Set();
  await build({
    entryPoints: typescriptSources(SRC),
    outdir: DIST,
    outbase: SRC,
    bundle: true,
    format: 'esm',
    platform: 'neutral',
    target: 'es2022',
    plugins: [moduleByModule(shaders)],
    // tsconfig.json's paths are for type checking the benches; nothing here uses them.
    tsconfigRaw: {},
    logLevel: 'warning',
  });
  mkdirSync(join(DIST, 'shaders'), { recursive: true });
  for (const wgsl of shaders) writeFileSync(shaderOutput(wgsl), shaderModuleSource(wgsl).code);
  return shaders.size;
}

/**
 * TypeScript before 6 has no WebGPU in its DOM library: its consumers get these entries (package.json's
 * "types@<6" conditions and typesVersions), which add @webgpu/types (a peer dependency) to the main ones.
 * Later versions read dist/index.d.ts and dist/node.d.ts themselves, which reference nothing, since a
 * reference to @webgpu/types next to their DOM library declares every WebGPU type twice.
 */
const WEBGPU_TYPES_ENTRIES = ['index', 'node'];

function writeWebGpuTypesEntries() {
  mkdirSync(join(DIST, 'ts5'), { recursive: true });
  for (const entry of WEBGPU_TYPES_ENTRIES) {
    const text = `/// <reference types="@webgpu/types" />\nexport * from '../${entry}.js';\n`;
    writeFileSync(join(DIST, 'ts5', `${entry}.d.ts`), text);
  }
}

function buildDeclarations() {
  const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  // tsc reports on stdout; sent to stderr, so that `npm pack --json` (prepack runs this) prints only JSON.
  const result = spawnSync(process.execPath, [tsc, '-p', join(ROOT, 'tsconfig.lib.json')], {
    stdio: ['ignore', 2, 2],
  });
  if (result.status !== 0) throw new Error('build:lib: tsc could not write the declarations (see above)');
  writeWebGpuTypesEntries();
}

/** What dist/ is made from: a change to any of these makes it stale. */
const INPUTS = ['src', 'shaders', 'scripts/build-lib.mjs', 'scripts/wgsl.mjs', 'tsconfig.json', 'tsconfig.lib.json'];
const STAMP = join(DIST, '.built');

function newestInput(path) {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return Math.max(0, ...readdirSync(path).map((entry) => newestInput(join(path, entry))));
}

function isFresh() {
  if (!existsSync(STAMP)) return false;
  return statSync(STAMP).mtimeMs >= Math.max(...INPUTS.map((input) => newestInput(join(ROOT, input))));
}

if (process.argv.includes('--if-stale') && isFresh()) process.exit(0);
cleanDist();
const shaderCount = await buildModules();
buildDeclarations();
writeFileSync(STAMP, `${new Date().toISOString()}\n`);
// On stderr: npm prints the prepack script's stdout ahead of `npm pack --json`'s JSON.
console.error(
  `build:lib: dist/ written (${typescriptSources(SRC).length} modules, ${shaderCount} shaders, declarations)`,
);
