// The DCGAN preset through the trainer, as a library user and the CLI meet it: its checkpoint holds
// exactly what load_state_dict(strict=True) of PyTorch's nn.Sequential wants (names, shapes,
// int64 counters), resuming from it is bit-identical, and `sample`'s pictures are what an
// independent float64 implementation of PyTorch's eval-mode semantics makes from the file alone
// (the generator written out here by hand, not from our layer lists).
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { type Checkpoint, decodeCheckpoint, encodeCheckpoint } from '../../src/gan/checkpoint.js';
import { resolveGanConfig } from '../../src/gan/config.js';
import { GanSampler, loadGenerator } from '../../src/gan/sampler.js';
import { exportTensors } from '../../src/gan/state.js';
import type { TensorMap } from '../../src/io/safetensors.js';
import { STREAMS } from '../../src/kernels/streams.js';
import { batchNormEvalReference } from '../../reference/batchNorm.js';
import { convTranspose2dReference } from '../../reference/conv.js';
import { normalReference } from '../../reference/cpu.js';
import { cli } from '../support/cli.js';
import { useGpu } from '../support/gpu.js';
import { useTempDirs } from '../support/temp.js';
import { byteImages, checkpointAndNextStep, expectResumedStep, labelled, makeTrainer } from './helpers.js';

const gpu = useGpu();
const tempDir = useTempDirs();

const CONFIG = { architecture: 'dcgan', batch: 3, seed: 4, spectralNorm: true } as const;

/** PyTorch's state_dict of the 28×28 generator's Sequential: ConvT, BN, ReLU, ConvT, BN, ReLU, ConvT, Tanh. */
const GENERATOR_STATE: Array<[string, number[]]> = [
  ['0.weight', [100, 256, 7, 7]],
  ...bn(1, 256),
  ['3.weight', [256, 128, 4, 4]],
  ...bn(4, 128),
  ['6.weight', [128, 1, 4, 4]],
];
function bn(i: number, channels: number): Array<[string, number[]]> {
  return ['weight', 'bias', 'running_mean', 'running_var'].map((n) => [`${i}.${n}`, [channels]]);
}

/** With spectral normalisation in place of batch norm: Conv, LeakyReLU, Conv, LeakyReLU, Conv. */
const DISCRIMINATOR_STATE: Array<[string, number[]]> = [
  ['0.weight', [64, 1, 4, 4]],
  ['2.weight', [128, 64, 4, 4]],
  ['4.weight', [1, 128, 7, 7]],
];

const shapes = (tensors: TensorMap, prefix: string) =>
  [...tensors].filter(([n]) => n.startsWith(`${prefix}.`)).map(([n, t]) => [n.slice(prefix.length + 1), t.shape]);

/** Bit-identical resume of a DCGAN trained on `data`. */
const expectResumed = (checkpoint: Checkpoint, straight: TensorMap, data = byteImages(12, 784)) =>
  expectResumedStep(checkpoint, straight, () => makeTrainer(gpu.ctx, data, checkpoint.config));

async function trainedCheckpoint(steps: number): Promise<Uint8Array> {
  const { trainer, destroy } = await makeTrainer(gpu.ctx, byteImages(12, 784), CONFIG);
  try {
    await trainer.train(steps);
    return await encodeCheckpoint(trainer);
  } finally {
    destroy();
  }
}

