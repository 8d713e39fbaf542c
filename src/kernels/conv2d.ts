// Conv2d (NCHW) forward, input gradient (= ConvTranspose2d forward) and weight gradient as
// implicit GEMMs (shaders/conv2d.wgsl), and the per-channel sum that is their bias gradient.
// Every pipeline is built for its layer's exact shape: the sizes are override constants.
import { guardedCreator } from '../gpu/creation.js';
import { ArgumentError, requireFinite, requirePositiveInteger } from '../base/errors.js';
import type { GpuContext } from '../gpu/context.js';
import { shaderConstant } from '../gpu/layout.js';
import { getPipeline, type OverrideConstants } from '../gpu/pipelines.js';
import convShader from '../../shaders/conv2d.wgsl';
import {
  activationCode,
  Bindings,
  BoundKernel,
  grid1d,
  StagedKernel,
  type Activation,
  type Kernel,
  type TensorRef,
} from './kernel.js';
import {
  convShape,
  describeConv,
  inputSize,
  isDense,
  outputSize,
  transposedAsConv,
  weightSize,
  type Conv2dGeometry,
  type ConvShape,
  type ConvTranspose2dGeometry,
} from './convGeometry.js';
import { chooseSplitK, createMatmul, usedSplitCount } from './matmul.js';
import { requireCreatorArguments, requireObject } from '../base/arguments.js';

export { convShape, isDense, transposedAsConv } from './convGeometry.js';
export type { Conv2dGeometry, ConvShape, ConvTranspose2dGeometry } from './convGeometry.js';

const MODES = {
  forward: shaderConstant(convShader, 'MODE_FORWARD'),
  inputGrad: shaderConstant(convShader, 'MODE_INPUT_GRAD'),
  weightGrad: shaderConstant(convShader, 'MODE_WEIGHT_GRAD'),
};
const TILE_K = shaderConstant(convShader, 'TILE_K');
const DIRECT_THREADS = shaderConstant(convShader, 'DIRECT_THREADS');

/**
 * Input gradients with at most this many input channels skip the GEMM (conv_input_grad_direct):
 * its rows are those channels, so even an 8-row tile would mostly multiply padding.
 */
const DIRECT_MAX_CHANNELS = 4;

/**
 * The GEMM tiles of shaders/conv2d.wgsl: 'gpu' (4×4 outputs per thread), 'cpu' (16×16 per thread,
 * see the shader on why) or 'auto': 'cpu' for a large convolution on a software adapter, 'gpu'
 * otherwise.
 */
export type ConvTiles = 'auto' | 'gpu' | 'cpu';

/**
 * Multiply-adds from which a software adapter takes the 'cpu' tiles: below it their run time is
 * small and their compile time is not (lavapipe takes several seconds for a 16×16 block per thread,
 * about one for 4×4; the tests build dozens). The 28×28 DCGAN's 64→128 and 128→256 layers are over
 * 2^28 at batch 64, its 1-channel ones under 2^25.
 */
const CPU_TILES_MIN_MACS = 2 ** 26;

type ThreadLayout = Record<'THREAD_ROWS' | 'THREAD_COLS' | 'BLOCKS_ROWS' | 'BLOCKS_COLS' | 'K_STEP', number>;

/**
 * Thread layouts of shaders/conv2d.wgsl for a GEMM of `rows` channels × `cols` columns: 8×128
 * tiles when there are few channels, which a 64-row tile would compute up to 64 times over, and
 * 64×16 when there are few columns (the weight gradient of a 1-channel image's layer: its columns
 * are the 16 taps of one input channel), 4×4 outputs per thread. Otherwise 64×64 tiles of 4×4 per
 * thread ('gpu'), or 16×16 per thread ('cpu'): 128×128 tiles, K 8 at a time to fit the workgroup
 * memory, from 128 channels, else 64×128 tiles.
 */
function threadLayout(rows: number, cols: number, tiles: 'gpu' | 'cpu'): ThreadLayout {
  const small = { BLOCKS_ROWS: 1, BLOCKS_COLS: 1, K_STEP: TILE_K };
  if (rows <= 8) return { THREAD_ROWS: 2, THREAD_COLS: 32, ...small };
  if (cols <= 16) return { THREAD_ROWS: 16, THREAD_COLS: 4, ...small };
  if (tiles === 'gpu') return { THREAD_ROWS: 16, THREAD_COLS: 16, ...small };
  const wide = rows >= 128;
  return { THREAD_ROWS: wide ? 8 : 4, THREAD_COLS: 8, BLOCKS_ROWS: 4, BLOCKS_COLS: 4, K_STEP: wide ? 8 : TILE_K };
}

