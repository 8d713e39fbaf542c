// @ts-check
// Turns a shaders/*.wgsl file into a JavaScript module at build time, for every build of this
// repository: the library's dist/ (scripts/build-lib.mjs), Vite and Vitest (vite.config.ts,
// vitest.config.ts) and the Node bundles (scripts/bundle.mjs). The module's default export is a
// WgslShader (src/gpu/layout.ts): the code to compile, where each file's lines sit in it, and
// every entry point's bindings, uniform layout, workgroup size and workgroup memory, and the
// module's integer constants, reflected here with wgsl_reflect so that its parser never reaches a
// browser bundle. TypeScript reads sizes from these instead of writing a shader's numbers again.
//
// WGSL has no include. A file names the helper files it needs in a comment line such as
//   // requires: activation_math.wgsl
// and they are appended after it (WGSL declarations may come in any order), so the file's own
// lines keep their numbers in the compiled code. Comments are removed, line breaks kept.
import { readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { ResourceType, WgslParser, WgslReflect } from 'wgsl_reflect/wgsl_reflect.module.js';

const REQUIRES = /^\s*\/\/\s*requires:\s*(.+)$/gm;

/** The files that make up `path`'s module: the file first, then its helpers, each once. */
function sourceFiles(path, seen = new Set()) {
  if (seen.has(path)) return [];
  seen.add(path);
  const text = readFileSync(path, 'utf8');
  const files = [{ path, text }];
  for (const match of text.matchAll(REQUIRES)) {
    for (const name of match[1]
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean)) {
      files.push(...sourceFiles(join(dirname(path), name), seen));
    }
  }
  return files;
}

/** Removes // and (nested) /* *\/ comments and trailing blanks, keeping every line break. */
export function stripComments(text) {
  let out = '';
  let depth = 0;
  for (let i = 0; i < text.length; ) {
    if (depth === 0 && text.startsWith('//', i)) {
      const end = text.indexOf('\n', i);
      i = end === -1 ? text.length : end;
    } else if (text.startsWith('/*', i)) {
      depth++;
      i += 2;
    } else if (depth > 0 && text.startsWith('*/', i)) {
      depth--;
      i += 2;
    } else {
      if (depth === 0 || text[i] === '\n') out += text[i];
      i++;
    }
  }
  return out
    .split('\n')
    .map((line) => line.trimEnd())
    .join('\n')
    .replace(/\n+$/, '');
}

/**
 * The WgslShader object for `path`, and the files it was made from (for watch modes).
 * @param {string} path absolute path of a .wgsl file
 */
export function buildShader(path) {
  const files = sourceFiles(path);
  const segments = [];
  const texts = [];
  let firstLine = 1;
  for (const { path: file, text } of files) {
    const code = stripComments(text);
    const lineCount = code.split('\n').length;
    segments.push({ file: basename(file), firstLine, lineCount });
    texts.push(code);
    firstLine += lineCount;
  }
  const code = texts.join('\n');
  let reflection;
  try {
    reflection = new WgslReflect(code);
  } catch (error) {
    throw new Error(
      `${basename(path)} (with ${
        segments
          .slice(1)
          .map((s) => s.file)
          .join(', ') || 'no helpers'
      }): wgsl_reflect could not parse it: ${error?.message ?? error}`,
    );
  }
  const name = basename(path, '.wgsl');
  const shader = {
    name,
    code,
    files: segments,
    entries: reflectEntries(name, reflection, code),
    overrides: reflection.overrides.map((o) => o.name),
    constants: integerConstants(name, reflection),
  };
  return { shader, files: files.map((f) => f.path) };
}

/** The JavaScript module text for `path`. */
export function shaderModuleSource(path) {
  const { shader, files } = buildShader(path);
  return {
    code: `// Generated from ${basename(path)} by scripts/wgsl.mjs.\nexport default ${JSON.stringify(shader)};\n`,
    files,
  };
}

/**
 * The module's `const` declarations whose values are integers (tile sizes, thread counts, codes).
 * wgsl_reflect evaluates them while it resolves array sizes and workgroup sizes; it keeps the
 * values in `_constValues`, which this build pins (package-lock.json) and checks for here.
 */
function integerConstants(shaderName, reflection) {
  const values = reflection._constValues;
  if (!(values instanceof Map))
    throw new Error(`${shaderName}: this wgsl_reflect version no longer exposes const values; update scripts/wgsl.mjs`);
  const overrides = new Set(reflection.overrides.map((o) => o.name));
  const constants = {};
  for (const [name, value] of values) if (!overrides.has(name) && Number.isInteger(value)) constants[name] = value;
  return constants;
}

