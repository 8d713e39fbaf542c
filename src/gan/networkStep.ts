// The training step of a GAN whose networks are layer lists (nn/model.ts), every model the engine
// trains, the MLP and DCGAN alike (trainer.ts says what one step does): each network's passes
// planned from its layers. The discriminator's last layer, one output that
// sees its whole input (a linear layer, or a convolution whose kernel covers the image), runs as
// the fused logit head with the loss and its first gradients. Every buffer and kernel is made
// once, owned by one Workspace; the step records into one compute pass with no readback.
// With spectral normalisation each pass through D reads W / σ, made by a power-iteration step just
// before it, and D's weight gradients are corrected for σ before Adam(D) (batch norms are not
// normalised: their γ and β are read from the trained weights). Weight normalisation works the same
// way: each pass through D reads g · v / ‖v‖, and D's gradients become those of v and g.
// Batch norm in D follows PyTorch's DCGAN example, which runs D(real) and D(fake) as two training
// passes: each half of [fake; real] is normalised by its own statistics, the real half's running
// update first, then the fake half's, then the G update's pass on the fake again (three per step).
// A conditional GAN's labels, generator input, one-hot class columns and projection discriminator:
// networkClasses.ts.
// A semi-supervised GAN's labelled batch (a third block of D's rows) and class-logit loss:
// semiSupervised.ts; its D ends in class logits, which run as an ordinary block, not as a head.
// An auxiliary classifier (conditioning 'auxiliary') is a conditional G with such a D: the same
// loss classes D's real rows by the batch's labels and G's samples by the labels drawn for them.
import { ArgumentError } from '../base/errors.js';
import type { GpuDataset } from '../data/dataset.js';
import type { GpuContext } from '../gpu/context.js';
import { Workspace } from '../gpu/workspace.js';
import { isDense } from '../kernels/convGeometry.js';
import type { StepCounter } from '../kernels/counter.js';
import { createFeatureMatching } from '../kernels/featureMatching.js';
import { createBatchGather } from '../kernels/gather.js';
import type { Kernel, TensorRef } from '../kernels/kernel.js';
import { createLogitHead } from '../kernels/logitHead.js';
import { discriminatorNoiseStream, STREAMS, type DiscriminatorPass } from '../kernels/streams.js';
import { viewRef } from '../nn/mlp.js';
import { elements } from '../nn/model.js';
import {
  buildPlan,
  forwardPlan,
  shareSplitScratch,
  type Block,
  type NetworkParameters,
  type NormGroup,
  type PlannedKernel,
} from '../nn/network.js';
import type { NetworkNormalization } from '../nn/networkSpectralNorm.js';
import type { NetworkWeightNorm } from '../nn/networkWeightNorm.js';
import { backwardPlan, gateOf } from '../nn/networkBackward.js';
import type { GanConfig } from './config.js';
import { checkClasses, classBuffers, planClassInputs, projectedHead } from './networkClasses.js';
import { checkLabeledSet, planLabeledGather, planSemiSupervisedLoss, type LabeledSet } from './semiSupervised.js';
import { auxiliaryClasses, discriminatorOutputs, hasOwnRealFakeLogit, takesOneHotClass } from './networks.js';
import { adamUpdate, spectralStep, weightNormStep } from './stepEntries.js';
import { networkStepRows, type RowBuffer } from './networkStepPlan.js';
import { STATS_SLOT_D, STATS_SLOT_G, STATS_SLOT_NON_FINITE } from './stats.js';

export interface NetworkStepParts {
  /** Batch, seed, loss, learning rates, Adam, EMA and leaky slope; its MLP widths are not read. */
  config: GanConfig;
  dataset: GpuDataset;
  /** With a moving average (ema). */
  generator: NetworkParameters;
  discriminator: NetworkParameters;
  counter: StepCounter;
  /** The statistics buffer (StatsReader.buffer). */
  stats: GPUBuffer;
  /** With config.spectralNorm: the discriminator's normalisation (the caller owns it). */
  spectralNorm?: NetworkNormalization;
  /** With config.weightNorm: the discriminator's weight normalisation (the caller owns it). */
  weightNorm?: NetworkWeightNorm;
  /** With config.classes > 0: each example's label (GpuDataset.fromLabels). */
  labels?: GpuDataset;
  /** With config.labeled > 0: the labelled images and their classes. */
  labeled?: LabeledSet;
}

/** The kernels of one step in recording order, and the workspace that owns them and their buffers. */
export interface NetworkStep {
  readonly kernels: readonly Kernel[];
  readonly workspace: Workspace;
  destroy(): void;
}

