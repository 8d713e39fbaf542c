// The kernels of the degradation operators that restoration fits through (src/restore/): blur,
// downscaling, a mask and exposure, each with the kernel that carries a gradient back through it
// (the adjoint of the linear ones, the derivative of exposure), and the noise that only makes a
// degraded picture. The WGSL is in shaders/degrade_*.wgsl; float64 references in reference/degrade.ts.
import { guardedCreator } from '../gpu/creation.js';
import { requireCreatorArguments } from '../base/arguments.js';
import { ArgumentError, requireFinite, requirePositiveInteger, requireUint32 } from '../base/errors.js';
import type { GpuContext } from '../gpu/context.js';
import { getPipeline } from '../gpu/pipelines.js';
import blurShader from '../../shaders/degrade_blur.wgsl';
import downscaleShader from '../../shaders/degrade_downscale.wgsl';
import noiseShader from '../../shaders/degrade_noise.wgsl';
import pointwiseShader from '../../shaders/degrade_pointwise.wgsl';
import { Bindings, BoundKernel, gridForItems, type TensorRef } from './kernel.js';
import { seedWords, stepCountOrZero } from './random.js';

/** A batch of pictures: rows of planar channels × height × width values. */
export interface ImageGeometry {
  rows: number;
  channels: number;
  height: number;
  width: number;
}

/** forward: y = A x; adjoint: x̂ = Aᵀ y (the gradient at A's input from the gradient at its output). */
export type OperatorDirection = 'forward' | 'adjoint';

/** Values in one picture of `g`. */
export function pictureSize(g: ImageGeometry): number {
  return g.channels * g.height * g.width;
}

function checkGeometry(g: ImageGeometry): number {
  for (const key of ['rows', 'channels', 'height', 'width'] as const)
    requirePositiveInteger(`geometry.${key}`, g?.[key]);
  const n = g.rows * pictureSize(g);
  if (n >= 2 ** 31)
    throw new ArgumentError('geometry', `rows × channels × height × width must be below 2^31, got ${n}`);
  return n;
}

function checkDirection(direction: unknown): OperatorDirection {
  if (direction !== 'forward' && direction !== 'adjoint')
    throw new ArgumentError('direction', `must be "forward" or "adjoint", got ${String(direction)}`);
  return direction;
}

export interface BlurSpec {
  geometry: ImageGeometry;
  /** kernelHeight × kernelWidth non-negative taps (any positive sum; they are scaled to sum to 1). */
  taps: ArrayLike<number>;
  kernelHeight: number;
  kernelWidth: number;
  direction: OperatorDirection;
  /** rows × C×H×W: the picture (forward) or the gradient at the blurred picture (adjoint). */
  source: TensorRef;
  /** rows × C×H×W, written. */
  result: TensorRef;
  label?: string;
}

/** The taps scaled to sum to 1, after checking that they can be: odd sides, finite, ≥ 0, sum > 0. */
export function normalisedTaps(taps: ArrayLike<number>, kernelHeight: number, kernelWidth: number): Float64Array {
  for (const [name, side] of [
    ['kernelHeight', kernelHeight],
    ['kernelWidth', kernelWidth],
  ] as const) {
    requirePositiveInteger(name, side);
    if (side % 2 === 0) throw new ArgumentError(name, `must be odd so the kernel has a centre, got ${side}`);
  }
  if (taps?.length !== kernelHeight * kernelWidth)
    throw new ArgumentError('taps', `must hold kernelHeight × kernelWidth = ${kernelHeight * kernelWidth} values`);
  let sum = 0;
  for (let t = 0; t < taps.length; t++) sum += requireFinite(`taps[${t}]`, taps[t], { min: 0 });
  if (!(sum > 0)) throw new ArgumentError('taps', 'must not be all zero');
  return Float64Array.from(taps, (v) => v / sum);
}

