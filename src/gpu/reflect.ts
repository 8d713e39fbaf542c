// Bind group layouts and uniform struct layouts derived from the WGSL itself (wgsl_reflect), so
// TypeScript never hard-codes a binding number or a byte offset that could drift from a shader.
import { WgslReflect, ResourceType, type VariableInfo } from 'wgsl_reflect/wgsl_reflect.module.js';

export type ScalarType = 'f32' | 'u32' | 'i32';

export interface UniformField {
  offset: number;
  type: ScalarType;
}

export interface UniformLayout {
  /** The WGSL variable name of the uniform, e.g. `params`. */
  variable: string;
  size: number;
  fields: Map<string, UniformField>;
}

export interface BindingInfo {
  binding: number;
  type: GPUBufferBindingType;
}

export interface EntryLayout {
  entry: string;
  /** Buffer bindings the entry point uses, by WGSL variable name. */
  bindings: Map<string, BindingInfo>;
  uniform: UniformLayout | null;
  overrides: Set<string>;
  workgroupSize: [number, number, number];
}

const reflections = new Map<string, WgslReflect>();

function reflectionOf(code: string): WgslReflect {
  let reflection = reflections.get(code);
  if (!reflection) {
    reflection = new WgslReflect(code);
    reflections.set(code, reflection);
  }
  return reflection;
}

export function reflectEntry(code: string, entry: string): EntryLayout {
  const reflection = reflectionOf(code);
  const { compute, fragment, vertex } = reflection.entry;
  const fn = [...compute, ...fragment, ...vertex].find((f) => f.name === entry);
  if (!fn) throw new Error(`WGSL has no entry point "${entry}"`);
  const bindings = new Map<string, BindingInfo>();
  let uniform: UniformLayout | null = null;
  for (const resource of fn.resources) {
    if (resource.group !== 0) throw new Error(`${entry}: only @group(0) is supported, ${resource.name} is in ${resource.group}`);
    bindings.set(resource.name, { binding: resource.binding, type: bufferBindingType(resource) });
    if (resource.resourceType === ResourceType.Uniform) uniform = uniformLayout(resource);
  }
  // Overrides are module-wide; a constant the entry does not read is accepted by WebGPU too.
  const overrides = new Set(reflection.overrides.map((o) => o.name));
  const size = fn.workgroupSize ?? [1, 1, 1];
  return { entry, bindings, uniform, overrides, workgroupSize: [size[0], size[1] ?? 1, size[2] ?? 1] };
}

function bufferBindingType(resource: VariableInfo): GPUBufferBindingType {
  if (resource.resourceType === ResourceType.Uniform) return 'uniform';
  if (resource.resourceType === ResourceType.Storage) return resource.access === 'read' ? 'read-only-storage' : 'storage';
  throw new Error(`${resource.name}: only buffer bindings are supported`);
}

function uniformLayout(resource: VariableInfo): UniformLayout {
  const members = resource.members;
  if (!members) throw new Error(`uniform ${resource.name} must be a struct`);
  const fields = new Map<string, UniformField>();
  for (const member of members) {
    const type = member.type.name;
    if (type !== 'f32' && type !== 'u32' && type !== 'i32') {
      throw new Error(`uniform ${resource.name}.${member.name}: only f32/u32/i32 fields are supported, got ${type}`);
    }
    fields.set(member.name, { offset: member.offset, type });
  }
  // Uniform buffer sizes must be a multiple of 16 bytes.
  return { variable: resource.name, size: Math.ceil(resource.size / 16) * 16, fields };
}

export type UniformValues = Record<string, number>;

/** Packs values into the uniform's byte layout. Every field must be given, and nothing else. */
export function packUniform(layout: UniformLayout, values: UniformValues): ArrayBuffer {
  const bytes = new ArrayBuffer(layout.size);
  const view = new DataView(bytes);
  for (const name of Object.keys(values)) {
    if (!layout.fields.has(name)) throw new Error(`uniform ${layout.variable} has no field "${name}"`);
  }
  for (const [name, field] of layout.fields) {
    const value = values[name];
    if (value === undefined) throw new Error(`uniform ${layout.variable}.${name} was not given a value`);
    if (field.type === 'f32') view.setFloat32(field.offset, value, true);
    else if (field.type === 'u32') view.setUint32(field.offset, value, true);
    else view.setInt32(field.offset, value, true);
  }
  return bytes;
}
