// The trained restorer's network, as a layer list: an encoder–decoder in the spirit of pix2pix's
// generator, which takes the degraded picture and gives the restored one. The encoder brings the
// picture, whatever its side (a downscaled one is smaller), to a quarter of the clean side with
// stride-2 convolutions; the decoder doubles it twice back to the clean side with transposed
// ones. Kept small on purpose: ~7 MFLOP a 28×28 picture, so that it trains in minutes on a CPU
// adapter and restores a picture in a blink on any GPU.
// A residual restorer is another network: Zhang et al. 2017's DnCNN made small, five 3×3
// convolutions at the picture's full side (16 channels, an 11×11 view, ~11 MFLOP a 28×28 picture)
// whose tanh-bounded output is a correction added to the degraded picture (an add-input layer).
// The encoder–decoder must carry every pixel through its 7×7 bottleneck, which smooths away fine
// texture and cannot cancel noise pixel by pixel; so the encoder–decoder with the input added back
// learnt more slowly than without it (QUALITY.md). Only where the degraded side is the clean one.
import { requireObject } from '../base/arguments.js';
import { ArgumentError } from '../base/errors.js';
import type { Layer } from '../nn/model.js';
import type { NetworkSpec } from '../nn/network.js';
import type { Degradation } from './spec.js';

/** The encoder's widths: the last one is the bottleneck's. */
const ENCODER = [32, 64] as const;
const DECODER = 32;
const LEAKY_SLOPE = 0.2;
/** The residual network's width and its batch-normed middle layers (DnCNN's are 64 and 15). */
const RESIDUAL_WIDTH = 16;
const RESIDUAL_MIDDLE = 3;

export interface RestorerShape {
  channels: 1 | 3;
  /** The clean pictures' side: a multiple of 4 for the encoder–decoder, any for the residual network. */
  side: number;
  /** The degraded pictures' side: side, side/2 or side/4 (after downscaling). */
  inputSide: number;
  /** The residual network rather than the encoder–decoder (see above); default false. */
  residual?: boolean;
}

/** Why a restorer cannot take pictures of a shape: the setting at fault and the reason. */
export interface RestorerShapeProblem {
  argument: 'channels' | 'pictures' | 'residual';
  message: string;
}

/**
 * Whether a picture of this side can be restored by this network, and if not, why. The
 * encoder–decoder halves the side twice, so it takes a multiple of 4; the residual network keeps
 * the side throughout, so any side will do, but not downscaling.
 */
export function restorerShapeProblem(shape: RestorerShape): RestorerShapeProblem | null {
  const { side, inputSide } = shape;
  const problem = (argument: RestorerShapeProblem['argument'], message: string) => ({ argument, message });
  if (shape.channels !== 1 && shape.channels !== 3)
    return problem('channels', `channels must be 1 or 3, got ${String(shape.channels)}`);
  if (shape.residual !== undefined && typeof shape.residual !== 'boolean')
    return problem('residual', `residual must be true or false, got ${String(shape.residual)}`);
  if (!Number.isInteger(side) || side < 1)
    return problem('pictures', `the clean pictures' side must be a whole number, got ${side}`);
  if (shape.residual && inputSide !== side)
    return problem(
      'residual',
      `a residual restorer adds the degraded picture to its output, so it cannot undo downscaling ` +
        `(${inputSide} to ${side} pixels); train it without residual`,
    );
  if (shape.residual) return null;
  if (side < 4 || side % 4 !== 0)
    return problem(
      'pictures',
      `the clean pictures' side must be a multiple of 4 for the encoder–decoder, got ${side} ` +
        `(the residual network takes any side)`,
    );
  if (![side, side / 2, side / 4].includes(inputSide))
    return problem(
      'pictures',
      `the degraded side must be the clean side ${side}, half or a quarter of it (downscaling by 2 or 4), ` +
        `got ${inputSide}`,
    );
  return null;
}

/** The side of a clean picture of side `side` after the chain (downscaling divides it). */
export function degradedSide(side: number, chain: readonly Degradation[]): number {
  let result = side;
  for (const d of chain) {
    if (d.kind !== 'downscale') continue;
    if (result % d.factor !== 0)
      throw new ArgumentError('degradation', `downscale:factor=${d.factor} does not divide a side of ${result}`);
    result /= d.factor;
  }
  return result;
}

export function restorerLayers(shape: RestorerShape): Layer[] {
  requireObject('shape', shape, "the pictures' { channels, side, inputSide }");
  const problem = restorerShapeProblem(shape);
  if (problem) throw new ArgumentError('restorer', problem.message);
  return shape.residual ? residualLayers(shape.channels) : encoderDecoderLayers(shape);
}

function encoderDecoderLayers(shape: RestorerShape): Layer[] {
  const downs = Math.log2((4 * shape.inputSide) / shape.side); // 2, 1 or 0 stride-2 steps to side/4
  const layers: Layer[] = [];
  // A batch norm after every convolution but the last (as pix2pix, and after the first one too):
  // it takes the input's offset and scale out, which dark pictures (values near −1 everywhere)
  // need; without it the network settled on black there, its tanh saturated, and learnt no more.
  const normed = (fn: 'leaky-relu' | 'relu'): Layer[] => [{ kind: 'batch-norm' }, { kind: 'activation', fn }];
  // A picture already at a quarter of the side gets one 3×3 convolution, so there is an encoder.
  const widths = downs === 2 ? ENCODER : [ENCODER[1]];
  widths.forEach((out, i) => {
    const strided = i < downs;
    layers.push(
      strided
        ? { kind: 'conv2d', out, kernel: 4, stride: 2, padding: 1, bias: false }
        : { kind: 'conv2d', out, kernel: 3, stride: 1, padding: 1, bias: false },
      ...normed('leaky-relu'),
    );
  });
  layers.push(
    { kind: 'conv-transpose2d', out: DECODER, kernel: 4, stride: 2, padding: 1, bias: false },
    ...normed('relu'),
    { kind: 'conv-transpose2d', out: shape.channels, kernel: 4, stride: 2, padding: 1 },
    { kind: 'activation', fn: 'tanh' },
  );
  return layers;
}

/**
 * The residual network: 3×3 convolutions at the full side, batch-normed between the first and the
 * last, then tanh and the degraded picture added back (restorerModel.ts's header says why).
 */
function residualLayers(channels: 1 | 3): Layer[] {
  const conv = (out: number, bias: boolean): Layer => ({
    kind: 'conv2d',
    out,
    kernel: 3,
    stride: 1,
    padding: 1,
    ...(!bias && { bias: false }),
  });
  const layers: Layer[] = [conv(RESIDUAL_WIDTH, true), { kind: 'activation', fn: 'relu' }];
  for (let i = 0; i < RESIDUAL_MIDDLE; i++)
    layers.push(conv(RESIDUAL_WIDTH, false), { kind: 'batch-norm' }, { kind: 'activation', fn: 'relu' });
  layers.push(conv(channels, true), { kind: 'activation', fn: 'tanh' }, { kind: 'add-input' });
  return layers;
}

export function restorerNetworkSpec(shape: RestorerShape): NetworkSpec {
  return {
    input: [shape.channels, shape.inputSide, shape.inputSide],
    layers: restorerLayers(shape),
    leakySlope: LEAKY_SLOPE,
  };
}