/** 1 / (the weight of the taps that land inside the picture) for each pixel of an H×W plane. */
export function blurInverseCoverage(taps: Float64Array, kh: number, kw: number, height: number, width: number) {
  const out = new Float32Array(height * width);
  const [rh, rw] = [(kh - 1) / 2, (kw - 1) / 2];
  for (let h = 0; h < height; h++) {
    for (let w = 0; w < width; w++) {
      let covered = 0;
      for (let a = 0; a < kh; a++) {
        for (let b = 0; b < kw; b++) {
          const [sh, sw] = [h - a + rh, w - b + rw];
          if (sh >= 0 && sh < height && sw >= 0 && sw < width) covered += taps[a * kw + b]!;
        }
      }
      // A kernel whose only weight lies outside (possible with an off-centre kernel) leaves 0.
      out[h * width + w] = covered > 0 ? 1 / covered : 0;
    }
  }
  return out;
}

export const createBlur = /* @__PURE__ */ guardedCreator('createBlur', makeBlur);

async function makeBlur(ctx: GpuContext, spec: BlurSpec): Promise<BoundKernel> {
  requireCreatorArguments(ctx, spec);
  const n = checkGeometry(spec.geometry);
  const direction = checkDirection(spec.direction);
  const { kernelHeight: kh, kernelWidth: kw } = spec;
  const taps = normalisedTaps(spec.taps, kh, kw);
  const { channels, height, width, rows } = spec.geometry;
  const owned = [
    ctx.memory.createStorage('blur taps', Float32Array.from(taps)),
    ctx.memory.createStorage('blur inverse coverage', blurInverseCoverage(taps, kh, kw, height, width)),
  ];
  try {
    const entry = `blur_${direction}`;
    const resources = new Bindings(ctx)
      .tensor('source', 'source', spec.source, n)
      .tensor('result', 'result', spec.result, n)
      .tensor('taps', 'taps', owned[0], kh * kw)
      .tensor('inv_coverage', 'invCoverage', owned[1], height * width)
      .forEntry(blurShader, entry);
    const compiled = await getPipeline(ctx.device, blurShader, entry);
    const uniforms = { rows, channels, height, width, kernel_height: kh, kernel_width: kw };
    const label = spec.label ?? `blur ${direction} ${kh}×${kw}`;
    return new BoundKernel(ctx, compiled, label, resources, uniforms, gridForItems(ctx, compiled.layout, n), owned);
  } catch (error) {
    for (const buffer of owned) ctx.memory.release(buffer);
    throw error;
  }
}

/** The geometry after downscaling `g` by `factor`: a border block keeps the pixels it has. */
export function downscaledGeometry(g: ImageGeometry, factor: number): ImageGeometry {
  return { ...g, height: Math.ceil(g.height / factor), width: Math.ceil(g.width / factor) };
}

export interface DownscaleSpec {
  /** The full-size pictures. */
  geometry: ImageGeometry;
  /** Block side, an integer ≥ 1 (restoration offers 2 and 4). */
  factor: number;
  direction: OperatorDirection;
  /** forward: the full-size pictures; adjoint: the gradient at the small ones. */
  source: TensorRef;
  /** forward: the small pictures; adjoint: the gradient at the full-size ones. */
  result: TensorRef;
  label?: string;
}

export const createDownscale = /* @__PURE__ */ guardedCreator('createDownscale', makeDownscale);

async function makeDownscale(ctx: GpuContext, spec: DownscaleSpec): Promise<BoundKernel> {
  requireCreatorArguments(ctx, spec);
  const full = checkGeometry(spec.geometry);
  const direction = checkDirection(spec.direction);
  const factor = requirePositiveInteger('factor', spec.factor);
  const g = spec.geometry;
  const small = downscaledGeometry(g, factor);
  const smallCount = g.rows * pictureSize(small);
  const [sourceCount, resultCount] = direction === 'forward' ? [full, smallCount] : [smallCount, full];
  const entry = `downscale_${direction}`;
  const resources = new Bindings(ctx)
    .tensor('source', 'source', spec.source, sourceCount)
    .tensor('result', 'result', spec.result, resultCount)
    .forEntry(downscaleShader, entry);
  const compiled = await getPipeline(ctx.device, downscaleShader, entry);
  const uniforms = { ...geometryUniforms(g), factor, out_height: small.height, out_width: small.width };
  const label = spec.label ?? `downscale ${direction} ×${factor}`;
  return new BoundKernel(ctx, compiled, label, resources, uniforms, gridForItems(ctx, compiled.layout, resultCount));
}

