// Spectral normalisation of every weight matrix of a network in one flat buffer
// (shaders/spectral_norm.wgsl): `normalize` writes W / σ of each layer (biases copied) into a
// second buffer of the same layout, which the forward and backward passes then read, and
// `correctGradients` turns the gradient they produce for W / σ into the gradient for W. The power
// iteration's vector u is state (it persists between steps, and checkpoints keep it); this object
// owns it, the scratch vectors and the layer table.
import { guardedCreator } from '../gpu/creation.js';
import { ArgumentError, requireInside, requirePositiveInteger } from '../base/errors.js';
import type { GpuContext } from '../gpu/context.js';
import { getPipeline } from '../gpu/pipelines.js';
import { shaderConstant } from '../gpu/layout.js';
import spectralNormShader from '../../shaders/spectral_norm.wgsl';
import { Bindings, BoundKernel, type RecordTarget } from './kernel.js';
import { describeValue, requireCreatorArguments } from '../base/arguments.js';

/**
 * One weight matrix (rows × cols, torch.nn.Linear layout; a convolution's [out, in, kh, kw] is
 * [out, in·kh·kw], as PyTorch's spectral_norm views it) and its bias, as float offsets in the flat
 * buffers. A layer without a bias leaves biasOffset out.
 */
export interface SpectralNormLayer {
  rows: number;
  cols: number;
  weightOffset: number;
  biasOffset?: number;
}

export interface SpectralNormSpec {
  layers: SpectralNormLayer[];
  /** Floats in each of the three flat buffers. */
  floats: number;
  /** The trained weights (read). */
  weights: GPUBuffer;
  /** Written: W / σ for each layer's weight, its bias as it is. */
  normalized: GPUBuffer;
  /** The gradients of the normalised weights, corrected in place into gradients of `weights`. */
  grads: GPUBuffer;
  label?: string;
}

const CHUNK = shaderConstant(spectralNormShader, 'CHUNK');
const THREADS = shaderConstant(spectralNormShader, 'THREADS');
/** Floats per field of the layer table (SnLayer's twelve u32s). */
const TABLE_FIELDS = 12;
/** Vectors start on 256-byte boundaries, so that each can be bound or read on its own. */
const ALIGN = 64;

const aligned = (floats: number) => Math.ceil(floats / ALIGN) * ALIGN;

/** Where each layer's u lives in the u buffer, and the buffer's length. */
export function spectralNormVectorLayout(layers: ReadonlyArray<Pick<SpectralNormLayer, 'rows'>>): {
  offsets: number[];
  floats: number;
} {
  const offsets: number[] = [];
  let floats = 0;
  for (const layer of layers) {
    offsets.push(floats);
    floats += aligned(layer.rows);
  }
  return { offsets, floats: Math.max(floats, ALIGN) };
}

export const createSpectralNorm = /* @__PURE__ */ guardedCreator('createSpectralNorm', makeSpectralNorm);

async function makeSpectralNorm(ctx: GpuContext, spec: SpectralNormSpec): Promise<SpectralNorm> {
  requireCreatorArguments(ctx, spec);
  if (!Array.isArray(spec.layers) || spec.layers.length === 0)
    throw new ArgumentError(
      'layers',
      `must be a list of at least one weight matrix, got ${describeValue(spec.layers)}`,
    );
  const floats = requirePositiveInteger('floats', spec.floats);
  spec.layers.forEach((layer, l) => {
    requirePositiveInteger(`layers[${l}].rows`, layer.rows);
    requirePositiveInteger(`layers[${l}].cols`, layer.cols);
    const tensors: Array<[string, number, number]> = [['weightOffset', layer.weightOffset, layer.rows * layer.cols]];
    if (layer.biasOffset !== undefined) tensors.push(['biasOffset', layer.biasOffset, layer.rows]);
    requireInside(`layers[${l}]`, tensors, floats);
  });
  const { table, scratchFloats, grids } = layerTable(spec.layers);
  const maxGroups = ctx.device.limits.maxComputeWorkgroupsPerDimension;
  if (Math.max(...Object.values(grids), spec.layers.length) > maxGroups)
    throw new ArgumentError('layers', `are too large for one dispatch (more than ${maxGroups} workgroups)`);
  const u = ctx.memory.createStorage(
    `${spec.label ?? 'spectral norm'} u`,
    spectralNormVectorLayout(spec.layers).floats,
  );
  const owned = [u];
  const kernels: BoundKernel[] = [];
  try {
    const scratch = ctx.memory.createStorage(`${spec.label ?? 'spectral norm'} scratch`, scratchFloats);
    owned.push(scratch);
    const tableBuffer = ctx.memory.createStorage(`${spec.label ?? 'spectral norm'} layers`, table);
    owned.push(tableBuffer);
    const bindings = new Bindings(ctx)
      .tensor('layers', 'layers', tableBuffer, table.length)
      .tensor('weights', 'weights', spec.weights, floats)
      .tensor('normalized', 'normalized', spec.normalized, floats)
      .tensor('grads', 'grads', spec.grads, floats)
      .tensor('u_vectors', 'u', u, u.size / 4)
      .tensor('scratch', 'scratch', scratch, scratchFloats);
    const count = spec.layers.length;
    for (const [entry, x] of [
      ['sn_left', grids.columns],
      ['sn_right', grids.rows],
      ['sn_scale', grids.scale],
      ['sn_grad_dot', grids.matrix],
      ['sn_grad_apply', grids.matrix],
    ] as const) {
      const compiled = await getPipeline(ctx.device, spectralNormShader, entry);
      const resources = bindings.forEntry(spectralNormShader, entry);
      kernels.push(
        new BoundKernel(ctx, compiled, `${spec.label ?? 'spectral norm'} ${entry}`, resources, null, [x, count, 1]),
      );
    }
  } catch (error) {
    for (const k of kernels) k.destroy();
    for (const b of owned) ctx.memory.release(b);
    throw error;
  }
  const offsets = spectralNormVectorLayout(spec.layers).offsets;
  const rows = spec.layers.map((layer) => layer.rows);
  return new SpectralNorm(ctx, u, offsets, rows, owned, kernels, spec.label ?? 'spectral norm');
}

