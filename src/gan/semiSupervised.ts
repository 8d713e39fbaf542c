// A semi-supervised GAN's part of the step (Salimans et al. 2016; networkStep.ts plans the rest):
// D's input gains a third block of B rows, a batch of the labelled images gathered on the GPU by
// a seeded shuffle of their own, and its class logits are scored by the semi-supervised loss
// (kernels/semiSupervisedLoss.ts): generated and unlabelled rows on the real/fake logit
// log Σ exp(l_k), labelled rows by cross-entropy on their class. An auxiliary classifier
// (conditioning 'auxiliary') shares the loss: its D's real rows and G's generated rows are classed,
// G's by config.classWeight; with two heads the real/fake logit is D's own last output.
import { ArgumentError } from '../base/errors.js';
import type { GpuDataset } from '../data/dataset.js';
import type { StepCounter } from '../kernels/counter.js';
import { createBatchGather, createLabelGather } from '../kernels/gather.js';
import type { TensorRef } from '../kernels/kernel.js';
import { createSemiSupervisedLoss } from '../kernels/semiSupervisedLoss.js';
import type { PlannedKernel } from '../nn/network.js';
import type { GanConfig } from './config.js';
import { auxiliaryClasses, hasOwnRealFakeLogit } from './networks.js';
import { STATS_SLOT_AGREEMENT, STATS_SLOT_D, STATS_SLOT_G, STATS_SLOT_SUPERVISED } from './stats.js';

/** The labelled images (a subset of the training images) and their classes, on the GPU. */
export interface LabeledSet {
  images: GpuDataset;
  /** GpuDataset.fromLabels, one per image, of config.labelClasses classes. */
  labels: GpuDataset;
}

/** Refuses labelled data that does not fit the configuration, saying why. */
export function checkLabeledSet(config: GanConfig, dataset: GpuDataset, labeled: LabeledSet | undefined): void {
  if (config.labeled === 0) {
    if (labeled) throw new ArgumentError('labeled', 'are given, but the configuration is not semi-supervised');
    return;
  }
  if (!labeled)
    throw new ArgumentError('labeled', `are needed: the configuration learns from ${config.labeled} labelled images`);
  const { images, labels } = labeled;
  if (images.count !== config.labeled)
    throw new ArgumentError('labeled', `hold ${images.count} images; the configuration says ${config.labeled}`);
  if (images.dim !== dataset.dim)
    throw new ArgumentError('labeled', `images have ${images.dim} values each, the training images ${dataset.dim}`);
  if (labels.count !== images.count || labels.dim !== 1)
    throw new ArgumentError('labeled', `labels must be one per image (${images.count}), got ${labels.count}`);
  if (labels.classes !== config.labelClasses)
    throw new ArgumentError(
      'labeled',
      `labels are of ${labels.classes ?? 'no'} classes; the configuration has ${config.labelClasses}`,
    );
}

/** Rows [2B, 3B) of D's input and their labels: a labelled batch, from the step the first gather advanced to. */
export function planLabeledGather(
  config: GanConfig,
  labeled: LabeledSet,
  counter: StepCounter,
  output: { images: GPUBuffer; labels: GPUBuffer },
): PlannedKernel[] {
  const B = config.batch;
  return [
    {
      build: (ctx) =>
        createBatchGather(ctx, {
          count: labeled.images.count,
          rows: B,
          seed: config.seed,
          stepCount: counter.buffer,
          dataset: labeled.images.buffer,
          packedU8: labeled.images.packedU8,
          dim: labeled.images.dim,
          firstRow: 2 * B,
          output: output.images,
          stepWord: 1,
          label: 'labelled batch',
        }),
    },
    {
      build: (ctx) =>
        createLabelGather(ctx, {
          labels: labeled.labels,
          rows: B,
          output: output.labels,
          seed: config.seed,
          stepCount: counter.buffer,
          label: 'labelled batch labels',
        }),
    },
  ];
}

/**
 * The loss of D's class logits and their gradient. D's update: [fake; real; labelled] (3B rows),
 * or an auxiliary classifier's [fake; real] with the real rows classed by the batch's labels.
 * G's update: the fake rows with the real target (hinge: the negated logit), as the logit head,
 * an auxiliary classifier's also classed by the labels they were drawn for.
 */
export function planSemiSupervisedLoss(
  config: GanConfig,
  stats: GPUBuffer,
  pass: { update: 'discriminator' | 'generator'; logits: TensorRef; gradLogits: TensorRef; labels?: GPUBuffer },
): PlannedKernel {
  const B = config.batch;
  const slot = (floats: number, count: number) => ({ buffer: stats, offset: floats * 4, size: count * 4 });
  const auxiliary = auxiliaryClasses(config) > 0;
  const classes = auxiliary ? config.classes : config.labelClasses;
  const common = {
    classes,
    ownLogit: hasOwnRealFakeLogit(config),
    logits: pass.logits,
    gradLogits: pass.gradLogits,
    divisor: B,
  };
  const accumulate = true;
  if (pass.update === 'discriminator')
    return {
      build: (ctx) =>
        createSemiSupervisedLoss(ctx, {
          ...common,
          rows: auxiliary ? 2 * B : 3 * B,
          fakeRows: B,
          realRows: B,
          labels: pass.labels!,
          loss: config.loss,
          targetFake: 0,
          targetReal: config.realLabel,
          labelledDivisor: B,
          adversarialWeight: config.labeledOnly ? 0 : 1,
          ...(auxiliary && { classed: { first: B, rows: B } }),
          stats: slot(STATS_SLOT_D, 3),
          supervised: slot(STATS_SLOT_SUPERVISED, 2),
          accumulate,
          label: auxiliary ? 'D auxiliary classifier loss + gradients' : 'D semi-supervised loss + gradients',
        }),
    };
  // The generated rows take the "fake" block's place in the statistics (D(G(z)) after D's update).
  return {
    build: (ctx) =>
      createSemiSupervisedLoss(ctx, {
        ...common,
        rows: B,
        fakeRows: B,
        realRows: 0,
        loss: config.loss === 'hinge' ? 'negative-logit' : config.loss,
        targetFake: 1,
        ...(auxiliary && {
          classed: { first: 0, rows: B, weight: config.classWeight },
          labels: pass.labels!,
          supervised: slot(STATS_SLOT_AGREEMENT, 2),
        }),
        stats: slot(STATS_SLOT_G, 3),
        accumulate,
        label: auxiliary ? 'generator auxiliary classifier loss' : 'generator semi-supervised loss',
      }),
  };
}
