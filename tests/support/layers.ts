// The rules of src/'s folders (docs/architecture.md): each folder is a layer and imports only from
// the layers below it; no file imports itself back through others; no file grows past a screenful
// of screens. Pure functions over a map of file → text, so the rules are tested on made-up trees
// as well as on the real one.
import path from 'node:path';

/** src/'s folders, bottom to top. A file imports only from its own folder and those before it. */
export const LAYERS = [
  'base',
  'gpu',
  'kernels',
  'io',
  'data',
  'nn',
  'gan',
  'restore',
  'repair',
  'eval',
  'render',
  'cli',
] as const;

/** Files directly in src/: the package's entry points, above every layer; nothing imports them. */
export const ENTRY_POINTS = ['src/index.ts', 'src/node.ts'];

export const MAX_LINES = 450;

/** Relative specifiers a file imports or re-exports, statically or with import(). */
export function relativeImports(text: string): string[] {
  const found: string[] = [];
  const patterns = [
    /\bfrom\s+'(\.{1,2}\/[^']+)'/g,
    /\bimport\s*\(\s*'(\.{1,2}\/[^']+)'\s*\)/g,
    /\bimport\s+'(\.{1,2}\/[^']+)'/g,
  ];
  for (const pattern of patterns) for (const match of text.matchAll(pattern)) found.push(match[1]!);
  return found;
}

/** The repository path a specifier names from `file`, with .js read as the .ts beside it. */
export function resolveImport(file: string, specifier: string): string {
  return path.posix.normalize(path.posix.join(path.posix.dirname(file), specifier)).replace(/\.js$/, '.ts');
}

function layerOf(file: string): string | null {
  const parts = file.split('/');
  return parts[0] === 'src' && parts.length > 2 ? parts[1]! : null;
}

/** Imports of src/ that run upward or sideways into an unknown folder, or into an entry point. */
export function layerViolations(files: ReadonlyMap<string, string>): string[] {
  const problems: string[] = [];
  for (const [file, text] of files) {
    if (!file.startsWith('src/')) continue;
    const own = layerOf(file);
    const ownRank = own === null ? LAYERS.length : LAYERS.indexOf(own as (typeof LAYERS)[number]);
    if (own !== null && ownRank < 0) problems.push(`${file}: folder src/${own} is not a layer; add it to LAYERS`);
    for (const specifier of relativeImports(text)) {
      const target = resolveImport(file, specifier);
      if (!target.startsWith('src/')) continue;
      if (ENTRY_POINTS.includes(target)) {
        problems.push(`${file} imports the entry point ${target}; import the module that defines the name`);
        continue;
      }
      const layer = layerOf(target);
      const rank = layer === null ? -1 : LAYERS.indexOf(layer as (typeof LAYERS)[number]);
      if (rank > ownRank) problems.push(`${file} (${own}) imports ${target} (${layer}), a layer above it`);
    }
  }
  return problems;
}

/** Every cycle of imports among `files`, each as the files around it. */
export function importCycles(files: ReadonlyMap<string, string>): string[][] {
  const edges = new Map<string, string[]>();
  for (const [file, text] of files)
    edges.set(
      file,
      relativeImports(text)
        .map((s) => resolveImport(file, s))
        .filter((t) => files.has(t)),
    );
  const cycles: string[][] = [];
  const state = new Map<string, 'open' | 'done'>();
  const trail: string[] = [];
  const visit = (file: string): void => {
    state.set(file, 'open');
    trail.push(file);
    for (const next of edges.get(file) ?? []) {
      if (state.get(next) === 'open') cycles.push([...trail.slice(trail.indexOf(next)), next]);
      else if (!state.has(next)) visit(next);
    }
    trail.pop();
    state.set(file, 'done');
  };
  for (const file of [...files.keys()].sort()) if (!state.has(file)) visit(file);
  return cycles;
}

/** The demo uses the package as its users do: by name, never by a path into src/. */
export function demoReachesIntoSrc(files: ReadonlyMap<string, string>): string[] {
  const problems: string[] = [];
  for (const [file, text] of files) {
    if (!file.startsWith('demo/')) continue;
    for (const specifier of relativeImports(text))
      if (resolveImport(file, specifier).startsWith('src/'))
        problems.push(`${file} imports ${specifier}; import it from 'webgpu-gan' instead`);
  }
  return problems;
}

export function overlongFiles(files: ReadonlyMap<string, string>): string[] {
  const problems: string[] = [];
  for (const [file, text] of files) {
    const lines = text.split('\n').length - (text.endsWith('\n') ? 1 : 0);
    if (lines > MAX_LINES) problems.push(`${file}: ${lines} lines (at most ${MAX_LINES}); split it by what it does`);
  }
  return problems;
}

/**
 * Dated measurements in the code (QUALITY.md and BENCHMARKS.md hold those, with the device and
 * the peer): a calendar date in a .ts file of src/ or demo/ is the sign of one.
 */
export function datedLines(files: ReadonlyMap<string, string>): string[] {
  const problems: string[] = [];
  for (const [file, text] of files)
    text.split('\n').forEach((line, i) => {
      if (/\b20\d\d-[01]\d-[0-3]\d\b/.test(line))
        problems.push(`${file}:${i + 1}: a dated measurement belongs in QUALITY.md or BENCHMARKS.md`);
    });
  return problems;
}
