// The model list a person reads: each network of a configuration as PyTorch prints its
// nn.Sequential, with output shapes and parameter counts (the 28×28 DCGAN, the design's MLP
// and its conditional form), worked out without a GPU; the counts add up to what a checkpoint holds.
import { describe, expect, it } from 'vitest';
import { resolveGanConfig } from '../../src/gan/config.js';
import { modelSummary } from '../../src/gan/modelSummary.js';

const rows = (net: ReturnType<typeof modelSummary>['generator']) =>
  net.layers.map((l) => [l.index, l.module, l.outShape.join('×'), l.parameters]);

describe('modelSummary', () => {
  it("lists the 28×28 DCGAN's layers as PyTorch prints them, with shapes and parameter counts", () => {
    const config = resolveGanConfig({ architecture: 'dcgan', spectralNorm: false });
    const { generator, discriminator } = modelSummary(config);
    expect(rows(generator)).toEqual([
      [0, 'ConvTranspose2d(100, 256, 7, stride=1, padding=0, bias=False)', '256×7×7', 100 * 256 * 49],
      [1, 'BatchNorm2d(256)', '256×7×7', 512],
      [2, 'ReLU()', '256×7×7', 0],
      [3, 'ConvTranspose2d(256, 128, 4, stride=2, padding=1, bias=False)', '128×14×14', 256 * 128 * 16],
      [4, 'BatchNorm2d(128)', '128×14×14', 256],
      [5, 'ReLU()', '128×14×14', 0],
      [6, 'ConvTranspose2d(128, 1, 4, stride=2, padding=1, bias=False)', '1×28×28', 128 * 16],
      [7, 'Tanh()', '1×28×28', 0],
    ]);
    expect(generator.inShape).toEqual([100, 1, 1]);
    expect(generator.parameters).toBe(generator.layers.reduce((a, l) => a + l.parameters, 0));
    expect(rows(discriminator)).toEqual([
      [0, 'Conv2d(1, 64, 4, stride=2, padding=1, bias=False)', '64×14×14', 64 * 16],
      [1, 'LeakyReLU(0.2)', '64×14×14', 0],
      [2, 'Conv2d(64, 128, 4, stride=2, padding=1, bias=False)', '128×7×7', 64 * 128 * 16],
      [3, 'BatchNorm2d(128)', '128×7×7', 256],
      [4, 'LeakyReLU(0.2)', '128×7×7', 0],
      [5, 'Conv2d(128, 1, 7, stride=1, padding=0, bias=False)', '1×1×1', 128 * 49],
    ]);
  });

  it('drops the batch norm where spectral normalisation takes its place, and sizes 32×32 colour', () => {
    const config = resolveGanConfig({ architecture: 'dcgan', spectralNorm: true, channels: 3, dataDim: 3072 });
    const { generator, discriminator } = modelSummary(config);
    expect(discriminator.layers.some((l) => l.module.startsWith('BatchNorm'))).toBe(false);
    expect(discriminator.inShape).toEqual([3, 32, 32]);
    expect(generator.layers.at(-2)!.outShape).toEqual([3, 32, 32]);
  });

  it("lists the design's MLP, a conditional one's first layers reading the class too", () => {
    const { generator, discriminator } = modelSummary(resolveGanConfig({ classes: 10 }));
    expect(rows(generator).slice(0, 2)).toEqual([
      [0, 'Linear(110, 128)', '128', 110 * 128 + 128],
      [1, 'LeakyReLU(0.2)', '128', 0],
    ]);
    expect(rows(discriminator).at(-1)).toEqual([4, 'Linear(128, 1)', '1', 129]);
    expect(discriminator.parameters).toBe(794 * 256 + 256 + 256 * 128 + 128 + 129);
  });
});
