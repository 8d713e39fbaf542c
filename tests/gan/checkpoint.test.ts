// Checkpoints: the safetensors layout PyTorch expects, exact resume (N steps + save + load + M
// steps = N + M steps, bit for bit), atomic writes, and clear errors for bad files.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeCheckpoint, encodeCheckpoint, restoreCheckpoint } from '../../src/gan/checkpoint.js';
import { readCheckpointFile, writeFileAtomic } from '../../src/gan/checkpointFile.js';
import { CheckpointFormatError, decodeSafetensors, encodeSafetensors } from '../../src/io/safetensors.js';
import { exportTensors } from '../../src/gan/state.js';
import { useGpu } from '../support/gpu.js';
import { byteImages, labelled, makeTrainer, type TestData } from './helpers.js';
import type { GanConfig } from '../../src/gan/config.js';
import type { GanTrainer } from '../../src/gan/trainer.js';
import type { TensorMap } from '../../src/io/safetensors.js';
import type { NetworkParameters } from '../../src/nn/network.js';
import { useTempDirs } from '../support/temp.js';
import { crc32Hex } from '../../src/io/crc32.js';
import { float16Bits, float16Value } from '../../src/io/float16.js';

const tempDir = useTempDirs();

const gpu = useGpu();
const DATA = byteImages(50, 784);
const CONFIG = { batch: 4, seed: 3 };

describe('safetensors', () => {
  it('round-trips tensors and metadata, with an 8-byte aligned data section', () => {
    const tensors = new Map([
      ['a.weight', { shape: [2, 3], data: Float32Array.of(1, 2, 3, 4, 5, 6) }],
      ['a.bias', { shape: [2], data: Float32Array.of(-1, 0.5) }],
    ]);
    const bytes = encodeSafetensors(tensors, { note: 'x' });
    const headerLength = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    expect(headerLength % 8).toBe(0);
    const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLength)));
    expect(header['a.weight']).toEqual({ dtype: 'F32', shape: [2, 3], data_offsets: [0, 24] });
    expect(header.__metadata__).toEqual({ note: 'x' });
    const back = decodeSafetensors(bytes);
    expect([...back.tensors.get('a.weight')!.data]).toEqual([1, 2, 3, 4, 5, 6]);
    expect(back.tensors.get('a.bias')!.shape).toEqual([2]);
  });

  const good = encodeSafetensors(new Map([['t', { shape: [3], data: Float32Array.of(1, 2, 3) }]]), {});
  const withHeader = (header: object) => {
    const json = new TextEncoder().encode(JSON.stringify(header));
    const out = new Uint8Array(8 + json.length + 12);
    new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
    out.set(json, 8);
    return out;
  };
  const bad: Array<[string, Uint8Array, RegExp]> = [
    ['empty file', new Uint8Array(0), /too short/],
    ['truncated data', good.subarray(0, good.length - 4), /truncated/],
    ['truncated header', good.subarray(0, 20), /does not fit/],
    // `{"a"`: cut off, at a depth the format allows (deeper JSON is refused before parsing).
    ['garbage header', Uint8Array.from([4, 0, 0, 0, 0, 0, 0, 0, 0x7b, 0x22, 0x61, 0x22]), /not valid JSON/],
    ['nested header', Uint8Array.from([4, 0, 0, 0, 0, 0, 0, 0, 0x7b, 0x7b, 0x7b, 0x7b]), /nested deeper than 3/],
    ['BF16 tensor', withHeader({ t: { dtype: 'BF16', shape: [3], data_offsets: [0, 6] } }), /only F32, F16 and I64/],
    ['shape/offset mismatch', withHeader({ t: { dtype: 'F32', shape: [2], data_offsets: [0, 12] } }), /needs 8/],
    ['gap in data', withHeader({ t: { dtype: 'F32', shape: [2], data_offsets: [4, 12] } }), /gap or overlap/],
  ];
  for (const [name, bytes, message] of bad) {
    it(`rejects ${name}`, () => expect(() => decodeSafetensors(bytes)).toThrow(message));
  }
});

