// The one owner of GPU memory: every buffer the library makes is created here, counted, and
// destroyed here, so a leak shows up as a number instead of as a slowly failing browser tab.
import { ArgumentError } from '../base/errors.js';

export interface BufferSpec {
  label: string;
  /** Bytes; rounded up to a multiple of 4 as WebGPU requires for mapped/copied buffers. */
  size: number;
  usage: GPUBufferUsageFlags;
  /** Optional initial contents, written through mappedAtCreation (no queue traffic). */
  contents?: ArrayBufferView;
}

export interface LiveBuffer {
  buffer: GPUBuffer;
  label: string;
  size: number;
}

export class GpuMemory {
  private readonly live = new Map<GPUBuffer, LiveBuffer>();
  private bytes = 0;
  private destroyed = false;

  constructor(private readonly device: GPUDevice) {}

  createBuffer(spec: BufferSpec): GPUBuffer {
    if (this.destroyed) throw new Error(`GpuMemory: cannot create "${spec.label}" after destroy()`);
    const contentBytes = spec.contents?.byteLength ?? 0;
    const size = Math.max(4, alignTo(Math.max(spec.size, contentBytes), 4));
    checkBufferFits(this.device.limits, spec, size);
    const buffer = this.device.createBuffer({
      label: spec.label,
      size,
      usage: spec.usage,
      mappedAtCreation: spec.contents !== undefined,
    });
    if (spec.contents) {
      const src = new Uint8Array(spec.contents.buffer, spec.contents.byteOffset, contentBytes);
      new Uint8Array(buffer.getMappedRange()).set(src);
      buffer.unmap();
    }
    this.live.set(buffer, { buffer, label: spec.label, size });
    this.bytes += size;
    return buffer;
  }

  /** A storage buffer holding `data`, also usable as a copy source and destination. */
  createStorage(
    label: string,
    data: Float32Array | Uint32Array | number,
    extraUsage: GPUBufferUsageFlags = 0,
  ): GPUBuffer {
    const usage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST | extraUsage;
    return typeof data === 'number'
      ? this.createBuffer({ label, size: data * 4, usage })
      : this.createBuffer({ label, size: data.byteLength, usage, contents: data });
  }

  /** Destroys one buffer now. Releasing a buffer twice, or one this owner did not make, is a no-op. */
  release(buffer: GPUBuffer): void {
    const entry = this.live.get(buffer);
    if (!entry) return;
    this.live.delete(buffer);
    this.bytes -= entry.size;
    buffer.destroy();
  }

  get bytesInUse(): number {
    return this.bytes;
  }

  liveBuffers(): LiveBuffer[] {
    return [...this.live.values()];
  }

  /** Frees every buffer still alive. Safe to call more than once. */
  destroy(): void {
    for (const buffer of [...this.live.keys()]) this.release(buffer);
    this.destroyed = true;
  }
}

const mib = (bytes: number) => (bytes / 2 ** 20).toFixed(1);

/**
 * The last check before the GPU call: a buffer larger than the device makes (or, for a storage
 * buffer, binds) would be an uncaptured validation error that ends the context's use. Creators
 * check their own sizes first, naming the argument to change; this names the buffer.
 */
function checkBufferFits(limits: GPUSupportedLimits, spec: BufferSpec, size: number): void {
  const storage = (spec.usage & GPUBufferUsage.STORAGE) !== 0;
  const limit = storage ? Math.min(limits.maxBufferSize, limits.maxStorageBufferBindingSize) : limits.maxBufferSize;
  if (!Number.isFinite(size) || size > limit)
    throw new ArgumentError(
      spec.label,
      `needs ${mib(size)} MiB in one buffer, but this device ${storage ? 'binds' : 'makes'} at most ` +
        `${mib(limit)} MiB in one; ask for less`,
    );
}

export function alignTo(value: number, alignment: number): number {
  return Math.ceil(value / alignment) * alignment;
}
