// Compute pipelines, built once per (device, shader, entry point, override constants) and cached;
// render pipelines likewise, per (device, shader, entry points, target format).
// Bind group layouts are explicit and come from the shader's reflected layouts, never from layout: 'auto'.
import { entryLayout, sourceLine, type EntryLayout, type WgslShader } from './layout.js';
import { GpuDeviceError, GpuFailureError } from './errors.js';

export type OverrideConstants = Record<string, number | boolean>;

export interface CachedPipeline {
  pipeline: GPUComputePipeline;
  bindGroupLayout: GPUBindGroupLayout;
  layout: EntryLayout;
}

export interface CachedRenderPipeline {
  pipeline: GPURenderPipeline;
  bindGroupLayout: GPUBindGroupLayout;
  /** The vertex and fragment entry points' bindings together. */
  bindings: EntryLayout['bindings'];
}

interface DeviceCache {
  /** By shader object: two shaders of one name (a test's and ours) never share a module. */
  modules: Map<WgslShader, Promise<GPUShaderModule>>;
  /** By shader, then by entry point and constants (compute) or entry points and format (render). */
  pipelines: Map<WgslShader, Map<string, Promise<CachedPipeline | CachedRenderPipeline>>>;
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
  const numeric = normaliseConstants(constants);
  return cached(device, shader, `compute:${entry}:${JSON.stringify(numeric)}`, (cache) =>
    buildPipeline(device, cache, shader, entry, numeric),
  );
}

export interface RenderEntries {
  vertex: string;
  fragment: string;
  format: GPUTextureFormat;
}

/** A render pipeline drawing a triangle list into one colour target of `format`. */
export function getRenderPipeline(
  device: GPUDevice,
  shader: WgslShader,
  entries: RenderEntries,
): Promise<CachedRenderPipeline> {
  return cached(device, shader, `render:${entries.vertex}:${entries.fragment}:${entries.format}`, (cache) =>
    buildRenderPipeline(device, cache, shader, entries),
  );
}

function cached<T extends CachedPipeline | CachedRenderPipeline>(
  device: GPUDevice,
  shader: WgslShader,
  key: string,
  build: (cache: DeviceCache) => Promise<T>,
): Promise<T> {
  const cache = cacheFor(device);
  let byKey = cache.pipelines.get(shader);
  if (!byKey) {
    byKey = new Map();
    cache.pipelines.set(shader, byKey);
  }
  let pipeline = byKey.get(key) as Promise<T> | undefined;
  if (!pipeline) {
    pipeline = build(cache);
    byKey.set(key, pipeline);
    // A failed build is not cached, so a later call reports the error again instead of a stale promise.
    pipeline.catch(() => byKey.delete(key));
  }
  return pipeline;
}

/** An explicit bind group layout for the bindings of these entry points, each visible to its stage. */
function bindGroupLayoutFor(device: GPUDevice, label: string, layouts: EntryLayout[]): GPUBindGroupLayout {
  const stageFlag = {
    compute: GPUShaderStage.COMPUTE,
    vertex: GPUShaderStage.VERTEX,
    fragment: GPUShaderStage.FRAGMENT,
  };
  const byBinding = new Map<number, GPUBindGroupLayoutEntry>();
  for (const layout of layouts) {
    for (const b of Object.values(layout.bindings)) {
      const entry = byBinding.get(b.binding) ?? { binding: b.binding, visibility: 0, buffer: { type: b.type } };
      entry.visibility |= stageFlag[layout.stage];
      byBinding.set(b.binding, entry);
    }
  }
  return device.createBindGroupLayout({ label, entries: [...byBinding.values()] });
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
  const bindGroupLayout = bindGroupLayoutFor(device, `${shader.name}.${entry}`, [layout]);
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

async function buildRenderPipeline(
  device: GPUDevice,
  cache: DeviceCache,
  shader: WgslShader,
  { vertex, fragment, format }: RenderEntries,
): Promise<CachedRenderPipeline> {
  const layouts = [entryLayout(shader, vertex), entryLayout(shader, fragment)];
  const label = `${shader.name}.${vertex}+${fragment}`;
  const module = await shaderModule(device, cache, shader);
  const bindGroupLayout = bindGroupLayoutFor(device, label, layouts);
  try {
    const pipeline = await unlessLost(
      device,
      device.createRenderPipelineAsync({
        label,
        layout: device.createPipelineLayout({ bindGroupLayouts: [bindGroupLayout] }),
        vertex: { module, entryPoint: vertex },
        fragment: { module, entryPoint: fragment, targets: [{ format }] },
        primitive: { topology: 'triangle-list' },
      }),
    );
    return { pipeline, bindGroupLayout, bindings: { ...layouts[0]!.bindings, ...layouts[1]!.bindings } };
  } catch (error) {
    if (error instanceof GpuFailureError) throw error;
    throw new GpuDeviceError(`building render pipeline ${label} failed: ${(error as Error).message}`);
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
