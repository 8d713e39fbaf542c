// A device plus everything that belongs to it: the memory owner, error surfacing and readback.
// Device loss (and, on a device of our own, uncaptured validation errors) are turned into
// rejected promises / thrown errors at the next sync, submit or read, so a caller never waits
// forever on a dead device.
import { ArgumentError } from '../base/errors.js';
import { describeValue, requireObject } from '../base/arguments.js';
import { GpuDeviceError, GpuFailureError } from './errors.js';
import { GpuMemory } from './memory.js';
import { browserGpu, describeAdapterInfo, type AdapterDescription } from './adapter.js';

// Unused writable bindings one kernel may have, and the spacing of their slots: the largest
// minStorageBufferOffsetAlignment WebGPU allows, so every slot's offset is valid.
export const WRITABLE_PLACEHOLDER_SLOTS = 4;
export const PLACEHOLDER_SLOT_BYTES = 256;

function requireDevice(device: GPUDevice): void {
  if (typeof device?.createBuffer !== 'function' || typeof device.queue?.submit !== 'function')
    throw new ArgumentError('device', `must be a GPUDevice, got ${describeValue(device)}`);
}

export class GpuContext {
  readonly memory: GpuMemory;
  /** A tiny buffer bound where a kernel's optional input is unused (WebGPU requires every binding). */
  readonly placeholder: GPUBuffer;
  /**
   * The same for unused writable bindings. A writable binding may not overlap any other binding of
   * its dispatch, so each unused one of a kernel takes its own 256-byte slot.
   */
  readonly writablePlaceholder: GPUBuffer;
  private failure: GpuDeviceError | null = null;
  private destroyed = false;
  private readonly lost: Promise<void>;

  /**
   * Use acquireGpu() for a device of the library's own, or GpuContext.fromDevice() for one the
   * application already has.
   * @param ownsDevice whether destroy() destroys the device and uncaptured errors are ours to report
   * @param keepAlive Dawn's instance, held so that it outlives the device (see device.ts)
   */
  constructor(
    readonly device: GPUDevice,
    readonly adapter: AdapterDescription,
    readonly ownsDevice: boolean,
    private readonly keepAlive: unknown = null,
  ) {
    requireDevice(device);
    requireObject('adapter', adapter, 'an AdapterDescription');
    this.memory = new GpuMemory(device);
    this.placeholder = this.memory.createBuffer({ label: 'placeholder', size: 16, usage: GPUBufferUsage.STORAGE });
    this.writablePlaceholder = this.memory.createBuffer({
      label: 'writable placeholder',
      size: WRITABLE_PLACEHOLDER_SLOTS * PLACEHOLDER_SLOT_BYTES,
      usage: GPUBufferUsage.STORAGE,
    });
    // A second reader of the lost promise: the application's own handlers run as before.
    this.lost = device.lost.then((info) => {
      if (!this.destroyed) this.fail(new GpuFailureError(`GPU device lost (${info.reason}): ${info.message}`));
    });
    // On an application's device its uncaptured errors are its own, and may well not be ours:
    // we neither listen nor let them stop our work.
    if (ownsDevice) {
      device.addEventListener('uncapturederror', (event) => {
        const { error } = event as GPUUncapturedErrorEvent;
        // Running out of memory is the GPU's limit; a validation error is a bug of ours.
        const Kind =
          typeof GPUOutOfMemoryError !== 'undefined' && error instanceof GPUOutOfMemoryError
            ? GpuFailureError
            : GpuDeviceError;
        // The implementation's first line says what failed; the rest (Dawn's call stack) stays on detail.
        this.fail(new Kind(`GPU error: ${error.message.split('\n')[0]}`, error.message));
      });
    }
  }

  /**
   * Our kernels on a device the application made (a three.js or Babylon renderer's, its own).
   * The context creates buffers, pipelines and bind groups on it and submits its own command
   * buffers; it never sets an error handler, adds an uncapturederror listener, opens error
   * scopes or destroys the device: destroy() frees only what the context made.
   */
  static fromDevice(device: GPUDevice, adapter?: Partial<AdapterDescription>): GpuContext {
    requireDevice(device);
    const described = describeAdapterInfo(device.adapterInfo, browserGpu() ? 'browser' : 'dawn-node', [
      ...device.features,
    ]);
    return new GpuContext(device, { ...described, ...adapter }, false);
  }

  private fail(error: GpuDeviceError): void {
    this.failure ??= error;
  }

  /** The first device loss or uncaptured error seen, if any. */
  get error(): GpuDeviceError | null {
    return this.failure;
  }

  throwIfFailed(): void {
    if (this.destroyed) throw new GpuDeviceError('GpuContext was destroyed');
    if (this.failure) throw this.failure;
  }

  submit(commands: GPUCommandBuffer[]): void {
    this.throwIfFailed();
    this.device.queue.submit(commands);
  }

  /** Waits until the queue is idle. Rejects if the device was lost or reported an error. */
  async sync(): Promise<void> {
    this.throwIfFailed();
    await Promise.race([this.device.queue.onSubmittedWorkDone(), this.lost]);
    this.throwIfFailed();
  }

  /** Copies `byteLength` bytes from `source` at `offset` into a fresh ArrayBuffer (not for hot loops). */
  async readBytes(source: GPUBuffer, offset = 0, byteLength = source.size - offset): Promise<ArrayBuffer> {
    this.throwIfFailed();
    const size = Math.ceil(byteLength / 4) * 4;
    const staging = this.memory.createBuffer({
      label: 'readback',
      size,
      usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
    });
    try {
      const encoder = this.device.createCommandEncoder({ label: 'readback' });
      encoder.copyBufferToBuffer(source, offset, staging, 0, size);
      this.submit([encoder.finish()]);
      await Promise.race([staging.mapAsync(GPUMapMode.READ), this.lost]);
      this.throwIfFailed();
      return staging.getMappedRange().slice(0, byteLength);
    } finally {
      this.memory.release(staging);
    }
  }

  async readF32(source: GPUBuffer, offset = 0, count = (source.size - offset) / 4): Promise<Float32Array> {
    return new Float32Array(await this.readBytes(source, offset, count * 4));
  }

  async readU32(source: GPUBuffer, offset = 0, count = (source.size - offset) / 4): Promise<Uint32Array> {
    return new Uint32Array(await this.readBytes(source, offset, count * 4));
  }

  write(target: GPUBuffer, data: ArrayBufferView, offset = 0): void {
    this.throwIfFailed();
    this.device.queue.writeBuffer(target, offset, data.buffer, data.byteOffset, data.byteLength);
  }

  /** Frees every buffer made through this context, then the device if it is the context's own. Safe to call twice. */
  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.memory.destroy();
    if (this.ownsDevice) this.device.destroy();
    void this.keepAlive; // held only so Dawn's instance outlives the device (see device.ts)
  }
}
