// pix2pix's adversarial half for a restorer: a discriminator that judges (degraded, picture) pairs,
// real when the picture is the clean one and fake when it is the restorer's. Its input stacks the
// degraded picture (blown up to the clean side) over the picture (kernels/restorePair.ts); it is a
// small DCGAN-like network as a layer list, ending in one logit that sees the whole pair (pix2pix
// judges patches; one logit keeps the fused logit head of the GAN's step). Within a restorer's
// step, after its reconstruction loss wrote the gradient at its last layer:
//   pack [fake pairs; real pairs] · D forward on both halves (each batch-normed by its own
//   statistics, as the GAN's step) · BCE, fake 0 and real 1 · D backward · Adam(D) ·
//   D forward on the fake pairs · BCE towards 1 (the non-saturating loss) · D backward to the
//   pair · weight × the restored half's gradient, through tanh, added to the restorer's gradient.
// The restorer's Adam then steps on the sum; the critic is needed for training only and is not saved.
import type { GpuContext } from '../gpu/context.js';
import type { Workspace } from '../gpu/workspace.js';
import { createAdam } from '../kernels/adam.js';
import type { Activation, Kernel, TensorRef } from '../kernels/kernel.js';
import { createLogitHead } from '../kernels/logitHead.js';
import { createPairGradient, createPairPack } from '../kernels/restorePair.js';
import { viewRef } from '../nn/mlp.js';
import type { Layer } from '../nn/model.js';
import { buildPlan, forwardPlan, type NetworkParameters, type NetworkSpec } from '../nn/network.js';
import { backwardPlan, gateOf } from '../nn/networkBackward.js';
import type { RestorerShape } from './restorerModel.js';

const LEAKY_SLOPE = 0.2;
/** Adam's β1 for the critic: 0.5, as pix2pix and DCGAN train their discriminators. */
const CRITIC_BETA1 = 0.5;

export function pairCriticSpec(shape: RestorerShape): NetworkSpec {
  const { channels, side } = shape;
  const layers: Layer[] = [
    { kind: 'conv2d', out: 32, kernel: 4, stride: 2, padding: 1 },
    { kind: 'activation', fn: 'leaky-relu' },
    { kind: 'conv2d', out: 64, kernel: 4, stride: 2, padding: 1, bias: false },
    { kind: 'batch-norm' },
    { kind: 'activation', fn: 'leaky-relu' },
    // One logit from the whole side/4 × side/4 map.
    { kind: 'conv2d', out: 1, kernel: side / 4, stride: 1, padding: 0, bias: false },
  ];
  return { input: [2 * channels, side, side], layers, leakySlope: LEAKY_SLOPE };
}

export interface AdversarialParts {
  critic: NetworkParameters;
  shape: RestorerShape;
  batch: number;
  /** The adversarial term's weight beside the reconstruction loss. */
  weight: number;
  learningRate: number;
  /** B × C·inputSide²: the degraded batch. */
  degraded: TensorRef;
  /** B × C·side²: the clean batch and the restorer's output. */
  clean: TensorRef;
  restored: TensorRef;
  /** B × C·side²: the restorer's gradient at its last pre-activation (tanh), added to. */
  restorerGrad: TensorRef;
  /** The restorer's output activation and its slope; absent past an add-input layer (a residual restorer). */
  gate?: Exclude<Activation, 'none'>;
  leakySlope?: number;
  /** The step counter, advanced by the step's first kernel and committed by its last. */
  stepCount: GPUBuffer;
  /**
   * Two slots of 3 floats, `apart` bytes apart, added to each step: the critic's loss and mean σ on
   * restored and clean pairs; the restorer's adversarial loss and mean σ on restored pairs.
   */
  stats: { buffer: GPUBuffer; offset: number; apart: number };
}

