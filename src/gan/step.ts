// The training step as data, then as kernels: the step's order of dispatches (see trainer.ts for
// what one step does), the activation buffers it runs on, and the split-K scratch its matmuls
// share. Planning first lets the scratch be sized for the largest split product before any
// matmul is built.
import type { GpuContext } from '../gpu/context.js';
import { createClassCondition } from '../kernels/classCondition.js';
import type { SpectralNorm } from '../kernels/spectralNorm.js';
import type { StepCounter } from '../kernels/counter.js';
import type { TensorRef } from '../kernels/kernel.js';
import { createMatmul, splitWorkspaceFloats, type MatmulSpec } from '../kernels/matmul.js';
import { createLogitHead } from '../kernels/logitHead.js';
import { createBatchGather, createLabelGather } from '../kernels/gather.js';
import { STREAMS } from '../kernels/streams.js';
import type { GpuDataset } from '../data/dataset.js';
import { viewRef, type MlpParameters } from '../nn/mlp.js';
import { backwardMatmulSpecs, forwardEntries, type ForwardSpec } from '../nn/passes.js';
import type { GanConfig } from './config.js';
import { adamUpdate, spectralStep } from './stepEntries.js';
import { STATS_SLOT_D, STATS_SLOT_G, STATS_SLOT_NON_FINITE } from './stats.js';

/** One entry of the step: a kernel (one or more dispatches) or an optimizer. */
export interface StepKernel {
  readonly label: string;
  /** Dispatches it records (split-K matmuls record two). */
  readonly dispatches?: number;
  record(pass: GPUComputePassEncoder): void;
}

/** One workspace buffer: its GPU label, what it holds (for messages) and its floats per batch row. */
interface PlannedBuffer {
  label: string;
  holds: string;
  floatsPerRow: number;
}

/** Every buffer of the workspace; each holds batch × floatsPerRow floats. */
function workspacePlan(c: GanConfig) {
  const gWidths = [...c.generatorHidden, c.dataDim];
  const gradientOfG = (w: number, i: number): PlannedBuffer =>
    i + 1 === gWidths.length
      ? { label: "G dZ out (dX ⊙ tanh')", holds: "the generator output's gradient", floatsPerRow: w }
      : { label: `G dZ${i + 1}`, holds: `generator layer ${i + 1}'s gradient`, floatsPerRow: w };
  return {
    z: { label: 'z', holds: 'the noise z', floatsPerRow: c.noiseDim },
    x: {
      label: 'D input X (fake; real)',
      holds: "the discriminator's input (fake and real rows)",
      floatsPerRow: 2 * c.dataDim,
    },
    gOut: c.generatorHidden.map((w, i) => ({
      label: `G h${i + 1}`,
      holds: `generator layer ${i + 1}`,
      floatsPerRow: w,
    })),
    // The discriminator's hidden layers only: its logit head keeps logits and their gradients in
    // registers and workgroup memory. Fake and real rows: two per batch row.
    dOut: c.discriminatorHidden.map((w, i) => ({
      label: `D a${i + 1}`,
      holds: `discriminator layer ${i + 1}`,
      floatsPerRow: 2 * w,
    })),
    dGrad: c.discriminatorHidden.map((w, i) => ({
      label: `D dZ${i + 1}`,
      holds: `discriminator layer ${i + 1}'s gradient`,
      floatsPerRow: 2 * w,
    })),
    gGrad: gWidths.map(gradientOfG),
    // A conditional GAN's batch labels and the one-hot rows of each network's first layer.
    conditioning:
      c.classes > 0
        ? [
            { label: 'batch labels', holds: "the real batch's labels", floatsPerRow: 1 },
            { label: 'G one-hot labels', holds: "the generator's one-hot labels", floatsPerRow: c.classes },
            {
              label: 'D one-hot labels (fake; real)',
              holds: "the discriminator's one-hot labels",
              floatsPerRow: 2 * c.classes,
            },
          ]
        : [],
  } satisfies Record<string, PlannedBuffer | PlannedBuffer[]>;
}

/** Activations and their gradients for one batch size, allocated once. */
export class StepActivations {
  readonly buffers: GPUBuffer[] = [];
  readonly z: GPUBuffer;
  readonly gOut: GPUBuffer[];
  /** The discriminator's input: B fake rows, then B real rows. */
  readonly x: GPUBuffer;
  /** Outputs of the discriminator's hidden layers, and their pre-activation gradients. */
  readonly dOut: GPUBuffer[];
  readonly dGrad: GPUBuffer[];
  readonly gGrad: GPUBuffer[];
  /** A conditional GAN's batch labels (B), and the one-hot rows of G's (B) and D's (2B) first layer. */
  readonly conditioning: { labels: GPUBuffer; gOnehot: GPUBuffer; dOnehot: GPUBuffer } | null;

