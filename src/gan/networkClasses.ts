// A conditional layer-list GAN's part of the step (networkStep.ts plans the rest): the real
// batch's labels, gathered by the same shuffle as its images; the generator's input, its noise
// with the label as a one-hot; and the projection discriminator's class term around each logit
// head. Every row of a pass takes the label of its row in the real batch (row r mod B), so the
// fake rows are drawn for, and judged against, the real batch's classes.
// One-hot conditioning (the MLP's) instead gives each network's first layer class columns, which
// add the label's column after that layer's matmul and write the one-hot rows its gradient reads.
import { ArgumentError } from '../base/errors.js';
import type { GpuDataset } from '../data/dataset.js';
import type { ClassRows, RowBuffer } from './networkStepPlan.js';
import { createClassInput } from '../kernels/classInput.js';
import {
  createProjectionForward,
  createProjectionInputGrad,
  createProjectionWeightGrad,
} from '../kernels/classProjection.js';
import type { StepCounter } from '../kernels/counter.js';
import { createLabelGather } from '../kernels/gather.js';
import type { Activation, TensorRef } from '../kernels/kernel.js';
import { viewRef } from '../nn/mlp.js';
import { elements } from '../nn/model.js';
import type { GpuContext } from '../gpu/context.js';
import type { NetworkParameters, PlannedKernel } from '../nn/network.js';
import type { GanConfig } from './config.js';

export interface ClassBuffers {
  /** B labels, as floats. */
  labels: GPUBuffer;
  /** B rows of noise and one-hot: the generator's input (not for one-hot conditioning). */
  generatorInput?: GPUBuffer;
  /** One-hot conditioning: the one-hot rows of G's first layer (B) and D's ([fake; real], 2B). */
  onehot?: { generator: GPUBuffer; discriminator: GPUBuffer };
  /** 2B rows: each logit's offset b + V[y]·φ, then each logit's loss gradient (projection only). */
  offsets?: GPUBuffer;
  rowGrads?: GPUBuffer;
}

/** Refuses networks and labels that do not make this configuration's conditional GAN, saying why. */
export function checkClasses(
  config: GanConfig,
  generator: NetworkParameters,
  discriminator: NetworkParameters,
  labels: GpuDataset | undefined,
): void {
  const classes = config.classes;
  if (classes === 0) {
    if (labels) throw new ArgumentError('labels', 'are for a conditional GAN; this configuration has no classes');
    if (discriminator.layout.projection)
      throw new ArgumentError('discriminator', 'has a class projection, but the configuration has no classes');
    return;
  }
  if (!labels)
    throw new ArgumentError('labels', `are required: the configuration is conditional on ${classes} classes`);
  if (labels.classes !== classes)
    throw new ArgumentError('labels', `are of ${labels.classes ?? 'no'} classes; the configuration has ${classes}`);
  const projected = discriminator.layout.projection?.shape[0];
  if (config.conditioning === 'one-hot') {
    checkOneHotNetworks(config, generator, discriminator);
    return;
  }
  if (config.conditioning === 'auxiliary') {
    if (projected !== undefined)
      throw new ArgumentError(
        'discriminator',
        'has a class projection, but an auxiliary classifier ends in class logits',
      );
  } else if (projected !== classes)
    throw new ArgumentError(
      'discriminator',
      `must project on ${classes} classes (NetworkSpec.projectionClasses), not ${projected ?? 'none'}`,
    );
  if (elements(generator.layout.inShape) <= classes)
    throw new ArgumentError('generator', `must take its noise and a ${classes}-class one-hot as its input`);
}

