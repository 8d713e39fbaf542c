// What TypeScript reads from the shaders instead of restating them: integer constants and each
// entry point's workgroup memory. The memory figure is checked against Dawn itself, which refuses
// a pipeline whose workgroup arrays exceed the device's limit and says how many bytes they take.
import { describe, expect, it } from 'vitest';
import { shaderConstant, type WgslShader } from '../src/gpu/layout.js';
import { getPipeline } from '../src/gpu/pipelines.js';
import matmulShader from '../shaders/matmul.wgsl';
import logitHeadShader from '../shaders/logit_head.wgsl';
import adamShader from '../shaders/adam.wgsl';
import { STREAMS } from '../src/kernels/streams.js';

const shaders = Object.values(
  import.meta.glob<WgslShader>('../shaders/*.wgsl', { eager: true, import: 'default' }),
).filter((shader) => Object.keys(shader.entries).length > 0);

const DEFAULT_WORKGROUP_BYTES = 16384;
/** Dawn's instances, which must outlive the devices made from them. */
const instances: GPU[] = [];

async function deviceWithWorkgroupBytes(limit: number): Promise<GPUDevice> {
  const { create, globals } = await import('webgpu');
  for (const [name, value] of Object.entries(globals)) {
    if (!(name in globalThis)) (globalThis as Record<string, unknown>)[name] = value;
  }
  const instance = create([]);
  instances.push(instance);
  const adapter = await instance.requestAdapter();
  if (!adapter) throw new Error('no adapter');
  return adapter.requestDevice({ requiredLimits: { maxComputeWorkgroupStorageSize: limit } });
}

/** Override constants without a default in their WGSL: a pipeline must be given them. */
const REQUIRED_OVERRIDES: Record<string, Record<string, number>> = { gather: { SHUFFLE_STREAM: STREAMS.shuffle } };

describe('shader reflection', () => {
  it('reads integer constants, leaves override defaults out, and names a missing one', () => {
    expect(shaderConstant(matmulShader, 'TILE_K')).toBe(16);
    expect(shaderConstant(matmulShader, 'ACT_TANH')).toBe(2);
    expect(shaderConstant(logitHeadShader, 'MAX_GROUP_ROWS')).toBe(1024);
    expect(adamShader.constants).not.toHaveProperty('EMA');
    expect(() => shaderConstant(adamShader, 'TILE_K')).toThrow('adam.wgsl has no integer constant "TILE_K"');
  });

  it('gives every entry point a workgroup size and the bytes of the workgroup arrays it reaches', () => {
    expect(shaders.length).toBeGreaterThanOrEqual(9);
    const bytes = Object.fromEntries(
      shaders.flatMap((s) => Object.values(s.entries).map((e) => [`${s.name}.${e.entry}`, e.workgroupBytes])),
    );
    // v1's two tiles of 16 K rows × 17 vec4s; v3's two of each.
    expect(bytes['matmul.matmul_bias_act']).toBe(2 * 16 * 17 * 16);
    expect(bytes['matmul.matmul_bias_act_db']).toBe(4 * 16 * 17 * 16);
    expect(bytes['matmul.matmul_split_reduce']).toBe(0);
    expect(bytes['bias_grad.bias_grad_column_sum']).toBe(16 * 16 * 4);
  });

  it('every entry point above the default limit needs exactly the reflected bytes, as Dawn counts them', async () => {
    const large = shaders.flatMap((shader) =>
      Object.values(shader.entries)
        .filter((e) => e.stage === 'compute' && e.workgroupBytes > DEFAULT_WORKGROUP_BYTES)
        .map((e) => ({ shader, entry: e.entry, bytes: e.workgroupBytes })),
    );
    expect(large.map((l) => l.entry).sort()).toEqual(['matmul_bias_act_db']);
    for (const { shader, entry, bytes } of large) {
      const exact = await deviceWithWorkgroupBytes(bytes);
      const short = await deviceWithWorkgroupBytes(bytes - 16);
      try {
        await expect(getPipeline(exact, shader, entry)).resolves.toBeDefined();
        await expect(getPipeline(short, shader, entry)).rejects.toThrow(`workgroup storage (${bytes} bytes)`);
      } finally {
        exact.destroy();
        short.destroy();
      }
    }
  });

  it('every entry point within the default limit builds on a device with only the default', async () => {
    const device = await deviceWithWorkgroupBytes(DEFAULT_WORKGROUP_BYTES);
    try {
      for (const shader of shaders) {
        for (const entry of Object.values(shader.entries)) {
          if (entry.stage === 'compute' && entry.workgroupBytes <= DEFAULT_WORKGROUP_BYTES)
            await getPipeline(device, shader, entry.entry, REQUIRED_OVERRIDES[shader.name] ?? {});
        }
      }
    } finally {
      device.destroy();
    }
  });
});