  constructor(
    readonly ctx: GpuContext,
    c: GanConfig,
  ) {
    const plan = workspacePlan(c);
    const make = (buffer: PlannedBuffer) => {
      const b = ctx.memory.createStorage(buffer.label, c.batch * buffer.floatsPerRow);
      this.buffers.push(b);
      return b;
    };
    this.z = make(plan.z);
    this.x = make(plan.x);
    this.gOut = plan.gOut.map(make);
    this.dOut = plan.dOut.map(make);
    this.dGrad = plan.dGrad.map(make);
    this.gGrad = plan.gGrad.map(make);
    const [labels, gOnehot, dOnehot] = plan.conditioning.map(make);
    this.conditioning = labels && gOnehot && dOnehot ? { labels, gOnehot, dOnehot } : null;
  }

  /** The buffer with the most bytes per batch row, which sets the largest batch a device can bind. */
  static widestPerBatchRow(c: GanConfig): { label: string; bytesPerRow: number } {
    const widest = Object.values(workspacePlan(c))
      .flat()
      .reduce((a, b) => (b.floatsPerRow > a.floatsPerRow ? b : a));
    return { label: widest.holds, bytesPerRow: widest.floatsPerRow * 4 };
  }

  /** Floats per batch row of all the step's batch-sized buffers together. */
  static floatsPerBatchRow(c: GanConfig): number {
    return Object.values(workspacePlan(c))
      .flat()
      .reduce((sum, b) => sum + b.floatsPerRow, 0);
  }

  /** Two scratch buffers of `floats` floats for split-K partial sums (none for 0). */
  splitScratch(floats: number): GPUBuffer[] {
    if (floats === 0) return [];
    return ['A', 'B'].map((name) => {
      const b = this.ctx.memory.createStorage(`split-K partials ${name}`, floats);
      this.buffers.push(b);
      return b;
    });
  }

  /** The first `rows` rows of a buffer whose rows are `width` wide. */
  static rows(buffer: GPUBuffer, rows: number, width: number): TensorRef {
    return { buffer, offset: 0, size: rows * width * 4 };
  }

  destroy(): void {
    for (const b of this.buffers) this.ctx.memory.release(b);
  }
}

/**
 * One entry of the step before it is built: a matmul (built last, once the split-K scratch it
 * shares with the others is sized) or another kernel.
 */
type BuiltStepKernel = StepKernel & { destroy(): void };

type Planned = { matmul: MatmulSpec } | { build: () => Promise<BuiltStepKernel> };

/** What a step is built over; the trainer owns all of it. */
export interface StepParts {
  config: GanConfig;
  dataset: GpuDataset;
  generator: MlpParameters;
  discriminator: MlpParameters;
  counter: StepCounter;
  workspace: StepActivations;
  /** The statistics buffer (StatsReader.buffer). */
  stats: GPUBuffer;
  /** With config.spectralNorm: its kernels, and the buffer of D's normalised weights they write. */
  spectralNorm?: { kernels: SpectralNorm; normalized: GPUBuffer };
  /** With config.classes > 0: each example's label (GpuDataset.fromLabels). */
  labels?: GpuDataset;
}

/**
 * The step's kernels in recording order; the caller owns them. If building one fails, those
 * already built are destroyed before the error is passed on.
 */
export async function buildStepKernels(ctx: GpuContext, parts: StepParts): Promise<BuiltStepKernel[]> {
  const plan = planStep(parts);
  // Split-K matmuls run one after another, so they share scratch instead of each holding its own
  // (up to 8 MiB at batch 4096). Two buffers taken in turn, so that consecutive split products do
  // not depend on each other through the scratch, which would put a barrier between them.
  const splitFloats = plan.map((p) => ('matmul' in p ? splitWorkspaceFloats(ctx, p.matmul) : 0));
  const scratch = parts.workspace.splitScratch(Math.max(0, ...splitFloats));
  let turn = 0;
  const kernels: BuiltStepKernel[] = [];
  try {
    for (const [i, p] of plan.entries()) {
      kernels.push(
        'build' in p
          ? await p.build()
          : await createMatmul(
              ctx,
              splitFloats[i]! > 0 ? { ...p.matmul, splitWorkspace: scratch[turn++ % 2] } : p.matmul,
            ),
      );
    }
    return kernels;
  } catch (error) {
    for (const kernel of kernels) kernel.destroy();
    throw error;
  }
}

