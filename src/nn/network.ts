// A network of layers (model.ts) as the kernels that run it: its parameters on the GPU, and its
// forward and backward passes as lists of kernels over activation buffers the caller owns.
//
// Each compute layer (linear, conv2d, conv-transpose2d, batch-norm) forms a block with the
// activation layer right after it, which rides in the layer's kernel; flatten and unflatten are
// views of the same memory and make no kernel. The backward pass keeps one gradient buffer per
// block: dL/dz before the block's activation for a linear or convolution block (the layer after
// it folds f'(y) into its input gradient, as the MLP's matmuls do), dL/dy after it for a batch
// norm (whose backward applies f' itself). Weight gradients are written, not accumulated.
// A first linear layer with class columns (a one-hot conditional MLP) runs its matmul without its
// activation, then the class-condition kernel: the row's label's column added, the activation
// applied, and the one-hot rows written for the class columns' gradient (its backward's dZᵀ·onehot).
// A Gaussian-noise layer is a block of its own (it adds noise to its input in training, copies it
// in eval mode); its backward passes the gradient through, folding in the previous block's f'.
// So is an add-input layer (the network's input added to its own), in both directions.
// A pass may split its rows into groups that batch norms normalise apart (normGroups): a GAN's
// discriminator sees fake and real examples in one buffer but, as in PyTorch, each by its own
// statistics; every other layer treats each row on its own and runs over all rows at once.
import { ArgumentError } from '../base/errors.js';
import type { GpuContext } from '../gpu/context.js';
import { createElementwiseAdd } from '../kernels/activation.js';
import { createBatchNorm } from '../kernels/batchNorm.js';
import { createClassCondition } from '../kernels/classCondition.js';
import { createConv2d, createConv2dInputGrad, type Conv2dGeometry } from '../kernels/conv2d.js';
import type { Activation, Kernel, TensorRef } from '../kernels/kernel.js';
import { createMatmul, splitWorkspaceFloats, type MatmulSpec } from '../kernels/matmul.js';
import type { Workspace } from '../gpu/workspace.js';
import { viewRef, type TensorView } from './mlp.js';
import { gaussianNoise, type NoiseDraw } from './networkNoise.js';
import {
  elements,
  layoutModel,
  makesBlock,
  type Layer,
  type LayoutOptions,
  type LayerActivation,
  type ModelLayout,
  type PlacedLayer,
} from './model.js';

/** A compute layer and the activation fused into it. */
export interface Block {
  layer: PlacedLayer;
  activation: LayerActivation | null;
  /** Values per example of its output. */
  width: number;
  /** Where a batch norm keeps the batch's mean and inverse deviation for its backward (2·C floats). */
  statsFloats: number;
}

/** The network's blocks in order; refuses an activation with no compute layer before it. */
export function networkBlocks(layout: ModelLayout): Block[] {
  const blocks: Block[] = [];
  let previous: PlacedLayer['layer']['kind'] | null = null;
  for (const placed of layout.layers) {
    const kind = placed.layer.kind;
    if (kind === 'activation') {
      const last = blocks.at(-1);
      // A noise or add-input layer is a block but computes no activation of its own.
      const computes =
        previous !== null && makesBlock(previous) && previous !== 'gaussian-noise' && previous !== 'add-input';
      if (!last || !computes || last.activation)
        throw new ArgumentError(
          `layers[${placed.index}]`,
          'an activation must come right after a linear, convolution or batch-norm layer, which computes it ' +
            '(put it before a gaussian-noise or add-input layer)',
        );
      last.activation = placed.layer.fn;
    } else if (makesBlock(kind)) {
      blocks.push({
        layer: placed,
        activation: null,
        width: elements(placed.outShape),
        statsFloats: kind === 'batch-norm' ? 2 * placed.outShape[0]! : 0,
      });
    }
    previous = kind;
  }
  if (blocks.length === 0)
    throw new ArgumentError('layers', 'need at least one linear, convolution or batch-norm layer');
  return blocks;
}

/** A network: its input, layers and slope, and its layout's options (a projection's classes, weight normalisation). */
export interface NetworkSpec extends LayoutOptions {
  /** One example's input: [features] or [channels, height, width]. */
  input: readonly number[];
  layers: readonly Layer[];
  /** The leaky-ReLU slope of every leaky-relu activation. */
  leakySlope: number;
}

/** The layout of a network's spec: its layers, a projection discriminator's class embedding, g. */
export function networkLayout(spec: NetworkSpec): ModelLayout {
  const options = { projectionClasses: spec.projectionClasses ?? 0, weightNorm: spec.weightNorm === true };
  return layoutModel(spec.input, spec.layers, 'layers', options);
}

