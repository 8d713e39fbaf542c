// What a compiled shader looks like to the runtime: its code and, for every entry point, the
// bindings and uniform layout derived from the WGSL itself. scripts/wgsl.mjs builds these objects
// from shaders/*.wgsl when the package is built (wgsl_reflect runs there, never in a page), so
// TypeScript never hard-codes a binding number or a byte offset that could drift from a shader.

export type ScalarType = 'f32' | 'u32' | 'i32';

export interface UniformField {
  offset: number;
  type: ScalarType;
}

export interface UniformLayout {
  /** The WGSL variable name of the uniform, e.g. `params`. */
  variable: string;
  size: number;
  fields: Readonly<Record<string, UniformField>>;
}

export interface BindingInfo {
  binding: number;
  type: GPUBufferBindingType;
}

export interface EntryLayout {
  entry: string;
  stage: 'compute' | 'vertex' | 'fragment';
  /** Buffer bindings the entry point uses, by WGSL variable name. */
  bindings: Readonly<Record<string, BindingInfo>>;
  uniform: UniformLayout | null;
  workgroupSize: readonly [number, number, number];
  /** Bytes of the var<workgroup> arrays the entry point (or a function it calls) uses. */
  workgroupBytes: number;
}

/** Where one source file's lines sit in a shader's combined code. */
export interface ShaderFile {
  file: string;
  /** 1-based line of `code` where this file's first line is. */
  firstLine: number;
  lineCount: number;
}

/** One shader module: a .wgsl file with the helper files it requires, as `import x from '….wgsl'` gives it. */
export interface WgslShader {
  /** The file's name without `.wgsl`, e.g. `matmul`. */
  name: string;
  /** The WGSL to compile: the file, then its helpers, comments removed and line breaks kept. */
  code: string;
  files: readonly ShaderFile[];
  entries: Readonly<Record<string, EntryLayout>>;
  /** The module's override constants (module-wide: an entry may ignore some). */
  overrides: readonly string[];
  /** The module's integer `const` declarations, by name: the one source of a shader's sizes. */
  constants: Readonly<Record<string, number>>;
}

/** An entry point's layout, or an error naming the shader. */
export function entryLayout(shader: WgslShader, entry: string): EntryLayout {
  const layout = shader.entries[entry];
  if (!layout) throw new Error(`${shader.name}.wgsl has no entry point "${entry}"`);
  return layout;
}

/** A module-scope integer constant of the shader, or an error naming it. */
export function shaderConstant(shader: WgslShader, name: string): number {
  const value = shader.constants[name];
  if (value === undefined) throw new Error(`${shader.name}.wgsl has no integer constant "${name}"`);
  return value;
}

/** Invocations in one workgroup of the entry point. */
export function threadsPerWorkgroup(layout: EntryLayout): number {
  const [x, y, z] = layout.workgroupSize;
  return x * y * z;
}

/** Maps a line of a shader's combined code back to its file, for compile errors. */
export function sourceLine(shader: WgslShader, line: number): { file: string; line: number } {
  const file = shader.files.find((f) => line >= f.firstLine && line < f.firstLine + f.lineCount);
  return file ? { file: file.file, line: line - file.firstLine + 1 } : { file: `${shader.name}.wgsl`, line };
}

export type UniformValues = Record<string, number>;

/** Packs values into the uniform's byte layout. Every field must be given, and nothing else. */
export function packUniform(layout: UniformLayout, values: UniformValues): ArrayBuffer {
  const bytes = new ArrayBuffer(layout.size);
  const view = new DataView(bytes);
  for (const name of Object.keys(values)) {
    if (!Object.hasOwn(layout.fields, name)) throw new Error(`uniform ${layout.variable} has no field "${name}"`);
  }
  for (const [name, field] of Object.entries(layout.fields)) {
    const value = values[name];
    if (value === undefined) throw new Error(`uniform ${layout.variable}.${name} was not given a value`);
    if (field.type === 'f32') view.setFloat32(field.offset, value, true);
    else if (field.type === 'u32') view.setUint32(field.offset, value, true);
    else view.setInt32(field.offset, value, true);
  }
  return bytes;
}
