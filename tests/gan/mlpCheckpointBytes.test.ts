// The MLP trained on its own planner (src/gan/step.ts) until it moved to the layer-list step
// (networkStep.ts), which records the same kernels in the same order: the same fixed-seed run gave
// the same checkpoint bytes on either, plain and one-hot conditional, which tests compared while
// both planners existed (commit 82e2557). The old planner is gone; these digests of its runs' tensors,
// recorded there on Dawn over lavapipe (CI's adapter), keep the promise that an MLP checkpoint
// trains and resumes as it always did. Another adapter rounds differently (its own fused
// multiply-adds, its own reductions' order), so elsewhere the digests are skipped, saying why.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { decodeCheckpoint, encodeCheckpoint, restoreCheckpoint } from '../../src/gan/checkpoint.js';
import type { GanConfig } from '../../src/gan/config.js';
import { exportTensors } from '../../src/gan/state.js';
import type { TensorMap } from '../../src/io/safetensors.js';
import { NetworkParameters } from '../../src/nn/network.js';
import { useGpu } from '../support/gpu.js';
import { byteImages, labelled, makeTrainer } from './helpers.js';

const gpu = useGpu();

const DATA = byteImages(23, 20);

interface Recorded {
  name: string;
  config: Partial<GanConfig>;
  /** The SHA-256 of every tensor after 4 steps (tensorDigest), as the MLP's own planner trained them. */
  digest: string;
}

const RECORDED: Recorded[] = [
  {
    name: 'hinge loss, spectral norm, moving average with warm-up',
    config: {
      ...{ batch: 6, seed: 11, noiseDim: 5, loss: 'hinge', spectralNorm: true, emaDecay: 0.9, emaWarmup: 2 },
      ...{ generatorHidden: [9, 13], discriminatorHidden: [11, 5] },
    },
    digest: 'fce38b327490c6de0137881f0164414ed24f853796b4ba47ebf788fb0d9c2674',
  },
  {
    name: 'BCE with label smoothing, no spectral norm, one hidden layer, sigmoid output',
    config: {
      ...{ batch: 6, seed: 11, noiseDim: 5, loss: 'bce', spectralNorm: false, realLabel: 0.9 },
      ...{ generatorHidden: [17], discriminatorHidden: [7], generatorOutput: 'sigmoid' },
    },
    digest: 'c758baf036361aa086ec3eb33cee9a0180af969d77a60c00621a1f93e571a139',
  },
  {
    name: 'least squares, separate rates, batch 1, the default widths',
    config: {
      ...{ batch: 1, seed: 11, noiseDim: 5, loss: 'least-squares', spectralNorm: false },
      ...{ discriminatorLr: 3e-3, generatorLr: 5e-4 },
    },
    digest: 'c5a185cba1e7ecfcb4092d4b7d5739ab3a9753d99a7da766ff83536ef4906a62',
  },
  {
    name: 'one-hot conditional over 3 classes, hot entry 16, hinge loss, spectral norm',
    config: {
      ...{ batch: 6, seed: 7, noiseDim: 5, conditioning: 'one-hot', classes: 3, oneHotValue: 16 },
      ...{ loss: 'hinge', spectralNorm: true, emaDecay: 0.9, emaWarmup: 2 },
      ...{ generatorHidden: [9, 13], discriminatorHidden: [11, 5] },
    },
    digest: '268624900c3df722a6966d47467232fd13dde7da3430530bf0c254ee03ecb870',
  },
  {
    name: 'one-hot conditional over 2 classes, a plain one-hot (hot entry 1), BCE, batch 1',
    config: {
      ...{ batch: 1, seed: 7, noiseDim: 5, conditioning: 'one-hot', classes: 2, oneHotValue: 1 },
      ...{ loss: 'bce', spectralNorm: false, generatorHidden: [7] },
    },
    digest: 'dca50561942679a0a86ff3ece7b19af20c2fcfc311a0b9369cce93706489abf1',
  },
];

/** SHA-256 over every tensor in name order: its name, shape and float32 bytes. */
function tensorDigest(tensors: TensorMap): string {
  const hash = createHash('sha256');
  for (const name of [...tensors.keys()].sort()) {
    const t = tensors.get(name)!;
    hash.update(`${name}[${t.shape}]`);
    hash.update(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength));
  }
  return hash.digest('hex');
}

const dataFor = (config: Partial<GanConfig>) => (config.classes ? labelled(DATA, config.classes) : DATA);

/** Whether this adapter is the one the digests were recorded on. */
const recordedAdapter = () => {
  const info = gpu.ctx.device.adapterInfo;
  return /llvmpipe/i.test([info?.vendor, info?.architecture, info?.device, info?.description].join(' '));
};

describe("the MLP's checkpoints are the bytes its own planner wrote", () => {
  for (const { name, config, digest } of RECORDED) {
    it(`4 steps from a fixed seed: ${name}`, async (test) => {
      if (!recordedAdapter()) test.skip('the digests were recorded on lavapipe; this adapter rounds its own way');
      const { trainer, destroy } = await makeTrainer(gpu.ctx, dataFor(config), config);
      try {
        expect(trainer.generator).toBeInstanceOf(NetworkParameters);
        const first = tensorDigest(await exportTensors(trainer));
        await trainer.train(4);
        expect(tensorDigest(await exportTensors(trainer))).toBe(digest);
        expect(first, 'a run that stood still').not.toBe(digest);
      } finally {
        destroy();
      }
    });

    it(`3 steps, a checkpoint, a new trainer and 1 more step: ${name}`, async (test) => {
      if (!recordedAdapter()) test.skip('the digests were recorded on lavapipe; this adapter rounds its own way');
      const data = dataFor(config);
      const before = await makeTrainer(gpu.ctx, data, config);
      let bytes: Uint8Array;
      try {
        await before.trainer.train(3);
        bytes = await encodeCheckpoint(before.trainer);
      } finally {
        before.destroy();
      }
      const checkpoint = decodeCheckpoint(bytes);
      const after = await makeTrainer(gpu.ctx, data, checkpoint.config);
      try {
        restoreCheckpoint(after.trainer, checkpoint);
        await after.trainer.train(1);
        expect(tensorDigest(await exportTensors(after.trainer))).toBe(digest);
      } finally {
        after.destroy();
      }
    });
  }
});
