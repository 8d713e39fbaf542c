// The plain MLP moved from its own planner (step.ts) to the layer-list step (networkStep.ts): the
// same fixed-seed run gives the same checkpoint bytes on either, under several recipes and at
// awkward sizes, and a checkpoint the MLP's planner wrote resumes on the layer lists as if it had
// never left. `usesLayerLists` is switched for the whole module graph (the trainer, the state's
// export and import), so "before" is the library as it was, not a copy of it.
import { describe, expect, it, vi } from 'vitest';
import { decodeCheckpoint, encodeCheckpoint } from '../../src/gan/checkpoint.js';
import type { GanConfig } from '../../src/gan/config.js';
import { exportTensors } from '../../src/gan/state.js';
import { MlpParameters } from '../../src/nn/mlp.js';
import { NetworkParameters } from '../../src/nn/network.js';
import { useGpu } from '../support/gpu.js';
import { byteImages, expectResumedStep, labelled, makeTrainer } from './helpers.js';

const planner = vi.hoisted(() => ({ mlpOwn: false }));

vi.mock('../../src/gan/networks.js', async (original) => {
  const actual = await original<typeof import('../../src/gan/networks.js')>();
  return {
    ...actual,
    usesLayerLists: (config: Parameters<typeof actual.usesLayerLists>[0]) =>
      planner.mlpOwn && actual.hasMlpLayout(config) ? false : actual.usesLayerLists(config),
  };
});

const gpu = useGpu();

const DATA = byteImages(23, 20);

const RECIPES: Array<[string, Partial<GanConfig>]> = [
  [
    'hinge loss, spectral norm, moving average with warm-up',
    {
      loss: 'hinge',
      spectralNorm: true,
      emaDecay: 0.9,
      emaWarmup: 2,
      generatorHidden: [9, 13],
      discriminatorHidden: [11, 5],
    },
  ],
  [
    'BCE with label smoothing, no spectral norm, one hidden layer, sigmoid output',
    {
      loss: 'bce',
      spectralNorm: false,
      realLabel: 0.9,
      generatorHidden: [17],
      discriminatorHidden: [7],
      generatorOutput: 'sigmoid',
    },
  ],
  [
    'least squares, separate rates, batch 1',
    { loss: 'least-squares', spectralNorm: false, batch: 1, discriminatorLr: 3e-3, generatorLr: 5e-4 },
  ],
];

/** A fixed-seed run of `steps` steps on the chosen planner: its checkpoint's bytes. */
async function checkpointBytes(
  config: Partial<GanConfig>,
  mlpOwn: boolean,
  steps: number,
  data = DATA,
): Promise<Uint8Array> {
  planner.mlpOwn = mlpOwn;
  const { trainer, destroy } = await makeTrainer(gpu.ctx, data, config);
  try {
    expect(trainer.generator).toBeInstanceOf(mlpOwn ? MlpParameters : NetworkParameters);
    await trainer.train(steps);
    return await encodeCheckpoint(trainer);
  } finally {
    destroy();
  }
}

describe('the plain MLP on the layer-list step', () => {
  for (const [name, recipe] of RECIPES)
    it(`trains to the same checkpoint bytes as the MLP's own planner: ${name}`, async () => {
      const config = { batch: 6, seed: 11, noiseDim: 5, ...recipe };
      const before = await checkpointBytes(config, true, 4);
      const after = await checkpointBytes(config, false, 4);
      expect(after.length).toBe(before.length);
      expect(Buffer.from(after).equals(Buffer.from(before))).toBe(true);
      // Not a run that stood still: the weights moved from their first values.
      const first = decodeCheckpoint(await checkpointBytes(config, false, 0)).tensors.get('generator.0.weight')!;
      expect(decodeCheckpoint(after).tensors.get('generator.0.weight')!.data).not.toEqual(first.data);
    });

  it("resumes a checkpoint the MLP's own planner wrote as that planner would have gone on", async () => {
    const config = { batch: 5, seed: 3, noiseDim: 4, generatorHidden: [8], discriminatorHidden: [6] };
    planner.mlpOwn = true;
    const { trainer, destroy } = await makeTrainer(gpu.ctx, DATA, config);
    try {
      await trainer.train(3);
      const checkpoint = decodeCheckpoint(await encodeCheckpoint(trainer));
      await trainer.train(1);
      const straight = await exportTensors(trainer);
      planner.mlpOwn = false;
      await expectResumedStep(checkpoint, straight, async () => {
        const made = await makeTrainer(gpu.ctx, DATA, checkpoint.config);
        expect(made.trainer.generator).toBeInstanceOf(NetworkParameters);
        return made;
      });
    } finally {
      destroy();
    }
  });
});

const CONDITIONAL: Array<[string, Partial<GanConfig>]> = [
  [
    'hot entry 16, hinge loss, spectral norm, moving average with warm-up',
    {
      classes: 3,
      oneHotValue: 16,
      loss: 'hinge',
      spectralNorm: true,
      emaDecay: 0.9,
      emaWarmup: 2,
      generatorHidden: [9, 13],
      discriminatorHidden: [11, 5],
    },
  ],
  [
    'a plain one-hot (hot entry 1), BCE, no spectral norm, one hidden layer, batch 1',
    { classes: 2, oneHotValue: 1, loss: 'bce', spectralNorm: false, batch: 1, generatorHidden: [7] },
  ],
];

describe('the one-hot conditional MLP on the layer-list step', () => {
  for (const [name, recipe] of CONDITIONAL)
    it(`trains to the same checkpoint bytes as the MLP's own planner: ${name}`, async () => {
      const config = { batch: 6, seed: 7, noiseDim: 5, conditioning: 'one-hot' as const, ...recipe };
      const data = labelled(DATA, recipe.classes!);
      const before = await checkpointBytes(config, true, 4, data);
      const after = await checkpointBytes(config, false, 4, data);
      expect(after.length).toBe(before.length);
      expect(Buffer.from(after).equals(Buffer.from(before))).toBe(true);
      // The class columns trained too: they moved from their first values.
      const columns = (bytes: Uint8Array) => {
        const weight = decodeCheckpoint(bytes).tensors.get('generator.0.weight')!;
        const width = weight.shape[1]!;
        return weight.data.filter((_, i) => i % width >= width - recipe.classes!);
      };
      expect(columns(after)).not.toEqual(columns(await checkpointBytes(config, false, 0, data)));
    });

  it("resumes a checkpoint the MLP's own planner wrote as that planner would have gone on", async () => {
    const config = { batch: 5, seed: 3, noiseDim: 4, classes: 3, generatorHidden: [8], discriminatorHidden: [6] };
    const data = labelled(DATA, 3);
    planner.mlpOwn = true;
    const { trainer, destroy } = await makeTrainer(gpu.ctx, data, config);
    try {
      await trainer.train(3);
      const checkpoint = decodeCheckpoint(await encodeCheckpoint(trainer));
      await trainer.train(1);
      const straight = await exportTensors(trainer);
      planner.mlpOwn = false;
      await expectResumedStep(checkpoint, straight, async () => {
        const made = await makeTrainer(gpu.ctx, data, checkpoint.config);
        expect(made.trainer.generator).toBeInstanceOf(NetworkParameters);
        return made;
      });
    } finally {
      destroy();
    }
  });
});