/** The tiles `tiles` asks for, for convolution `s` on this context's adapter. */
function resolveTiles(ctx: GpuContext, s: ConvShape, tiles: ConvTiles | undefined): 'gpu' | 'cpu' {
  if (tiles === 'gpu' || tiles === 'cpu') return tiles;
  const macs = s.batch * s.outHeight * s.outWidth * weightSize(s);
  return ctx.adapter.isSoftware && macs >= CPU_TILES_MIN_MACS ? 'cpu' : 'gpu';
}

const tileRows = (l: ThreadLayout) => 4 * l.THREAD_ROWS * l.BLOCKS_ROWS;
const tileCols = (l: ThreadLayout) => 4 * l.THREAD_COLS * l.BLOCKS_COLS;

function shapeConstants(s: ConvShape): OverrideConstants {
  return {
    BATCH: s.batch,
    C_IN: s.inChannels,
    H_IN: s.inHeight,
    W_IN: s.inWidth,
    C_OUT: s.outChannels,
    K_H: s.kernelH,
    K_W: s.kernelW,
    STRIDE_H: s.strideH,
    STRIDE_W: s.strideW,
    PAD_H: s.padH,
    PAD_W: s.padW,
    H_OUT: s.outHeight,
    W_OUT: s.outWidth,
  };
}

/** The GEMM grid of a thread layout for `rows` channels × `cols` columns, `layers` deep in z. */
function gemmGrid(ctx: GpuContext, layout: ThreadLayout, rows: number, cols: number, layers: number) {
  return checkedGrid(ctx, [Math.ceil(cols / tileCols(layout)), Math.ceil(rows / tileRows(layout)), layers]);
}

function checkedGrid(ctx: GpuContext, grid: [number, number, number]): [number, number, number] {
  const max = ctx.device.limits.maxComputeWorkgroupsPerDimension;
  if (grid[0] > max || grid[1] > max || grid[2] > max)
    throw new ArgumentError('batch', `makes a convolution too large for one dispatch (${grid.join('×')} workgroups)`);
  return grid;
}

interface EpilogueSpec {
  /** One value per output channel, added before the activation. */
  bias?: TensorRef;
  activation?: Activation;
  /** Leaky-ReLU slope of the activation or gate. Default 0.2. */
  leakySlope?: number;
  label?: string;
  /** The GEMM's tiles; 'auto' (the default): resolveTiles's choice. For tests and benchmarks. */
  tiles?: ConvTiles;
}

function epilogueConstants(spec: EpilogueSpec): OverrideConstants {
  return {
    HAS_BIAS: spec.bias !== undefined,
    ACTIVATION: activationCode(convShader, 'activation', spec.activation ?? 'none'),
    LEAKY_SLOPE: requireFinite('leakySlope', spec.leakySlope ?? 0.2),
  };
}

export interface Conv2dSpec extends EpilogueSpec {
  geometry: Conv2dGeometry;
  /** [batch, inChannels, inHeight, inWidth]. */
  input: TensorRef;
  /** [outChannels, inChannels, kernelH, kernelW], PyTorch's Conv2d layout. */
  weight: TensorRef;
  /** [batch, outChannels, outHeight, outWidth]. */
  output: TensorRef;
  /**
   * Multiplies the result by f'(y) for activation `kind`, y (shaped as the output) holding f's
   * output: as a transposed convolution's input gradient, the previous layer's backward step.
   */
  gate?: { kind: Exclude<Activation, 'none'>; output: TensorRef };
}

/** Checks a gate and binds its tensor (or the placeholder): its ACT_* code, 0 for none. */
function bindGate(bindings: Bindings, gate: Conv2dSpec['gate'], elements: number): number {
  const code = gate ? activationCode(convShader, 'gate.kind', gate.kind) : 0;
  if (gate && code === 0) throw new ArgumentError('gate.kind', 'must name an activation, not none');
  if (gate) bindings.tensor('gate', 'gate.output', gate.output, elements);
  else bindings.unused('gate');
  return code;
}

