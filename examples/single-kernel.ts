// The README's example: one kernel on buffers you own. tests/readme-example.test.ts runs it and
// checks that the README shows exactly this code.
import { acquireGpu, createMatmul } from 'webgpu-gan';

/** y = leakyReLU(x·W + b) for a 2×3 input and a 3×2 weight, on the GPU. */
export async function leakyLinearLayer(): Promise<Float32Array> {
  const gpu = await acquireGpu(); // navigator.gpu in a page, Dawn (npm `webgpu`) in Node
  try {
    const x = gpu.memory.createStorage('x', Float32Array.of(1, 2, 3, 4, 5, 6)); // 2×3, row-major
    const w = gpu.memory.createStorage('w', Float32Array.of(1, 0, 0, 1, -1, 1)); // 3×2
    const b = gpu.memory.createStorage('b', Float32Array.of(0.5, -10));
    const y = gpu.memory.createStorage('y', 2 * 2); // 4 floats, zeroed
    const layer = await createMatmul(gpu, {
      m: 2,
      n: 2,
      k: 3,
      a: x,
      b: w,
      c: y,
      bias: b,
      activation: 'leaky-relu',
      leakySlope: 0.1,
    });
    const encoder = gpu.device.createCommandEncoder();
    layer.record(encoder); // or into a compute pass of yours, beside other kernels
    gpu.submit([encoder.finish()]);
    return await gpu.readF32(y); // ≈ [-0.15, -0.5, -0.15, 1]
  } finally {
    gpu.destroy(); // frees every buffer made through gpu.memory, then the device
  }
}