describe('checkpoints', () => {
  it('hold PyTorch-named F32 tensors in [out, in] layout and the training state', async () => {
    const { trainer, destroy } = await makeTrainer(gpu.ctx, DATA, CONFIG);
    try {
      await trainer.train(2);
      const checkpoint = decodeCheckpoint(await encodeCheckpoint(trainer));
      expect(checkpoint.step).toBe(2);
      expect(checkpoint.config).toEqual(trainer.config);
      const shapes = Object.fromEntries(
        [...checkpoint.tensors].filter(([n]) => n.startsWith('generator.')).map(([n, t]) => [n, t.shape]),
      );
      expect(shapes).toEqual({
        'generator.0.weight': [128, 100],
        'generator.0.bias': [128],
        'generator.2.weight': [256, 128],
        'generator.2.bias': [256],
        'generator.4.weight': [784, 256],
        'generator.4.bias': [784],
      });
      const names = [...checkpoint.tensors.keys()];
      for (const prefix of [
        'generator_ema.',
        'discriminator.',
        'optimizer.generator.exp_avg.',
        'optimizer.generator.exp_avg_sq.',
        'optimizer.discriminator.exp_avg.',
        'optimizer.discriminator.exp_avg_sq.',
      ]) {
        expect(
          names.filter((n) => n.startsWith(prefix)),
          prefix,
        ).toHaveLength(6);
      }
    } finally {
      destroy();
    }
  });

  const RESUMED: Array<[string, Partial<GanConfig>, TestData]> = [
    ['', CONFIG, DATA],
    [', with a warm-up of the moving average', { ...CONFIG, emaWarmup: 4 }, DATA],
    [
      ', with spectral normalisation, the hinge loss and two learning rates',
      { ...CONFIG, spectralNorm: true, loss: 'hinge', discriminatorLr: 4e-4, generatorLr: 1e-4 },
      DATA,
    ],
    [', with the least-squares loss and smoothed labels', { ...CONFIG, loss: 'least-squares', realLabel: 0.9 }, DATA],
    [', conditional on 10 classes', { ...CONFIG, classes: 10 }, labelled(DATA, 10)],
    [
      ', conditional with a plain one-hot (as checkpoints before oneHotValue trained)',
      { ...CONFIG, classes: 10, oneHotValue: 1 },
      labelled(DATA, 10),
    ],
    [
      ', conditional with spectral normalisation',
      { ...CONFIG, classes: 10, spectralNorm: true, loss: 'hinge' },
      labelled(DATA, 10),
    ],
  ];
  for (const [what, config, data] of RESUMED) {
    it(`N steps, save, load into a new trainer, M steps = N + M steps straight, bit for bit${what}`, async () => {
      const straight = await makeTrainer(gpu.ctx, data, config);
      const first = await makeTrainer(gpu.ctx, data, config);
      let resumed: Awaited<ReturnType<typeof makeTrainer>> | undefined;
      try {
        await straight.trainer.train(5, { stepsPerSubmit: 5 });
        await first.trainer.train(3);
        const checkpoint = decodeCheckpoint(await encodeCheckpoint(first.trainer));
        // A fresh trainer with a different initialisation, so nothing carries over but the file.
        resumed = await makeTrainer(gpu.ctx, data, { ...checkpoint.config });
        restoreCheckpoint(resumed.trainer, checkpoint);
        expect(resumed.trainer.step).toBe(3);
        await resumed.trainer.train(2);
        const want = await exportTensors(straight.trainer);
        const got = await exportTensors(resumed.trainer);
        for (const [name, t] of want) {
          expect(Buffer.from(got.get(name)!.data.buffer).equals(Buffer.from(t.data.buffer)), name).toBe(true);
        }
      } finally {
        straight.destroy();
        first.destroy();
        resumed?.destroy();
      }
    });
  }

  it("conditional: torch's first layers with `classes` more inputs, the class count recorded", async () => {
    const { trainer, destroy } = await makeTrainer(gpu.ctx, labelled(DATA, 10), { ...CONFIG, classes: 10 });
    try {
      await trainer.train(1);
      const checkpoint = decodeCheckpoint(await encodeCheckpoint(trainer));
      expect(checkpoint.config.classes).toBe(10);
      expect(checkpoint.tensors.get('generator.0.weight')!.shape).toEqual([128, 110]);
      expect(checkpoint.tensors.get('discriminator.0.weight')!.shape).toEqual([256, 794]);
      expect(checkpoint.tensors.get('generator_ema.0.weight')!.shape).toEqual([128, 110]);
      expect(checkpoint.tensors.get('optimizer.discriminator.exp_avg.0.weight')!.shape).toEqual([256, 794]);
      await expectClassColumnsForPlainOneHot(trainer, checkpoint.tensors);
      // An unconditional trainer refuses it, naming the setting.
      const plain = await makeTrainer(gpu.ctx, DATA, CONFIG);
      try {
        expect(() => restoreCheckpoint(plain.trainer, checkpoint)).toThrow(/classes: checkpoint 10, trainer 0/);
      } finally {
        plain.destroy();
      }
    } finally {
      destroy();
    }
  });

  it("with spectral normalisation: each D layer's power-iteration vector, spectral_norm's names", async () => {
    const { trainer, destroy } = await makeTrainer(gpu.ctx, DATA, { ...CONFIG, spectralNorm: true });
    try {
      await trainer.train(2);
      const checkpoint = decodeCheckpoint(await encodeCheckpoint(trainer));
      const vectors = [...checkpoint.tensors].filter(([n]) => n.endsWith('_u'));
      expect(vectors.map(([n, t]) => [n, t.shape])).toEqual([
        ['discriminator.0.weight_u', [256]],
        ['discriminator.2.weight_u', [128]],
        ['discriminator.4.weight_u', [1]],
      ]);
      // Unit vectors after a step (u ← Wv / σ), and the head's is ±1.
      for (const [name, t] of vectors) expect(Math.hypot(...t.data), name).toBeCloseTo(1, 5);
      // Without them the file is refused, naming the tensor.
      const without = new Map(checkpoint.tensors);
      without.delete('discriminator.2.weight_u');
      // (Its checksum left out too: the file is then an old one, not a damaged one.)
      const { tensors_crc32: _, ...metadata } = decodeSafetensors(await encodeCheckpoint(trainer)).metadata;
      const bytes = encodeSafetensors(without, metadata);
      expect(() => decodeCheckpoint(bytes)).toThrow(/no tensor "discriminator.2.weight_u"/);
      // And a trainer without spectral normalisation does not take it.
      const plain = await makeTrainer(gpu.ctx, DATA, CONFIG);
      try {
        expect(() => restoreCheckpoint(plain.trainer, checkpoint)).toThrow(
          /spectralNorm: checkpoint true, trainer false/,
        );
      } finally {
        plain.destroy();
      }
    } finally {
      destroy();
    }
  });

  it('refuses a checkpoint of another shape, naming the difference', async () => {
    const small = await makeTrainer(gpu.ctx, DATA, { ...CONFIG, generatorHidden: [64, 256] });
    const normal = await makeTrainer(gpu.ctx, DATA, CONFIG);
    try {
      const checkpoint = decodeCheckpoint(await encodeCheckpoint(small.trainer));
      expect(() => restoreCheckpoint(normal.trainer, checkpoint)).toThrow(
        /generatorHidden: checkpoint \[64,256\], trainer \[128,256\]/,
      );
    } finally {
      small.destroy();
      normal.destroy();
    }
  });

  it("refuses a conditional checkpoint trained with another hot entry (its moments' units)", async () => {
    const data = labelled(DATA, 10);
    const plain = await makeTrainer(gpu.ctx, data, { ...CONFIG, classes: 10, oneHotValue: 1 });
    const scaled = await makeTrainer(gpu.ctx, data, { ...CONFIG, classes: 10 });
    try {
      const checkpoint = decodeCheckpoint(await encodeCheckpoint(plain.trainer));
      expect(() => restoreCheckpoint(scaled.trainer, checkpoint)).toThrow(/oneHotValue: checkpoint 1, trainer 16/);
    } finally {
      plain.destroy();
      scaled.destroy();
    }
  });

  it('refuses a safetensors file that is not a webgpu-gan checkpoint', () => {
    const foreign = encodeSafetensors(new Map([['w', { shape: [1], data: Float32Array.of(1) }]]), {});
    expect(() => decodeCheckpoint(foreign)).toThrow(/not a webgpu-gan checkpoint/);
  });
});

