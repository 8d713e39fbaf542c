// A network's backward pass as kernels (see network.ts for the blocks and the gradient each
// block's buffer holds): weight gradients, written not accumulated, and dL/d(input) of each block
// with the previous block's f' folded in where its kernel can, through scratch where it cannot.
// A batch norm whose rows were normalised in groups (normGroups) runs one backward per group, each
// from its group's saved statistics; the first writes dγ and dβ and the others add theirs to it.
// A Gaussian-noise or add-input layer passes the gradient through (nn/networkNoise.ts). A network
// with an add-input layer gives no input gradient: the input's would need the skip's share added,
// and nothing differentiates through such a network to its input (a restorer's input is data).
// After an eval-mode forward (repair's search through a trained network) batch norms pass the
// gradient back through their running estimates, and only the input's gradient is computed.
import { ArgumentError } from '../base/errors.js';
import { createActivationBackward } from '../kernels/activation.js';
import { createBatchNormBackward, createBatchNormEvalBackward } from '../kernels/batchNorm.js';
import { createChannelSum } from '../kernels/channelSum.js';
import { createConv2d, createConv2dInputGrad, createConv2dWeightGrad } from '../kernels/conv2d.js';
import type { Activation, TensorRef } from '../kernels/kernel.js';
import { viewRef } from './mlp.js';
import { elements } from './model.js';
import { passThroughBackward } from './networkNoise.js';
import {
  blockCount,
  geometry,
  kernelActivation,
  normGroups,
  ref,
  requiredCondition,
  requiredStats,
  slopeOf,
  type Block,
  NetworkParameters,
  type NetworkWeights,
  type PassBuffers,
  type PlannedKernel,
} from './network.js';

export interface BackwardPass extends PassBuffers {
  /**
   * One per block: rows × its width. The last block's is filled by the caller (dL/dz before its
   * activation, or dL/dy after it for a batch norm: gradientTakesActivation); the kernels fill the others.
   */
  grads: TensorRef[];
  /** Where a batch norm whose input came from an activated block puts dL/dy before f' (one per block, else null). */
  scratch?: Array<TensorRef | null>;
  /** Also dL/d(input), optionally times f' of the layer that made the input (its output is `input`). */
  inputGrad?: { output: TensorRef; gate?: { kind: Exclude<Activation, 'none'>; leakySlope: number } };
  /** Only the input gradient: no weight gradients (the network is not being trained). */
  inputGradOnly?: boolean;
  /** The weights the forward pass read; same layout. */
  weights?: GPUBuffer;
  /**
   * The forward's mode (default 'train'). After an 'eval' forward batch norms pass the gradient
   * back through their running estimates, which are constants: input gradients only.
   */
  mode?: 'train' | 'eval';
}

/** Whether a block's gradient buffer holds dL/dy after its activation (a batch norm) rather than dL/dz. */
export function gradientTakesActivation(block: Block): boolean {
  return block.layer.layer.kind === 'batch-norm';
}

/** Whether the gradient written for a block has its activation's f' folded in (dL/dz, not dL/dy). */
function foldsActivation(block: Block): boolean {
  return !!block.activation && !gradientTakesActivation(block);
}

/**
 * Whether block b's backward needs a scratch buffer (BackwardPass.scratch): a batch norm after a
 * block whose activation is folded into its gradient writes dL/dx there before f' is applied.
 */
export function needsScratch(blocks: readonly Block[], b: number): boolean {
  return blocks[b]!.layer.layer.kind === 'batch-norm' && b > 0 && foldsActivation(blocks[b - 1]!);
}

/**
 * The activations' f for a kernel gate: ReLU as leaky-ReLU of slope 0. None for a batch norm,
 * whose gradient buffer holds dL/dy after its activation (its backward applies f' itself).
 */
export function gateOf(block: Block, leakySlope: number) {
  if (!block.activation || gradientTakesActivation(block)) return undefined;
  const kind: Exclude<Activation, 'none'> = block.activation === 'relu' ? 'leaky-relu' : block.activation;
  return { kind, leakySlope: block.activation === 'relu' ? 0 : leakySlope };
}

/** The gate that folds block b's activation into the gradient written for it, if its gradient wants one. */
function gateFor(net: NetworkWeights, pass: BackwardPass, b: number) {
  const block = net.blocks[b]!;
  if (!block.activation || gradientTakesActivation(block)) return undefined;
  return {
    gate: { kind: kernelActivation(block.activation) as Exclude<Activation, 'none'>, output: pass.outputs[b]! },
    leakySlope: slopeOf(block.activation, net.spec.leakySlope),
  };
}

