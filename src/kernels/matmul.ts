// C = op(A)·op(B) (+ bias), then an activation or an activation-derivative gate. One dispatch,
// or two when the K dimension is split across workgroups (split-K) for long-K, small-C shapes.
import { guardedCreator } from '../gpu/creation.js';
import { ArgumentError, requireFinite, requirePositiveInteger } from '../base/errors.js';
import type { GpuContext } from '../gpu/context.js';
import { getPipeline } from '../gpu/pipelines.js';
import { entryLayout, shaderConstant } from '../gpu/layout.js';
import matmulShader from '../../shaders/matmul.wgsl';
import {
  MATMUL_VARIANTS,
  tunedChoice,
  type MatmulChoice,
  type MatmulShape,
  type MatmulVariant,
} from './matmulTuning.js';
import {
  activationCode,
  Bindings,
  BoundKernel,
  grid1d,
  StagedKernel,
  type Activation,
  type TensorRef,
} from './kernel.js';
import { requireCreatorArguments } from '../base/arguments.js';

export type { MatmulVariant } from './matmulTuning.js';

export interface MatmulSpec {
  /** Rows of C (and of op(A)). */
  m: number;
  /** Columns of C (and of op(B)). */
  n: number;
  /** Inner dimension: columns of op(A), rows of op(B). */
  k: number;
  /** M×K, or K×M when transposeA. */
  a: TensorRef;
  /** K×N, or N×K when transposeB. */
  b: TensorRef;
  /** M×N output. */
  c: TensorRef;
  transposeA?: boolean;
  transposeB?: boolean;
  /** N values added to every row. */
  bias?: TensorRef;
  /** Applied to the result (forward layers). */
  activation?: Activation;
  /**
   * Multiplies the result by f'(y) for activation `kind`, where y (M×N) holds f's output:
   * the backward step dZ = (dY·Wᵀ) ⊙ f'(y) in one pass.
   */
  gate?: { kind: Exclude<Activation, 'none'>; output: TensorRef };
  /** Leaky-ReLU slope for the activation or the gate. Default 0.2. */
  leakySlope?: number;
  /**
   * Also write Σ_k op(A)[i][k] for every row i of C (M values). For a weight gradient dZᵀ·X this
   * is the bias gradient, computed from tiles already loaded instead of by another pass.
   */
  rowSums?: TensorRef;
  /**
   * Kernel variant (shaders/matmul.wgsl): v1 64×64 tiles, v3 v1 double-buffered,
   * v4 v1 with vec4 loads, v5 128×64 tiles with vec4 loads (v4 and v5 where vec4Loadable);
   * 'auto' takes the measured choice for this shape and adapter (matmulTuning.ts), else v1.
   */
  variant?: MatmulVariant | 'auto';
  /**
   * Number of K splits; 'auto' takes the measured choice, else splits long-K products whose C
   * has too few tiles to fill a GPU.
   */
  splitK?: number | 'auto';
  /**
   * Build the pipeline for this exact shape: M, N, K and the K split become constants of the
   * shader rather than uniforms, so the compiler knows the K loop's length and which bounds
   * checks cannot fail. Costs one pipeline per shape. 'auto' (the default) takes the measured
   * choice for this shape and adapter, else false.
   */
  specialize?: boolean | 'auto';
  /**
   * Scratch for the partial sums of a split-K product (splitWorkspaceFloats() floats), so that
   * matmuls that never run at the same time can share one. Without it a split-K matmul
   * allocates its own.
   */
  splitWorkspace?: TensorRef;
  label?: string;
}

const TILE_K = shaderConstant(matmulShader, 'TILE_K');

interface VariantEntry {
  entry: string;
  /** The C tile: the shader's V*_TILE_ROWS and V*_TILE_COLS. */
  rows: number;
  cols: number;
  /** Bytes of its tile arrays, reflected from the shader. */
  workgroupBytes: number;
  /** Needs vec4Loadable shapes. */
  vec4: boolean;
}

function variantEntry(variant: MatmulVariant, entry: string, vec4: boolean): VariantEntry {
  const prefix = variant.toUpperCase();
  return {
    entry,
    rows: shaderConstant(matmulShader, `${prefix}_TILE_ROWS`),
    cols: shaderConstant(matmulShader, `${prefix}_TILE_COLS`),
    workgroupBytes: entryLayout(matmulShader, entry).workgroupBytes,
    vec4,
  };
}

