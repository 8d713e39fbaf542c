// Training the restorer (restorerModel.ts) on synthetic degradations of a dataset, all on the GPU:
// each step gathers a shuffled batch of clean pictures, degrades it with the chain's own kernels
// (new noise each step, from the step counter), runs the restorer forward, scores the restored
// batch against the clean one (l1 or l2), and takes one Adam step from the gradient. A step is
// one command buffer with no upload and no readback; the loss is summed on the GPU and read only
// when `train` returns.
import { requireContext, requireInstance, requireObject } from '../base/arguments.js';
import {
  ArgumentError,
  DestroyedError,
  requireFinite,
  requirePositiveInteger,
  TrainingDivergedError,
} from '../base/errors.js';
import type { GpuContext } from '../gpu/context.js';
import { Workspace } from '../gpu/workspace.js';
import { GpuDataset } from '../data/dataset.js';
import { createAdam, ADAM_DEFAULTS } from '../kernels/adam.js';
import { createStepCounter, type StepCounter } from '../kernels/counter.js';
import { createBatchGather, maxStepsForBatch } from '../kernels/gather.js';
import type { Kernel } from '../kernels/kernel.js';
import {
  createReconstructionLoss,
  RECONSTRUCTION_LOSSES,
  type ReconstructionLoss,
} from '../kernels/reconstructionLoss.js';
import { buildPlan, forwardPlan, NetworkParameters } from '../nn/network.js';
import { backwardPlan, gateOf } from '../nn/networkBackward.js';
import { initialiseNetwork } from '../nn/networkInit.js';
import { buildDegradationChain } from './operator.js';
import { buildAdversarialHalf, pairCriticSpec } from './pairCritic.js';
import { degradedSide, restorerNetworkSpec, restorerShapeProblem, type RestorerShape } from './restorerModel.js';
import { formatDegradation, type Degradation } from './spec.js';

export interface RestorerSettings {
  /** What the restorer learns to undo (parseDegradation). */
  degradation: Degradation[];
  /** Pictures per step. Default 64. */
  batch?: number;
  /** Seeds the initial weights and the batches' order. Default 1. */
  seed?: number;
  /** Adam's step size. Default 1e-3. */
  learningRate?: number;
  /** The reconstruction loss. Default l1 (pix2pix's; it keeps edges sharper than l2). */
  loss?: ReconstructionLoss;
  /**
   * The weight of an l1 on the pictures' gradients beside the reconstruction loss: each step
   * between neighbouring pixels, across and down, restored against clean (createReconstructionLoss's
   * `edges`). A restorer that smooths an edge pays for it twice. Default 0: none.
   */
  edgeWeight?: number;
  /**
   * The residual network rather than the encoder–decoder: full-resolution convolutions whose output
   * is a correction added to the degraded picture (restorerModel.ts); not with downscaling. The
   * correction is a tanh, under 1 a pixel: it suits noise and blur, not a pixel that must cross
   * most of the range (salt and pepper, dark, the mask's filled band). Its output is clamped to
   * [−1, 1] when it restores. Default false.
   */
  residual?: boolean;
  /**
   * The weight of pix2pix's adversarial term beside the reconstruction loss: a critic of
   * (degraded, restored) pairs trains alongside (pairCritic.ts). pix2pix's λ = 100 on its l1 is
   * 0.01 here. Default 0: the reconstruction loss alone.
   */
  adversarial?: number;
}

/** A critic's means over a train() call (pairCritic.ts). */
export interface CriticProgress {
  /** Its BCE over fake and real pairs. */
  loss: number;
  /** Mean σ(D) of (degraded, restored) pairs and of (degraded, clean) pairs: how real it finds each. */
  restoredReal: number;
  cleanReal: number;
  /** The restorer's non-saturating loss −log σ(D(degraded, restored)), before its weight. */
  adversarialLoss: number;
}

/**
 * The sums a train() call reads: the reconstruction loss at 0; with a critic, its loss and mean σ on
 * restored and clean pairs from CRITIC_SLOT, the restorer's adversarial loss from CRITIC_SLOT + SLOT.
 * Each slot is a storage binding of its own, so slots sit 256 bytes (64 floats) apart.
 */
const SLOT = 64;
const CRITIC_SLOT = SLOT;
const STATS_FLOATS = 3 * SLOT;

export type ResolvedRestorerSettings = Required<RestorerSettings> & Required<RestorerShape>;