/**
 * The backward pass in recording order. Forward-only weights (NetworkWeights) hold no gradients, so
 * they take only an input gradient (inputGradOnly): repair's search differentiates with respect to
 * the noise, not the weights.
 */
export function backwardPlan(net: NetworkWeights, pass: BackwardPass): PlannedKernel[] {
  if (!pass.inputGradOnly && !(net instanceof NetworkParameters))
    throw new ArgumentError(
      'inputGradOnly',
      `${net.label} holds no gradients: it can only pass an input gradient back`,
    );
  if (pass.mode === 'eval' && !pass.inputGradOnly)
    throw new ArgumentError('inputGradOnly', 'is required after an eval-mode forward, which trains nothing');
  // The skip's share of dL/d(input) is not summed in, so an add-input among the blocks this pass
  // covers refuses the input gradient; one beyond them (a caller's own head) does not matter.
  const covered = net.blocks.slice(0, blockCount(net, pass.blocks));
  if (pass.inputGrad && covered.some((block) => block.layer.layer.kind === 'add-input'))
    throw new ArgumentError(
      'inputGrad',
      `${net.label} has an add-input layer: its backward gives no gradient with respect to its input`,
    );
  const weights = pass.weights ?? net.weights;
  const plan: PlannedKernel[] = [];
  for (let b = blockCount(net, pass.blocks) - 1; b >= 0; b--) {
    const block = net.blocks[b]!;
    const p = block.layer;
    const input = b === 0 ? pass.input : pass.outputs[b - 1]!;
    const grad = pass.grads[b]!;
    const label = `${net.label} backward ${p.index} (${p.layer.kind})`;
    // Where dL/d(input) goes, and the previous block's f' to fold in on the way.
    const target = b > 0 ? pass.grads[b - 1]! : pass.inputGrad?.output;
    const gated =
      b > 0
        ? gateFor(net, pass, b - 1)
        : pass.inputGrad?.gate && {
            gate: { kind: pass.inputGrad.gate.kind, output: pass.input },
            leakySlope: pass.inputGrad.gate.leakySlope,
          };
    if (p.layer.kind === 'gaussian-noise' || p.layer.kind === 'add-input') {
      if (target) plan.push(passThroughBackward(pass.rows * block.width, grad, target, gated, label));
      continue;
    }
    if (p.layer.kind === 'batch-norm') {
      plan.push(...batchNormBackward(net, pass, b, input, grad, target, gated, label));
      continue;
    }
    if (net instanceof NetworkParameters && !pass.inputGradOnly)
      plan.push(...parameterGradients(net, block, pass, input, grad, label));
    if (!target) continue;
    const epilogue = { ...(gated ?? {}), label: `${label} input grad` };
    const weight = viewRef(weights, p.weight!);
    if (p.layer.kind === 'linear') {
      plan.push({
        matmul: {
          m: pass.rows,
          n: p.inShape[0]!,
          k: p.outShape[0]!,
          a: grad,
          b: weight,
          c: target,
          leakySlope: net.spec.leakySlope,
          ...epilogue,
        },
      });
    } else if (p.layer.kind === 'conv2d') {
      plan.push({
        build: (ctx) =>
          createConv2dInputGrad(ctx, {
            geometry: geometry(block, pass.rows),
            gradOutput: grad,
            weight,
            gradInput: target,
            ...epilogue,
          }),
      });
    } else {
      // A transposed convolution's input gradient is the forward of the convolution it transposes.
      plan.push({
        build: (ctx) =>
          createConv2d(ctx, { geometry: geometry(block, pass.rows), input: grad, weight, output: target, ...epilogue }),
      });
    }
  }
  return plan;
}

