// The batch gather: fills batch rows from a GPU-resident dataset in a seeded shuffled order that
// depends only on (seed, step), so batches need no upload and resume exactly from a checkpoint.
import { guardedCreator } from '../gpu/creation.js';
import { ArgumentError, requirePositiveInteger, requireUint32 } from '../base/errors.js';
import type { GpuContext } from '../gpu/context.js';
import { getPipeline } from '../gpu/pipelines.js';
import { threadsPerWorkgroup } from '../gpu/layout.js';
import gatherShader from '../../shaders/gather.wgsl';
import { Bindings, BoundKernel, grid1d, type TensorRef } from './kernel.js';
import { seedWords } from './random.js';
import { STREAMS } from './streams.js';
import { requireCreatorArguments } from '../base/arguments.js';

export interface GatherSpec {
  /** The dataset: count × dim bytes packed 4 per u32 (packedU8), or count × dim f32. */
  dataset: TensorRef;
  packedU8: boolean;
  count: number;
  dim: number;
  rows: number;
  /** Receives rows × dim values, starting at row firstRow (default 0). */
  output: TensorRef;
  firstRow?: number;
  seed: number;
  /** The step counter (1 for the first step); step t takes samples (t−1)·rows … t·rows − 1. */
  stepCount: TensorRef;
  /**
   * Advance a StepCounter (its two words) as the first kernel of a step, instead of a separate
   * increment dispatch: this gathers for step word 0 + 1 and writes that to word 1, which the
   * step's later kernels read (see shaders/counter.wgsl). Default false: step word 0.
   */
  advanceStep?: boolean;
  /**
   * Without advanceStep: which word of the StepCounter holds the step. Default 0; 1 for a second
   * gather of a step whose first gather advanced the counter (e.g. the real batch's labels).
   */
  stepWord?: 0 | 1;
  /**
   * Also fill `output` with `count` N(0, 1) values in the same dispatch: the values
   * createRandomFill draws for { seed, stream, stepCount, distribution: normal }, bit for bit.
   */
  noise?: { output: TensorRef; count: number; stream: number };
  label?: string;
}

/** Half the bit width of the smallest even-width power of two ≥ count (the Feistel domain). */
export function feistelHalfBits(count: number): number {
  const bits = Math.max(2, Math.ceil(Math.log2(Math.max(count, 2))));
  return Math.ceil(bits / 2);
}

/** Sample numbers are u32 on the GPU: (step − 1)·rows + row must stay below 2^32. */
export function maxStepsForBatch(rows: number): number {
  return Math.floor((2 ** 32 - 1) / rows);
}

export const createBatchGather = /* @__PURE__ */ guardedCreator('createBatchGather', makeBatchGather);

async function makeBatchGather(ctx: GpuContext, spec: GatherSpec): Promise<BoundKernel> {
  requireCreatorArguments(ctx, spec);
  const count = requirePositiveInteger('count', spec.count);
  const dim = requirePositiveInteger('dim', spec.dim);
  const rows = requirePositiveInteger('rows', spec.rows);
  if (rows > ctx.device.limits.maxComputeWorkgroupsPerDimension)
    throw new ArgumentError('rows', `must be at most ${ctx.device.limits.maxComputeWorkgroupsPerDimension}`);
  if (count * dim >= 2 ** 32) throw new ArgumentError('count', 'count × dim must be below 2^32');
  const firstRow = spec.firstRow ?? 0;
  if (!Number.isInteger(firstRow) || firstRow < 0)
    throw new ArgumentError('firstRow', `must be a non-negative integer, got ${firstRow}`);
  const [seedLo, seedHi] = seedWords(spec.seed);
  const datasetWords = spec.packedU8 ? Math.ceil((count * dim) / 4) : count * dim;
  const bindings = new Bindings(ctx)
    .tensor('dataset', 'dataset', spec.dataset, datasetWords)
    .tensor('step_count', 'stepCount', spec.stepCount, spec.advanceStep || spec.stepWord === 1 ? 2 : 1)
    .tensor('batch', 'output', spec.output, (firstRow + rows) * dim);
  const noiseCount = spec.noise ? requirePositiveInteger('noise.count', spec.noise.count) : 0;
  const noiseStream = spec.noise ? requireUint32('noise.stream', spec.noise.stream) : 0;
  if (spec.noise) bindings.tensor('noise', 'noise.output', spec.noise.output, noiseCount);
  const uniforms = {
    rows,
    dim,
    count,
    seed_lo: seedLo,
    seed_hi: seedHi,
    half_bits: feistelHalfBits(count),
    first_row: firstRow,
    noise_count: noiseCount,
    noise_stream: noiseStream,
  };
  const label = spec.label ?? `gather ${rows}×${dim}${spec.noise ? ` + noise ${noiseCount}` : ''}`;
  const stepWord = spec.stepWord ?? 0;
  if (stepWord !== 0 && stepWord !== 1) throw new ArgumentError('stepWord', `must be 0 or 1, got ${String(stepWord)}`);
  if (stepWord === 1 && spec.advanceStep)
    throw new ArgumentError('stepWord', 'reads the step another gather advanced; it cannot advance it too');
  const constants = {
    PACKED_U8: spec.packedU8,
    ADVANCE_STEP: spec.advanceStep === true,
    STEP_WORD: stepWord,
    SHUFFLE_STREAM: STREAMS.shuffle,
  };
  const entry = spec.noise ? 'gather_batch_with_noise' : 'gather_batch';
  const resources = bindings.forEntry(gatherShader, entry);
  const compiled = await getPipeline(ctx.device, gatherShader, entry, constants);
  const workgroups = spec.noise
    ? // Workgroups past the batch rows write the noise, four values per invocation.
      grid1d(ctx, rows + Math.ceil(noiseCount / (threadsPerWorkgroup(compiled.layout) * 4)))
    : ([rows, 1, 1] as [number, number, number]);
  return new BoundKernel(ctx, compiled, label, resources, uniforms, workgroups);
}

/**
 * The labels of a batch that another gather of the same step already took (it advanced the
 * counter into word 1): one u32 class per row, by the same shuffle, so row r's label is that of
 * row r's example.
 */
export function createLabelGather(
  ctx: GpuContext,
  spec: {
    labels: { buffer: TensorRef; count: number };
    rows: number;
    output: TensorRef;
    seed: number;
    stepCount: TensorRef;
    label: string;
  },
): Promise<BoundKernel> {
  return createBatchGather(ctx, {
    dataset: spec.labels.buffer,
    packedU8: false,
    count: spec.labels.count,
    dim: 1,
    rows: spec.rows,
    output: spec.output,
    seed: spec.seed,
    stepCount: spec.stepCount,
    stepWord: 1,
    label: spec.label,
  });
}