/**
 * How many training-mode passes a network's batch norms make in one step, so how much each one's
 * num_batches_tracked grows per step: the generator's one; the discriminator's three, as in
 * PyTorch's DCGAN example (D(real) and D(fake) for D's update, D(fake) again for G's).
 */
export function batchNormPassesPerStep(role: 'generator' | 'discriminator'): number {
  if (role !== 'generator' && role !== 'discriminator')
    throw new ArgumentError('role', `must be 'generator' or 'discriminator', got ${String(role)}`);
  return role === 'generator' ? 1 : 3;
}

/** The first `rows` rows of a buffer of `width`-wide rows. */
const firstRows = (buffer: GPUBuffer, rows: number, width: number): TensorRef => ({
  buffer,
  offset: 0,
  size: rows * width * 4,
});

/** Refuses networks this step cannot train, saying why. */
function checkNetworks(parts: NetworkStepParts): { head: Block; hidden: number } {
  const { generator: G, discriminator: D, dataset, config } = parts;
  if (config.spectralNorm !== (parts.spectralNorm !== undefined))
    throw new ArgumentError(
      'spectralNorm',
      config.spectralNorm
        ? "is set: pass the discriminator's NetworkNormalization"
        : 'is off, but a normalisation was passed',
    );
  if (config.weightNorm !== (parts.weightNorm !== undefined))
    throw new ArgumentError(
      'weightNorm',
      config.weightNorm
        ? "is set: pass the discriminator's NetworkWeightNorm"
        : 'is off, but a weight normalisation was passed',
    );
  checkClasses(config, G, D, parts.labels);
  const data = elements(G.layout.outShape);
  if (data !== dataset.dim || elements(D.layout.inShape) !== data)
    throw new ArgumentError(
      'dataset',
      `has ${dataset.dim} values per example; the generator makes ${data} and the discriminator reads ` +
        `${elements(D.layout.inShape)}`,
    );
  if (!G.ema) throw new ArgumentError('generator', 'needs a moving average buffer (NetworkParameters withEma)');
  if (G.spec.leakySlope !== config.leakySlope || D.spec.leakySlope !== config.leakySlope)
    throw new ArgumentError(
      'leakySlope',
      `is ${config.leakySlope} in the configuration but ${G.spec.leakySlope} and ${D.spec.leakySlope} in the networks`,
    );
  if (G.blocks.at(-1)!.layer.layer.kind === 'batch-norm')
    throw new ArgumentError(
      'generator',
      'must not end in a batch norm (end in a layer, optionally with an activation)',
    );
  // D's update computes no image gradient, which a batch norm's backward on the image would need.
  if (D.blocks[0]!.layer.layer.kind === 'batch-norm')
    throw new ArgumentError('discriminator', 'must not start with a batch norm (start with a linear or conv2d layer)');
  checkLabeledSet(config, dataset, parts.labeled);
  const head = D.blocks.at(-1)!;
  const p = head.layer;
  const dense = p.layer.kind === 'linear' || (p.layer.kind === 'conv2d' && isDense(p.conv!));
  const classLogits = Math.max(config.labelClasses, auxiliaryClasses(config));
  if (classLogits > 0) {
    const ownLogit = hasOwnRealFakeLogit(config);
    if (elements(p.outShape) !== discriminatorOutputs(config) || head.activation || !dense)
      throw new ArgumentError(
        'discriminator',
        `must end in ${classLogits} class logits${ownLogit ? ' and a real/fake logit' : ''} from its whole ` +
          'input, with no activation',
      );
    const training = config.labelClasses > 0 ? 'semi-supervised training' : 'an auxiliary classifier';
    if (D.blocks.some((b) => b.statsFloats > 0))
      throw new ArgumentError('discriminator', `must have no batch norm for ${training}`);
    if (config.featureMatching && matchedBlocks(D, D.blocks.length) < 1)
      throw new ArgumentError('discriminator', 'needs a layer before its class logits to match features at');
    // The class logits run as D's last block; the loss kernel takes the head's place.
    return { head, hidden: D.blocks.length };
  }
  if (!dense || elements(p.outShape) !== 1 || head.activation)
    throw new ArgumentError(
      'discriminator',
      'must end in one logit from its whole input: a linear layer to 1, or a convolution whose kernel covers ' +
        'the image, with no activation',
    );
  return { head, hidden: D.blocks.length - 1 };
}

/**
 * How many of D's first blocks feature matching runs: those up to the layer before the class
 * logits, or before the noise layer in front of them (Salimans et al. match the features before
 * that noise, on which the noise of earlier layers still acts).
 */