/**
 * A layer list's weights on the GPU, with its batch norms' running statistics and optionally a
 * moving average of the weights: all that running it forward needs (sampling, classifying).
 */
export class NetworkWeights {
  readonly layout: ModelLayout;
  readonly blocks: Block[];
  readonly weights: GPUBuffer;
  /** Batch norms' running means and variances (not trained by the optimiser). */
  readonly state: GPUBuffer;
  /** A moving average of the weights (the generator's), or null. */
  readonly ema: GPUBuffer | null;
  private freed = false;
  /** Every buffer this network made, freed together. */
  protected readonly owned: GPUBuffer[] = [];

  constructor(
    protected readonly ctx: GpuContext,
    readonly spec: NetworkSpec,
    readonly label: string,
    withEma = false,
  ) {
    this.layout = networkLayout(spec);
    this.blocks = networkBlocks(this.layout);
    const floats = this.layout.parameterFloats;
    this.weights = this.make('weights', floats);
    this.state = this.make('running statistics', this.layout.stateFloats);
    this.ema = withEma ? this.make('ema weights', floats) : null;
  }

  /**
   * A buffer of `floats` floats, owned. One the device refuses (too large a network) frees the
   * others first, so a failed constructor leaves nothing behind.
   */
  protected make(what: string, floats: number): GPUBuffer {
    try {
      const buffer = this.ctx.memory.createStorage(`${this.label} ${what}`, Math.max(floats, 1));
      this.owned.push(buffer);
      return buffer;
    } catch (error) {
      for (const b of this.owned) this.ctx.memory.release(b);
      throw error;
    }
  }

  /** Whether destroy() has freed the buffers (a sampler made from them then refuses to run). */
  get destroyed(): boolean {
    return this.freed;
  }

  destroy(): void {
    this.freed = true;
    for (const b of this.owned) this.ctx.memory.release(b);
  }
}

/** A layer list in training: its weights, and their gradients and Adam moments. */
export class NetworkParameters extends NetworkWeights {
  readonly grads: GPUBuffer;
  readonly moment1: GPUBuffer;
  readonly moment2: GPUBuffer;

  constructor(ctx: GpuContext, spec: NetworkSpec, label: string, withEma = false) {
    super(ctx, spec, label, withEma);
    const floats = this.layout.parameterFloats;
    this.grads = this.make('grads', floats);
    this.moment1 = this.make('adam m', floats);
    this.moment2 = this.make('adam v', floats);
  }
}

/** A kernel to build, in the order the pass records it. */
export type PlannedKernel = { matmul: MatmulSpec } | { build: (ctx: GpuContext) => Promise<Kernel> };

export interface PassBuffers {
  rows: number;
  /** Only the first this many blocks (the caller runs the rest, e.g. a fused logit head). Default all. */
  blocks?: number;
  /** rows × input values. */
  input: TensorRef;
  /** One per block: rows × its width, the block's (activated) output. */
  outputs: TensorRef[];
  /** One per batch-norm block (else unused): its saved statistics, statsFloats. */
  stats: Array<TensorRef | null>;
  /**
   * Rows that batch norms normalise apart, each group by its own statistics (its own `stats`), in
   * the order their running estimates are updated; together they cover the rows once. Default: one
   * group of all rows, with `stats`.
   */
  normGroups?: NormGroup[];
  /**
   * Where batch norms read γ and β when `weights` does not hold them (a spectrally normalised copy
   * holds only linear and convolution weights); default the weights the pass reads.
   */
  batchNormWeights?: GPUBuffer;
  /** For a network whose first layer takes a class (a linear layer with classes): the rows' labels. */
  condition?: ClassCondition;
}

/** Each row's class for a first layer with class columns, and where its one-hot rows go. */
export interface ClassCondition {
  /** labelRows class indices as floats; row r takes label r mod labelRows. */
  labels: TensorRef;
  labelRows: number;
  /** rows × classes, written by the forward pass: what the class columns' gradient (dZᵀ·onehot) reads. */
  onehot: TensorRef;
  /**
   * Where the class columns are read, if not from the pass's weights: a spectrally normalised copy
   * divides the input's columns only, and the class columns stay as trained.
   */
  classWeights?: GPUBuffer;
}

export interface NormGroup {
  firstRow: number;
  rows: number;
  /** One per batch-norm block (else unused): this group's saved statistics. */
  stats: Array<TensorRef | null>;
}

export interface ForwardPass extends PassBuffers {
  /**
   * Batch norms normalise by the batch and update their running estimates, and Gaussian-noise
   * layers add noise ('train'), or batch norms use their estimates and noise layers copy ('eval').
   */
  mode: 'train' | 'eval';
  /** Read these weights instead of the trained ones (an EMA or normalised copy); same layout. */
  weights?: GPUBuffer;
  /** Where Gaussian-noise layers draw in a 'train' pass; required if the network has one. */
  noise?: NoiseDraw;
}

