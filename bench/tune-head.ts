// Part of `npm run bench -- --tune`: rows per workgroup for the logit head. The library's rule
// (headRowsPerGroup in src/kernels/logitHead.ts) was set from this table on the H100; a rerun
// says whether it still holds there or on another GPU. For each logit head of the step at the
// tuned batch sizes, every grouping is checked against the float64 reference, then timed, and the
// table is printed for the rule to be set from.
import type { GpuContext } from '../src/gpu/context.js';
import { resolveGanConfig } from '../src/gan/config.js';
import { createLogitHead, headRowsPerGroup, SINGLE_DISPATCH_MAX_ROWS } from '../src/kernels/logitHead.js';
import { logitHeadReference } from '../reference/cpu.js';
import { randomArray } from '../reference/numeric.js';
import { gpuMicrosecondsPerCall, runOverNaN } from './timing.js';
import { fastestOf } from './tune.js';

const GROUP_ROWS = [8, 16, 32, 64, 128, 256, 512, SINGLE_DISPATCH_MAX_ROWS];

/** One logit head of the training step, as the step builds it (src/gan/networkStep.ts). */
export interface StepHead {
  rows: number;
  width: number;
  split: number;
  targets: [number, number];
  divisor: number;
  paramGrads: boolean;
  uses: string[];
}

export interface HeadTiming {
  rowsPerGroup: number;
  dispatches: number;
  microseconds: number;
}

/** The step's two logit heads at each batch size, one entry per distinct form. */
export function stepHeads(batches: number[]): StepHead[] {
  const heads = new Map<string, StepHead>();
  const add = (head: Omit<StepHead, 'uses'>, use: string) => {
    const key = headKey(head);
    const entry = heads.get(key) ?? { ...head, uses: [] };
    entry.uses.push(use);
    heads.set(key, entry);
  };
  for (const batch of batches) {
    const c = resolveGanConfig({ batch });
    const width = c.discriminatorHidden.at(-1) ?? c.dataDim;
    add(
      { rows: 2 * batch, width, split: batch, targets: [0, c.realLabel], divisor: batch, paramGrads: true },
      `D update, batch ${batch}`,
    );
    add(
      { rows: batch, width, split: batch, targets: [1, 1], divisor: batch, paramGrads: false },
      `G update, batch ${batch}`,
    );
  }
  return [...heads.values()];
}

/** "8192x128 +param grads": a head's rows, width and whether it also makes parameter gradients. */
function headKey(head: Omit<StepHead, 'uses'>): string {
  return `${head.rows}x${head.width}${head.paramGrads ? ' +param grads' : ''}`;
}

/** Groupings worth trying for `rows` rows: every candidate below it, and all rows in one where they fit. */
export function headCandidates(rows: number): number[] {
  return [...new Set([...GROUP_ROWS.filter((g) => g < rows), Math.min(rows, SINGLE_DISPATCH_MAX_ROWS)])];
}

/**
 * The worst |GPU − float64| / tolerance over the loss, the weight and bias gradients and every
 * input gradient; ≤ 1 passes. The tolerances (1e-4 of each sum's magnitude, 1e-3 of a row's
 * |g|·max|w|) pass float32 rounding and fail a lost group or a misplaced row by orders of magnitude.
 */
function headError(
  head: StepHead,
  data: { input: Float32Array; weight: Float32Array; bias: number },
  got: { stats: Float32Array; inputGrad: Float32Array; weightGrad: Float32Array; biasGrad: number },
): number {
  const { rows, width } = head;
  const ref = logitHeadReference(
    data.input,
    rows,
    width,
    data.weight,
    data.bias,
    { split: head.split, targetFirst: head.targets[0], targetSecond: head.targets[1], divisor: head.divisor },
    { kind: 'leaky-relu', alpha: 0.2 },
  );
  const ratio = (value: number, want: number, tolerance: number) => Math.abs(value - want) / tolerance;
  let worst = ratio(got.stats[0]!, ref.bce.loss, 1e-4 * Math.abs(ref.bce.loss) + 1e-7);
  const maxWeight = Math.max(...data.weight.map(Math.abs));
  for (let r = 0; r < rows; r++) {
    const tolerance = 1e-3 * Math.abs(ref.bce.grad[r]!) * maxWeight + 1e-12;
    for (let j = 0; j < width; j++)
      worst = Math.max(worst, ratio(got.inputGrad[r * width + j]!, ref.inputGrad[r * width + j]!, tolerance));
  }
  if (head.paramGrads) {
    for (let j = 0; j < width; j++)
      worst = Math.max(
        worst,
        ratio(got.weightGrad[j]!, ref.weightGrad[j]!, 1e-4 * ref.weightGradMagnitude[j]! + 1e-12),
      );
    const gradMagnitude = ref.bce.grad.reduce((sum, g) => sum + Math.abs(g), 0);
    worst = Math.max(worst, ratio(got.biasGrad, ref.biasGrad, 1e-4 * gradMagnitude + 1e-12));
  }
  return Number.isNaN(worst) ? Infinity : worst;
}