/** One-hot conditioning: each network's first layer has the configuration's class columns, and D no projection. */
function checkOneHotNetworks(config: GanConfig, generator: NetworkParameters, discriminator: NetworkParameters) {
  if (discriminator.layout.projection)
    throw new ArgumentError('discriminator', 'has a class projection, but the class enters as a one-hot input');
  for (const [name, net] of [
    ['generator', generator],
    ['discriminator', discriminator],
  ] as const) {
    const columns = net.layout.layers[0]!.classWeight?.shape[1];
    if (columns !== config.classes)
      throw new ArgumentError(
        name,
        `must take the class in its first layer (a linear layer with classes: ${config.classes}), ` +
          `not ${columns ?? 'none'}`,
      );
  }
}

/** The class buffers of the step's plan (networkStepPlan.ts), made by `make`. */
export function classBuffers(rows: ClassRows, make: (r: RowBuffer) => GPUBuffer): ClassBuffers {
  return {
    labels: make(rows.labels),
    ...(rows.generatorInput && { generatorInput: make(rows.generatorInput) }),
    ...(rows.generatorOnehot &&
      rows.discriminatorOnehot && {
        onehot: { generator: make(rows.generatorOnehot), discriminator: make(rows.discriminatorOnehot) },
      }),
    ...(rows.offsets && { offsets: make(rows.offsets) }),
    ...(rows.rowGrads && { rowGrads: make(rows.rowGrads) }),
  };
}

/** The real batch's labels (from the step the images' gather advanced to), and G's input from them. */
export function planClassInputs(
  config: GanConfig,
  labels: GpuDataset,
  counter: StepCounter,
  buffers: ClassBuffers,
  noise: { buffer: GPUBuffer; width: number },
): PlannedKernel[] {
  const B = config.batch;
  const generatorInput = buffers.generatorInput;
  return [
    {
      build: (ctx) =>
        createLabelGather(ctx, {
          labels,
          rows: B,
          output: buffers.labels,
          seed: config.seed,
          stepCount: counter.buffer,
          label: 'real batch labels',
        }),
    },
    // One-hot conditioning takes the labels in the networks' first layers instead.
    ...(generatorInput
      ? [
          {
            build: (ctx: GpuContext) =>
              createClassInput(ctx, {
                rows: B,
                noiseWidth: noise.width,
                classes: config.classes,
                noise: noise.buffer,
                labels: buffers.labels,
                output: generatorInput,
                label: 'G input: noise and one-hot',
              }),
          },
        ]
      : []),
  ];
}

export interface ProjectionPass {
  rows: number;
  /** rows × width: the head's input φ. */
  features: TensorRef;
  width: number;
  /** D's weights as the pass reads them (trained, or their normalised copy). */
  weights: GPUBuffer;
  /** The head's bias view, if it has one (folded into the offsets). */
  bias?: TensorRef;
}

/** The first `rows` of a buffer of one value per row. */
const firstRows = (buffer: GPUBuffer, rows: number): TensorRef => ({ buffer, offset: 0, size: rows * 4 });

/** What all three projection kernels of a pass read: its rows' features, V and the labels. */
function projectionShape(D: NetworkParameters, config: GanConfig, buffers: ClassBuffers, pass: ProjectionPass) {
  return {
    rows: pass.rows,
    width: pass.width,
    classes: config.classes,
    features: pass.features,
    classWeight: viewRef(pass.weights, D.layout.projection!),
    labels: buffers.labels,
    labelRows: config.batch,
  };
}

/** A projection discriminator's per-row buffers, which the plan makes for projection only. */
function projectionRows(buffers: ClassBuffers): { offsets: GPUBuffer; rowGrads: GPUBuffer } {
  if (!buffers.offsets || !buffers.rowGrads)
    throw new ArgumentError('conditioning', 'has no projection: its step plan made no logit offsets');
  return { offsets: buffers.offsets, rowGrads: buffers.rowGrads };
}