export const kernelActivation = (a: LayerActivation | null): Activation =>
  a === null || a === 'relu' ? (a ? 'leaky-relu' : 'none') : a;
/** ReLU rides in the kernels as leaky-ReLU of slope 0. */
export const slopeOf = (a: LayerActivation | null, leakySlope: number) => (a === 'relu' ? 0 : leakySlope);

export function geometry(block: Block, rows: number): Conv2dGeometry {
  const c = block.layer.conv!;
  return {
    batch: rows,
    inChannels: c.inChannels,
    outChannels: c.outChannels,
    inHeight: c.inHeight,
    inWidth: c.inWidth,
    kernelSize: [c.kernelH, c.kernelW],
    stride: [c.strideH, c.strideW],
    padding: [c.padH, c.padW],
  };
}

export const ref = (buffer: GPUBuffer, view: TensorView | undefined) => (view ? viewRef(buffer, view) : undefined);

export function forwardPlan(net: NetworkWeights, pass: ForwardPass): PlannedKernel[] {
  const weights = pass.weights ?? net.weights;
  const slope = net.spec.leakySlope;
  const groups = normGroups(pass);
  return net.blocks.slice(0, blockCount(net, pass.blocks)).flatMap((block, b): PlannedKernel | PlannedKernel[] => {
    const p = block.layer;
    const input = b === 0 ? pass.input : pass.outputs[b - 1]!;
    const output = pass.outputs[b]!;
    const activation = kernelActivation(block.activation);
    const leakySlope = slopeOf(block.activation, slope);
    const bias = ref(weights, p.bias);
    const label = `${net.label} forward ${p.index} (${p.layer.kind})`;
    const epilogue = { ...(bias && { bias }), activation, leakySlope, label };
    switch (p.layer.kind) {
      case 'linear': {
        const matmul: MatmulSpec = {
          m: pass.rows,
          n: p.outShape[0]!,
          k: p.inShape[0]!,
          a: input,
          b: viewRef(weights, p.weight!),
          transposeB: true,
          ...(bias && { bias }),
          c: output,
          activation,
          leakySlope,
          label,
        };
        if (!p.classWeight) return { matmul };
        // W·x + b without the activation, then the class column added and the activation applied.
        const condition = requiredCondition(net, pass);
        return [
          { matmul: { ...matmul, activation: 'none' } },
          {
            build: (ctx) =>
              createClassCondition(ctx, {
                rows: pass.rows,
                width: p.outShape[0]!,
                classes: p.classWeight!.shape[1]!,
                values: output,
                classWeight: viewRef(condition.classWeights ?? weights, p.classWeight!),
                labels: condition.labels,
                labelRows: condition.labelRows,
                onehot: condition.onehot,
                hotValue: p.hotValue ?? 1,
                activation,
                leakySlope,
                label: `${net.label} class condition`,
              }),
          },
        ];
      }
      case 'conv2d':
        return {
          build: (ctx) =>
            createConv2d(ctx, {
              geometry: geometry(block, pass.rows),
              input,
              weight: viewRef(weights, p.weight!),
              output,
              ...epilogue,
            }),
        };
      case 'conv-transpose2d':
        // A transposed convolution is the input gradient of the convolution it transposes.
        return {
          build: (ctx) =>
            createConv2dInputGrad(ctx, {
              geometry: geometry(block, pass.rows),
              gradOutput: input,
              weight: viewRef(weights, p.weight!),
              gradInput: output,
              ...epilogue,
            }),
        };
      case 'batch-norm': {
        const affine = pass.batchNormWeights ?? weights;
        // One kernel per group, in the group order: each updates the running estimates in turn.
        return groups.map((group) => ({
          build: (ctx) =>
            createBatchNorm(ctx, {
              mode: pass.mode,
              batch: group.rows,
              firstRow: group.firstRow,
              channels: p.inShape[0]!,
              spatial: elements(p.inShape) / p.inShape[0]!,
              x: input,
              y: output,
              gamma: viewRef(affine, p.weight!),
              beta: viewRef(affine, p.bias!),
              runningMean: viewRef(net.state, p.runningMean!),
              runningVar: viewRef(net.state, p.runningVar!),
              ...(pass.mode === 'train' ? { saved: requiredStats(group, b) } : {}),
              ...batchNormOptions(p.layer),
              ...(block.activation ? { activation: block.activation } : {}),
              ...(block.activation === 'leaky-relu' ? { leakySlope: slope } : {}),
              label: groups.length > 1 ? `${label} rows ${group.firstRow}+${group.rows}` : label,
            }),
        }));
      }
      case 'gaussian-noise': {
        const noise = { sigma: p.layer.sigma, n: pass.rows * block.width, input, output, label };
        return gaussianNoise(noise, pass.mode, pass.noise, b, net.label);
      }
      case 'add-input':
        return {
          build: (ctx) =>
            createElementwiseAdd(ctx, { n: pass.rows * block.width, input, addend: pass.input, output, label }),
        };
      default:
        throw new Error(`no forward kernel for ${p.layer.kind}`);
    }
  });
}

