// The training step as data, then as kernels: the step's order of dispatches (see trainer.ts for
// what one step does), the activation buffers it runs on, and the split-K scratch its matmuls
// share. Planning first lets the scratch be sized for the largest split product before any
// matmul is built.
import type { GpuContext } from '../gpu/context.js';
import { AdamKernel } from '../kernels/adam.js';
import type { StepCounter } from '../kernels/counter.js';
import type { TensorRef } from '../kernels/kernel.js';
import { createMatmul, splitWorkspaceFloats, type MatmulSpec } from '../kernels/matmul.js';
import { createLogitHead } from '../kernels/logitHead.js';
import { createBatchGather } from '../data/gather.js';
import type { GpuDataset } from '../data/dataset.js';
import { viewRef, type MlpParameters } from '../nn/mlp.js';
import { backwardMatmulSpecs, forwardMatmulSpecs } from '../nn/passes.js';
import type { GanConfig } from './config.js';
import { STATS_SLOT_D, STATS_SLOT_G, STATS_SLOT_NON_FINITE } from './stats.js';

/** Philox streams: each use of the seed draws from its own sequence. */
export const STREAM = { noise: 1, sampleNoise: 2, init: 16 } as const;

/** One entry of the step: a kernel (one or more dispatches) or an optimizer. */
export interface StepKernel {
  readonly label: string;
  /** Dispatches it records (split-K matmuls record two). */
  readonly dispatches?: number;
  record(pass: GPUComputePassEncoder): void;
}

/** Activations and their gradients for one batch size, allocated once. */
export class Workspace {
  readonly buffers: GPUBuffer[] = [];
  readonly z: GPUBuffer;
  readonly gOut: GPUBuffer[];
  /** The discriminator's input: B fake rows, then B real rows. */
  readonly x: GPUBuffer;
  /** Outputs of the discriminator's hidden layers, and their pre-activation gradients. */
  readonly dOut: GPUBuffer[];
  readonly dGrad: GPUBuffer[];
  readonly gGrad: GPUBuffer[];

  constructor(
    readonly ctx: GpuContext,
    c: GanConfig,
  ) {
    const make = (label: string, floats: number) => {
      const b = ctx.memory.createStorage(label, floats);
      this.buffers.push(b);
      return b;
    };
    const B = c.batch;
    const gWidths = [...c.generatorHidden, c.dataDim];
    this.z = make('z', B * c.noiseDim);
    this.x = make('D input X (fake; real)', 2 * B * c.dataDim);
    this.gOut = c.generatorHidden.map((w, i) => make(`G h${i + 1}`, B * w));
    // The discriminator's hidden layers only: its logit head keeps logits and their gradients in
    // registers and workgroup memory.
    this.dOut = c.discriminatorHidden.map((w, i) => make(`D a${i + 1}`, 2 * B * w));
    this.dGrad = c.discriminatorHidden.map((w, i) => make(`D dZ${i + 1}`, 2 * B * w));
    this.gGrad = gWidths.map((w, i) =>
      make(i + 1 === gWidths.length ? "G dZ out (dX ⊙ tanh')" : `G dZ${i + 1}`, B * w),
    );
  }