/** output = activation(conv2d(input, weight) + bias), times the gate's f' where given. */
export const createConv2d = /* @__PURE__ */ guardedCreator('createConv2d', makeConv2d);

async function makeConv2d(ctx: GpuContext, spec: Conv2dSpec): Promise<Kernel> {
  requireCreatorArguments(ctx, spec);
  const s = convShape(spec.geometry);
  if (isDense(s)) {
    return createMatmul(ctx, {
      m: s.batch,
      n: s.outChannels,
      k: weightSize(s) / s.outChannels,
      a: spec.input,
      b: spec.weight,
      transposeB: true,
      c: spec.output,
      ...(spec.bias ? { bias: spec.bias } : {}),
      ...(spec.activation ? { activation: spec.activation } : {}),
      leakySlope: spec.leakySlope ?? 0.2,
      ...(spec.gate ? { gate: spec.gate } : {}),
      label: spec.label ?? `conv2d ${describeConv(s)} (dense)`,
    });
  }
  const bindings = new Bindings(ctx)
    .tensor('image', 'input', spec.input, inputSize(s))
    .tensor('weight', 'weight', spec.weight, weightSize(s))
    .tensor('output', 'output', spec.output, outputSize(s))
    .unused('grad')
    .unused('partials');
  if (spec.bias) bindings.tensor('bias', 'bias', spec.bias, s.outChannels);
  else bindings.unused('bias');
  const gate = bindGate(bindings, spec.gate, outputSize(s));
  const cols = s.batch * s.outHeight * s.outWidth;
  const layout = threadLayout(s.outChannels, cols, resolveTiles(ctx, s, spec.tiles));
  const grid = gemmGrid(ctx, layout, s.outChannels, cols, 1);
  const constants = {
    ...shapeConstants(s),
    ...epilogueConstants(spec),
    ...layout,
    GATE: gate,
    MODE: MODES.forward,
  };
  const resources = bindings.forEntry(convShader, 'conv_gemm');
  const compiled = await getPipeline(ctx.device, convShader, 'conv_gemm', constants);
  return new BoundKernel(ctx, compiled, spec.label ?? `conv2d ${describeConv(s)}`, resources, null, grid);
}

export interface Conv2dInputGradSpec extends EpilogueSpec {
  geometry: Conv2dGeometry;
  /** dL/d(output): [batch, outChannels, outHeight, outWidth]. */
  gradOutput: TensorRef;
  /** [outChannels, inChannels, kernelH, kernelW]. */
  weight: TensorRef;
  /** dL/d(input): [batch, inChannels, inHeight, inWidth], overwritten. */
  gradInput: TensorRef;
  /**
   * Multiplies the result by f'(y) for activation `kind`, where y (shaped as the input) is f's
   * output: the previous layer's backward step fused in.
   */
  gate?: { kind: Exclude<Activation, 'none'>; output: TensorRef };
}

/**
 * gradInput = conv2d's gradient with respect to its input, times the gate where given. With a
 * bias and an activation it is ConvTranspose2d's forward (see createConvTranspose2d).
 */
export const createConv2dInputGrad = /* @__PURE__ */ guardedCreator('createConv2dInputGrad', makeConv2dInputGrad);

