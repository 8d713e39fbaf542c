// The GPU runtime: adapter description, the memory owner, the pipeline cache, reflection, and
// errors that reach the caller instead of hanging (validation errors and device loss).
import { describe, expect, it } from 'vitest';
import { acquireGpu, formatAdapter, GpuDeviceError } from '../src/index.js';
import { getPipeline } from '../src/gpu/pipelines.js';
import { GpuMemory } from '../src/gpu/memory.js';
import { entryLayout, packUniform } from '../src/gpu/layout.js';
import { compileShader } from '../src/gpu/pipelines.js';
import matmulShader from '../shaders/matmul.wgsl';
import adamShader from '../shaders/adam.wgsl';
import brokenInHelper from './fixtures/wgsl/broken_in_helper.wgsl';
import brokenInMain from './fixtures/wgsl/broken_in_main.wgsl';
import { useGpu } from './support/gpu.js';

const gpu = useGpu();

describe('device', () => {
  it('describes the adapter', () => {
    const { adapter } = gpu.ctx;
    expect(adapter.runtime).toBe('dawn-node');
    expect(`${adapter.vendor}${adapter.architecture}${adapter.description}`.length).toBeGreaterThan(0);
    expect(formatAdapter(adapter)).toContain('dawn-node');
  });

  it('an uncaptured validation error rejects the next sync instead of passing silently', async () => {
    const ctx = await acquireGpu();
    try {
      // MAP_READ may only be combined with COPY_DST: an invalid buffer, outside any error scope.
      ctx.device.createBuffer({ size: 16, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.STORAGE });
      await expect(ctx.sync()).rejects.toThrow(GpuDeviceError);
      expect(() => ctx.submit([])).toThrow(/GPU error/);
    } finally {
      ctx.destroy();
    }
  });

  it('device loss rejects pending and later work', async () => {
    const ctx = await acquireGpu();
    const buffer = ctx.memory.createStorage('doomed', 4);
    ctx.device.destroy();
    await expect(ctx.readF32(buffer)).rejects.toThrow(/device lost/);
    await expect(ctx.sync()).rejects.toThrow(GpuDeviceError);
    ctx.destroy();
    ctx.destroy(); // twice is fine
  });
});

describe('memory owner', () => {
  it('counts bytes, releases one buffer, and frees everything on destroy (twice is safe)', () => {
    const memory = new GpuMemory(gpu.ctx.device);
    const a = memory.createStorage('a', 10); // 40 bytes
    memory.createStorage('b', new Float32Array(3)); // 12 bytes
    memory.createBuffer({ label: 'odd', size: 5, usage: GPUBufferUsage.COPY_DST }); // rounded to 8
    expect(memory.bytesInUse).toBe(60);
    memory.release(a);
    memory.release(a);
    expect(memory.bytesInUse).toBe(20);
    expect(memory.liveBuffers().map((b) => b.label)).toEqual(['b', 'odd']);
    memory.destroy();
    memory.destroy();
    expect(memory.bytesInUse).toBe(0);
    expect(() => memory.createStorage('late', 1)).toThrow(/after destroy/);
  });

  it('uploads initial contents', async () => {
    const buffer = gpu.ctx.memory.createStorage('data', Float32Array.of(1.5, -2, 3));
    expect([...(await gpu.ctx.readF32(buffer))]).toEqual([1.5, -2, 3]);
    gpu.ctx.memory.release(buffer);
  });
});

describe('pipelines and reflection', () => {
  it('builds a pipeline once per (shader, entry, constants) and device', async () => {
    const { device } = gpu.ctx;
    const first = await getPipeline(device, matmulShader, 'matmul_bias_act', { TRANSPOSE_A: true, GATE: 2 });
    const again = await getPipeline(device, matmulShader, 'matmul_bias_act', { GATE: 2, TRANSPOSE_A: 1 });
    const other = await getPipeline(device, matmulShader, 'matmul_bias_act', { TRANSPOSE_A: false, GATE: 2 });
    expect(again).toBe(first);
    expect(other).not.toBe(first);
  });

  it('rejects an override the shader does not declare', async () => {
    await expect(getPipeline(gpu.ctx.device, adamShader, 'adam_step', { TILE: 3 })).rejects.toThrow(
      /no override "TILE"/,
    );
  });

  it('derives bindings and the uniform layout from the WGSL', () => {
    const layout = entryLayout(matmulShader, 'matmul_bias_act');
    expect(
      Object.fromEntries(Object.entries(layout.bindings).map(([name, b]) => [name, `${b.binding}:${b.type}`])),
    ).toEqual({
      params: '0:uniform',
      matrix_a: '1:read-only-storage',
      matrix_b: '2:read-only-storage',
      bias: '3:read-only-storage',
      gate: '4:read-only-storage',
      matrix_c: '5:storage',
      row_sums: '7:storage',
    });
    expect(Object.entries(layout.uniform!.fields).map(([name, f]) => `${name}@${f.offset}:${f.type}`)).toEqual([
      'm@0:u32',
      'n@4:u32',
      'k@8:u32',
      'alpha@12:f32',
      'k_chunk@16:u32',
      'splits@20:u32',
    ]);
    expect(layout.uniform!.size).toBe(32);
    expect(layout.workgroupSize).toEqual([16, 16, 1]);
  });

  it('names the file and line of a WGSL error, in a helper file too', async () => {
    const { device } = gpu.ctx;
    device.pushErrorScope('validation'); // the broken modules' own errors, expected here
    try {
      // The helper's error is on its line 4, though its lines come after the kernel's in the code.
      await expect(compileShader(device, brokenInHelper)).rejects.toThrow(
        /^WGSL compilation failed:\nhelper_broken\.wgsl:4:\d+: /,
      );
      await expect(compileShader(device, brokenInMain)).rejects.toThrow(
        /^WGSL compilation failed:\nbroken_in_main\.wgsl:9:\d+: /,
      );
    } finally {
      expect(await device.popErrorScope()).not.toBeNull();
    }
    expect(brokenInHelper.files.map((f) => f.file)).toEqual(['broken_in_helper.wgsl', 'helper_broken.wgsl']);
  });

  it('packs uniforms and refuses missing or unknown fields', () => {
    const layout = entryLayout(adamShader, 'adam_step').uniform!;
    const values = {
      n: 3,
      lr: 0.5,
      beta1: 0.9,
      beta2: 0.99,
      epsilon: 1e-8,
      weight_decay: 0,
      ema_decay: 0,
      ema_warmup: 0,
    };
    const view = new DataView(packUniform(layout, values));
    expect(view.getUint32(0, true)).toBe(3);
    expect(view.getFloat32(4, true)).toBe(0.5);
    expect(() => packUniform(layout, { ...values, momentum: 1 })).toThrow(/no field "momentum"/);
    const { lr: _lr, ...missing } = values;
    expect(() => packUniform(layout, missing)).toThrow(/lr was not given/);
  });
});