/**
 * Trained with a one-hot of hot entry h, a first layer's saved class columns are h times the
 * trained ones (the weights a plain one-hot needs for the same outputs), exactly; the image or
 * noise columns and Adam's moments are saved as they are.
 */
async function expectClassColumnsForPlainOneHot(trainer: GanTrainer, tensors: TensorMap): Promise<void> {
  const h = trainer.config.oneHotValue;
  expect(h, 'a hot entry other than 1, or the test shows nothing').toBeGreaterThan(1);
  for (const [prefix, mlp, buffer] of [
    ['generator', trainer.generator, trainer.generator.weights],
    ['generator_ema', trainer.generator, trainer.generator.ema!],
    ['discriminator', trainer.discriminator, trainer.discriminator.weights],
    ['optimizer.generator.exp_avg', trainer.generator, trainer.generator.moment1],
  ] as const) {
    const flat = await trainer.ctx.readF32(buffer);
    const layer = (mlp as NetworkParameters).layout.layers[0]!;
    const [outputs, inputs] = layer.weight!.shape as [number, number];
    const classes = layer.classWeight!.shape[1]!;
    const saved = tensors.get(`${prefix}.0.weight`)!.data;
    const factor = prefix.startsWith('optimizer.') ? 1 : h;
    for (const o of [0, outputs - 1]) {
      const row = saved.subarray(o * (inputs + classes), (o + 1) * (inputs + classes));
      const trainedClasses = flat.subarray(
        layer.classWeight!.offset + o * classes,
        layer.classWeight!.offset + (o + 1) * classes,
      );
      expect(Array.from(row.subarray(inputs)), prefix).toEqual(Array.from(trainedClasses, (w) => w * factor));
      expect(Array.from(row.subarray(0, inputs)), prefix).toEqual(
        Array.from(flat.subarray(layer.weight!.offset + o * inputs, layer.weight!.offset + (o + 1) * inputs)),
      );
    }
  }
}