/** The adversarial half's kernels, in recording order, owned by `ws`. */
export async function buildAdversarialHalf(ctx: GpuContext, ws: Workspace, parts: AdversarialParts): Promise<Kernel[]> {
  const { critic: D, shape, batch: B } = parts;
  const head = D.blocks.at(-1)!;
  const hidden = D.blocks.length - 1;
  const pairWidth = 2 * shape.channels * shape.side ** 2;
  const pairs = ws.rows('critic pairs [fake; real]', 2 * B, pairWidth);
  const pairGrads = ws.rows('critic pair gradient', B, pairWidth);
  const dHidden = D.blocks.slice(0, hidden);
  const outputs = dHidden.map((b, i) => ws.rows(`critic block ${i} output`, 2 * B, b.width));
  const grads = dHidden.map((b, i) => ws.rows(`critic block ${i} grad`, 2 * B, b.width));
  const statsOf = (half: string) =>
    dHidden.map((b, i) => (b.statsFloats ? ws.storage(`critic batch stats ${half} ${i}`, b.statsFloats) : null));
  const [realStats, fakeStats] = [statsOf('real'), statsOf('fake')];
  const rowsOf = (ref: GPUBuffer, rows: number, width: number): TensorRef => ({
    buffer: ref,
    offset: 0,
    size: rows * width * 4,
  });
  const fakePairs = rowsOf(pairs, B, pairWidth);
  const realPairs = { buffer: pairs, offset: B * pairWidth * 4, size: B * pairWidth * 4 };
  const pairShape = { rows: B, channels: shape.channels, side: shape.side, inputSide: shape.inputSide };
  const width = head.layer.inShape.reduce((a, b) => a * b, 1);
  const headWeight = viewRef(D.weights, head.layer.weight!);
  // The block before the head folds its activation into the head's input gradient (none for a batch norm).
  const before = gateOf(dHidden.at(-1)!, LEAKY_SLOPE);
  const gate = { gate: before?.kind, leakySlope: before?.leakySlope };
  const statsSlot = (slot: number) => ({
    buffer: parts.stats.buffer,
    offset: parts.stats.offset + slot * parts.stats.apart,
    size: 12,
  });

  // Each kernel is the workspace's as soon as it is made, so a failure further on leaks none.
  const kernels: Kernel[] = [];
  const add = (...made: Kernel[]) => kernels.push(...made.map((k) => ws.own(k)));
  add(
    await createPairPack(ctx, { ...pairShape, degraded: parts.degraded, picture: parts.restored, pair: fakePairs }),
    await createPairPack(ctx, { ...pairShape, degraded: parts.degraded, picture: parts.clean, pair: realPairs }),
  );
  // The critic's update on [fake; real]: the real half's batch statistics first, as the GAN's step.
  const both = {
    rows: 2 * B,
    input: rowsOf(pairs, 2 * B, pairWidth),
    outputs,
    stats: [],
    normGroups: [
      { firstRow: B, rows: B, stats: realStats },
      { firstRow: 0, rows: B, stats: fakeStats },
    ],
    blocks: hidden,
  };
  add(...(await buildPlan(ctx, forwardPlan(D, { ...both, mode: 'train' }))));
  add(
    await createLogitHead(ctx, {
      rows: 2 * B,
      width,
      input: outputs.at(-1)!,
      weight: headWeight,
      loss: 'bce',
      split: B,
      targetFirst: 0,
      targetSecond: 1,
      divisor: B,
      stats: statsSlot(0),
      accumulate: true,
      inputGrad: { output: grads.at(-1)!, ...gate },
      paramGrads: { weight: viewRef(D.grads, head.layer.weight!) },
      label: 'critic logit + loss + gradients',
    }),
  );
  add(...(await buildPlan(ctx, backwardPlan(D, { ...both, grads }))));
  add(
    await createAdam(ctx, {
      n: D.layout.parameterFloats,
      weights: D.weights,
      grads: D.grads,
      moment1: D.moment1,
      moment2: D.moment2,
      stepCount: parts.stepCount,
      stepWord: 1,
      lr: parts.learningRate,
      beta1: CRITIC_BETA1,
      label: 'critic Adam',
    }),
  );
  // The restorer's term: the updated critic on the fake pairs, their gradient back to the pair.
  const fakeOutputs = dHidden.map((b, i) => rowsOf(outputs[i]!, B, b.width));
  const fakeGrads = dHidden.map((b, i) => rowsOf(grads[i]!, B, b.width));
  const fake = { rows: B, input: fakePairs, outputs: fakeOutputs, stats: fakeStats, blocks: hidden };
  add(...(await buildPlan(ctx, forwardPlan(D, { ...fake, mode: 'train' }))));
  add(
    await createLogitHead(ctx, {
      rows: B,
      width,
      input: fakeOutputs.at(-1)!,
      weight: headWeight,
      loss: 'bce',
      targetFirst: 1,
      stats: statsSlot(1),
      accumulate: true,
      inputGrad: { output: fakeGrads.at(-1)!, ...gate },
      label: 'critic logit + restorer loss + input gradient',
    }),
  );
  const toPair = { grads: fakeGrads, inputGradOnly: true, inputGrad: { output: pairGrads } };
  add(...(await buildPlan(ctx, backwardPlan(D, { ...fake, ...toPair }))));
  add(
    await createPairGradient(ctx, {
      ...pairShape,
      restored: parts.restored,
      pairGrads,
      grad: parts.restorerGrad,
      weight: parts.weight,
      ...(parts.gate && { gate: parts.gate, leakySlope: parts.leakySlope }),
    }),
  );
  return kernels;
}
