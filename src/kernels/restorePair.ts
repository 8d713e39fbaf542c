// The pair discriminator's input and its gradient, for a restorer trained with an adversarial term
// (shaders/restore_pair.wgsl): createPairPack stacks each degraded picture (blown up to the clean
// side) over a clean-sided picture; createPairGradient adds the discriminator's gradient with
// respect to the restored half, through the restorer's output activation, to the restorer's own.
import { requireCreatorArguments } from '../base/arguments.js';
import { ArgumentError, requireFinite, requirePositiveInteger } from '../base/errors.js';
import type { GpuContext } from '../gpu/context.js';
import { guardedCreator } from '../gpu/creation.js';
import { getPipeline } from '../gpu/pipelines.js';
import pairShader from '../../shaders/restore_pair.wgsl';
import { activationCode, Bindings, BoundKernel, gridForItems, type Activation, type TensorRef } from './kernel.js';

export interface PairShape {
  rows: number;
  channels: number;
  /** The clean pictures' side. */
  side: number;
  /** The degraded pictures' side: side divided by a whole factor. */
  inputSide: number;
}

export interface PairPackSpec extends PairShape {
  /** rows × C·inputSide²: the degraded pictures. */
  degraded: TensorRef;
  /** rows × C·side²: the restored (or clean) pictures. */
  picture: TensorRef;
  /** rows × 2·C·side², written: each row's pair. */
  pair: TensorRef;
  label?: string;
}

export interface PairGradientSpec extends PairShape {
  /** rows × C·side²: the restored pictures y, after the restorer's output activation. */
  restored: TensorRef;
  /** rows × 2·C·side²: the discriminator's gradient with respect to its input pairs. */
  pairGrads: TensorRef;
  /** rows × C·side²: the restorer's gradient at its last pre-activation, added to. */
  grad: TensorRef;
  /** The adversarial term's weight beside the restorer's own loss. */
  weight: number;
  /**
   * The restorer's output activation, whose derivative the pair's gradient goes through; absent
   * where the output is not an activation's (a residual restorer's: its add-input layer folds tanh's).
   */
  gate?: Exclude<Activation, 'none'>;
  leakySlope?: number;
  label?: string;
}

function checkShape(spec: PairShape): { rows: number; plane: number; side: number; inputSide: number } {
  const rows = requirePositiveInteger('rows', spec.rows);
  const channels = requirePositiveInteger('channels', spec.channels);
  const side = requirePositiveInteger('side', spec.side);
  const inputSide = requirePositiveInteger('inputSide', spec.inputSide);
  if (side % inputSide !== 0)
    throw new ArgumentError(
      'inputSide',
      `must divide the side ${side} (a downscaling by a whole factor), got ${inputSide}`,
    );
  const plane = channels * side * side;
  if (rows * 2 * plane >= 2 ** 31) throw new ArgumentError('rows', 'rows × 2·C·side² must be below 2^31');
  return { rows, plane, side, inputSide };
}

export const createPairPack = /* @__PURE__ */ guardedCreator('createPairPack', makePairPack);

async function makePairPack(ctx: GpuContext, spec: PairPackSpec): Promise<BoundKernel> {
  requireCreatorArguments(ctx, spec);
  const { rows, plane, side, inputSide } = checkShape(spec);
  const small = spec.channels * inputSide * inputSide;
  const resources = new Bindings(ctx)
    .tensor('degraded', 'degraded', spec.degraded, rows * small)
    .tensor('picture', 'picture', spec.picture, rows * plane)
    .tensor('pair', 'pair', spec.pair, rows * 2 * plane)
    .forEntry(pairShader, 'pair_pack');
  const compiled = await getPipeline(ctx.device, pairShader, 'pair_pack', {});
  return new BoundKernel(
    ctx,
    compiled,
    spec.label ?? `pair pack ${rows}×2×${plane}`,
    resources,
    { rows, plane, side, input_side: inputSide, weight: 0, alpha: 0 },
    gridForItems(ctx, compiled.layout, rows * 2 * plane),
  );
}

export const createPairGradient = /* @__PURE__ */ guardedCreator('createPairGradient', makePairGradient);

async function makePairGradient(ctx: GpuContext, spec: PairGradientSpec): Promise<BoundKernel> {
  requireCreatorArguments(ctx, spec);
  const { rows, plane, side, inputSide } = checkShape(spec);
  const weight = requireFinite('weight', spec.weight, { min: 0 });
  const alpha = requireFinite('leakySlope', spec.leakySlope ?? 0.2);
  const GATE = spec.gate === undefined ? 0 : activationCode(pairShader, 'gate', spec.gate);
  if (spec.gate !== undefined && GATE === 0)
    throw new ArgumentError('gate', 'must name an activation, or be left out for none');
  const resources = new Bindings(ctx)
    .tensor('picture', 'restored', spec.restored, rows * plane)
    .tensor('pair_grads', 'pairGrads', spec.pairGrads, rows * 2 * plane)
    .tensor('grad', 'grad', spec.grad, rows * plane)
    .forEntry(pairShader, 'pair_grad');
  const compiled = await getPipeline(ctx.device, pairShader, 'pair_grad', { GATE });
  return new BoundKernel(
    ctx,
    compiled,
    spec.label ?? `pair gradient ${rows}×${plane}`,
    resources,
    { rows, plane, side, input_side: inputSide, weight, alpha },
    gridForItems(ctx, compiled.layout, rows * plane),
  );
}