/**
 * Each variant's entry point in shaders/matmul.wgsl. WebGPU guarantees 16384 bytes of workgroup
 * memory: v3 needs an adapter that allows more (Dawn on Vulkan GPUs does).
 */
const ENTRY: Record<MatmulVariant, VariantEntry> = {
  v1: variantEntry('v1', 'matmul_bias_act', false),
  v3: variantEntry('v3', 'matmul_bias_act_db', false),
  v4: variantEntry('v4', 'matmul_bias_act_vec4', true),
  v5: variantEntry('v5', 'matmul_bias_act_128x64', true),
};

type ShapeOfOperands = Pick<MatmulShape, 'm' | 'n' | 'k' | 'transposeA' | 'transposeB'>;

/**
 * Whether `variant` can run `shape` on a device with these limits: the vec4-loading variants
 * need vec4Loadable shapes, and every variant its workgroup memory.
 */
export function variantFits(
  variant: MatmulVariant,
  shape: ShapeOfOperands,
  limits: Pick<GPUSupportedLimits, 'maxComputeWorkgroupStorageSize'>,
): boolean {
  return (
    (!ENTRY[variant].vec4 || vec4Loadable(shape)) &&
    ENTRY[variant].workgroupBytes <= limits.maxComputeWorkgroupStorageSize
  );
}

/** Whether vec4 loads fit: each operand's contiguous dimension is a multiple of 4. */
export function vec4Loadable(shape: ShapeOfOperands): boolean {
  return (shape.transposeA ? shape.m : shape.k) % 4 === 0 && (shape.transposeB ? shape.k : shape.n) % 4 === 0;
}

/** Workgroups that keep a large GPU busy (an H100 has 132 SMs); fewer tiles than this → split K. */
const BUSY_WORKGROUPS = 264;

/**
 * The variant 'auto' uses where no measured choice exists: whole training steps with every matmul
 * as v1 were as fast as or faster than every other uniform choice (BENCHMARKS.md, "Measurements
 * behind the code's choices").
 */
export const DEFAULT_VARIANT: MatmulVariant = 'v1';

/** K splits for a shape: enough workgroups to fill the GPU, each split at least 256 deep in K. */
export function chooseSplitK(m: number, n: number, k: number, tileRows: number, tileCols = tileRows): number {
  const tiles = Math.ceil(m / tileRows) * Math.ceil(n / tileCols);
  if (tiles >= BUSY_WORKGROUPS || k < 512) return 1;
  return Math.max(1, Math.min(Math.ceil(BUSY_WORKGROUPS / tiles), Math.floor(k / 256), 32));
}

/** The K depth of each split: whole K tiles, so rounding up can leave fewer splits than asked. */
function splitDepth(k: number, splits: number): number {
  return Math.ceil(Math.ceil(k / splits) / TILE_K) * TILE_K;
}

/** The splits a matmul really uses when `splits` are asked for. */
export function usedSplitCount(k: number, splits: number): number {
  return Math.ceil(k / splitDepth(k, splits));
}

/**
 * What 'auto' picks where no measured choice exists; with `preferred`, that variant where it fits
 * (else v1) and its split (a benchmark's table of one variant for every shape of a step).
 */
export function ruleChoice(
  shape: MatmulShape,
  limits: Pick<GPUSupportedLimits, 'maxComputeWorkgroupStorageSize'>,
  preferred: MatmulVariant = DEFAULT_VARIANT,
): MatmulChoice {
  const variant = variantFits(preferred, shape, limits) ? preferred : DEFAULT_VARIANT;
  return { variant, splitK: usedSplitCount(shape.k, splitsFor(variant, shape)) };
}

function splitsFor(variant: MatmulVariant, shape: MatmulShape): number {
  return chooseSplitK(shape.m, shape.n, shape.k, ENTRY[variant].rows, ENTRY[variant].cols);
}

/** A matmul: one dispatch, or the split-K pair with its workspace. */
export class MatmulKernel extends StagedKernel {
  constructor(
    ctx: GpuContext,
    label: string,
    main: BoundKernel,
    reduce: BoundKernel | null,
    workspace: GPUBuffer | null,
    /** What it computes and how (for tuning tools). */
    readonly shape: MatmulShape,
    readonly choice: MatmulChoice,
  ) {
    super(ctx, label, main, reduce, workspace);
  }
}