async function tuneHead(ctx: GpuContext, head: StepHead, reps: number): Promise<HeadTiming[]> {
  const { rows, width } = head;
  // The head's input is a leaky-ReLU output, so it gates its gradient with leaky-ReLU′.
  const data = {
    input: randomArray(rows * width, rows + width).map((v) => (v > 0 ? v : 0.2 * v)),
    weight: randomArray(width, width, -1 / Math.sqrt(width), 1 / Math.sqrt(width)),
    bias: randomArray(1, rows, -0.5, 0.5)[0]!,
  };
  const mem = ctx.memory;
  const buffers = {
    input: mem.createStorage('head input', data.input),
    weight: mem.createStorage('head weight', data.weight),
    bias: mem.createStorage('head bias', Float32Array.of(data.bias)),
    stats: mem.createStorage('head stats', 3),
    inputGrad: mem.createStorage('head input grad', rows * width),
    weightGrad: mem.createStorage('head weight grad', width),
    biasGrad: mem.createStorage('head bias grad', 1),
  };
  const timed: HeadTiming[] = [];
  try {
    for (const rowsPerGroup of headCandidates(rows)) {
      const kernel = await createLogitHead(ctx, {
        rows,
        width,
        input: buffers.input,
        weight: buffers.weight,
        bias: buffers.bias,
        stats: buffers.stats,
        split: head.split,
        targetFirst: head.targets[0],
        targetSecond: head.targets[1],
        divisor: head.divisor,
        inputGrad: { output: buffers.inputGrad, gate: 'leaky-relu', leakySlope: 0.2 },
        paramGrads: head.paramGrads ? { weight: buffers.weightGrad, bias: buffers.biasGrad } : undefined,
        rowsPerGroup,
      });
      try {
        const [stats, inputGrad, weightGrad, biasGrad] = await runOverNaN(ctx, kernel, [
          buffers.stats,
          buffers.inputGrad,
          buffers.weightGrad,
          buffers.biasGrad,
        ]);
        const error = headError(head, data, {
          stats: stats!,
          inputGrad: inputGrad!,
          weightGrad: weightGrad!,
          biasGrad: biasGrad![0]!,
        });
        if (!(error <= 1))
          throw new Error(
            `logit head ${rows}x${width} in groups of ${rowsPerGroup} is wrong: ${error.toFixed(1)}× the tolerance`,
          );
        timed.push({
          rowsPerGroup,
          dispatches: kernel.dispatches,
          microseconds: await gpuMicrosecondsPerCall(ctx, kernel, reps),
        });
      } finally {
        kernel.destroy();
      }
    }
  } finally {
    for (const buffer of Object.values(buffers)) mem.release(buffer);
  }
  return timed;
}

/** Times every grouping of each logit head of the step at these batch sizes, and prints the table. */
export async function tuneLogitHeads(
  ctx: GpuContext,
  batches: number[],
  reps: number,
  log: (line: string) => void,
): Promise<void> {
  log('logit head rows per workgroup (GPU us per call; "all" is one workgroup, one dispatch):');
  for (const head of stepHeads(batches)) {
    const timed = await tuneHead(ctx, head, reps);
    const name = (t: HeadTiming) => (t.dispatches === 1 ? 'all' : String(t.rowsPerGroup));
    const chosen = timed.find((t) => t.rowsPerGroup === Math.min(head.rows, headRowsPerGroup(head.rows)))!;
    const fastest = fastestOf(timed);
    const all = timed.map((t) => `${name(t)} ${t.microseconds.toFixed(1)}`).join(', ');
    log(
      `  ${headKey(head).padEnd(22)} rule ${name(chosen)} ${chosen.microseconds.toFixed(1)} us, fastest ` +
        `${name(fastest)} ${fastest.microseconds.toFixed(1)} us   [${all}]   ${head.uses.join('; ')}`,
    );
  }
}