function geometryUniforms(g: ImageGeometry) {
  return { rows: g.rows, channels: g.channels, height: g.height, width: g.width };
}

export interface MaskSpec {
  rows: number;
  /** Values per picture. */
  dim: number;
  /** dim: 1 where a value is kept (known), 0 where it is erased; the same for every row. */
  mask: TensorRef;
  /** rows × dim: a picture (forward) or a gradient (adjoint: the mask is its own adjoint). */
  source: TensorRef;
  /** rows × dim, written. */
  result: TensorRef;
  label?: string;
}

export const createMask = /* @__PURE__ */ guardedCreator('createMask', makeMask);

async function makeMask(ctx: GpuContext, spec: MaskSpec): Promise<BoundKernel> {
  requireCreatorArguments(ctx, spec);
  const rows = requirePositiveInteger('rows', spec.rows);
  const dim = requirePositiveInteger('dim', spec.dim);
  const n = rows * dim;
  if (n >= 2 ** 31) throw new ArgumentError('rows', 'rows × dim must be below 2^31');
  const resources = new Bindings(ctx)
    .tensor('source', 'source', spec.source, n)
    .tensor('result', 'result', spec.result, n)
    .tensor('mask', 'mask', spec.mask, dim)
    .forEntry(pointwiseShader, 'mask_apply');
  const compiled = await getPipeline(ctx.device, pointwiseShader, 'mask_apply');
  const uniforms = { n, dim, gain: 0, gamma: 0, lift: 0 };
  const label = spec.label ?? `mask ${rows}×${dim}`;
  return new BoundKernel(ctx, compiled, label, resources, uniforms, gridForItems(ctx, compiled.layout, n));
}

/** u' = lift + gain · u^gamma on u = (x + 1) / 2; see shaders/degrade_pointwise.wgsl. */
export interface ExposureCurve {
  gain: number;
  gamma: number;
  lift: number;
}

/** Checks that the curve maps [0, 1] into [0, 1] and increases: gain > 0, gamma > 0, lift ≥ 0, lift + gain ≤ 1. */
export function checkExposureCurve(curve: ExposureCurve): ExposureCurve {
  const gain = requireFinite('gain', curve?.gain, { min: 0, minExclusive: true, max: 1 });
  const gamma = requireFinite('gamma', curve.gamma, { min: 0, minExclusive: true, max: 10 });
  const lift = requireFinite('lift', curve.lift, { min: 0, max: 1, maxExclusive: true });
  if (lift + gain > 1 + 1e-12)
    throw new ArgumentError('gain', `lift + gain must be at most 1 so white stays white or below, got ${lift + gain}`);
  return { gain, gamma, lift };
}

export interface ExposureSpec extends ExposureCurve {
  n: number;
  /**
   * forward: source is x, result x'. adjoint (the curve's derivative, as it is not linear):
   * source is ∂L/∂x', result ∂L/∂x, and `input` is the x the forward saw.
   */
  direction: OperatorDirection;
  source: TensorRef;
  result: TensorRef;
  input?: TensorRef;
  label?: string;
}

export const createExposure = /* @__PURE__ */ guardedCreator('createExposure', makeExposure);

async function makeExposure(ctx: GpuContext, spec: ExposureSpec): Promise<BoundKernel> {
  requireCreatorArguments(ctx, spec);
  const n = requirePositiveInteger('n', spec.n);
  if (n >= 2 ** 31) throw new ArgumentError('n', 'must be below 2^31');
  const direction = checkDirection(spec.direction);
  const curve = checkExposureCurve(spec);
  const bindings = new Bindings(ctx)
    .tensor('source', 'source', spec.source, n)
    .tensor('result', 'result', spec.result, n);
  if (direction === 'adjoint') bindings.tensor('exposure_input', 'input', spec.input, n);
  const entry = direction === 'forward' ? 'exposure_forward' : 'exposure_backward';
  const resources = bindings.forEntry(pointwiseShader, entry);
  const compiled = await getPipeline(ctx.device, pointwiseShader, entry);
  const uniforms = { n, dim: 1, ...curve };
  const label = spec.label ?? `exposure ${direction} ${n}`;
  return new BoundKernel(ctx, compiled, label, resources, uniforms, gridForItems(ctx, compiled.layout, n));
}

