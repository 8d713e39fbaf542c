// Compute pipelines, built once per (device, shader, entry point, override constants) and cached.
// Bind group layouts are explicit and come from the shader's reflected layouts, never from layout: 'auto'.
import { entryLayout, sourceLine, type EntryLayout, type WgslShader } from './layout.js';
import { GpuDeviceError, GpuFailureError } from './errors.js';

export type OverrideConstants = Record<string, number | boolean>;

export interface CachedPipeline {
  pipeline: GPUComputePipeline;
  bindGroupLayout: GPUBindGroupLayout;
  layout: EntryLayout;
}

interface DeviceCache {
  /** By shader object: two shaders of one name (a test's and ours) never share a module. */
  modules: Map<WgslShader, Promise<GPUShaderModule>>;
  /** By shader, then by entry point and constants. */
  pipelines: Map<WgslShader, Map<string, Promise<CachedPipeline>>>;
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

export function getPipeline(
  device: GPUDevice,
  shader: WgslShader,
  entry: string,
  constants: OverrideConstants = {},
): Promise<CachedPipeline> {
  const cache = cacheFor(device);
  const numeric = normaliseConstants(constants);
  const key = `${entry}:${JSON.stringify(numeric)}`;
  let byKey = cache.pipelines.get(shader);
  if (!byKey) {
    byKey = new Map();
    cache.pipelines.set(shader, byKey);
  }
  let pipeline = byKey.get(key);
  if (!pipeline) {
    pipeline = buildPipeline(device, cache, shader, entry, numeric);
    byKey.set(key, pipeline);
    // A failed build is not cached, so a later call reports the error again instead of a stale promise.
    pipeline.catch(() => byKey.delete(key));
  }
  return pipeline;
}

function normaliseConstants(constants: OverrideConstants): Record<string, number> {
  const sorted: Record<string, number> = {};
  for (const name of Object.keys(constants).sort()) {
    const value = constants[name]!;
    sorted[name] = typeof value === 'boolean' ? Number(value) : value;
  }
  return sorted;
}

async function buildPipeline(
  device: GPUDevice,
  cache: DeviceCache,
  shader: WgslShader,
  entry: string,
  constants: Record<string, number>,
): Promise<CachedPipeline> {
  const layout = entryLayout(shader, entry);
  for (const name of Object.keys(constants)) {
    if (!shader.overrides.includes(name)) throw new Error(`${shader.name}.wgsl declares no override "${name}"`);
  }
  const module = await shaderModule(device, cache, shader);
  const entries: GPUBindGroupLayoutEntry[] = Object.values(layout.bindings).map((b) => ({
    binding: b.binding,
    visibility: GPUShaderStage.COMPUTE,
    buffer: { type: b.type },
  }));
  const bindGroupLayout = device.createBindGroupLayout({ label: `${shader.name}.${entry}`, entries });
  try {
    const pipeline = await unlessLost(
      device,
      device.createComputePipelineAsync({
        label: `${shader.name}.${entry}`,
        layout: device.createPipelineLayout({ bindGroupLayouts: [bindGroupLayout] }),
        compute: { module, entryPoint: entry, constants },
      }),
    );
    return { pipeline, bindGroupLayout, layout };
  } catch (error) {
    if (error instanceof GpuFailureError) throw error;
    throw new GpuDeviceError(
      `building pipeline ${shader.name}.${entry} ${JSON.stringify(constants)} failed: ${(error as Error).message}`,
    );
  }
}

function shaderModule(device: GPUDevice, cache: DeviceCache, shader: WgslShader): Promise<GPUShaderModule> {
  let module = cache.modules.get(shader);
  if (!module) {
    module = compileShader(device, shader);
    cache.modules.set(shader, module);
  }
  return module;
}

/**
 * Compiles a shader once per device; an error names the file and line where it is, a helper
 * file's own line included (the code combines several files).
 */
export async function compileShader(device: GPUDevice, shader: WgslShader): Promise<GPUShaderModule> {
  const module = device.createShaderModule({ label: `${shader.name}.wgsl`, code: shader.code });
  const info = await unlessLost(device, module.getCompilationInfo());
  const errors = info.messages.filter((m) => m.type === 'error');
  if (errors.length > 0) {
    const text = errors.map((m) => {
      const where = sourceLine(shader, m.lineNum);
      return `${where.file}:${where.line}:${m.linePos}: ${m.message}`;
    });
    throw new GpuDeviceError(`WGSL compilation failed:\n${text.join('\n')}`);
  }
  return module;
}

/** Some browsers never settle a pipeline or compilation promise once the device is lost: fail instead. */
function unlessLost<T>(device: GPUDevice, work: Promise<T>): Promise<T> {
  const lost = device.lost.then((info): never => {
    throw new GpuFailureError(`GPU device lost (${info.reason}) while building pipelines: ${info.message}`);
  });
  return Promise.race([work, lost]);
}
