// Bringing your own device: an application that already has a GPUDevice (a renderer's, its own
// compute code) runs our kernels on it. The library must leave the application's error handling,
// its device-lost handling and the device itself alone.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ArgumentError, createMatmul, GpuContext, GpuDeviceError } from '../src/index.js';

type Dawn = { create(flags: string[]): GPU; globals: object };

let instance: GPU; // Dawn's instance must outlive every device made from it
const devices: GPUDevice[] = [];

beforeAll(async () => {
  const dawn = (await import('webgpu')) as unknown as Dawn;
  Object.assign(globalThis, dawn.globals);
  instance = dawn.create([]);
});

afterAll(() => {
  for (const device of devices) device.destroy();
  void instance;
});

/** The application's device, with its own error handler, as an app would set it up. */
async function applicationDevice() {
  const adapter = await instance.requestAdapter();
  const device = await adapter!.requestDevice({ label: 'the application' });
  devices.push(device);
  const appErrors: string[] = [];
  const handler = (event: GPUUncapturedErrorEvent) => appErrors.push(event.error.message);
  device.onuncapturederror = handler;
  let appSawLoss = false;
  void device.lost.then(() => (appSawLoss = true));
  return { device, appErrors, handler, appSawLoss: () => appSawLoss };
}

async function dot(ctx: GpuContext, x: number[], y: number[]): Promise<number> {
  const a = ctx.memory.createStorage('a', Float32Array.from(x));
  const b = ctx.memory.createStorage('b', Float32Array.from(y));
  const c = ctx.memory.createStorage('c', 1);
  const kernel = await createMatmul(ctx, { m: 1, n: 1, k: x.length, a, b, c });
  const encoder = ctx.device.createCommandEncoder();
  kernel.record(encoder);
  ctx.submit([encoder.finish()]);
  const [value] = await ctx.readF32(c);
  kernel.destroy();
  for (const buffer of [a, b, c]) ctx.memory.release(buffer);
  return value!;
}

/** Waits until Dawn has delivered the events of the work so far. */
async function settle(device: GPUDevice): Promise<void> {
  await device.queue.onSubmittedWorkDone();
  await new Promise((resolve) => setTimeout(resolve, 20));
}

describe('GpuContext.fromDevice', () => {
  it('runs our kernels on the application device and reports its adapter', async () => {
    const { device } = await applicationDevice();
    const ctx = GpuContext.fromDevice(device);
    expect(ctx.ownsDevice).toBe(false);
    expect(ctx.adapter.runtime).toBe('dawn-node');
    expect(ctx.adapter.vendor).toBe(device.adapterInfo.vendor);
    expect(await dot(ctx, [1, 2, 3], [4, 5, 6])).toBe(32);
    ctx.destroy();
  });

  it("leaves the application's errors to its own handler and keeps working", async () => {
    const { device, appErrors, handler } = await applicationDevice();
    const ctx = GpuContext.fromDevice(device);
    // The application's mistake, not ours: MAP_READ may only be combined with COPY_DST.
    device.createBuffer({ size: 4, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.STORAGE });
    await settle(device);
    expect(appErrors).toHaveLength(1);
    expect(device.onuncapturederror).toBe(handler);
    expect(ctx.error).toBeNull();
    expect(await dot(ctx, [2, 2], [3, 4])).toBe(14);
    ctx.destroy();
  });

  it('destroy() frees our buffers and leaves the device working', async () => {
    const { device, appErrors, appSawLoss } = await applicationDevice();
    const ctx = GpuContext.fromDevice(device);
    ctx.memory.createStorage('ours', 1024);
    ctx.destroy();
    expect(ctx.memory.bytesInUse).toBe(0);
    // The application's own work on the device goes on.
    const buffer = device.createBuffer({ size: 16, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
    device.queue.writeBuffer(buffer, 0, Float32Array.of(1, 2, 3, 4));
    await buffer.mapAsync(GPUMapMode.READ);
    expect([...new Float32Array(buffer.getMappedRange())]).toEqual([1, 2, 3, 4]);
    buffer.destroy();
    await settle(device);
    expect(appErrors).toEqual([]);
    expect(appSawLoss()).toBe(false);
  });

  it('a device the application destroys fails our pending work instead of hanging', async () => {
    const { device, appSawLoss } = await applicationDevice();
    const ctx = GpuContext.fromDevice(device);
    const c = ctx.memory.createStorage('c', 4);
    device.destroy();
    await expect(ctx.readF32(c)).rejects.toThrow(GpuDeviceError);
    expect(appSawLoss()).toBe(true);
    ctx.destroy();
  });

  it('refuses what is not a device', () => {
    expect(() => GpuContext.fromDevice({} as GPUDevice)).toThrow(ArgumentError);
    expect(() => GpuContext.fromDevice(undefined as unknown as GPUDevice)).toThrow(/device: must be a GPUDevice/);
  });
});
