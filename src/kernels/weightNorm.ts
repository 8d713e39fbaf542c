// Weight normalisation of every weight matrix of a network in one flat buffer
// (shaders/weight_norm.wgsl): `recordNormalize` writes g · v / ‖v‖ row by row (biases and g
// copied) into a second buffer of the same layout, which the forward and backward passes then
// read, and `recordGradientCorrection` turns the gradient they produce for the normalised weights
// into the gradients of v and g. Unlike spectral normalisation nothing persists between steps:
// g is a parameter of the flat buffer, trained by the optimiser like any other. This object owns
// the layer table and the rows' norms.
import { guardedCreator } from '../gpu/creation.js';
import { ArgumentError, requireInside, requirePositiveInteger } from '../base/errors.js';
import type { GpuContext } from '../gpu/context.js';
import { getPipeline } from '../gpu/pipelines.js';
import weightNormShader from '../../shaders/weight_norm.wgsl';
import { Bindings, BoundKernel, type RecordTarget } from './kernel.js';
import { describeValue, requireCreatorArguments } from '../base/arguments.js';

/**
 * One weight matrix (rows × cols, torch.nn.Linear layout; a convolution's [out, in, kh, kw] is
 * [out, in·kh·kw], as torch.nn.utils.weight_norm with dim = 0 views it), its row scales g (rows
 * floats) and its bias, as float offsets in the flat buffers. A layer without a bias leaves
 * biasOffset out.
 */
export interface WeightNormLayer {
  rows: number;
  cols: number;
  weightOffset: number;
  scaleOffset: number;
  biasOffset?: number;
}

export interface WeightNormSpec {
  layers: WeightNormLayer[];
  /** Floats in each of the three flat buffers. */
  floats: number;
  /** The trained weights v, scales g and biases (read). */
  weights: GPUBuffer;
  /** Written: g · v / ‖v‖ for each layer's weight, its g and bias as they are. */
  normalized: GPUBuffer;
  /** The gradients of the normalised weights, turned in place into those of v; g's are written. */
  grads: GPUBuffer;
  label?: string;
}

/** Floats per field of the layer table (WnLayer's eight u32s). */
const TABLE_FIELDS = 8;
/** Each layer's norms start on a 256-byte boundary. */
const ALIGN = 64;

const aligned = (floats: number) => Math.ceil(floats / ALIGN) * ALIGN;

export const createWeightNorm = /* @__PURE__ */ guardedCreator('createWeightNorm', makeWeightNorm);

async function makeWeightNorm(ctx: GpuContext, spec: WeightNormSpec): Promise<WeightNorm> {
  requireCreatorArguments(ctx, spec);
  if (!Array.isArray(spec.layers) || spec.layers.length === 0)
    throw new ArgumentError(
      'layers',
      `must be a list of at least one weight matrix, got ${describeValue(spec.layers)}`,
    );
  const floats = requirePositiveInteger('floats', spec.floats);
  for (const [l, layer] of spec.layers.entries()) requireLayer(layer, l, floats);
  const { table, scratchFloats } = layerTable(spec.layers);
  const rows = Math.max(...spec.layers.map((layer) => layer.rows));
  const maxGroups = ctx.device.limits.maxComputeWorkgroupsPerDimension;
  if (Math.max(rows, spec.layers.length) > maxGroups)
    throw new ArgumentError('layers', `are too large for one dispatch (more than ${maxGroups} workgroups)`);
  const label = spec.label ?? 'weight norm';
  const owned: GPUBuffer[] = [];
  const kernels: BoundKernel[] = [];
  try {
    const scratch = ctx.memory.createStorage(`${label} norms`, scratchFloats);
    owned.push(scratch);
    const tableBuffer = ctx.memory.createStorage(`${label} layers`, table);
    owned.push(tableBuffer);
    const bindings = new Bindings(ctx)
      .tensor('layers', 'layers', tableBuffer, table.length)
      .tensor('weights', 'weights', spec.weights, floats)
      .tensor('normalized', 'normalized', spec.normalized, floats)
      .tensor('grads', 'grads', spec.grads, floats)
      .tensor('scratch', 'norms', scratch, scratchFloats);
    for (const entry of ['wn_normalize', 'wn_gradients'] as const) {
      const compiled = await getPipeline(ctx.device, weightNormShader, entry);
      const resources = bindings.forEntry(weightNormShader, entry);
      kernels.push(new BoundKernel(ctx, compiled, `${label} ${entry}`, resources, null, [rows, spec.layers.length, 1]));
    }
  } catch (error) {
    for (const k of kernels) k.destroy();
    for (const b of owned) ctx.memory.release(b);
    throw error;
  }
  return new WeightNorm(ctx, owned, kernels, label);
}

/** A layer's shape is positive and each of its tensors lies inside the buffers. */
function requireLayer(layer: WeightNormLayer, l: number, floats: number): void {
  requirePositiveInteger(`layers[${l}].rows`, layer.rows);
  requirePositiveInteger(`layers[${l}].cols`, layer.cols);
  const tensors: Array<[string, number, number]> = [
    ['weightOffset', layer.weightOffset, layer.rows * layer.cols],
    ['scaleOffset', layer.scaleOffset, layer.rows],
  ];
  if (layer.biasOffset !== undefined) tensors.push(['biasOffset', layer.biasOffset, layer.rows]);
  requireInside(`layers[${l}]`, tensors, floats);
}

/** The table the shader reads, and the scratch its rows' norms need. */
function layerTable(layers: WeightNormLayer[]) {
  const table = new Uint32Array(layers.length * TABLE_FIELDS);
  let scratch = 0;
  layers.forEach((layer, l) => {
    table.set(
      [
        layer.rows,
        layer.cols,
        layer.weightOffset,
        layer.biasOffset ?? 0,
        layer.scaleOffset,
        scratch,
        layer.biasOffset === undefined ? 0 : 1,
        0,
      ],
      l * TABLE_FIELDS,
    );
    scratch += aligned(layer.rows);
  });
  return { table, scratchFloats: scratch };
}

export class WeightNorm {
  /** Made by createWeightNorm. */
  constructor(
    private readonly ctx: GpuContext,
    private readonly owned: GPUBuffer[],
    private readonly kernels: BoundKernel[],
    readonly label: string,
  ) {}

  /** g · v / ‖v‖ of every layer into the normalised buffer: one dispatch. */
  recordNormalize(target: RecordTarget): void {
    this.kernels[0]!.record(target);
  }

  /**
   * The gradients of the normalised weights into those of v and g, with the norms of the last
   * recordNormalize (the weights must not have changed since): one dispatch.
   */
  recordGradientCorrection(target: RecordTarget): void {
    this.kernels[1]!.record(target);
  }

  destroy(): void {
    for (const k of this.kernels) k.destroy();
    for (const b of this.owned) this.ctx.memory.release(b);
  }
}