  /** The buffer with the most bytes per batch row, which sets the largest batch a device can bind. */
  static widestPerBatchRow(c: GanConfig): { label: string; bytesPerRow: number } {
    const perRow: Array<[string, number]> = [
      ['the noise z', c.noiseDim],
      ["the discriminator's input (fake and real rows)", 2 * c.dataDim],
      ...c.generatorHidden.map((w, i): [string, number] => [`generator layer ${i + 1}`, w]),
      ...c.discriminatorHidden.map((w, i): [string, number] => [`discriminator layer ${i + 1}`, 2 * w]),
    ];
    const [label, floats] = perRow.reduce((a, b) => (b[1] > a[1] ? b : a));
    return { label, bytesPerRow: floats * 4 };
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
type Planned = { matmul: MatmulSpec } | { build: () => Promise<StepKernel & { destroy(): void }> };

export async function buildStepKernels(
  ctx: GpuContext,
  c: GanConfig,
  dataset: GpuDataset,
  G: MlpParameters,
  D: MlpParameters,
  counter: StepCounter,
  w: Workspace,
  stats: GPUBuffer,
  owned: Array<{ destroy(): void }>,
): Promise<StepKernel[]> {
  const plan = planStep(c, dataset, G, D, counter, w, stats);
  // Split-K matmuls run one after another, so they share scratch instead of each holding its own
  // (up to 8 MiB at batch 4096). Two buffers taken in turn, so that consecutive split products do
  // not depend on each other through the scratch, which would put a barrier between them.
  const splitFloats = plan.map((p) => ('matmul' in p ? splitWorkspaceFloats(ctx, p.matmul) : 0));
  const scratch = w.splitScratch(Math.max(0, ...splitFloats));
  let turn = 0;
  const kernels: StepKernel[] = [];
  for (const [i, p] of plan.entries()) {
    const kernel =
      'build' in p
        ? await p.build()
        : await createMatmul(
            ctx,
            splitFloats[i]! > 0 ? { ...p.matmul, splitWorkspace: scratch[turn++ % 2] } : p.matmul,
          );
    owned.push(kernel);
    kernels.push(kernel);
  }
  return kernels;
}

function planStep(
  c: GanConfig,
  dataset: GpuDataset,
  G: MlpParameters,
  D: MlpParameters,
  counter: StepCounter,
  w: Workspace,
  stats: GPUBuffer,
): Planned[] {
  const ctx = w.ctx;
  const B = c.batch;
  const matmuls = (specs: MatmulSpec[]): Planned[] => specs.map((matmul) => ({ matmul }));
  const gWidths = [...c.generatorHidden, c.dataDim];
  const fake = Workspace.rows(w.x, B, c.dataDim);
  const gOutputs = [...w.gOut, fake];
  const firstRows = (buffers: GPUBuffer[], widths: number[]) => buffers.map((b, i) => Workspace.rows(b, B, widths[i]!));
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
        noise: { output: w.z, count: B * c.noiseDim, stream: STREAM.noise },
        label: 'real batch + noise z',
      }),
  });

  // The discriminator's last layer (one logit) runs fused with the loss and its gradients.
  const hiddenD = c.discriminatorHidden.length;
  const head = D.layout.layers[hiddenD]!;
  const headWeights = { weight: viewRef(D.weights, head.weight), bias: viewRef(D.weights, head.bias) };
  const hiddenGate = { gate: D.spec.hidden, leakySlope: c.leakySlope };
  const outputGate = c.generatorOutput === 'none' ? undefined : { kind: c.generatorOutput, leakySlope: c.leakySlope };

  // Discriminator update on [fake; real].
  plan.push(...matmuls(forwardMatmulSpecs(G, { rows: B, input: w.z, outputs: gOutputs })));
  plan.push(...matmuls(forwardMatmulSpecs(D, { rows: 2 * B, input: w.x, outputs: w.dOut, layers: hiddenD })));
  plan.push({
    build: () =>
      createLogitHead(ctx, {
        rows: 2 * B,
        width: head.inFeatures,
        input: hiddenD > 0 ? w.dOut[hiddenD - 1]! : w.x,
        ...headWeights,
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
      }),
    ),
  );
  const hyper = { lr: c.lr, beta1: c.beta1, beta2: c.beta2, epsilon: c.epsilon, weightDecay: 0 };
  plan.push({
    build: () =>
      AdamKernel.create(ctx, {
        n: D.layout.totalFloats,
        weights: D.weights,
        grads: D.grads,
        moment1: D.moment1,
        moment2: D.moment2,
        stepCount: counter.buffer,
        stepWord: 1,
        ...hyper,
        nonFiniteFlag,
        label: 'Adam D',
      }),
  });

  // Generator update through the updated discriminator, on the same fake rows.
  const dOutFake = firstRows(w.dOut, c.discriminatorHidden);
  const dGradFake = firstRows(w.dGrad, c.discriminatorHidden);
  plan.push(...matmuls(forwardMatmulSpecs(D, { rows: B, input: fake, outputs: dOutFake, layers: hiddenD })));
  plan.push({
    build: () =>
      createLogitHead(ctx, {
        rows: B,
        width: head.inFeatures,
        input: hiddenD > 0 ? dOutFake[hiddenD - 1]! : fake,
        ...headWeights,
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
  plan.push({
    build: () =>
      AdamKernel.create(ctx, {
        n: G.layout.totalFloats,
        weights: G.weights,
        grads: G.grads,
        moment1: G.moment1,
        moment2: G.moment2,
        stepCount: counter.buffer,
        stepWord: 1,
        commitStep: true,
        ...hyper,
        ema: { weights: G.ema!, decay: c.emaDecay },
        nonFiniteFlag,
        label: 'Adam G',
      }),
  });
  return plan;
}