describe('a DCGAN trained through GanTrainer', () => {
  it("saves PyTorch's Sequential names with int64 counters, and resumes bit-identically", async () => {
    const ctx = gpu.ctx;
    const data = byteImages(12, 784);
    const { trainer, destroy } = await makeTrainer(ctx, data, CONFIG);
    try {
      const { checkpoint, straight } = await checkpointAndNextStep(trainer);
      expect(shapes(checkpoint.tensors, 'generator')).toEqual(GENERATOR_STATE);
      expect(shapes(checkpoint.tensors, 'generator_ema')).toEqual(GENERATOR_STATE);
      const withVectors = DISCRIMINATOR_STATE.flatMap(
        ([n, s]): Array<[string, number[]]> => [
          [n, s],
          [`${n}_u`, [s[0]!]],
        ],
      );
      expect(shapes(checkpoint.tensors, 'discriminator').sort()).toEqual(withVectors.sort());
      // One training-mode pass of G per step: PyTorch's num_batches_tracked counts 2 after 2 steps.
      for (const name of ['generator.1', 'generator.4', 'generator_ema.1', 'generator_ema.4'])
        expect(checkpoint.integers!.get(`${name}.num_batches_tracked`)!.data).toEqual(BigInt64Array.of(2n));
      expect(checkpoint.integers!.size).toBe(4);
      const runningVar = checkpoint.tensors.get('generator.1.running_var')!.data;
      expect(
        runningVar.some((v) => v !== 1),
        'the running variance moved from its start',
      ).toBe(true);

      await expectResumed(checkpoint, straight);
    } finally {
      destroy();
    }
  });

  it("without spectral normalisation D has PyTorch's batch norm, counted three times a step, and resumes", async () => {
    const { trainer, destroy } = await makeTrainer(gpu.ctx, byteImages(12, 784), { ...CONFIG, spectralNorm: false });
    try {
      await trainer.train(2);
      const { tensors, integers } = decodeCheckpoint(await encodeCheckpoint(trainer));
      expect(shapes(tensors, 'discriminator')).toEqual([
        ['0.weight', [64, 1, 4, 4]],
        ['2.weight', [128, 64, 4, 4]],
        ...bn(3, 128),
        ['5.weight', [1, 128, 7, 7]],
      ]);
      // D(real) and D(fake) for D's update, D(fake) again for G's: PyTorch's DCGAN counts 3 a step.
      expect(integers!.get('discriminator.3.num_batches_tracked')!.data).toEqual(BigInt64Array.of(6n));
      expect(tensors.get('discriminator.3.running_mean')!.data.some((v) => v !== 0)).toBe(true);

      // Resumed, D's running statistics (and everything else) continue as if it had never stopped.
      const checkpoint = decodeCheckpoint(await encodeCheckpoint(trainer));
      await trainer.train(1);
      const straight = await exportTensors(trainer);
      await expectResumed(checkpoint, straight);
    } finally {
      destroy();
    }
  });

  it('refuses a checkpoint whose counter is not int64, or whose running variance is negative', async () => {
    const bytes = await trainedCheckpoint(1);
    const { tensors, integers, config } = decodeCheckpoint(bytes);
    const { tensorProblem } = await import('../../src/gan/state.js');
    const noCounter = new Map(integers);
    noCounter.delete('generator.4.num_batches_tracked');
    expect(tensorProblem(config, tensors, undefined, noCounter)).toMatch(/no tensor "generator.4.num_batches_tracked"/);
    const negative = new Map(tensors);
    negative.set('generator_ema.1.running_var', { shape: [256], data: new Float32Array(256).fill(-1) });
    expect(tensorProblem(config, negative, undefined, integers)).toMatch(/running variance.*negative/);
  });

  it("makes `sample`'s pictures as an independent float64 forward pass of the checkpoint does", async () => {
    const dir = tempDir('dcgan-sample');
    const path = join(dir, 'checkpoint.safetensors');
    writeFileSync(path, await trainedCheckpoint(2));
    const count = 4;
    const seed = 11;
    const r = cli([
      'sample',
      '--checkpoint',
      path,
      '--out',
      join(dir, 'grid.png'),
      '--n',
      String(count),
      '--seed',
      '11',
    ]);
    expect(r.errors, r.stderr).toEqual([]);
    expect(r.status).toBe(0);
    const tensors = decodeCheckpoint(readFileSync(path)).tensors;
    const expected = generatorReference(tensors, normalReference(count * 100, seed, STREAMS.sampleNoise, 0), count);

    // The library's sampler, in float32, beside the float64 values.
    const checkpoint = decodeCheckpoint(readFileSync(path));
    const generator = loadGenerator(gpu.ctx, checkpoint);
    // Only what running forward needs: no gradients or Adam moments.
    const made = gpu.ctx.memory.liveBuffers().filter((b) => b.label.startsWith('generator '));
    expect(made.map((b) => b.label).sort()).toEqual([
      'generator ema weights',
      'generator running statistics',
      'generator weights',
    ]);
    const sampler = await GanSampler.create(gpu.ctx, checkpoint.config, generator, { count, seed });
    try {
      const samples = await sampler.sample();
      for (let i = 0; i < expected.length; i++) expect(Math.abs(samples[i]! - expected[i]!)).toBeLessThan(2e-4);
    } finally {
      sampler.destroy();
      generator.destroy();
    }
    // The PNG: a 2×2 grid of 28×28 cells with 2 pixels between them; a pixel is round(127.5·x + 127.5).
    const png = PNG.sync.read(readFileSync(join(dir, 'grid.png')));
    let worst = 0;
    for (let i = 0; i < count; i++)
      for (let p = 0; p < 784; p++) {
        const [x, y] = [2 + (i % 2) * 30 + (p % 28), 2 + Math.floor(i / 2) * 30 + Math.floor(p / 28)];
        const byte = png.data[(y * png.width + x) * 4]!;
        worst = Math.max(worst, Math.abs(byte - (expected[i * 784 + p]! * 127.5 + 127.5)));
      }
    expect(worst, 'each pixel within rounding of the float64 value').toBeLessThanOrEqual(0.51);
    expect(resolveGanConfig(checkpoint.config).architecture).toBe('dcgan');
  }, 120_000);
});