/** The table the shader reads, the scratch it needs and each dispatch's workgroups along x. */
function layerTable(layers: SpectralNormLayer[]) {
  const table = new Uint32Array(layers.length * TABLE_FIELDS);
  const uOffsets = spectralNormVectorLayout(layers).offsets;
  let scratch = 0;
  const take = (floats: number) => {
    const at = scratch;
    scratch += aligned(floats);
    return at;
  };
  layers.forEach((layer, l) => {
    const chunks = Math.ceil((layer.rows * layer.cols) / CHUNK);
    table.set(
      [
        layer.rows,
        layer.cols,
        layer.weightOffset,
        layer.biasOffset ?? 0,
        uOffsets[l]!,
        take(layer.cols), // v
        take(layer.cols), // t
        take(layer.rows), // s
        take(1), // sigma
        take(chunks), // partials
        chunks,
        layer.biasOffset === undefined ? 0 : 1,
      ],
      l * TABLE_FIELDS,
    );
  });
  const most = (f: (layer: SpectralNormLayer) => number) => Math.max(...layers.map(f));
  return {
    table,
    scratchFloats: scratch,
    grids: {
      columns: Math.ceil(most((L) => L.cols) / THREADS),
      rows: most((L) => L.rows),
      scale: Math.ceil(most((L) => L.rows * L.cols + L.rows) / CHUNK),
      matrix: Math.ceil(most((L) => L.rows * L.cols) / CHUNK),
    },
  };
}

export class SpectralNorm {
  /** Made by createSpectralNorm. */
  constructor(
    private readonly ctx: GpuContext,
    /** Each layer's power-iteration vector (its rows floats at uOffsets[l]): state to save and restore. */
    readonly u: GPUBuffer,
    /** Where each layer's u starts in `u`, in floats. */
    readonly uOffsets: readonly number[],
    /** Each layer's rows: the length of its u. */
    private readonly rows: readonly number[],
    private readonly owned: GPUBuffer[],
    private readonly kernels: BoundKernel[],
    readonly label: string,
  ) {}

  /** Each layer's u (its rows floats) as a range of the u buffer, in layer order. */
  vectors(): Array<{ buffer: GPUBuffer; offset: number; size: number }> {
    return this.rows.map((rows, l) => ({ buffer: this.u, offset: this.uOffsets[l]! * 4, size: rows * 4 }));
  }

  /** One power-iteration step per layer, then W / σ into the normalised buffer: three dispatches. */
  recordNormalize(target: RecordTarget): void {
    for (const k of this.kernels.slice(0, 3)) k.record(target);
  }

  /** The gradients of W / σ into gradients of W, with this step's u, v and σ: two dispatches. */
  recordGradientCorrection(target: RecordTarget): void {
    for (const k of this.kernels.slice(3)) k.record(target);
  }

  destroy(): void {
    for (const k of this.kernels) k.destroy();
    for (const b of this.owned) this.ctx.memory.release(b);
  }
}