export type NoiseKind = 'gaussian' | 'salt-pepper';

export interface NoiseSpec {
  n: number;
  kind: NoiseKind;
  /** gaussian: σ (in the [−1, 1] units of a picture); salt-pepper: the probability a value is hit. */
  amount: number;
  seed: number;
  stream: number;
  source: TensorRef;
  result: TensorRef;
  /**
   * A u32 (e.g. StepCounter.buffer) that selects the block of numbers, so that each training step
   * degrades with new noise and no upload. Without it the block is fixed at 0.
   */
  stepCount?: TensorRef;
  /** Which u32 of stepCount holds the step. Default 0 (createBatchGather's advanceStep: 1). */
  stepWord?: 0 | 1;
  /**
   * Gaussian only: whether the result is clamped to a picture's [−1, 1] (the default); false for
   * a network's activations (a Gaussian-noise layer).
   */
  clamp?: boolean;
  label?: string;
}

/**
 * Adds seeded noise to pictures (clamped to [−1, 1]) for making degraded pictures, not for
 * fitting; or, unclamped, to a layer's activations.
 */
export const createNoise = /* @__PURE__ */ guardedCreator('createNoise', makeNoise);

function clampOf(clamp: unknown): boolean {
  if (clamp !== undefined && typeof clamp !== 'boolean')
    throw new ArgumentError('clamp', `must be true or false, got ${String(clamp)}`);
  return clamp !== false;
}

async function makeNoise(ctx: GpuContext, spec: NoiseSpec): Promise<BoundKernel> {
  requireCreatorArguments(ctx, spec);
  const n = requirePositiveInteger('n', spec.n);
  if (n > 2 ** 30) throw new ArgumentError('n', 'must be at most 2^30');
  if (spec.kind !== 'gaussian' && spec.kind !== 'salt-pepper')
    throw new ArgumentError('kind', `must be "gaussian" or "salt-pepper", got ${String(spec.kind)}`);
  const amount =
    spec.kind === 'gaussian'
      ? requireFinite('amount', spec.amount, { min: 0 })
      : requireFinite('amount', spec.amount, { min: 0, max: 1 });
  const [seed_lo, seed_hi] = seedWords(spec.seed);
  const stream = requireUint32('stream', spec.stream);
  const clamp = clampOf(spec.clamp);
  const entry = spec.kind === 'gaussian' ? 'noise_gaussian' : 'noise_salt_pepper';
  const stepWord = spec.stepWord ?? 0;
  if (stepWord !== 0 && stepWord !== 1) throw new ArgumentError('stepWord', `must be 0 or 1, got ${String(stepWord)}`);
  const { stepCount, owned } = stepCountOrZero(ctx, spec.stepCount, 'noise step 0');
  try {
    const resources = new Bindings(ctx)
      .tensor('source', 'source', spec.source, n)
      .tensor('result', 'result', spec.result, n)
      .tensor('step_count', 'stepCount', stepCount, stepWord + 1)
      .forEntry(noiseShader, entry);
    const compiled = await getPipeline(ctx.device, noiseShader, entry, {
      STEP_WORD: stepWord,
      ...(spec.kind === 'gaussian' && { CLAMP: clamp }),
    });
    const uniforms = { n, seed_lo, seed_hi, stream, amount };
    const label = spec.label ?? `noise ${spec.kind} ${n}`;
    const grid = gridForItems(ctx, compiled.layout, n, 4);
    return new BoundKernel(ctx, compiled, label, resources, uniforms, grid, owned);
  } catch (error) {
    for (const buffer of owned) ctx.memory.release(buffer);
    throw error;
  }
}
