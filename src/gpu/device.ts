// Getting a WebGPU device in a browser (navigator.gpu) or in Node (Dawn, npm `webgpu`), with an
// error that says what to do when there is none.
import { installCommand } from '../base/installCommand.js';
import { WebGpuUnavailableError } from './errors.js';
import { GpuContext } from './context.js';
import { browserGpu, describeAdapterInfo, type AdapterDescription } from './adapter.js';
import { requireObject } from '../base/arguments.js';

export interface AcquireOptions {
  powerPreference?: GPUPowerPreference;
  /**
   * 'adapter' (the default) raises the limits big batches need to the adapter's maximum;
   * 'default' keeps WebGPU's default limits, which every adapter supports (to check that code
   * runs where a browser gives no more).
   */
  limits?: 'adapter' | 'default';
  /** Dawn toggles for Node, e.g. ['enable-dawn-features=disable_robustness']. */
  dawnFlags?: string[];
}

/** The package ships the script, so the hint works from an install as well as from a clone. */
export const INSTALL_HINT =
  'On Linux without a GPU, install a software Vulkan driver (Mesa 25 lavapipe from bookworm-backports) as root: ' +
  'sudo bash node_modules/webgpu-gan/scripts/install-headless.sh ' +
  '(in a clone of webgpu-gan: scripts/install-headless.sh); ' +
  'on a machine with a GPU, install its Vulkan driver.';

const BROWSER_HINT =
  'This browser has no WebGPU. Use a current Chrome or Edge (WebGPU is on by default), Firefox 141+ ' +
  'on Windows, or Safari 26; on Linux Chrome, start it with --enable-unsafe-webgpu. ' +
  'The page must be served over https or from localhost.';

/** Limits worth raising to the adapter's maximum: big batches need big storage bindings. */
const RAISED_LIMITS = [
  'maxStorageBufferBindingSize',
  'maxBufferSize',
  'maxStorageBuffersPerShaderStage',
  'maxComputeWorkgroupStorageSize',
  'maxComputeInvocationsPerWorkgroup',
  'maxComputeWorkgroupSizeX',
] as const;

const OPTIONAL_FEATURES: GPUFeatureName[] = ['timestamp-query', 'subgroups'];

export async function acquireGpu(options: AcquireOptions = {}): Promise<GpuContext> {
  requireObject('options', options, 'an object of options');
  const { gpu, runtime, keepAlive } = await findGpu(options);
  const adapter = await gpu.requestAdapter({ powerPreference: options.powerPreference ?? 'high-performance' });
  if (!adapter) {
    throw new WebGpuUnavailableError(
      `WebGPU is present but found no adapter. ${runtime === 'browser' ? BROWSER_HINT : INSTALL_HINT}`,
    );
  }
  const requiredLimits: Record<string, number> = {};
  if (options.limits !== 'default') for (const name of RAISED_LIMITS) requiredLimits[name] = adapter.limits[name];
  const requiredFeatures = OPTIONAL_FEATURES.filter((f) => adapter.features.has(f));
  const device = await adapter.requestDevice({ requiredLimits, requiredFeatures, label: 'webgpu-gan' });
  return new GpuContext(device, describeAdapterInfo(adapter.info, runtime, [...adapter.features]), true, keepAlive);
}

interface FoundGpu {
  gpu: GPU;
  runtime: AdapterDescription['runtime'];
  /** Dawn's instance: must outlive every adapter and device made from it. */
  keepAlive: unknown;
}

async function findGpu(options: AcquireOptions): Promise<FoundGpu> {
  const inPage = browserGpu();
  if (inPage) {
    return { gpu: inPage, runtime: 'browser', keepAlive: null };
  }
  const isNode = typeof process !== 'undefined' && !!process.versions?.node;
  if (!isNode) throw new WebGpuUnavailableError(BROWSER_HINT);
  // A variable specifier keeps browser bundlers from trying to resolve the Node-only package; the
  // comments (kept in dist/) stop webpack and Vite warning that they cannot.
  const dawnPackage = 'webgpu';
  let dawn: { create(flags: string[]): GPU; globals: object };
  try {
    dawn = await import(/* webpackIgnore: true */ /* @vite-ignore */ dawnPackage);
  } catch (error) {
    // An optional peer dependency: browser-only applications never download Dawn's binaries.
    const missing = (error as { code?: string }).code === 'ERR_MODULE_NOT_FOUND';
    const why = missing ? 'is not installed' : `failed to load (${String(error)})`;
    throw new WebGpuUnavailableError(
      `WebGPU in Node needs the npm package "webgpu" (Dawn), which ${why}: ${await installCommand('webgpu')}`,
    );
  }
  for (const [name, value] of Object.entries(dawn.globals)) {
    if (!(name in globalThis)) (globalThis as Record<string, unknown>)[name] = value;
  }
  const gpu = dawn.create(options.dawnFlags ?? []);
  return { gpu, runtime: 'dawn-node', keepAlive: gpu };
}
