// A layer-list network's first weights: examples/dcgan's scheme (N(0, 0.02) convolutions, batch
// norm γ ~ N(1, 0.02), β = 0) and PyTorch's default (U(±1/√fan_in), a transposed convolution's
// fan_in from its output channels), running statistics reset, the same bits for the same seed,
// and the MLP as a layer list starting from exactly the weights the GAN trainer draws for it.
import { describe, expect, it } from 'vitest';
import { GanTrainer } from '../../src/gan/trainer.js';
import type { Layer } from '../../src/nn/model.js';
import { NetworkParameters } from '../../src/nn/network.js';
import { initialiseNetwork } from '../../src/nn/networkInit.js';
import { dcganGenerator, mlpGenerator } from '../../src/nn/presets.js';
import { byteImages } from '../gan/helpers.js';
import { useGpu } from '../support/gpu.js';

const gpu = useGpu();

function moments(values: Float32Array): { mean: number; std: number } {
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const variance = values.reduce((a, b) => a + (b - mean) ** 2, 0) / values.length;
  return { mean, std: Math.sqrt(variance) };
}

async function initialised(input: number[], layers: Layer[], scheme: 'dcgan' | 'pytorch-default', seed = 5) {
  const net = new NetworkParameters(gpu.ctx, { input, layers, leakySlope: 0.2 }, 'net');
  try {
    await initialiseNetwork(gpu.ctx, net, { seed, network: 'generator', scheme });
    return { layout: net.layout, weights: await gpu.ctx.readF32(net.weights), state: await gpu.ctx.readF32(net.state) };
  } finally {
    net.destroy();
  }
}

const tensor = (values: Float32Array, view: { offset: number; count: number } | undefined) =>
  values.subarray(view!.offset, view!.offset + view!.count);

describe('network initialisation', () => {
  it("draws the 28×28 DCGAN generator as examples/dcgan's weights_init does", async () => {
    const layers = dcganGenerator({ noise: 100, channels: 1, side: 28, discriminatorBatchNorm: true });
    const { layout, weights, state } = await initialised([100, 1, 1], layers, 'dcgan');
    const [first, norm] = [layout.layers[0]!, layout.layers[1]!];
    const w = moments(tensor(weights, first.weight));
    expect(Math.abs(w.mean)).toBeLessThan(1e-4);
    expect(w.std).toBeGreaterThan(0.0198);
    expect(w.std).toBeLessThan(0.0202);
    const gamma = moments(tensor(weights, norm.weight));
    expect(Math.abs(gamma.mean - 1)).toBeLessThan(0.005);
    expect(gamma.std).toBeGreaterThan(0.015);
    expect(gamma.std).toBeLessThan(0.025);
    expect(tensor(weights, norm.bias).every((v) => v === 0)).toBe(true);
    expect(tensor(state, norm.runningMean).every((v) => v === 0)).toBe(true);
    expect(tensor(state, norm.runningVar).every((v) => v === 1)).toBe(true);
  });

  it("draws PyTorch's defaults: U(±1/√fan_in), a transposed convolution's fan_in from its outputs", async () => {
    const layers: Layer[] = [
      { kind: 'conv2d', out: 8, kernel: 3 },
      { kind: 'batch-norm' },
      { kind: 'conv-transpose2d', out: 5, kernel: 4, stride: 2 },
      { kind: 'flatten' },
      { kind: 'linear', out: 7 },
    ];
    const { layout, weights } = await initialised([6, 9, 9], layers, 'pytorch-default');
    const bounds = [1 / Math.sqrt(6 * 9), null, 1 / Math.sqrt(5 * 16), null, 1 / Math.sqrt(5 * 16 * 16)];
    for (const [i, p] of layout.layers.entries()) {
      const bound = bounds[i];
      if (!bound) continue;
      for (const view of [p.weight, p.bias]) {
        const values = tensor(weights, view);
        const largest = Math.max(...values.map(Math.abs));
        expect(largest, `${view!.name} within ±${bound}`).toBeLessThanOrEqual(bound);
        expect(largest, `${view!.name} spread to its bound`).toBeGreaterThan(0.6 * bound);
      }
    }
    expect(tensor(weights, layout.layers[1]!.weight).every((v) => v === 1)).toBe(true);
  });

  it('gives the same bits for the same seed and others for another', async () => {
    const layers: Layer[] = [{ kind: 'linear', out: 9 }];
    const [a, b, c] = [
      await initialised([4], layers, 'pytorch-default', 11),
      await initialised([4], layers, 'pytorch-default', 11),
      await initialised([4], layers, 'pytorch-default', 12),
    ];
    expect(Buffer.from(a.weights.buffer).equals(Buffer.from(b.weights.buffer))).toBe(true);
    expect(Buffer.from(a.weights.buffer).equals(Buffer.from(c.weights.buffer))).toBe(false);
  });

  it('starts the MLP as a layer list from the weights the GAN trainer draws', async () => {
    const data = byteImages(32, 784);
    const dataset = data.upload(gpu.ctx);
    const trainer = await GanTrainer.create(gpu.ctx, { seed: 21, batch: 8 }, dataset);
    try {
      const preset = {
        noise: 100,
        generatorHidden: [128, 256],
        discriminatorHidden: [256, 128],
        data: 784,
        output: 'tanh' as const,
      };
      const { weights } = await initialised([100], mlpGenerator(preset), 'pytorch-default', 21);
      const trained = await gpu.ctx.readF32(trainer.generator.weights);
      expect(Buffer.from(weights.buffer).equals(Buffer.from(trained.buffer))).toBe(true);
    } finally {
      trainer.destroy();
      dataset.destroy();
    }
  });
});
