// The model list a person reads: each network of a configuration as PyTorch prints its
// nn.Sequential, with output shapes and parameter counts (the 28×28 DCGAN, the design's MLP
// and its conditional form), worked out without a GPU; the counts add up to what a checkpoint holds.
import { describe, expect, it } from 'vitest';
import { resolveGanConfig } from '../../src/gan/config.js';
import { checkModelFits, widestPerBatchRow } from '../../src/gan/modelMemory.js';
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

  it("counts weight normalisation's g in each layer it scales, so the layers add up to the total", () => {
    const config = resolveGanConfig({ weightNorm: true, spectralNorm: false });
    const { discriminator } = modelSummary(config);
    expect(rows(discriminator).filter((r) => r[3] !== 0)).toEqual([
      [0, 'Linear(784, 256)', '256', 784 * 256 + 256 + 256],
      [2, 'Linear(256, 128)', '128', 256 * 128 + 128 + 128],
      [4, 'Linear(128, 1)', '1', 128 + 1 + 1],
    ]);
    expect(discriminator.parameters).toBe(discriminator.layers.reduce((a, l) => a + l.parameters, 0));
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

describe('checkModelFits for layer lists', () => {
  const limits = (mib: number) =>
    ({ maxStorageBufferBindingSize: mib * 2 ** 20, maxBufferSize: 2 ** 40 }) as GPUSupportedLimits;

  it("names the DCGAN's widest buffer and the largest batch that fits, before anything is allocated", () => {
    // 64×64 colour: D's first map, 64×32×32, for a fake and a real row: 131,072 floats, 512 KiB an example.
    const config = resolveGanConfig({ architecture: 'dcgan', channels: 3, dataDim: 3 * 64 * 64, batch: 1024 });
    expect(widestPerBatchRow(config)).toEqual({
      label: 'discriminator layer 0 (conv2d, [64,32,32])',
      bytesPerRow: 2 * 65536 * 4,
    });
    expect(() => checkModelFits(config, limits(128))).toThrow(
      'batch: 1024 needs 512.0 MiB for discriminator layer 0 (conv2d, [64,32,32]) in one binding, but this ' +
        'device binds at most 128.0 MiB; use a batch of at most 256',
    );
    expect(() => checkModelFits({ ...config, batch: 256 }, limits(128))).not.toThrow();
  });

  it("puts Salimans et al.'s noise layers in an MLP's D and batch norms in its G", () => {
    const config = resolveGanConfig({
      discriminatorHidden: [30, 20],
      discriminatorInputNoise: 0.6,
      discriminatorHiddenNoise: 0.5,
      labelClasses: 10,
      labeled: 100,
    });
    expect(rows(modelSummary(config).discriminator)).toEqual([
      [0, 'GaussianNoise(0.6)', '784', 0],
      [1, 'Linear(784, 30)', '30', 784 * 30 + 30],
      [2, 'LeakyReLU(0.2)', '30', 0],
      [3, 'GaussianNoise(0.5)', '30', 0],
      [4, 'Linear(30, 20)', '20', 30 * 20 + 20],
      [5, 'LeakyReLU(0.2)', '20', 0],
      [6, 'GaussianNoise(0.5)', '20', 0],
      [7, 'Linear(20, 10)', '10', 20 * 10 + 10],
    ]);
    // Salimans et al.'s generator: a batch norm after each hidden layer, whose bias it replaces.
    const normed = resolveGanConfig({ generatorHidden: [50, 40], generatorBatchNorm: true });
    expect(rows(modelSummary(normed).generator).map((r) => r[1])).toEqual([
      'Linear(100, 50, bias=False)',
      'BatchNorm1d(50)',
      'LeakyReLU(0.2)',
      'Linear(50, 40, bias=False)',
      'BatchNorm1d(40)',
      'LeakyReLU(0.2)',
      'Linear(40, 784)',
      'Tanh()',
    ]);
    // Hidden noise only: no layer on the image.
    const hiddenOnly = resolveGanConfig({ discriminatorHidden: [30], discriminatorHiddenNoise: 0.5 });
    expect(rows(modelSummary(hiddenOnly).discriminator).map((r) => r[1])).toEqual([
      'Linear(784, 30)',
      'LeakyReLU(0.2)',
      'GaussianNoise(0.5)',
      'Linear(30, 1)',
    ]);
  });

  it("counts the discriminator's rows: fake and real, two per example; three with a labelled batch", () => {
    const config = resolveGanConfig({ architecture: 'dcgan', batch: 8 });
    // 28×28: D's first output is 64×14×14 for each of 2 rows; G's widest is 128×14×14 for one.
    expect(widestPerBatchRow(config).bytesPerRow).toBe(2 * 64 * 14 * 14 * 4);
    // A semi-supervised D also sees a labelled batch: three rows per example.
    const semi = resolveGanConfig({ ...config, labelClasses: 10, labeled: 100 });
    expect(widestPerBatchRow(semi).bytesPerRow).toBe(3 * 64 * 14 * 14 * 4);
  });
});
