// A restorer's reconstruction loss (shaders/reconstruction_loss.wgsl): the mean squared or mean
// absolute difference between restored and clean pictures, optionally plus an l1 on the pictures'
// gradients (`edges`), its gradient (through the restorer's output activation when `gate` names
// it), and the loss in `stats[0]`, in one dispatch.
import { guardedCreator } from '../gpu/creation.js';
import { ArgumentError, requireFinite, requirePositiveInteger } from '../base/errors.js';
import type { GpuContext } from '../gpu/context.js';
import { getPipeline } from '../gpu/pipelines.js';
import reconstructionShader from '../../shaders/reconstruction_loss.wgsl';
import { activationCode, Bindings, BoundKernel, type Activation, type TensorRef } from './kernel.js';
import { requireCreatorArguments, requireObject } from '../base/arguments.js';

export const RECONSTRUCTION_LOSSES = ['l1', 'l2'] as const;
export type ReconstructionLoss = (typeof RECONSTRUCTION_LOSSES)[number];

export interface ReconstructionLossSpec {
  /** Values in `restored` and `target`. */
  n: number;
  loss: ReconstructionLoss;
  restored: TensorRef;
  target: TensorRef;
  /** n values, written: dL/d(restored), or dL/dz before the activation `gate` names. */
  grad: TensorRef;
  gate?: Exclude<Activation, 'none'>;
  leakySlope?: number;
  /** The loss and gradient are divided by this. Default n (a mean over every value). */
  divisor?: number;
  /**
   * Adds weight × (1/divisor) Σ |Δrestored − Δtarget| over each pair of neighbours in a row and in
   * a column of each plane (the values are planes of height × width). Default: none.
   */
  edges?: { weight: number; width: number; height: number };
  /** One value: the loss, overwritten or (accumulate) added to. */
  stats: TensorRef;
  accumulate?: boolean;
  label?: string;
}

export const createReconstructionLoss = /* @__PURE__ */ guardedCreator(
  'createReconstructionLoss',
  makeReconstructionLoss,
);

async function makeReconstructionLoss(ctx: GpuContext, spec: ReconstructionLossSpec): Promise<BoundKernel> {
  requireCreatorArguments(ctx, spec);
  const n = requirePositiveInteger('n', spec.n);
  if (n >= 2 ** 32) throw new ArgumentError('n', 'must be below 2^32');
  if (!RECONSTRUCTION_LOSSES.includes(spec.loss))
    throw new ArgumentError('loss', `must be one of ${RECONSTRUCTION_LOSSES.join(', ')}, got ${String(spec.loss)}`);
  const gate = spec.gate === undefined ? 0 : activationCode(reconstructionShader, 'gate', spec.gate);
  if (spec.gate !== undefined && gate === 0) throw new ArgumentError('gate', 'must name an activation, not none');
  const divisor = requireFinite('divisor', spec.divisor ?? n, { min: 0, minExclusive: true });
  const alpha = requireFinite('leakySlope', spec.leakySlope ?? 0.2);
  const edges = spec.edges === undefined ? { weight: 0, width: 1, height: 1 } : checkEdges(spec.edges, n);
  const resources = new Bindings(ctx)
    .tensor('restored', 'restored', spec.restored, n)
    .tensor('target_values', 'target', spec.target, n)
    .tensor('grad', 'grad', spec.grad, n)
    .tensor('stats', 'stats', spec.stats, 1)
    .forEntry(reconstructionShader, 'reconstruction_loss');
  const compiled = await getPipeline(ctx.device, reconstructionShader, 'reconstruction_loss', {
    L1: spec.loss === 'l1',
    GATE: gate,
    ACCUMULATE: spec.accumulate ?? false,
    EDGES: spec.edges !== undefined,
  });
  const label = spec.label ?? `reconstruction ${spec.loss} ${n}`;
  const uniforms = { n, divisor, alpha, width: edges.width, height: edges.height, edge_weight: edges.weight };
  return new BoundKernel(ctx, compiled, label, resources, uniforms, [1, 1, 1]);
}

function checkEdges(edges: NonNullable<ReconstructionLossSpec['edges']>, n: number) {
  requireObject('edges', edges, 'an object { weight, width, height }');
  const weight = requireFinite('edges.weight', edges.weight, { min: 0 });
  const width = requirePositiveInteger('edges.width', edges.width);
  const height = requirePositiveInteger('edges.height', edges.height);
  if (n % (width * height) !== 0)
    throw new ArgumentError('edges', `${n} values are not whole planes of ${height}×${width}`);
  return { weight, width, height };
}