/** The pass's batch-norm groups (checked to cover its rows once), or one group of all its rows. */
export function normGroups(pass: Pick<PassBuffers, 'rows' | 'stats' | 'normGroups'>): NormGroup[] {
  if (!pass.normGroups) return [{ firstRow: 0, rows: pass.rows, stats: pass.stats }];
  if (pass.normGroups.length === 0) throw new ArgumentError('normGroups', 'needs at least one group');
  const covered = new Array<boolean>(pass.rows).fill(false);
  for (const [g, { firstRow, rows }] of pass.normGroups.entries()) {
    if (
      !Number.isInteger(firstRow) ||
      !Number.isInteger(rows) ||
      firstRow < 0 ||
      rows < 1 ||
      firstRow + rows > pass.rows
    )
      throw new ArgumentError(`normGroups[${g}]`, `must be rows inside [0, ${pass.rows}), got ${firstRow}+${rows}`);
    for (let r = firstRow; r < firstRow + rows; r++) {
      if (covered[r]) throw new ArgumentError(`normGroups[${g}]`, `overlaps another group at row ${r}`);
      covered[r] = true;
    }
  }
  const missing = covered.indexOf(false);
  if (missing >= 0) throw new ArgumentError('normGroups', `must cover every row; row ${missing} is in none`);
  return pass.normGroups;
}

function batchNormOptions(layer: Layer): { eps?: number; momentum?: number } {
  if (layer.kind !== 'batch-norm') return {};
  return {
    ...(layer.eps !== undefined && { eps: layer.eps }),
    ...(layer.momentum !== undefined && { momentum: layer.momentum }),
  };
}

export function requiredCondition(net: NetworkWeights, pass: Pick<PassBuffers, 'condition'>): ClassCondition {
  if (!pass.condition)
    throw new ArgumentError('condition', `${net.label} takes a class in its first layer: each row needs a label`);
  return pass.condition;
}

export function requiredStats(pass: Pick<PassBuffers, 'stats'>, b: number): TensorRef {
  const stats = pass.stats[b];
  if (!stats)
    throw new ArgumentError(`stats[${b}]`, 'a batch norm in training needs a buffer for its batch statistics');
  return stats;
}

/** How many blocks a pass covers: all, or the caller's count (checked). */
export function blockCount(net: NetworkWeights, blocks: number | undefined): number {
  const all = net.blocks.length;
  if (blocks === undefined) return all;
  if (!Number.isInteger(blocks) || blocks < 0 || blocks > all)
    throw new ArgumentError('blocks', `must be an integer in [0, ${all}], got ${blocks}`);
  return blocks;
}

/**
 * The plan with its split-K matmuls sharing two scratch buffers of `ws` instead of each holding
 * its own (up to 8 MiB apiece at batch 4096): a pass's kernels run one after another, so one
 * product's partial sums are spent before the next is made. The two are taken in turn so that
 * consecutive split products do not depend on each other through the scratch, which would put a
 * barrier between them. What the products compute is unchanged.
 */
export function shareSplitScratch(ctx: GpuContext, ws: Workspace, plan: PlannedKernel[]): PlannedKernel[] {
  const floats = plan.map((p) => ('matmul' in p ? splitWorkspaceFloats(ctx, p.matmul) : 0));
  const largest = Math.max(0, ...floats);
  if (largest === 0) return plan;
  const scratch = [ws.storage('split-K partials A', largest), ws.storage('split-K partials B', largest)];
  let turn = 0;
  return plan.map((p, i) =>
    'matmul' in p && floats[i]! > 0 ? { matmul: { ...p.matmul, splitWorkspace: scratch[turn++ % 2]! } } : p,
  );
}

/** Builds planned kernels in order; on a failure destroys those built and rethrows. */
export async function buildPlan(ctx: GpuContext, plan: PlannedKernel[]): Promise<Kernel[]> {
  const kernels: Kernel[] = [];
  try {
    for (const entry of plan)
      kernels.push('matmul' in entry ? await createMatmul(ctx, entry.matmul) : await entry.build(ctx));
    return kernels;
  } catch (error) {
    for (const k of kernels) k.destroy();
    throw error;
  }
}