function parameterGradients(
  net: NetworkParameters,
  block: Block,
  pass: BackwardPass,
  input: TensorRef,
  grad: TensorRef,
  label: string,
): PlannedKernel[] {
  const p = block.layer;
  const rows = pass.rows;
  const gradWeight = viewRef(net.grads, p.weight!);
  const gradBias = ref(net.grads, p.bias);
  if (p.layer.kind === 'linear') {
    const plan: PlannedKernel[] = [
      {
        matmul: {
          m: p.outShape[0]!,
          n: p.inShape[0]!,
          k: rows,
          a: grad,
          transposeA: true,
          b: input,
          c: gradWeight,
          ...(gradBias && { rowSums: gradBias }),
          label: `${label} weight+bias grad`,
        },
      },
    ];
    // The class columns' gradient, dZᵀ·onehot, from the one-hot rows the forward pass wrote.
    if (p.classWeight)
      plan.push({
        matmul: {
          m: p.outShape[0]!,
          n: p.classWeight.shape[1]!,
          k: rows,
          a: grad,
          transposeA: true,
          b: requiredCondition(net, pass).onehot,
          c: viewRef(net.grads, p.classWeight),
          label: `${label} class weight grad`,
        },
      });
    return plan;
  }
  const g = geometry(block, rows);
  const transposed = p.layer.kind === 'conv-transpose2d';
  // A transposed convolution's weight gradient is its convolution's, with input and output swapped.
  const plan: PlannedKernel[] = [
    {
      build: (ctx) =>
        createConv2dWeightGrad(ctx, {
          geometry: g,
          gradOutput: transposed ? input : grad,
          input: transposed ? grad : input,
          gradWeight,
          label: `${label} weight grad`,
        }),
    },
  ];
  if (gradBias) {
    const channels = p.outShape[0]!;
    plan.push({
      build: (ctx) =>
        createChannelSum(ctx, {
          batch: rows,
          channels,
          pixels: block.width / channels,
          input: grad,
          output: gradBias,
          label: `${label} bias grad`,
        }),
    });
  }
  return plan;
}

function batchNormBackward(
  net: NetworkWeights,
  pass: BackwardPass,
  b: number,
  input: TensorRef,
  grad: TensorRef,
  target: TensorRef | undefined,
  gated: ReturnType<typeof gateFor>,
  label: string,
): PlannedKernel[] {
  const block = net.blocks[b]!;
  const p = block.layer;
  if (!target)
    throw new ArgumentError('inputGrad', `${net.label}: a batch norm's backward needs somewhere to write dL/dx`);
  // The batch-norm backward writes dL/dx as it is; where the input came through an activation,
  // it goes to scratch first and the activation's derivative is applied after.
  const scratch = gated ? pass.scratch?.[b] : undefined;
  if (gated && !scratch)
    throw new ArgumentError(`scratch[${b}]`, 'is needed for a batch norm after an activated layer');
  const shape = {
    channels: p.inShape[0]!,
    spatial: elements(p.inShape) / p.inShape[0]!,
    gamma: viewRef(pass.batchNormWeights ?? pass.weights ?? net.weights, p.weight!),
    dy: grad,
    ...(block.activation ? { y: pass.outputs[b]!, activation: block.activation } : {}),
    ...(block.activation === 'leaky-relu' ? { leakySlope: net.spec.leakySlope } : {}),
    dx: scratch ?? target,
  };
  const plan: PlannedKernel[] =
    pass.mode === 'eval'
      ? [
          {
            build: (ctx) =>
              createBatchNormEvalBackward(ctx, {
                batch: pass.rows,
                ...shape,
                runningVar: viewRef(net.state, p.runningVar!),
                ...(p.layer.kind === 'batch-norm' && p.layer.eps !== undefined && { eps: p.layer.eps }),
                label: `${label} (eval)`,
              }),
          },
        ]
      : normGroups(pass).map((group, g, groups) => ({
          build: (ctx) =>
            createBatchNormBackward(ctx, {
              batch: group.rows,
              firstRow: group.firstRow,
              ...shape,
              x: input,
              saved: requiredStats(group, b),
              // Without weight gradients the kernel still needs the sums for dx, but writes no dγ, dβ.
              ...(!pass.inputGradOnly && {
                dgamma: viewRef((net as NetworkParameters).grads, p.weight!),
                dbeta: viewRef((net as NetworkParameters).grads, p.bias!),
                accumulate: g > 0,
              }),
              label: groups.length > 1 ? `${label} rows ${group.firstRow}+${group.rows}` : label,
            }),
        }));
  if (gated && scratch) {
    const n = pass.rows * elements(p.inShape);
    plan.push({
      build: (ctx) =>
        createActivationBackward(ctx, {
          activation: gated.gate.kind,
          n,
          gradOutput: scratch,
          output: gated.gate.output,
          gradInput: target,
          leakySlope: gated.leakySlope,
          label: `${label} activation grad`,
        }),
    });
  }
  return plan;
}
