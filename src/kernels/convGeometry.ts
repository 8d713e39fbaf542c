// A convolution's sizes, checked and spelt out: the geometry PyTorch's Conv2d and ConvTranspose2d
// take, the output size, and the shapes that are plain matmuls. No GPU code: the layer planner
// (src/nn/model.ts) works out shapes with these before any kernel exists.
import { ArgumentError, requirePositiveInteger } from '../base/errors.js';
import { requireObject } from '../base/arguments.js';

/** A convolution's sizes as PyTorch's Conv2d takes them (a number means the same on both axes). */
export interface Conv2dGeometry {
  batch: number;
  inChannels: number;
  outChannels: number;
  inHeight: number;
  inWidth: number;
  kernelSize: number | readonly [number, number];
  stride?: number | readonly [number, number];
  padding?: number | readonly [number, number];
}

/** Every size spelt out, with the output's. */
export interface ConvShape {
  batch: number;
  inChannels: number;
  outChannels: number;
  inHeight: number;
  inWidth: number;
  kernelH: number;
  kernelW: number;
  strideH: number;
  strideW: number;
  padH: number;
  padW: number;
  outHeight: number;
  outWidth: number;
}

function pair(argument: string, value: number | readonly [number, number] | undefined, fallback: number) {
  const [h, w] = typeof value === 'number' || value === undefined ? [value ?? fallback, value ?? fallback] : value;
  return [h, w].map((v) => {
    if (!Number.isInteger(v) || (v as number) < 0)
      throw new ArgumentError(argument, `must be a non-negative integer or a pair of them, got ${String(value)}`);
    return v as number;
  }) as [number, number];
}

/** A (transposed) convolution's kernel, stride and padding, each a size or [height, width], checked. */
function windowOf(g: Pick<Conv2dGeometry, 'kernelSize' | 'stride' | 'padding'>) {
  const [kernelH, kernelW] = pair('kernelSize', g.kernelSize, 1);
  const [strideH, strideW] = pair('stride', g.stride, 1);
  const [padH, padW] = pair('padding', g.padding, 0);
  if (kernelH < 1 || kernelW < 1) throw new ArgumentError('kernelSize', 'must be at least 1');
  if (strideH < 1 || strideW < 1) throw new ArgumentError('stride', 'must be at least 1');
  return { kernelH, kernelW, strideH, strideW, padH, padW };
}

/** Checks a geometry and works out its output size, refusing one with no output pixel. */
export function convShape(geometry: Conv2dGeometry): ConvShape {
  requireObject('geometry', geometry, 'a Conv2dGeometry object');
  const g = geometry;
  const { kernelH, kernelW, strideH, strideW, padH, padW } = windowOf(g);
  const shape = {
    batch: requirePositiveInteger('batch', g.batch),
    inChannels: requirePositiveInteger('inChannels', g.inChannels),
    outChannels: requirePositiveInteger('outChannels', g.outChannels),
    inHeight: requirePositiveInteger('inHeight', g.inHeight),
    inWidth: requirePositiveInteger('inWidth', g.inWidth),
    kernelH,
    kernelW,
    strideH,
    strideW,
    padH,
    padW,
  };
  const outHeight = Math.floor((shape.inHeight + 2 * padH - kernelH) / strideH) + 1;
  const outWidth = Math.floor((shape.inWidth + 2 * padW - kernelW) / strideW) + 1;
  if (outHeight < 1 || outWidth < 1) {
    throw new ArgumentError(
      'kernelSize',
      `${kernelH}×${kernelW} does not fit a ${shape.inHeight}×${shape.inWidth} input padded by ${padH}×${padW}`,
    );
  }
  return { ...shape, outHeight, outWidth };
}

/**
 * A convolution whose kernel covers its whole unpadded input (one output pixel) is a Linear layer
 * on the flattened input, and NCHW lays its tensors out as the matmul's row-major matrices: the
 * generator's first layer (a transposed convolution from 1×1) and the discriminator's last. The
 * implicit GEMM's input gradient would multiply zeros at every tap but one of each output there,
 * so these run as matmuls.
 */
export function isDense(s: ConvShape): boolean {
  return (
    s.outHeight === 1 &&
    s.outWidth === 1 &&
    s.padH === 0 &&
    s.padW === 0 &&
    s.kernelH === s.inHeight &&
    s.kernelW === s.inWidth
  );
}

/** Floats of the input, output and weight tensors of a convolution. */
export const inputSize = (s: ConvShape) => s.batch * s.inChannels * s.inHeight * s.inWidth;
export const outputSize = (s: ConvShape) => s.batch * s.outChannels * s.outHeight * s.outWidth;
export const weightSize = (s: ConvShape) => s.outChannels * s.inChannels * s.kernelH * s.kernelW;

/** A transposed convolution's sizes as PyTorch's ConvTranspose2d takes them. */
export interface ConvTranspose2dGeometry {
  batch: number;
  inChannels: number;
  outChannels: number;
  inHeight: number;
  inWidth: number;
  kernelSize: number | readonly [number, number];
  stride?: number | readonly [number, number];
  padding?: number | readonly [number, number];
  /** Extra rows and columns on the output's far side; less than the stride. Default 0. */
  outputPadding?: number | readonly [number, number];
}

/**
 * The convolution whose input gradient a transposed convolution computes: its input is the
 * transposed one's output (so its channels are swapped), and its output the transposed one's input.
 */
export function transposedAsConv(g: ConvTranspose2dGeometry): Conv2dGeometry {
  requireObject('geometry', g, 'a ConvTranspose2dGeometry object');
  const { kernelH, kernelW, strideH, strideW, padH, padW } = windowOf(g);
  const [extraH, extraW] = pair('outputPadding', g.outputPadding, 0);
  if (extraH >= strideH || extraW >= strideW)
    throw new ArgumentError('outputPadding', `must be less than the stride (${strideH}×${strideW})`);
  const inHeight = requirePositiveInteger('inHeight', g.inHeight);
  const inWidth = requirePositiveInteger('inWidth', g.inWidth);
  const outHeight = (inHeight - 1) * strideH - 2 * padH + kernelH + extraH;
  const outWidth = (inWidth - 1) * strideW - 2 * padW + kernelW + extraW;
  if (outHeight < 1 || outWidth < 1)
    throw new ArgumentError('padding', `${padH}×${padW} leaves no output for a ${inHeight}×${inWidth} input`);
  return {
    batch: g.batch,
    inChannels: g.outChannels,
    outChannels: g.inChannels,
    inHeight: outHeight,
    inWidth: outWidth,
    kernelSize: [kernelH, kernelW],
    stride: [strideH, strideW],
    padding: [padH, padW],
  };
}

/** One line naming a convolution's shape, for labels and messages. */
export function describeConv(s: ConvShape): string {
  return (
    `${s.batch}×${s.inChannels}×${s.inHeight}×${s.inWidth} → ${s.outChannels}×${s.outHeight}×${s.outWidth} ` +
    `k${s.kernelH}×${s.kernelW} s${s.strideH}×${s.strideW} p${s.padH}×${s.padW}`
  );
}
