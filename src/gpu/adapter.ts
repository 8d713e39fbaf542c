// What the library knows of an adapter: who made it, whether it is a CPU implementation, and
// what it offers. Shared by acquireGpu (from the adapter) and GpuContext.fromDevice (from the
// device's adapterInfo).
import { requireObject, requireString } from '../base/arguments.js';

export interface AdapterDescription {
  /** 'browser' for navigator.gpu, 'dawn-node' for the npm `webgpu` package. */
  runtime: 'browser' | 'dawn-node';
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  /** True for CPU implementations (lavapipe, SwiftShader): fine for tests, not for speed. */
  isSoftware: boolean;
  /** Every feature the adapter offers (the device asks only for the ones we use), sorted. */
  features: readonly string[];
  /** Smallest and largest subgroup size, where the adapter reports them. */
  subgroupSizes: [number, number] | null;
}

/** The page's WebGPU, or null outside a browser (Node takes Dawn instead). */
export function browserGpu(): GPU | null {
  return typeof navigator !== 'undefined' && 'gpu' in navigator && navigator.gpu ? navigator.gpu : null;
}

/** Describes an adapter from its GPUAdapterInfo (absent or partial in some browsers). */
export function describeAdapterInfo(
  info: GPUAdapterInfo | undefined,
  runtime: AdapterDescription['runtime'],
  features: Iterable<string>,
): AdapterDescription {
  const vendor = info?.vendor ?? '';
  const architecture = info?.architecture ?? '';
  const device = info?.device ?? '';
  const description = info?.description ?? '';
  const text = `${vendor} ${architecture} ${device} ${description}`.toLowerCase();
  const isSoftware =
    /swiftshader|llvmpipe|lavapipe|software|cpu/.test(text) ||
    (info as { isFallbackAdapter?: boolean } | undefined)?.isFallbackAdapter === true;
  const sizes = info as { subgroupMinSize?: number; subgroupMaxSize?: number } | undefined;
  const subgroupSizes: [number, number] | null =
    sizes?.subgroupMinSize && sizes.subgroupMaxSize ? [sizes.subgroupMinSize, sizes.subgroupMaxSize] : null;
  return {
    runtime,
    vendor,
    architecture,
    device,
    description,
    isSoftware,
    features: [...features].sort(),
    subgroupSizes,
  };
}

export function formatAdapter(a: AdapterDescription): string {
  requireObject('adapter', a, 'an AdapterDescription (ctx.adapter)');
  requireString('adapter.vendor', a.vendor, 'a string (an AdapterDescription, as ctx.adapter)');
  const parts = [a.vendor, a.architecture, a.device, a.description].filter((p) => p.length > 0);
  return `${parts.join(' / ') || 'unknown adapter'} (${a.runtime}${a.isSoftware ? ', software' : ''})`;
}