describe('a conditional DCGAN: the one-hot beside G’s noise, a class projection in D', () => {
  const data = labelled(byteImages(12, 784), 10);
  const conditional = { ...CONFIG, classes: 10 };

  it('saves G’s first weight with class rows and D’s projection as an Embedding; resumes bit-identically', async () => {
    const { trainer, destroy } = await makeTrainer(gpu.ctx, data, conditional);
    try {
      const { checkpoint, straight } = await checkpointAndNextStep(trainer);
      expect(shapes(checkpoint.tensors, 'generator')).toEqual([
        ['0.weight', [110, 256, 7, 7]],
        ...GENERATOR_STATE.slice(1),
      ]);
      const projection = ['projection.weight', [10, 6272]];
      expect(shapes(checkpoint.tensors, 'discriminator')).toEqual(
        expect.arrayContaining([projection, ['projection.weight_u', [10]], ...DISCRIMINATOR_STATE]),
      );
      expect(shapes(checkpoint.tensors, 'optimizer.discriminator.exp_avg')).toContainEqual(projection);
      expect(checkpoint.config.classes).toBe(10);
      await expectResumed(checkpoint, straight, data);
    } finally {
      destroy();
    }
  });

  it('samples each class as an independent float64 forward pass of the checkpoint does', async () => {
    const { trainer, destroy } = await makeTrainer(gpu.ctx, data, conditional);
    const count = 3;
    const seed = 5;
    const labels = [7, 0, 3];
    try {
      await trainer.train(2);
      const checkpoint = decodeCheckpoint(await encodeCheckpoint(trainer));
      const noise = normalReference(count * 100, seed, STREAMS.sampleNoise, 0);
      const input = new Float64Array(count * 110);
      labels.forEach((label, r) => {
        input.set(noise.subarray(r * 100, (r + 1) * 100), r * 110);
        input[r * 110 + 100 + label] = 1;
      });
      const expected = generatorReference(checkpoint.tensors, input, count, 110);
      const generator = loadGenerator(gpu.ctx, checkpoint);
      const sampler = await GanSampler.create(gpu.ctx, checkpoint.config, generator, { count, seed, labels });
      try {
        const samples = await sampler.sample();
        for (let i = 0; i < expected.length; i++) expect(Math.abs(samples[i]! - expected[i]!)).toBeLessThan(2e-4);
        // Another class for the same noise is another picture.
        sampler.setLabels([1, 0, 3]);
        const changed = await sampler.sample();
        expect(changed.subarray(0, 784).some((v, i) => Math.abs(v - samples[i]!) > 1e-4)).toBe(true);
        expect(Array.from(changed.subarray(784))).toEqual(Array.from(samples.subarray(784)));
      } finally {
        sampler.destroy();
        generator.destroy();
      }
    } finally {
      destroy();
    }
  });
});

/**
 * G of the checkpoint's generator_ema tensors in eval mode: ConvTranspose2d(100→256, 7, 1, 0),
 * BatchNorm2d on its running estimates, ReLU; (256→128, 4, 2, 1), BatchNorm2d, ReLU; (128→1, 4, 2,
 * 1), Tanh; no biases (bias=False before each batch norm and on the last layer).
 */
function generatorReference(tensors: TensorMap, noise: Float64Array, batch: number, inputs = 100): Float64Array {
  const get = (name: string) => Float64Array.from(tensors.get(`generator_ema.${name}`)!.data);
  const up = (x: Float64Array, i: number, [cin, cout, size, k, stride, pad]: number[]) =>
    convTranspose2dReference(
      {
        batch,
        inChannels: cin!,
        outChannels: cout!,
        inHeight: size!,
        inWidth: size!,
        kernelH: k!,
        kernelW: k!,
        stride: stride!,
        pad: pad!,
        outputPadding: 0,
      },
      x,
      get(`${i}.weight`),
    ).values;
  const norm = (x: Float64Array, i: number, channels: number) =>
    batchNormEvalReference(
      x,
      { batch, channels, spatial: x.length / batch / channels },
      { gamma: get(`${i}.weight`), beta: get(`${i}.bias`), eps: 1e-5 },
      { mean: get(`${i}.running_mean`), variance: get(`${i}.running_var`) },
    ).y.map((v) => Math.max(v, 0));
  let x = up(noise, 0, [inputs, 256, 1, 7, 1, 0]);
  x = norm(x, 1, 256);
  x = up(x, 3, [256, 128, 7, 4, 2, 1]);
  x = norm(x, 4, 128);
  return up(x, 6, [128, 1, 14, 4, 2, 1]).map(Math.tanh);
}