/** The text of `fn` and of every function it calls, transitively. */
function reachableText(fn, lines, seen = new Set()) {
  if (seen.has(fn)) return '';
  seen.add(fn);
  let text = lines.slice(fn.startLine - 1, fn.endLine).join('\n');
  for (const called of fn.calls) text += `\n${reachableText(called, lines, seen)}`;
  return text;
}

/** Bytes of the var<workgroup> arrays that `fn` (or anything it calls) names. */
function workgroupBytes(fn, workgroupVars, lines) {
  const text = reachableText(fn, lines);
  let bytes = 0;
  for (const { name, size } of workgroupVars) if (new RegExp(`\\b${name}\\b`).test(text)) bytes += size;
  return bytes;
}

function reflectEntries(shaderName, reflection, code) {
  const entries = {};
  const { compute, fragment, vertex } = reflection.entry;
  const lines = code.split('\n');
  const workgroupVars = new WgslParser()
    .parse(code)
    .filter((node) => node.astNodeType === 'var' && node.storage === 'workgroup')
    .map((node) => ({ name: node.name, size: reflection.getTypeInfo(node.type, null).size }));
  const stages = [
    ...compute.map((fn) => ['compute', fn]),
    ...fragment.map((fn) => ['fragment', fn]),
    ...vertex.map((fn) => ['vertex', fn]),
  ];
  for (const [stage, fn] of stages) {
    const bindings = {};
    let uniform = null;
    for (const resource of fn.resources) {
      if (resource.group !== 0)
        throw new Error(
          `${shaderName}.${fn.name}: only @group(0) is supported, ${resource.name} is in ${resource.group}`,
        );
      bindings[resource.name] = { binding: resource.binding, type: bufferBindingType(shaderName, resource) };
      if (resource.resourceType === ResourceType.Uniform) uniform = uniformLayout(shaderName, resource);
    }
    const size = fn.workgroupSize ?? [1, 1, 1];
    entries[fn.name] = {
      entry: fn.name,
      stage,
      bindings,
      uniform,
      workgroupSize: [size[0], size[1] ?? 1, size[2] ?? 1],
      workgroupBytes: workgroupBytes(fn, workgroupVars, lines),
    };
  }
  return entries;
}

function bufferBindingType(shaderName, resource) {
  if (resource.resourceType === ResourceType.Uniform) return 'uniform';
  if (resource.resourceType === ResourceType.Storage)
    return resource.access === 'read' ? 'read-only-storage' : 'storage';
  throw new Error(`${shaderName}: ${resource.name}: only buffer bindings are supported`);
}

function uniformLayout(shaderName, resource) {
  if (!resource.members) throw new Error(`${shaderName}: uniform ${resource.name} must be a struct`);
  const fields = {};
  for (const member of resource.members) {
    const type = member.type.name;
    if (type !== 'f32' && type !== 'u32' && type !== 'i32') {
      throw new Error(
        `${shaderName}: uniform ${resource.name}.${member.name}: only f32/u32/i32 fields are supported, got ${type}`,
      );
    }
    fields[member.name] = { offset: member.offset, type };
  }
  // Uniform buffer sizes must be a multiple of 16 bytes.
  return { variable: resource.name, size: Math.ceil(resource.size / 16) * 16, fields };
}

/** Vite and Vitest: `import shader from '…/x.wgsl'` gives the WgslShader. */
export function wgslVitePlugin() {
  return {
    name: 'webgpu-gan:wgsl',
    enforce: /** @type {const} */ ('pre'),
    /**
     * @this {{ addWatchFile(file: string): void }} Rollup's plugin context
     * @param {string} id
     */
    load(id) {
      const [path, query] = id.split('?');
      // Vite marks imports of unknown file types with ?import in dev; leave ?raw and ?url to it.
      if (!path.endsWith('.wgsl') || (query !== undefined && query !== 'import')) return null;
      const module = shaderModuleSource(path);
      for (const file of module.files) this.addWatchFile(file);
      return { code: module.code, map: null };
    },
  };
}

/** esbuild, for one-file bundles: `.wgsl` imports become the WgslShader inline. */
export const wgslEsbuildPlugin = {
  name: 'webgpu-gan:wgsl',
  /** @param {import('esbuild').PluginBuild} build */
  setup(build) {
    build.onLoad({ filter: /\.wgsl$/ }, (args) => {
      const module = shaderModuleSource(args.path);
      return { contents: module.code, loader: 'js', watchFiles: module.files };
    });
  },
};