/**
 * The variant and split count for a spec: what the caller named, else the measured choice for
 * this shape and adapter, else the rules above.
 */
function resolveChoice(
  ctx: GpuContext,
  shape: MatmulShape,
  variant: MatmulSpec['variant'],
  splitK: MatmulSpec['splitK'],
): MatmulChoice {
  const autoVariant = variant === undefined || variant === 'auto';
  const autoSplit = splitK === undefined || splitK === 'auto';
  if (!autoVariant && !MATMUL_VARIANTS.includes(variant))
    throw new ArgumentError('variant', `must be ${MATMUL_VARIANTS.join(', ')} or 'auto', got ${String(variant)}`);
  const limits = ctx.device.limits;
  if (!autoVariant && ENTRY[variant].vec4 && !vec4Loadable(shape)) {
    throw new ArgumentError(
      'variant',
      `${variant} loads vec4s, so it needs ${shape.transposeA ? 'm' : 'k'} and ${shape.transposeB ? 'k' : 'n'} to ` +
        `be multiples of 4; use v1 for ${shape.m}×${shape.n}×${shape.k}`,
    );
  }
  if (!autoVariant && ENTRY[variant].workgroupBytes > limits.maxComputeWorkgroupStorageSize) {
    const fitting = MATMUL_VARIANTS.filter((v) => variantFits(v, shape, limits));
    const choices = fitting.length > 1 ? `${fitting.slice(0, -1).join(', ')} or ${fitting.at(-1)}` : fitting[0];
    throw new ArgumentError(
      'variant',
      `${variant} needs ${ENTRY[variant].workgroupBytes} bytes of workgroup memory and this device allows ` +
        `${limits.maxComputeWorkgroupStorageSize}; use ${choices}`,
    );
  }
  const tuned = tunedChoice(ctx.adapter, shape);
  const base = (tuned && variantFits(tuned.variant, shape, limits) ? tuned : null) ?? ruleChoice(shape, limits);
  const chosen = autoVariant ? base.variant : variant;
  if (!autoSplit) return { variant: chosen, splitK: requirePositiveInteger('splitK', splitK) };
  if (chosen === base.variant) return base;
  return { variant: chosen, splitK: splitsFor(chosen, shape) };
}

/** The shape, variant and split layout a spec resolves to on this context. */
function planMatmul(ctx: GpuContext, spec: MatmulSpec) {
  const m = requirePositiveInteger('m', spec.m);
  const n = requirePositiveInteger('n', spec.n);
  const k = requirePositiveInteger('k', spec.k);
  const shape: MatmulShape = {
    m,
    n,
    k,
    transposeA: spec.transposeA ?? false,
    transposeB: spec.transposeB ?? false,
    rowSums: spec.rowSums !== undefined,
  };
  const choice = resolveChoice(ctx, shape, spec.variant, spec.splitK);
  const { variant, splitK } = choice;
  const specialized = resolveSpecialize(spec.specialize, choice.specialized === true);
  const kChunk = splitDepth(k, splitK);
  const splits = Math.ceil(k / kChunk);
  // Split-K writes splits × M × N partial products, then the splits × M partial row sums.
  const workspaceFloats = splits === 1 ? 0 : splits * m * n + (shape.rowSums ? splits * m : 0);
  return { shape, variant, specialized, kChunk, splits, workspaceFloats };
}

/** The caller's true or false, else (for 'auto') whether the measured choice was specialised. */
function resolveSpecialize(value: MatmulSpec['specialize'], measured: boolean): boolean {
  if (value === undefined || value === 'auto') return measured;
  if (typeof value !== 'boolean')
    throw new ArgumentError('specialize', `must be true, false or 'auto', got ${String(value)}`);
  return value;
}

/** Floats of split-K scratch this matmul needs on this context (0 when it does not split K). */
export function splitWorkspaceFloats(ctx: GpuContext, spec: MatmulSpec): number {
  return planMatmul(ctx, spec).workspaceFloats;
}

export const createMatmul = /* @__PURE__ */ guardedCreator('createMatmul', makeMatmul);

