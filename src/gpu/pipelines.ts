// Compute pipelines, built once per (device, shader, entry point, override constants) and cached.
// Bind group layouts are explicit and come from reflection, never from layout: 'auto'.
import { SHADERS, type ShaderName } from '../shaders.js';
import { reflectEntry, type EntryLayout } from './reflect.js';
import { GpuDeviceError } from './errors.js';

export type OverrideConstants = Record<string, number | boolean>;

export interface CachedPipeline {
  pipeline: GPUComputePipeline;
  bindGroupLayout: GPUBindGroupLayout;
  layout: EntryLayout;
}

interface DeviceCache {
  modules: Map<ShaderName, Promise<GPUShaderModule>>;
  pipelines: Map<string, Promise<CachedPipeline>>;
}

const caches = new WeakMap<GPUDevice, DeviceCache>();

function cacheFor(device: GPUDevice): DeviceCache {
  let cache = caches.get(device);
  if (!cache) {
    cache = { modules: new Map(), pipelines: new Map() };
    caches.set(device, cache);
  }
  return cache;
}

export function getPipeline(device: GPUDevice, shader: ShaderName, entry: string, constants: OverrideConstants = {}): Promise<CachedPipeline> {
  const cache = cacheFor(device);
  const numeric = normaliseConstants(constants);
  const key = `${shader}:${entry}:${JSON.stringify(numeric)}`;
  let pipeline = cache.pipelines.get(key);
  if (!pipeline) {
    pipeline = buildPipeline(device, cache, shader, entry, numeric);
    cache.pipelines.set(key, pipeline);
    // A failed build is not cached, so a later call reports the error again instead of a stale promise.
    pipeline.catch(() => cache.pipelines.delete(key));
  }
  return pipeline;
}

/** An entry point's bindings, uniform and overrides, from reflection alone (no GPU work). */
export function entryLayout(shader: ShaderName, entry: string): EntryLayout {
  return reflectEntry(SHADERS[shader], entry);
}

function normaliseConstants(constants: OverrideConstants): Record<string, number> {
  const sorted: Record<string, number> = {};
  for (const name of Object.keys(constants).sort()) {
    const value = constants[name]!;
    sorted[name] = typeof value === 'boolean' ? Number(value) : value;
  }
  return sorted;
}

async function buildPipeline(device: GPUDevice, cache: DeviceCache, shader: ShaderName, entry: string, constants: Record<string, number>): Promise<CachedPipeline> {
  const layout = entryLayout(shader, entry);
  for (const name of Object.keys(constants)) {
    if (!layout.overrides.has(name)) throw new Error(`${shader}.wgsl declares no override "${name}"`);
  }
  const module = await shaderModule(device, cache, shader);
  const entries: GPUBindGroupLayoutEntry[] = [...layout.bindings.values()].map((b) => ({
    binding: b.binding,
    visibility: GPUShaderStage.COMPUTE,
    buffer: { type: b.type },
  }));
  const bindGroupLayout = device.createBindGroupLayout({ label: `${shader}.${entry}`, entries });
  try {
    const pipeline = await device.createComputePipelineAsync({
      label: `${shader}.${entry}`,
      layout: device.createPipelineLayout({ bindGroupLayouts: [bindGroupLayout] }),
      compute: { module, entryPoint: entry, constants },
    });
    return { pipeline, bindGroupLayout, layout };
  } catch (error) {
    throw new GpuDeviceError(`building pipeline ${shader}.${entry} ${JSON.stringify(constants)} failed: ${(error as Error).message}`);
  }
}

function shaderModule(device: GPUDevice, cache: DeviceCache, shader: ShaderName): Promise<GPUShaderModule> {
  let module = cache.modules.get(shader);
  if (!module) {
    module = compileModule(device, shader);
    cache.modules.set(shader, module);
  }
  return module;
}

async function compileModule(device: GPUDevice, shader: ShaderName): Promise<GPUShaderModule> {
  const module = device.createShaderModule({ label: `${shader}.wgsl`, code: SHADERS[shader] });
  const info = await module.getCompilationInfo();
  const errors = info.messages.filter((m) => m.type === 'error');
  if (errors.length > 0) {
    const text = errors.map((m) => `${shader}.wgsl:${m.lineNum}:${m.linePos}: ${m.message}`).join('\n');
    throw new GpuDeviceError(`WGSL compilation failed:\n${text}`);
  }
  return module;
}