/** b + V[y]·φ for each row, before the head that adds it to w·φ; and the head's rowOffsets. */
export function planProjectionForward(
  D: NetworkParameters,
  config: GanConfig,
  buffers: ClassBuffers,
  pass: ProjectionPass,
): { plan: PlannedKernel[]; rowOffsets: { offsets: TensorRef; grads: TensorRef } } {
  const offsets = firstRows(projectionRows(buffers).offsets, pass.rows);
  const plan: PlannedKernel[] = [
    {
      build: (ctx) =>
        createProjectionForward(ctx, {
          ...projectionShape(D, config, buffers, pass),
          offsets,
          ...(pass.bias && { bias: pass.bias }),
          label: 'D class projection',
        }),
    },
  ];
  return { plan, rowOffsets: { offsets, grads: firstRows(projectionRows(buffers).rowGrads, pass.rows) } };
}

/**
 * After the head: the class term's part of the head's input gradient and, for D's update, V's
 * gradient (and the bias's, which the head leaves to it).
 */
export function planProjectionBackward(
  D: NetworkParameters,
  config: GanConfig,
  buffers: ClassBuffers,
  pass: ProjectionPass & {
    inputGrad?: { output: TensorRef; gate?: Exclude<Activation, 'none'>; leakySlope?: number };
    /** D's update: write dV (and db) into D's gradients. */
    paramGrads?: { biasGrad?: TensorRef };
  },
): PlannedKernel[] {
  const shape = {
    ...projectionShape(D, config, buffers, pass),
    rowGrads: firstRows(projectionRows(buffers).rowGrads, pass.rows),
  };
  const plan: PlannedKernel[] = [];
  const inputGrad = pass.inputGrad;
  if (inputGrad)
    plan.push({
      build: (ctx) =>
        createProjectionInputGrad(ctx, {
          ...shape,
          inputGrad: inputGrad.output,
          ...(inputGrad.gate && { gate: inputGrad.gate, leakySlope: inputGrad.leakySlope }),
          label: 'D class projection input grad',
        }),
    });
  const paramGrads = pass.paramGrads;
  if (paramGrads)
    plan.push({
      build: (ctx) =>
        createProjectionWeightGrad(ctx, {
          ...shape,
          classWeightGrad: viewRef(D.grads, D.layout.projection!),
          ...(paramGrads.biasGrad && { biasGrad: paramGrads.biasGrad }),
          label: 'D class projection weight grad',
        }),
    });
  return plan;
}

type HeadTensors = { weight: TensorRef; bias?: TensorRef };
type HeadInputGrad = { output: TensorRef; gate?: Exclude<Activation, 'none'>; leakySlope?: number };

/**
 * The logit head's weights and gradients for a pass, and the kernels a projection discriminator's
 * class term adds before and after it (none without classes): the bias moves into the per-row
 * offsets, and its gradient into the projection's weight gradient.
 */
export function projectedHead(
  parts: { config: GanConfig; discriminator: NetworkParameters },
  classes: ClassBuffers | null,
  headWeights: HeadTensors,
  headGrads: HeadTensors,
  width: number,
) {
  const { config, discriminator: D } = parts;
  return {
    before(rows: number, features: TensorRef, weights: GPUBuffer) {
      if (!classes || !D.layout.projection) return { plan: [], weights: headWeights, paramGrads: headGrads };
      const pass = { rows, features, width, weights, ...(headWeights.bias && { bias: headWeights.bias }) };
      const { plan, rowOffsets } = planProjectionForward(D, config, classes, pass);
      return { plan, weights: { weight: headWeights.weight, rowOffsets }, paramGrads: { weight: headGrads.weight } };
    },
    after(
      rows: number,
      features: TensorRef,
      weights: GPUBuffer,
      inputGrad: HeadInputGrad | undefined,
      update: boolean,
    ) {
      if (!classes || !D.layout.projection) return [];
      return planProjectionBackward(D, config, classes, {
        rows,
        features,
        width,
        weights,
        ...(inputGrad && { inputGrad }),
        ...(update && { paramGrads: headGrads.bias ? { biasGrad: headGrads.bias } : {} }),
      });
    },
  };
}