describe('checkpoint files', () => {
  it('with F16 tensors (a model stored at half the size) read widened, from a file as from bytes', async () => {
    const { trainer, destroy } = await makeTrainer(gpu.ctx, DATA, CONFIG);
    await trainer.train(2);
    const { tensors, integers, metadata } = decodeSafetensors(await encodeCheckpoint(trainer));
    destroy();
    // The checksum covers the data section as stored: the F16 bytes.
    const unsummed = encodeSafetensors(tensors, { ...metadata, tensors_crc32: '' }, integers, { float16: true });
    const headerBytes = Number(new DataView(unsummed.buffer).getBigUint64(0, true));
    const crc = crc32Hex([unsummed.subarray(8 + headerBytes)]);
    const half = encodeSafetensors(tensors, { ...metadata, tensors_crc32: crc }, integers, { float16: true });
    const path = join(tempDir('gan-ckpt-'), 'half.safetensors');
    writeFileSync(path, half);
    for (const checkpoint of [readCheckpointFile(path), decodeCheckpoint(half)]) {
      expect([...checkpoint.tensors.keys()]).toEqual([...tensors.keys()]);
      for (const [name, t] of tensors) {
        const widened = Array.from(t.data, (v) => float16Value(float16Bits(v)));
        expect(Array.from(checkpoint.tensors.get(name)!.data), name).toEqual(widened);
      }
    }
  });

  it('are replaced atomically and leave no temporary file', () => {
    const dir = tempDir('gan-ckpt-');
    const path = join(dir, 'checkpoint.safetensors');
    writeFileAtomic(path, Uint8Array.of(1, 2, 3));
    writeFileAtomic(path, Uint8Array.of(4, 5));
    expect([...readFileSync(path)]).toEqual([4, 5]);
    expect(readdirSync(dir)).toEqual(['checkpoint.safetensors']);
  });

  it('a failed write leaves the previous file in place', () => {
    const dir = tempDir('gan-ckpt-');
    const path = join(dir, 'checkpoint.safetensors');
    writeFileAtomic(path, Uint8Array.of(7));
    // A Uint8Array whose bytes cannot be read fails mid-write, after the temporary file exists.
    const poisoned = new Proxy(new Uint8Array(4), { get: (t, p) => (p === 'length' ? 1 << 20 : Reflect.get(t, p)) });
    expect(() => writeFileAtomic(path, poisoned)).toThrow();
    expect([...readFileSync(path)]).toEqual([7]);
    expect(readdirSync(dir)).toEqual(['checkpoint.safetensors']);
  });

  it('a missing or truncated file gives an error naming the path and leaves it untouched', () => {
    const dir = tempDir('gan-ckpt-');
    const path = join(dir, 'checkpoint.safetensors');
    expect(() => readCheckpointFile(path)).toThrow(`no checkpoint at ${path}`);
    writeFileSync(path, Uint8Array.of(9, 9, 9));
    expect(() => readCheckpointFile(path)).toThrow(CheckpointFormatError);
    expect(() => readCheckpointFile(path)).toThrow(path);
    expect([...readFileSync(path)]).toEqual([9, 9, 9]);
  });
});