export function resolveRestorerSettings(
  settings: RestorerSettings,
  pictures: { channels: 1 | 3; side: number },
): ResolvedRestorerSettings {
  requireObject('settings', settings, 'an object of restorer settings (degradation, batch, seed, ...)');
  requireObject('pictures', pictures, "the clean pictures' { channels, side }");
  if (pictures.channels !== 1 && pictures.channels !== 3)
    throw new ArgumentError('channels', `must be 1 (grey) or 3 (RGB), got ${String(pictures.channels)}`);
  if (!Array.isArray(settings.degradation) || settings.degradation.length === 0)
    throw new ArgumentError('degradation', 'must be a chain of degradations from parseDegradation, e.g. "blur"');
  const loss = settings.loss ?? 'l1';
  if (!RECONSTRUCTION_LOSSES.includes(loss))
    throw new ArgumentError('loss', `must be one of ${RECONSTRUCTION_LOSSES.join(', ')}, got ${String(loss)}`);
  const residual = settings.residual ?? false;
  const shape = { channels: pictures.channels, side: pictures.side, inputSide: 0, residual };
  shape.inputSide = degradedSide(pictures.side, settings.degradation);
  const problem = restorerShapeProblem(shape);
  if (problem) throw new ArgumentError(problem.argument, problem.message);
  return {
    degradation: settings.degradation,
    batch: requirePositiveInteger('batch', settings.batch ?? 64),
    seed: requireSeed(settings.seed ?? 1),
    learningRate: requireFinite('learningRate', settings.learningRate ?? ADAM_DEFAULTS.lr, {
      min: 0,
      minExclusive: true,
    }),
    loss,
    edgeWeight: requireFinite('edgeWeight', settings.edgeWeight ?? 0, { min: 0 }),
    adversarial: requireFinite('adversarial', settings.adversarial ?? 0, { min: 0 }),
    ...shape,
  };
}

function requireSeed(seed: number): number {
  if (!Number.isSafeInteger(seed) || seed < 0) throw new ArgumentError('seed', `must be an integer ≥ 0, got ${seed}`);
  return seed;
}

export class RestorerTrainer {
  private stepsDone: number;
  private destroyed = false;

  private constructor(
    private readonly ctx: GpuContext,
    readonly settings: ResolvedRestorerSettings,
    readonly network: NetworkParameters,
    private readonly counter: StepCounter,
    private readonly ws: Workspace,
    private readonly kernels: Kernel[],
    /** 7 floats summed over the steps of a train() call: the reconstruction loss, then the adversarial stats. */
    private readonly lossSum: GPUBuffer,
    /** pix2pix's critic of pairs, with an adversarial weight; else null. */
    readonly critic: NetworkParameters | null,
  ) {
    this.stepsDone = 0;
  }

  /**
   * A restorer for `dataset`'s pictures (count × C·side·side, as a GAN trains on), its weights
   * drawn from the seed.
   */
  static async create(
    ctx: GpuContext,
    dataset: GpuDataset,
    pictures: { channels: 1 | 3; side: number },
    settings: RestorerSettings,
  ): Promise<RestorerTrainer> {
    requireContext(ctx);
    requireInstance('dataset', dataset, GpuDataset, 'a GpuDataset of the clean pictures');
    const s = resolveRestorerSettings(settings, pictures);
    if (dataset.dim !== s.channels * s.side * s.side)
      throw new ArgumentError(
        'dataset',
        `holds ${dataset.dim} values a picture, not ${s.channels}×${s.side}×${s.side}`,
      );
    const network = new NetworkParameters(ctx, restorerNetworkSpec(s), 'restorer');
    let counter: StepCounter | null = null;
    let critic: NetworkParameters | null = null;
    try {
      await initialiseNetwork(ctx, network, { seed: s.seed, network: 'generator', scheme: 'pytorch-default' });
      if (s.adversarial > 0) {
        critic = new NetworkParameters(ctx, pairCriticSpec(s), 'pair critic');
        await initialiseNetwork(ctx, critic, { seed: s.seed, network: 'discriminator', scheme: 'pytorch-default' });
      }
      counter = await createStepCounter(ctx);
      const built = await buildStep(ctx, dataset, network, critic, counter, s);
      return new RestorerTrainer(ctx, s, network, counter, built.ws, built.kernels, built.lossSum, critic);
    } catch (error) {
      counter?.destroy();
      critic?.destroy();
      network.destroy();
      throw error;
    }
  }

  get step(): number {
    return this.stepsDone;
  }

  /**
   * Trains `steps` more steps; the mean reconstruction loss over them, and with a critic its
   * means too: its loss, how real it finds the restored and the clean pairs (mean σ), and the
   * restorer's adversarial loss.
   */
  async train(steps: number): Promise<{ loss: number; critic?: CriticProgress }> {
    if (this.destroyed) throw new DestroyedError('RestorerTrainer', 'train');
    requirePositiveInteger('steps', steps);
    if (this.stepsDone + steps > maxStepsForBatch(this.settings.batch))
      throw new ArgumentError('steps', `a restorer trains at most ${maxStepsForBatch(this.settings.batch)} steps`);
    this.ctx.device.queue.writeBuffer(this.lossSum, 0, new Float32Array(STATS_FLOATS));
    for (let i = 0; i < steps; i++) {
      const encoder = this.ctx.device.createCommandEncoder({ label: 'restorer step' });
      const pass = encoder.beginComputePass({ label: 'restorer step' });
      for (const kernel of this.kernels) kernel.record(pass);
      pass.end();
      this.ctx.submit([encoder.finish()]);
    }
    this.stepsDone += steps;
    const sums = await this.ctx.readF32(this.lossSum);
    const mean = (i: number) => sums[i]! / steps;
    const loss = mean(0);
    const [criticLoss, fakeReal, cleanReal] = [0, 1, 2].map((i) => mean(CRITIC_SLOT + i)) as [number, number, number];
    const adversarialLoss = mean(CRITIC_SLOT + SLOT);
    if (!Number.isFinite(loss)) throw new TrainingDivergedError(this.stepsDone, `the reconstruction loss is ${loss}`);
    if (!this.critic) return { loss };
    if (!Number.isFinite(criticLoss) || !Number.isFinite(adversarialLoss))
      throw new TrainingDivergedError(
        this.stepsDone,
        `the critic's loss is ${criticLoss}, the restorer's ${adversarialLoss}`,
      );
    return { loss, critic: { loss: criticLoss, restoredReal: fakeReal, cleanReal, adversarialLoss } };
  }