function planStep(parts: StepParts): Planned[] {
  const { config: c, dataset, generator: G, discriminator: D, counter, workspace: w, stats } = parts;
  if (c.spectralNorm !== (parts.spectralNorm !== undefined))
    throw new Error('spectral normalisation: the configuration and the step parts disagree');
  const ctx = w.ctx;
  const B = c.batch;
  const matmuls = (specs: MatmulSpec[]): Planned[] => specs.map((matmul) => ({ matmul }));
  const gWidths = [...c.generatorHidden, c.dataDim];
  const fake = StepActivations.rows(w.x, B, c.dataDim);
  const gOutputs = [...w.gOut, fake];
  const firstRows = (buffers: GPUBuffer[], widths: number[]) =>
    buffers.map((b, i) => StepActivations.rows(b, B, widths[i]!));
  const statsSlot = (floats: number) => ({ buffer: stats, offset: floats * 4, size: 12 });
  const nonFiniteFlag = { buffer: stats, offset: STATS_SLOT_NON_FINITE * 4, size: 4 };
  // The step advances the counter in its first kernel (t = word 0 + 1, into word 1, which the
  // Adam updates read) and commits it in its last (word 0 = word 1): no increment dispatch.
  const plan: Planned[] = [];
  plan.push({
    build: () =>
      createBatchGather(ctx, {
        dataset: dataset.buffer,
        packedU8: dataset.packedU8,
        count: dataset.count,
        dim: dataset.dim,
        rows: B,
        firstRow: B,
        output: w.x,
        seed: c.seed,
        stepCount: counter.buffer,
        advanceStep: true,
        noise: { output: w.z, count: B * c.noiseDim, stream: STREAMS.noise },
        label: 'real batch + noise z',
      }),
  });
  const conditioning = w.conditioning;
  const labels = parts.labels;
  if (c.classes > 0 !== (conditioning !== null && labels !== undefined))
    throw new Error('class conditioning: the configuration and the step parts disagree');
  if (conditioning && labels) {
    // The real batch's labels, by the same shuffle, from the step the gather above advanced to.
    plan.push({
      build: () =>
        createLabelGather(ctx, {
          labels,
          rows: B,
          output: conditioning.labels,
          seed: c.seed,
          stepCount: counter.buffer,
          label: 'real batch labels',
        }),
    });
  }
  /** A forward pass as step entries; every row takes the label of its row in the real batch (fake rows included). */
  const forwardOf = (mlp: MlpParameters, spec: ForwardSpec, onehot?: TensorRef): Planned[] =>
    forwardEntries(mlp, {
      ...spec,
      ...(conditioning && onehot && { condition: { labels: conditioning.labels, labelRows: B, onehot } }),
    }).map((entry) =>
      'matmul' in entry ? { matmul: entry.matmul } : { build: () => createClassCondition(ctx, entry.condition) },
    );
  /** dW_c = dZ₀ᵀ·onehot: the gradient of a conditional first layer's class columns. */
  const classWeightGradient = (mlp: MlpParameters, rows: number, dZ: TensorRef, onehot: TensorRef): Planned[] => {
    const first = mlp.layout.layers[0]!;
    if (!first.classWeight) return [];
    return matmuls([
      {
        m: first.outFeatures,
        n: c.classes,
        k: rows,
        a: dZ,
        transposeA: true,
        b: onehot,
        c: viewRef(mlp.grads, first.classWeight),
        label: `${mlp.label} class weight grad`,
      },
    ]);
  };

  // The discriminator's last layer (one logit) runs fused with the loss and its gradients.
  const hiddenD = c.discriminatorHidden.length;
  const head = D.layout.layers[hiddenD]!;
  // D's passes read its weights as trained, or their normalised copy (rewritten before each pass).
  const usedD = parts.spectralNorm?.normalized ?? D.weights;
  const headWeights = { weight: viewRef(usedD, head.weight), bias: viewRef(usedD, head.bias) };
  const normalizeD: Planned[] = parts.spectralNorm
    ? [{ build: async () => spectralStep(parts.spectralNorm!.kernels, 'normalize') }]
    : [];
  const hiddenGate = { gate: D.spec.hidden, leakySlope: c.leakySlope };
  const outputGate = c.generatorOutput === 'none' ? undefined : { kind: c.generatorOutput, leakySlope: c.leakySlope };

  // Discriminator update on [fake; real].
  plan.push(...forwardOf(G, { rows: B, input: w.z, outputs: gOutputs }, conditioning?.gOnehot));
  plan.push(...normalizeD);
  // Spectral normalisation divides the image columns only: a class column adds a class's bias to
  // the first layer, which leaves D's Lipschitz constant in the image as it is, so it is read as trained.
  const dWeights = { weights: usedD, classWeights: D.weights };
  const dForward = { rows: 2 * B, input: w.x, outputs: w.dOut, layers: hiddenD, ...dWeights };
  plan.push(...forwardOf(D, dForward, conditioning?.dOnehot));
  plan.push({
    build: () =>
      createLogitHead(ctx, {
        rows: 2 * B,
        width: head.inFeatures,
        input: hiddenD > 0 ? w.dOut[hiddenD - 1]! : w.x,
        ...headWeights,
        loss: c.loss,
        split: B,
        targetFirst: 0,
        targetSecond: c.realLabel,
        divisor: B,
        stats: statsSlot(STATS_SLOT_D),
        accumulate: true,
        inputGrad: hiddenD > 0 ? { output: w.dGrad[hiddenD - 1]!, ...hiddenGate } : undefined,
        paramGrads: { weight: viewRef(D.grads, head.weight), bias: viewRef(D.grads, head.bias) },
        label: 'D logit + loss + gradients',
      }),
  });
  plan.push(
    ...matmuls(
      backwardMatmulSpecs(D, {
        rows: 2 * B,
        input: w.x,
        outputs: w.dOut,
        preActivationGrads: w.dGrad,
        layers: hiddenD,
        weights: usedD,
      }),
    ),
  );
  if (conditioning) plan.push(...classWeightGradient(D, 2 * B, w.dGrad[0]!, conditioning.dOnehot));
  if (parts.spectralNorm) plan.push({ build: async () => spectralStep(parts.spectralNorm!.kernels, 'gradients') });
  plan.push({
    build: () => adamUpdate(ctx, c, 'discriminator', D, D.layout.totalFloats, counter, nonFiniteFlag),
  });

  // Generator update through the updated discriminator, on the same fake rows.
  const dOutFake = firstRows(w.dOut, c.discriminatorHidden);
  const dGradFake = firstRows(w.dGrad, c.discriminatorHidden);
  plan.push(...normalizeD);
  const dForwardFake = { rows: B, input: fake, outputs: dOutFake, layers: hiddenD, ...dWeights };
  // The fake rows' one-hot rows are the first B of the D update's, rewritten with the same values.
  const fakeOnehot = conditioning ? StepActivations.rows(conditioning.dOnehot, B, c.classes) : undefined;
  plan.push(...forwardOf(D, dForwardFake, fakeOnehot));
  plan.push({
    build: () =>
      createLogitHead(ctx, {
        rows: B,
        width: head.inFeatures,
        input: hiddenD > 0 ? dOutFake[hiddenD - 1]! : fake,
        ...headWeights,
        // Hinge's generator loss is −D(G(z)), not the discriminator's hinge with target 1.
        loss: c.loss === 'hinge' ? 'negative-logit' : c.loss,
        targetFirst: 1,
        stats: statsSlot(STATS_SLOT_G),
        accumulate: true,
        inputGrad:
          hiddenD > 0
            ? { output: dGradFake[hiddenD - 1]!, ...hiddenGate }
            : { output: w.gGrad.at(-1)!, gate: outputGate?.kind, leakySlope: c.leakySlope },
        label: 'D logit + generator loss + input gradient',
      }),
  });
  plan.push(
    ...matmuls(
      backwardMatmulSpecs(D, {
        rows: B,
        input: fake,
        outputs: dOutFake,
        preActivationGrads: dGradFake,
        inputGradOnly: true,
        layers: hiddenD,
        weights: usedD,
        inputGrad: { output: w.gGrad.at(-1)!, gate: outputGate },
      }),
    ),
  );
  plan.push(
    ...matmuls(
      backwardMatmulSpecs(G, {
        rows: B,
        input: w.z,
        outputs: gOutputs,
        preActivationGrads: firstRows(w.gGrad, gWidths),
      }),
    ),
  );
  if (conditioning) plan.push(...classWeightGradient(G, B, w.gGrad[0]!, conditioning.gOnehot));
  plan.push({
    build: () => adamUpdate(ctx, c, 'generator', G, G.layout.totalFloats, counter, nonFiniteFlag),
  });
  return plan;
}