async function makeMatmul(ctx: GpuContext, spec: MatmulSpec): Promise<MatmulKernel> {
  requireCreatorArguments(ctx, spec);
  const { shape, variant, specialized, kChunk, splits, workspaceFloats } = planMatmul(ctx, spec);
  const { m, n, k } = shape;
  const alpha = requireFinite('leakySlope', spec.leakySlope ?? 0.2);
  const activation = activationCode(matmulShader, 'activation', spec.activation ?? 'none');
  const gate = spec.gate ? activationCode(matmulShader, 'gate.kind', spec.gate.kind) : 0;
  if (spec.gate && gate === 0) throw new ArgumentError('gate.kind', 'must name an activation, not none');
  const { entry, rows: tileRows, cols: tileCols } = ENTRY[variant];

  const bindings = new Bindings(ctx)
    .tensor('matrix_a', 'a', spec.a, m * k)
    .tensor('matrix_b', 'b', spec.b, k * n)
    .tensor('matrix_c', 'c', spec.c, m * n);
  if (spec.bias) bindings.tensor('bias', 'bias', spec.bias, n);
  else bindings.unused('bias');
  if (spec.gate) bindings.tensor('gate', 'gate.output', spec.gate.output, m * n);
  else bindings.unused('gate');
  if (spec.rowSums) bindings.tensor('row_sums', 'rowSums', spec.rowSums, m);
  else bindings.unused('row_sums', true);
  // v4 and v5 read the same ranges through vec4 views.
  bindings.unused('partials').view('matrix_a4', 'matrix_a').view('matrix_b4', 'matrix_b');

  const label = spec.label ?? `matmul ${m}x${k}x${n}`;
  const constants = {
    TRANSPOSE_A: shape.transposeA,
    TRANSPOSE_B: shape.transposeB,
    HAS_BIAS: spec.bias !== undefined,
    ACTIVATION: activation,
    GATE: gate,
    HAS_ROW_SUMS: shape.rowSums,
    ...(specialized ? { SHAPE_M: m, SHAPE_N: n, SHAPE_K: k, SHAPE_K_CHUNK: kChunk, SHAPE_SPLITS: splits } : {}),
  };
  const uniforms = { m, n, k, alpha, k_chunk: kChunk, splits };
  const grid: [number, number, number] = [Math.ceil(n / tileCols), Math.ceil(m / tileRows), splits];
  // The caller's arguments are checked as one dispatch would bind them, before anything is made.
  const resources = bindings.forEntry(matmulShader, entry);
  if (splits === 1) {
    const compiled = await getPipeline(ctx.device, matmulShader, entry, { ...constants, SPLIT_K: false });
    return new MatmulKernel(
      ctx,
      label,
      new BoundKernel(ctx, compiled, label, resources, uniforms, grid),
      null,
      null,
      shape,
      { variant, splitK: 1, specialized },
    );
  }
  // Split-K: partial sums (and partial row sums) into the workspace, then a fixed-order
  // reduction that applies the epilogue.
  const owned = spec.splitWorkspace ? null : ctx.memory.createStorage(`${label} split-K partials`, workspaceFloats);
  try {
    // The split dispatch writes the workspace in place of C; the reduce reads it and writes C.
    const workspace = owned ?? spec.splitWorkspace;
    // Both are checked before either dispatch is made, so that a refusal leaves nothing behind.
    const splitResources = bindings
      .copy()
      .tensor('matrix_c', 'splitWorkspace', workspace, workspaceFloats)
      .forEntry(matmulShader, entry);
    const reduceResources = bindings
      .tensor('partials', 'splitWorkspace', workspace, workspaceFloats)
      .forEntry(matmulShader, 'matmul_split_reduce');
    const main = await getPipeline(ctx.device, matmulShader, entry, { ...constants, SPLIT_K: true });
    const reduce = await getPipeline(ctx.device, matmulShader, 'matmul_split_reduce', { ...constants, SPLIT_K: false });
    return new MatmulKernel(
      ctx,
      label,
      new BoundKernel(ctx, main, `${label} split ×${splits}`, splitResources, uniforms, grid),
      new BoundKernel(ctx, reduce, `${label} reduce`, reduceResources, uniforms, grid1d(ctx, Math.ceil((m * n) / 256))),
      owned,
      shape,
      { variant, splitK: splits, specialized },
    );
  } catch (error) {
    if (owned) ctx.memory.release(owned);
    throw error;
  }
}