async function makeConv2dInputGrad(ctx: GpuContext, spec: Conv2dInputGradSpec): Promise<Kernel> {
  requireCreatorArguments(ctx, spec);
  const s = convShape(spec.geometry);
  // A bias here is per input channel, not per matmul column, so only a bias-free one goes dense.
  if (isDense(s) && !spec.bias) {
    return createMatmul(ctx, {
      m: s.batch,
      n: weightSize(s) / s.outChannels,
      k: s.outChannels,
      a: spec.gradOutput,
      b: spec.weight,
      c: spec.gradInput,
      ...(spec.activation ? { activation: spec.activation } : {}),
      ...(spec.gate ? { gate: spec.gate } : {}),
      leakySlope: spec.leakySlope ?? 0.2,
      label: spec.label ?? `conv2d input grad ${describeConv(s)} (dense)`,
    });
  }
  const bindings = new Bindings(ctx)
    .tensor('grad', 'gradOutput', spec.gradOutput, outputSize(s))
    .tensor('weight', 'weight', spec.weight, weightSize(s))
    .tensor('output', 'gradInput', spec.gradInput, inputSize(s))
    .unused('image')
    .unused('partials');
  if (spec.bias) bindings.tensor('bias', 'bias', spec.bias, s.inChannels);
  else bindings.unused('bias');
  const gate = bindGate(bindings, spec.gate, inputSize(s));
  // One GEMM (or direct pass) per stride phase, each over the input pixels that phase reaches.
  const [phaseH, phaseW] = [Math.ceil(s.inHeight / s.strideH), Math.ceil(s.inWidth / s.strideW)];
  const direct = s.inChannels <= DIRECT_MAX_CHANNELS;
  const entry = direct ? 'conv_input_grad_direct' : 'conv_gemm';
  // The direct kernel's threads each take a 4×4 block of a phase's pixels.
  const blocks = s.batch * Math.ceil(phaseH / 4) * Math.ceil(phaseW / 4);
  const layout = threadLayout(s.inChannels, s.batch * phaseH * phaseW, resolveTiles(ctx, s, spec.tiles));
  const grid = direct
    ? checkedGrid(ctx, [Math.ceil(blocks / DIRECT_THREADS), 1, s.strideH * s.strideW])
    : gemmGrid(ctx, layout, s.inChannels, s.batch * phaseH * phaseW, s.strideH * s.strideW);
  const constants = {
    ...shapeConstants(s),
    ...epilogueConstants(spec),
    ...(direct ? {} : layout),
    GATE: gate,
    MODE: MODES.inputGrad,
  };
  const resources = bindings.forEntry(convShader, entry);
  const compiled = await getPipeline(ctx.device, convShader, entry, constants);
  return new BoundKernel(ctx, compiled, spec.label ?? `conv2d input grad ${describeConv(s)}`, resources, null, grid);
}

export interface Conv2dWeightGradSpec {
  geometry: Conv2dGeometry;
  /** dL/d(output): [batch, outChannels, outHeight, outWidth]. */
  gradOutput: TensorRef;
  /** The layer's input: [batch, inChannels, inHeight, inWidth]. */
  input: TensorRef;
  /** dL/d(weight): [outChannels, inChannels, kernelH, kernelW], overwritten. */
  gradWeight: TensorRef;
  /** Splits of the batch × pixels sum; 'auto' (the default) splits where few tiles would run. */
  splitK?: number | 'auto';
  /** Scratch for the split partial sums (convWeightGradWorkspaceFloats()); else it makes its own. */
  splitWorkspace?: TensorRef;
  label?: string;
  /** The GEMM's tiles; 'auto' (the default): resolveTiles's choice. For tests and benchmarks. */
  tiles?: ConvTiles;
}

/** Splits of K by the 'gpu' tiles on every adapter, so a caller's scratch does not depend on it. */
function weightGradSplits(s: ConvShape, splitK: Conv2dWeightGradSpec['splitK']) {
  const k = s.batch * s.outHeight * s.outWidth;
  const layout = threadLayout(s.outChannels, weightSize(s) / s.outChannels, 'gpu');
  const asked =
    splitK === undefined || splitK === 'auto'
      ? chooseSplitK(s.outChannels, weightSize(s) / s.outChannels, k, tileRows(layout), tileCols(layout))
      : requirePositiveInteger('splitK', splitK);
  const splits = usedSplitCount(k, asked);
  const chunk = Math.ceil(Math.ceil(k / splits) / TILE_K) * TILE_K;
  return { splits, chunk };
}

/** Floats of split scratch a weight gradient needs (0 when it does not split). */
export function convWeightGradWorkspaceFloats(spec: Pick<Conv2dWeightGradSpec, 'geometry' | 'splitK'>): number {
  requireObject('spec', spec, 'an object with a geometry');
  const s = convShape(spec.geometry);
  const { splits } = weightGradSplits(s, spec.splitK);
  return splits === 1 || isDense(s) ? 0 : splits * weightSize(s);
}

/** gradWeight = Σ over batch and pixels of gradOutput ⊗ the input patch each output pixel saw. */
export const createConv2dWeightGrad = /* @__PURE__ */ guardedCreator('createConv2dWeightGrad', makeConv2dWeightGrad);