  /** A name for what it undoes, as parseDegradation reads it. */
  get degradation(): string {
    return formatDegradation(this.settings.degradation);
  }

  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.ws.destroy();
    this.counter.destroy();
    this.critic?.destroy();
    this.network.destroy();
  }
}

/** The step's kernels in the order they are recorded, all owned by the workspace it returns. */
async function buildStep(
  ctx: GpuContext,
  dataset: GpuDataset,
  network: NetworkParameters,
  critic: NetworkParameters | null,
  counter: StepCounter,
  s: ResolvedRestorerSettings,
): Promise<{ ws: Workspace; kernels: Kernel[]; lossSum: GPUBuffer }> {
  return Workspace.build(ctx, 'restorer step', async (ws) => {
    const B = s.batch;
    const kernels: Kernel[] = [];
    const add = (...made: Kernel[]) => kernels.push(...made.map((k) => ws.own(k)));
    const clean = ws.rows('clean batch', B, dataset.dim);
    const outputs = network.blocks.map((block, b) => ws.rows(`block ${b} output`, B, block.width));
    const grads = network.blocks.map((block, b) => ws.rows(`block ${b} grad`, B, block.width));
    const lossSum = ws.storage('loss sums', STATS_FLOATS);
    const geometry = { rows: B, channels: s.channels, height: s.side, width: s.side };
    const noiseStep = { buffer: counter.buffer, word: 1 as const };
    const chain = ws.own(
      await buildDegradationChain(ctx, s.degradation, { geometry, purpose: 'degrade', input: clean, noiseStep }),
    );
    add(
      await createBatchGather(ctx, {
        dataset: dataset.buffer,
        packedU8: dataset.packedU8,
        count: dataset.count,
        dim: dataset.dim,
        rows: B,
        output: clean,
        seed: s.seed,
        stepCount: counter.buffer,
        advanceStep: true,
        label: 'restorer: clean batch',
      }),
    );
    kernels.push(...chain.forward); // the chain owns these
    const stats = network.blocks.map((block, b) =>
      block.statsFloats ? ws.storage(`block ${b} batch statistics`, block.statsFloats) : null,
    );
    const pass = { rows: B, input: chain.output, outputs, stats };
    add(...(await buildPlan(ctx, forwardPlan(network, { ...pass, mode: 'train' }))));
    // The losses' gradient goes in before the output's tanh, or straight in past an add-input.
    const gated = gateOf(network.blocks.at(-1)!, network.spec.leakySlope);
    const gate = gated && { gate: gated.kind, leakySlope: gated.leakySlope };
    add(
      await createReconstructionLoss(ctx, {
        n: B * dataset.dim,
        loss: s.loss,
        restored: outputs.at(-1)!,
        target: clean,
        grad: grads.at(-1)!,
        ...gate,
        ...(s.edgeWeight > 0 && { edges: { weight: s.edgeWeight, width: s.side, height: s.side } }),
        stats: lossSum,
        accumulate: true,
      }),
    );
    if (critic)
      kernels.push(
        ...(await buildAdversarialHalf(ctx, ws, {
          critic,
          shape: s,
          batch: B,
          weight: s.adversarial,
          learningRate: s.learningRate,
          degraded: chain.output,
          clean,
          restored: outputs.at(-1)!,
          restorerGrad: grads.at(-1)!,
          ...gate,
          stepCount: counter.buffer,
          stats: { buffer: lossSum, offset: 4 * CRITIC_SLOT, apart: 4 * SLOT },
        })),
      );
    add(...(await buildPlan(ctx, backwardPlan(network, { ...pass, grads }))));
    add(
      await createAdam(ctx, {
        n: network.layout.parameterFloats,
        weights: network.weights,
        grads: network.grads,
        moment1: network.moment1,
        moment2: network.moment2,
        stepCount: counter.buffer,
        stepWord: 1,
        commitStep: true,
        lr: s.learningRate,
        label: 'restorer: Adam',
      }),
    );
    return { ws, kernels, lossSum };
  });
}