function matchedBlocks(D: NetworkParameters, hidden: number): number {
  const beforeLogits = hidden - 1;
  return D.blocks[beforeLogits - 1]?.layer.layer.kind === 'gaussian-noise' ? beforeLogits - 1 : beforeLogits;
}

export async function buildNetworkStep(ctx: GpuContext, parts: NetworkStepParts): Promise<NetworkStep> {
  const { head, hidden } = checkNetworks(parts);
  return Workspace.build(ctx, 'gan step', async (ws) => {
    const plan = shareSplitScratch(ctx, ws, planStep(ws, parts, head, hidden));
    const kernels = await buildPlan(ctx, plan);
    for (const k of kernels) ws.own(k);
    return { kernels, workspace: ws, destroy: () => ws.destroy() };
  });
}

function planStep(ws: Workspace, parts: NetworkStepParts, head: Block, hidden: number): PlannedKernel[] {
  const { config: c, dataset, generator: G, discriminator: D, counter, stats } = parts;
  const B = c.batch;
  // A conditional generator's input is its noise and then the one-hot class, unless its first
  // layer takes the class (one-hot conditioning).
  const oneHot = takesOneHotClass(c);
  const noise = elements(G.layout.inShape) - (oneHot ? 0 : c.classes);
  const data = dataset.dim;
  // The batch-sized buffers come from the plan that the memory estimate reads (networkStepPlan.ts).
  const planned = networkStepRows(c, G.blocks, D.blocks, hidden, { noise, data });
  const make = (r: RowBuffer) => ws.rows(r.label, r.rowsPerExample * B, r.width);
  const z = make(planned.z);
  const classes = planned.classes && classBuffers(planned.classes, make);
  // A semi-supervised D's input holds a labelled batch after the fake and the real rows; it and an
  // auxiliary classifier's D end in class logits, scored by the semi-supervised loss.
  const semi = c.labelClasses > 0;
  const classLogits = semi || auxiliaryClasses(c) > 0;
  const dRows = planned.x.rowsPerExample * B;
  const x = make(planned.x);
  const labeledLabels = planned.labeledLabels && make(planned.labeledLabels);
  const fake = firstRows(x, B, data);
  const gOut = planned.gOut.map((r) => (r ? make(r) : fake));
  const gGrad = planned.gGrad.map(make);
  const gStats = G.blocks.map((b, i) => (b.statsFloats ? ws.storage(`G batch stats ${i}`, b.statsFloats) : null));
  const gScratch = planned.gScratch.map((r) => r && make(r));
  const dHidden = D.blocks.slice(0, hidden);
  const dOut = planned.dOut.map(make);
  const dGrad = planned.dGrad.map(make);
  const dOutFake = dHidden.map((b, i) => firstRows(dOut[i]!, B, b.width));
  const dGradFake = dHidden.map((b, i) => firstRows(dGrad[i]!, B, b.width));
  const dScratch = planned.dScratch.map((r) => r && make(r));
  const dScratchFake = dScratch.map((r, i) => r && firstRows(r, B, dHidden[i - 1]!.width));
  // D's batch norms normalise the two halves of [fake; real] apart (PyTorch's two passes), by two
  // kernels over row windows of the one buffer rather than a grouped kernel: each kernel keeps
  // one workgroup per channel and one running update, so the updates' order is the recording
  // order (real, then fake, as netD(real) runs first) and nothing races for the running estimates.
  const dStats = (half: string) =>
    dHidden.map((b, i) => (b.statsFloats ? ws.storage(`D batch stats ${half} ${i}`, b.statsFloats) : null));
  const [dStatsReal, dStatsFake] = [dStats('real'), dStats('fake')];
  const halves: NormGroup[] = [
    { firstRow: B, rows: B, stats: dStatsReal },
    { firstRow: 0, rows: B, stats: dStatsFake },
  ];
  const statsSlot = (floats: number) => ({ buffer: stats, offset: floats * 4, size: 12 });
  const nonFiniteFlag = { buffer: stats, offset: STATS_SLOT_NON_FINITE * 4, size: 4 };
  const lastHiddenGate = hidden > 0 ? gateOf(D.blocks[hidden - 1]!, c.leakySlope) : undefined;
  const outputGate = gateOf(G.blocks.at(-1)!, c.leakySlope);
  // D's passes read its weights as trained, or their normalised copy (rewritten before each pass).
  const sn = parts.spectralNorm;
  const wn = parts.weightNorm;
  const usedD = sn?.normalized ?? wn?.normalized ?? D.weights;
  // The normalised copy holds no batch norm's γ and β: those are read where Adam keeps them.
  const dWeights = { weights: usedD, ...(sn && { batchNormWeights: D.weights }) };
  const normalization = (part: 'normalize' | 'gradients'): PlannedKernel[] => {
    if (sn) return [{ build: async () => spectralStep(sn.kernels, part) }];
    return wn ? [{ build: async () => weightNormStep(wn.kernels, part) }] : [];
  };
  const normalizeD = normalization('normalize');
  const headWeights = {
    weight: viewRef(usedD, head.layer.weight!),
    ...(head.layer.bias && { bias: viewRef(usedD, head.layer.bias) }),
  };
  const headGrads = {
    weight: viewRef(D.grads, head.layer.weight!),
    ...(head.layer.bias && { bias: viewRef(D.grads, head.layer.bias) }),
  };
  const width = elements(head.layer.inShape);
  const projected = projectedHead(parts, classes, headWeights, headGrads, width);
  const plan: PlannedKernel[] = [];
  const kernel = (build: (ctx: GpuContext) => Promise<Kernel>) => plan.push({ build });

  // The step advances the counter in its first kernel (t = word 0 + 1, into word 1, which the Adam
  // updates read) and commits it in its last (word 0 = word 1): no increment dispatch.
  kernel((ctx) =>
    createBatchGather(ctx, {
      dataset: dataset.buffer,
      packedU8: dataset.packedU8,
      count: dataset.count,
      dim: data,
      rows: B,
      firstRow: B,
      output: x,
      seed: c.seed,
      stepCount: counter.buffer,
      advanceStep: true,
      noise: { output: z, count: B * noise, stream: STREAMS.noise },
      label: 'real batch + noise z',
    }),
  );
  if (classes) plan.push(...planClassInputs(c, parts.labels!, counter, classes, { buffer: z, width: noise }));
  if (labeledLabels) plan.push(...planLabeledGather(c, parts.labeled!, counter, { images: x, labels: labeledLabels }));
  // With one-hot conditioning every row of a pass takes its real-batch row's label (r mod B), and
  // D's class columns are read as trained (spectral normalisation divides the image's columns only).
  const onehot = classes?.onehot;
  const condition = (buffer: GPUBuffer, rows: number, classWeights?: GPUBuffer) =>
    onehot && {
      condition: {
        labels: firstRows(classes.labels, B, 1),
        labelRows: B,
        onehot: firstRows(buffer, rows, c.classes),
        ...(classWeights && { classWeights }),
      },
    };
  const gPass = {
    rows: B,
    input: classes?.generatorInput ?? z,
    outputs: gOut,
    stats: gStats,
    ...(onehot && condition(onehot.generator, B)),
  };
  plan.push(...forwardPlan(G, { ...gPass, mode: 'train' }));

  // Discriminator update on [fake; real].
  plan.push(...normalizeD);
  // Each pass through D draws its own noise for its Gaussian-noise layers (if any), new each step.
  const noiseOf = (pass: DiscriminatorPass) => ({
    noise: {
      seed: c.seed,
      stepCount: counter.buffer,
      stepWord: 1 as const,
      firstStream: discriminatorNoiseStream(pass),
    },
  });
  const dPass = {
    ...noiseOf('discriminator update'),
    rows: dRows,
    input: x,
    outputs: dOut,
    stats: [],
    ...(!classLogits && { normGroups: halves }),
    blocks: hidden,
    ...dWeights,
    ...(onehot && condition(onehot.discriminator, dRows, D.weights)),
  };
  plan.push(...forwardPlan(D, { ...dPass, mode: 'train' }));
  if (classLogits) {
    const logits = { logits: dOut.at(-1)!, gradLogits: dGrad.at(-1)! };
    const labels = semi ? labeledLabels! : classes!.labels;
    plan.push(planSemiSupervisedLoss(c, stats, { update: 'discriminator', ...logits, labels }));
  } else {
    const dFeatures = hidden > 0 ? dOut[hidden - 1]! : x;
    const inputGrad =
      hidden > 0
        ? { output: dGrad[hidden - 1]!, gate: lastHiddenGate?.kind, leakySlope: lastHiddenGate?.leakySlope }
        : undefined;
    const projection = projected.before(2 * B, dFeatures, usedD);
    plan.push(...projection.plan);
    kernel((ctx) =>
      createLogitHead(ctx, {
        rows: 2 * B,
        width,
        input: dFeatures,
        ...projection.weights,
        loss: c.loss,
        split: B,
        targetFirst: 0,
        targetSecond: c.realLabel,
        divisor: B,
        stats: statsSlot(STATS_SLOT_D),
        accumulate: true,
        ...(inputGrad && { inputGrad }),
        paramGrads: projection.paramGrads,
        label: 'D logit + loss + gradients',
      }),
    );
    plan.push(...projected.after(2 * B, dFeatures, usedD, inputGrad, true));
  }
  plan.push(...backwardPlan(D, { ...dPass, grads: dGrad, scratch: dScratch }));
  plan.push(...normalization('gradients'));
  kernel((ctx) => adamUpdate(ctx, c, 'discriminator', D, D.layout.parameterFloats, counter, nonFiniteFlag));

  // Generator update through the updated discriminator, on the same fake rows. Its batch norms
  // reuse the fake half's statistics slots: the D update's backward has read them by now.
  const gTop = gGrad.at(-1)!;
  plan.push(...normalizeD);
  // The fake rows' one-hot rows are the first B of the D update's, written again with the same values.
  const dFakePass = {
    ...noiseOf('generator update'),
    rows: B,
    input: fake,
    outputs: dOutFake,
    stats: dStatsFake,
    blocks: hidden,
    ...dWeights,
    ...(onehot && condition(onehot.discriminator, B, D.weights)),
  };
  // Feature matching compares the fake rows' features with the real rows', both through the updated D.
  const matching = semi && c.featureMatching;
  const fakeAndReal = {
    rows: 2 * B,
    input: firstRows(x, 2 * B, data),
    outputs: dHidden.map((b, i) => firstRows(dOut[i]!, 2 * B, b.width)),
  };
  plan.push(...forwardPlan(D, { ...dFakePass, ...(matching && fakeAndReal), mode: 'train' }));
  // The generator's gradient enters D's blocks from the top, or below the class logits for feature matching.
  let gBlocks = hidden;
  if (matching) {
    gBlocks = matchedBlocks(D, hidden);
    const gate = gateOf(D.blocks[gBlocks - 1]!, c.leakySlope);
    kernel((ctx) =>
      createFeatureMatching(ctx, {
        rows: B,
        width: D.blocks[gBlocks - 1]!.width,
        features: fakeAndReal.outputs[gBlocks - 1]!,
        logits: dOutFake.at(-1)!,
        classes: c.labelClasses,
        grad: dGradFake[gBlocks - 1]!,
        ...(gate && { gate: gate.kind, leakySlope: gate.leakySlope }),
        stats: { buffer: stats, offset: STATS_SLOT_G * 4, size: 8 },
        accumulate: true,
        label: 'generator feature matching',
      }),
    );
  } else if (classLogits) {
    const logits = { logits: dOutFake.at(-1)!, gradLogits: dGradFake.at(-1)! };
    plan.push(
      planSemiSupervisedLoss(c, stats, { update: 'generator', ...logits, ...(classes && { labels: classes.labels }) }),
    );
  } else {
    const fakeFeatures = hidden > 0 ? dOutFake[hidden - 1]! : fake;
    const inputGrad =
      hidden > 0
        ? { output: dGradFake[hidden - 1]!, gate: lastHiddenGate?.kind, leakySlope: lastHiddenGate?.leakySlope }
        : { output: gTop, gate: outputGate?.kind, leakySlope: outputGate?.leakySlope };
    const projection = projected.before(B, fakeFeatures, usedD);
    plan.push(...projection.plan);
    kernel((ctx) =>
      createLogitHead(ctx, {
        rows: B,
        width,
        input: fakeFeatures,
        ...projection.weights,
        loss: c.loss === 'hinge' ? 'negative-logit' : c.loss,
        targetFirst: 1,
        stats: statsSlot(STATS_SLOT_G),
        accumulate: true,
        inputGrad,
        label: 'D logit + generator loss + input gradient',
      }),
    );
    plan.push(...projected.after(B, fakeFeatures, usedD, inputGrad, false));
  }
  if (gBlocks > 0)
    plan.push(
      ...backwardPlan(D, {
        ...dFakePass,
        blocks: gBlocks,
        grads: dGradFake,
        scratch: dScratchFake,
        inputGradOnly: true,
        inputGrad: { output: gTop, ...(outputGate && { gate: outputGate }) },
      }),
    );
  plan.push(...backwardPlan(G, { ...gPass, grads: gGrad, scratch: gScratch }));
  kernel((ctx) => adamUpdate(ctx, c, 'generator', G, G.layout.parameterFloats, counter, nonFiniteFlag));
  return plan;
}