async function makeConv2dWeightGrad(ctx: GpuContext, spec: Conv2dWeightGradSpec): Promise<Kernel> {
  requireCreatorArguments(ctx, spec);
  const s = convShape(spec.geometry);
  if (isDense(s)) {
    // A split product here keeps scratch of its own (the matmul's split differs from ours).
    return createMatmul(ctx, {
      m: s.outChannels,
      n: weightSize(s) / s.outChannels,
      k: s.batch,
      a: spec.gradOutput,
      transposeA: true,
      b: spec.input,
      c: spec.gradWeight,
      ...(spec.splitK !== undefined ? { splitK: spec.splitK } : {}),
      label: spec.label ?? `conv2d weight grad ${describeConv(s)} (dense)`,
    });
  }
  const { splits, chunk } = weightGradSplits(s, spec.splitK);
  const bindings = new Bindings(ctx)
    .tensor('grad', 'gradOutput', spec.gradOutput, outputSize(s))
    .tensor('image', 'input', spec.input, inputSize(s))
    .tensor('output', 'gradWeight', spec.gradWeight, weightSize(s))
    .unused('weight')
    .unused('bias')
    .unused('gate')
    .unused('partials');
  const label = spec.label ?? `conv2d weight grad ${describeConv(s)}`;
  const layout = threadLayout(s.outChannels, weightSize(s) / s.outChannels, resolveTiles(ctx, s, spec.tiles));
  const grid = gemmGrid(ctx, layout, s.outChannels, weightSize(s) / s.outChannels, splits);
  const base = { ...shapeConstants(s), ...layout, MODE: MODES.weightGrad };
  if (splits === 1) {
    const resources = bindings.forEntry(convShader, 'conv_gemm');
    const compiled = await getPipeline(ctx.device, convShader, 'conv_gemm', base);
    return new BoundKernel(ctx, compiled, label, resources, null, grid);
  }
  const floats = splits * weightSize(s);
  const owned = spec.splitWorkspace ? null : ctx.memory.createStorage(`${label} split partials`, floats);
  try {
    const workspace = owned ?? spec.splitWorkspace;
    const splitResources = bindings
      .copy()
      .tensor('output', 'splitWorkspace', workspace, floats)
      .forEntry(convShader, 'conv_gemm');
    const reduceResources = bindings
      .tensor('partials', 'splitWorkspace', workspace, floats)
      .forEntry(convShader, 'conv_split_reduce');
    const constants = { ...base, SPLIT_K: true, K_CHUNK: chunk, SPLITS: splits };
    const main = await getPipeline(ctx.device, convShader, 'conv_gemm', constants);
    const reduce = await getPipeline(ctx.device, convShader, 'conv_split_reduce', constants);
    return new StagedKernel(
      ctx,
      label,
      new BoundKernel(ctx, main, `${label} split ×${splits}`, splitResources, null, grid),
      new BoundKernel(
        ctx,
        reduce,
        `${label} reduce`,
        reduceResources,
        null,
        grid1d(ctx, Math.ceil(weightSize(s) / 256)),
      ),
      owned,
    );
  } catch (error) {
    if (owned) ctx.memory.release(owned);
    throw error;
  }
}

export interface ConvTranspose2dSpec extends EpilogueSpec {
  geometry: ConvTranspose2dGeometry;
  /** [batch, inChannels, inHeight, inWidth]. */
  input: TensorRef;
  /** [inChannels, outChannels, kernelH, kernelW], PyTorch's ConvTranspose2d layout. */
  weight: TensorRef;
  /** [batch, outChannels, outHeight, outWidth]. */
  output: TensorRef;
}

/** output = activation(conv_transpose2d(input, weight) + bias): a convolution's input gradient. */
export const createConvTranspose2d = /* @__PURE__ */ guardedCreator('createConvTranspose2d', makeConvTranspose2d);

function makeConvTranspose2d(ctx: GpuContext, spec: ConvTranspose2dSpec): Promise<Kernel> {
  requireCreatorArguments(ctx, spec);
  return createConv2dInputGrad(ctx, {
    geometry: transposedAsConv(spec.geometry),
    gradOutput: spec.input,
    weight: spec.weight,
    gradInput: spec.output,
    ...(spec.bias ? { bias: spec.bias } : {}),
    ...(spec.activation ? { activation: spec.activation } : {}),
    ...(spec.leakySlope !== undefined ? { leakySlope: spec.leakySlope } : {}),
    label: spec.label ?? `conv transpose2d ${spec.geometry.inChannels}→${spec.geometry.outChannels}`,
  });
}
