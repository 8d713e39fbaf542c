// The fused logit head (last layer of one output + its loss + its gradients) against the float64
// reference at awkward sizes, for each loss: one row, widths under and over the 256 threads, the largest
// single-workgroup row count and one row past it (a ragged last group), the design's batch-4096
// discriminator shape, and a one-layer discriminator on 784 pixels. Then finite differences for
// every gradient it produces, accumulation, extreme logits, and clear errors for bad arguments.
//
// Tolerances follow float32 rounding: a logit carries ~4e-6 of Σ|a·w| + |b|, a gradient
// g = (σ(x) − t)/divisor moves by at most a quarter of that (least squares: all of it; hinge: not
// at all, unless the logit is that close to the corner, where g may take the other side), and
// every derived value inherits g's error plus its own 1e-6 relative rounding.
import { describe, expect, it } from 'vitest';
import {
  ArgumentError,
  createLogitHead,
  type GpuContext,
  type LogitHeadSpec,
  type LogitLoss,
} from '../../src/index.js';
import { headRowsPerGroup, SINGLE_DISPATCH_MAX_ROWS } from '../../src/kernels/logitHead.js';
import { logitHeadReference, type LogitHeadReference } from '../../reference/cpu.js';
import { float32Tolerance } from '../../reference/numeric.js';
import { expectClose, randomArray, runKernels, useGpu } from '../support/gpu.js';

const gpu = useGpu();

interface HeadCase {
  /** Default 'bce'. */
  loss?: LogitLoss;
  rows: number;
  width: number;
  split: number;
  targets: [number, number];
  gate?: 'leaky-relu' | 'tanh';
  inputGrad: boolean;
  paramGrads: boolean;
  /** Scale of the random inputs (large values push logits to the saturated ends). */
  scale?: number;
  /** Rows per workgroup instead of the default (bench/tune.ts measures these). */
  rowsPerGroup?: number;
  /** A bias-free layer: no bias read, no bias gradient written. */
  noBias?: boolean;
}

interface HeadResult {
  inputGrad: Float32Array;
  weightGrad: Float32Array;
  biasGrad: number;
  stats: Float32Array;
  dispatches: number;
}

function inputsFor(c: HeadCase, seed: number) {
  const scale = c.scale ?? 1;
  // A gated input is an activation's output: tanh's lies in (−1, 1).
  const input =
    c.gate === 'tanh'
      ? randomArray(c.rows * c.width, seed, -0.95, 0.95)
      : randomArray(c.rows * c.width, seed, -scale, scale);
  const weight = randomArray(c.width, seed + 1, -scale / Math.sqrt(c.width), scale / Math.sqrt(c.width));
  const bias = c.noBias ? Float32Array.of(0) : randomArray(1, seed + 2, -0.5, 0.5);
  return { input, weight, bias };
}

async function runHead(
  ctx: GpuContext,
  c: HeadCase,
  data: ReturnType<typeof inputsFor>,
  runs = 1,
  divisor?: number,
): Promise<HeadResult> {
  const mem = ctx.memory;
  const buffers = {
    input: mem.createStorage('input', data.input),
    weight: mem.createStorage('weight', data.weight),
    bias: mem.createStorage('bias', data.bias),
    inputGrad: mem.createStorage('input grad', c.rows * c.width),
    weightGrad: mem.createStorage('weight grad', c.width),
    biasGrad: mem.createStorage('bias grad', 1),
    stats: mem.createStorage('stats', 3),
  };
  try {
    const spec: LogitHeadSpec = {
      rows: c.rows,
      width: c.width,
      input: buffers.input,
      weight: buffers.weight,
      ...(c.noBias ? {} : { bias: buffers.bias }),
      stats: buffers.stats,
      loss: c.loss,
      split: c.split,
      targetFirst: c.targets[0],
      targetSecond: c.targets[1],
      divisor,
      accumulate: runs > 1,
      inputGrad: c.inputGrad ? { output: buffers.inputGrad, gate: c.gate, leakySlope: 0.2 } : undefined,
      paramGrads: c.paramGrads
        ? { weight: buffers.weightGrad, ...(c.noBias ? {} : { bias: buffers.biasGrad }) }
        : undefined,
      rowsPerGroup: c.rowsPerGroup,
    };
    const kernel = await createLogitHead(ctx, spec);
    for (let r = 0; r < runs; r++) await runKernels(ctx, kernel);
    kernel.destroy();
    return {
      inputGrad: await ctx.readF32(buffers.inputGrad),
      weightGrad: await ctx.readF32(buffers.weightGrad),
      biasGrad: (await ctx.readF32(buffers.biasGrad))[0]!,
      stats: await ctx.readF32(buffers.stats),
      dispatches: kernel.dispatches,
    };
  } finally {
    for (const b of Object.values(buffers)) mem.release(b);
  }
}

function referenceFor(
  c: HeadCase,
  data: ReturnType<typeof inputsFor>,
  divisor?: number,
): { ref: LogitHeadReference; logitError: Float64Array } {
  const ref = logitHeadReference(
    data.input,
    c.rows,
    c.width,
    data.weight,
    data.bias[0]!,
    { split: c.split, targetFirst: c.targets[0], targetSecond: c.targets[1], divisor, kind: c.loss },
    c.gate ? { kind: c.gate, alpha: 0.2 } : undefined,
  );
  const logitError = new Float64Array(c.rows);
  for (let r = 0; r < c.rows; r++) {
    let magnitude = Math.abs(data.bias[0]!);
    for (let j = 0; j < c.width; j++) magnitude += Math.abs(data.input[r * c.width + j]! * data.weight[j]!);
    logitError[r] = 4e-6 * magnitude + 1e-7;
  }
  return { ref, logitError };
}

function expectMatchesReference(
  got: HeadResult,
  c: HeadCase,
  data: ReturnType<typeof inputsFor>,
  factor = 1,
  divisor = c.rows,
) {
  const { ref, logitError } = referenceFor(c, data, divisor);
  const gError = Float64Array.from(
    ref.bce.grad,
    (g, r) => gradientError(c, ref.logits[r]!, r, logitError[r]!) / divisor + 1e-6 * Math.abs(g),
  );
  const nonFinite = [got.inputGrad, got.weightGrad, [got.biasGrad], got.stats].reduce(
    (n, values) => n + Array.from(values).filter((v) => !Number.isFinite(v)).length,
    0,
  );
  expect(nonFinite, 'non-finite outputs').toBe(0);
  if (c.inputGrad) {
    expectClose(
      got.inputGrad,
      ref.inputGrad,
      (i) => {
        const r = Math.floor(i / c.width);
        const scale =
          Math.abs(ref.bce.grad[r]!) > 0
            ? Math.abs(ref.inputGrad[i]! / ref.bce.grad[r]!)
            : Math.abs(data.weight[i % c.width]!);
        return gError[r]! * scale + 1e-6 * Math.abs(ref.inputGrad[i]!) + 1e-12;
      },
      'dLoss/dinput',
    );
  }
  if (c.paramGrads) {
    expectClose(
      got.weightGrad,
      ref.weightGrad,
      (j) => {
        let fromG = 0;
        for (let r = 0; r < c.rows; r++) fromG += gError[r]! * Math.abs(data.input[r * c.width + j]!);
        return fromG + float32Tolerance(ref.weightGradMagnitude[j]!, 1e-12);
      },
      'dLoss/dweight',
    );
    const biasMagnitude = ref.bce.grad.reduce((a, g) => a + Math.abs(g), 0);
    const biasTolerance = gError.reduce((a, b) => a + b, 0) + float32Tolerance(biasMagnitude, 0);
    // Without a bias its gradient buffer is never written: it keeps the zero it was made with.
    if (c.noBias) expect(got.biasGrad, 'an untouched bias gradient').toBe(0);
    else expectClose([got.biasGrad], [ref.biasGrad], () => biasTolerance + 1e-12, 'dLoss/dbias');
  }
  const lossTolerance = logitError.reduce((a, b) => a + b, 0) / divisor + 1e-6 * Math.abs(ref.bce.loss) + 1e-7;
  expectClose([got.stats[0]!], [factor * ref.bce.loss], () => factor * lossTolerance, 'loss');
  // The reading is σ(logit), whose slope is at most ¼, or the logit itself for least squares.
  const readingSlope = c.loss === 'least-squares' ? 1 : 0.25;
  const largest = Math.max(...ref.logits.map(Math.abs));
  const meanTolerance = readingSlope * Math.max(...logitError) + 1e-6 * Math.max(1, largest);
  expectClose(
    [got.stats[1]!, got.stats[2]!],
    [factor * ref.bce.meanFirst, factor * ref.bce.meanSecond],
    () => factor * meanTolerance,
    'mean reading per half',
  );
}

/** How far the loss's derivative at logit x may move when x moves by `logitError`. */
function gradientError(c: HeadCase, x: number, row: number, logitError: number): number {
  switch (c.loss ?? 'bce') {
    case 'least-squares':
      return logitError;
    case 'hinge': {
      const side = 2 * (row < c.split ? c.targets[0] : c.targets[1]) - 1;
      return Math.abs(1 - side * x) <= logitError ? Math.abs(side) : 0;
    }
    case 'negative-logit':
      return 0;
    default:
      return 0.25 * logitError;
  }
}

const CASES: Array<[string, HeadCase]> = [
  [
    '9 rows of width 49 without a bias (DCGAN), split 4',
    { rows: 9, width: 49, split: 4, targets: [0, 1], inputGrad: true, paramGrads: true, noBias: true },
  ],
  [
    '1100 rows of width 6 without a bias, in groups',
    {
      rows: 1100,
      width: 6,
      split: 550,
      targets: [0, 1],
      gate: 'leaky-relu',
      inputGrad: true,
      paramGrads: true,
      noBias: true,
    },
  ],
  ['1 row of width 1', { rows: 1, width: 1, split: 1, targets: [1, 1], inputGrad: true, paramGrads: true }],
  [
    '7 rows of width 5, split 3, leaky-ReLU gate',
    { rows: 7, width: 5, split: 3, targets: [0, 0.9], gate: 'leaky-relu', inputGrad: true, paramGrads: true },
  ],
  [
    '130 rows of width 128 (batch 65): 9 groups, tanh gate, no parameter gradients',
    { rows: 130, width: 128, split: 130, targets: [1, 1], gate: 'tanh', inputGrad: true, paramGrads: false },
  ],
  [
    '1024 rows in one workgroup (the most it holds) of width 300 (> 256 threads)',
    {
      rows: SINGLE_DISPATCH_MAX_ROWS,
      width: 300,
      split: 512,
      targets: [0, 1],
      gate: 'leaky-relu',
      inputGrad: true,
      paramGrads: true,
      rowsPerGroup: SINGLE_DISPATCH_MAX_ROWS,
    },
  ],
  [
    '16 rows of width 128: one group by default',
    { rows: 16, width: 128, split: 8, targets: [0, 1], gate: 'leaky-relu', inputGrad: true, paramGrads: true },
  ],
  [
    '1025 rows: 17 groups, the last of 1 row',
    {
      rows: SINGLE_DISPATCH_MAX_ROWS + 1,
      width: 128,
      split: 513,
      targets: [0, 0.9],
      gate: 'leaky-relu',
      inputGrad: true,
      paramGrads: true,
    },
  ],
  [
    '8192 × 128, split 4096 (the batch-4096 discriminator update)',
    { rows: 8192, width: 128, split: 4096, targets: [0, 1], gate: 'leaky-relu', inputGrad: true, paramGrads: true },
  ],
  [
    '200 rows of 784 pixels (a one-layer discriminator), parameter gradients only',
    { rows: 200, width: 784, split: 100, targets: [0, 1], inputGrad: false, paramGrads: true },
  ],
  [
    '3000 rows of width 784, many groups, input gradient only',
    { rows: 3000, width: 784, split: 3000, targets: [1, 1], gate: 'tanh', inputGrad: true, paramGrads: false },
  ],
  [
    '100 rows in groups of 7 (the last of 2)',
    {
      rows: 100,
      width: 130,
      split: 50,
      targets: [0, 0.9],
      gate: 'leaky-relu',
      inputGrad: true,
      paramGrads: true,
      rowsPerGroup: 7,
    },
  ],
  [
    '300 rows in groups of 1',
    {
      rows: 300,
      width: 128,
      split: 150,
      targets: [0, 1],
      gate: 'leaky-relu',
      inputGrad: true,
      paramGrads: true,
      rowsPerGroup: 1,
    },
  ],
  [
    '8192 rows in groups of 8: 1024 partial sums per column, 32 for each reduce thread',
    {
      rows: 8192,
      width: 128,
      split: 4096,
      targets: [0, 1],
      gate: 'leaky-relu',
      inputGrad: true,
      paramGrads: true,
      rowsPerGroup: 8,
    },
  ],
  [
    'width 1001 in groups of 3: 1005 partial columns, the last reduce workgroup with 5 of its 8',
    {
      rows: 40,
      width: 1001,
      split: 20,
      targets: [0, 1],
      gate: 'leaky-relu',
      inputGrad: true,
      paramGrads: true,
      rowsPerGroup: 3,
    },
  ],
  [
    '8192 rows in groups of 256',
    {
      rows: 8192,
      width: 128,
      split: 4096,
      targets: [0, 1],
      gate: 'leaky-relu',
      inputGrad: true,
      paramGrads: true,
      rowsPerGroup: 256,
    },
  ],
  [
    '2000 rows in groups of 1024, the most a workgroup holds',
    {
      rows: 2000,
      width: 20,
      split: 1000,
      targets: [1, 1],
      inputGrad: true,
      paramGrads: true,
      rowsPerGroup: SINGLE_DISPATCH_MAX_ROWS,
    },
  ],
];

// Each other loss at a small single-group size and with many groups (a ragged last one).
const OTHER_LOSSES: LogitLoss[] = ['least-squares', 'hinge', 'negative-logit'];
for (const loss of OTHER_LOSSES) {
  CASES.push(
    [
      `${loss}: 7 rows of width 5, split 3, leaky-ReLU gate`,
      { loss, rows: 7, width: 5, split: 3, targets: [0, 1], gate: 'leaky-relu', inputGrad: true, paramGrads: true },
    ],
    [
      `${loss}: 1025 rows of width 128 (17 groups), split 513, logits well past ±1`,
      {
        loss,
        rows: SINGLE_DISPATCH_MAX_ROWS + 1,
        width: 128,
        split: 513,
        targets: [0, loss === 'least-squares' ? 0.9 : 1],
        gate: 'leaky-relu',
        inputGrad: true,
        paramGrads: true,
        scale: 4,
      },
    ],
  );
}

function groupsFor(c: HeadCase): number {
  return Math.ceil(c.rows / Math.min(c.rows, c.rowsPerGroup ?? headRowsPerGroup(c.rows)));
}

describe('logit head (last layer + loss + gradients, fused)', () => {
  for (const [index, [name, c]] of CASES.entries()) {
    it(name, async () => {
      const data = inputsFor(c, 100 + index);
      const got = await runHead(gpu.ctx, c, data);
      expect(got.dispatches).toBe(groupsFor(c) === 1 ? 1 : 2);
      if (c.loss === 'hinge' && c.rows > 1000) {
        const { ref } = referenceFor(c, data);
        const outside = ref.logits.filter((x) => Math.abs(x) > 1).length;
        expect(outside, 'logits on both sides of the corners').toBeGreaterThan(0);
        expect(outside, 'logits on both sides of the corners').toBeLessThan(c.rows);
      }
      expectMatchesReference(got, c, data);
    });
  }

  it('a divisor other than the row count (the discriminator divides both halves by the batch)', async () => {
    const c: HeadCase = {
      rows: 90,
      width: 33,
      split: 45,
      targets: [0, 0.9],
      gate: 'leaky-relu',
      inputGrad: true,
      paramGrads: true,
    };
    const data = inputsFor(c, 7);
    expectMatchesReference(await runHead(gpu.ctx, c, data, 1, 45), c, data, 1, 45);
  });

  for (const rows of [40, 2000]) {
    it(`accumulate adds the statistics of each run (${rows} rows) and overwrites the gradients`, async () => {
      const c: HeadCase = {
        rows,
        width: 17,
        split: rows / 2,
        targets: [0, 1],
        gate: 'leaky-relu',
        inputGrad: true,
        paramGrads: true,
      };
      const data = inputsFor(c, 8);
      expectMatchesReference(await runHead(gpu.ctx, c, data, 2), c, data, 2);
    });
  }

  it('saturated logits (inputs of ±300) give finite losses and gradients', async () => {
    const c: HeadCase = {
      rows: 50,
      width: 9,
      split: 25,
      targets: [0, 1],
      inputGrad: true,
      paramGrads: true,
      scale: 300,
    };
    const data = inputsFor(c, 9);
    const { ref } = referenceFor(c, data);
    expect(Math.max(...ref.logits.map(Math.abs))).toBeGreaterThan(100);
    expectMatchesReference(await runHead(gpu.ctx, c, data), c, data);
  });

  it('groups: all rows in one up to 16 rows, then groups of 16', () => {
    expect([1, 15, 16, 17, 256, 1025, 8192].map(headRowsPerGroup)).toEqual([1, 15, 16, 16, 16, 16, 16]);
  });
});

describe('logit head against finite differences', () => {
  // loss(z, w, b) = ℓ(f(z)·w + b) in float64, where the head's input is a = f(z): the gated input
  // gradient is dLoss/dz, the ungated one dLoss/da.
  const [rows, width, split] = [6, 5, 4];
  const central = (f: (h: number) => number) => (f(1e-5) - f(-1e-5)) / 2e-5;
  const cases: Array<[LogitLoss, 'tanh' | 'leaky-relu' | undefined]> = [
    ['bce', undefined],
    ['bce', 'tanh'],
    ['bce', 'leaky-relu'],
    ...OTHER_LOSSES.map((loss): [LogitLoss, 'leaky-relu'] => [loss, 'leaky-relu']),
  ];

  for (const [kind, gate] of cases) {
    it(`every gradient, ${kind}, ${gate ?? 'no'} gate`, async () => {
      const targets: [number, number] = kind === 'bce' ? [0.9, 0] : [1, 0];
      const loss = { split, targetFirst: targets[0], targetSecond: targets[1], kind };
      const lossAt = (a: ArrayLike<number>, w: ArrayLike<number>, b: number) =>
        logitHeadReference(a, rows, width, w, b, loss).bce.loss;
      // Off the leaky kink, where the derivative jumps.
      const z = randomArray(rows * width, 31, -1.5, 1.5).map((v) => (Math.abs(v) < 0.05 ? v + 0.1 : v));
      const activation = (v: number) =>
        gate === 'tanh' ? Math.tanh(v) : gate === 'leaky-relu' ? (v > 0 ? v : 0.2 * v) : v;
      const a = Float32Array.from(z, activation);
      const w = randomArray(width, 32, -1, 1);
      const b = 0.3;
      // And off the hinge's corners, where its derivative jumps.
      const logits = logitHeadReference(a, rows, width, w, b, loss).logits;
      expect(Math.min(...logits.map((x) => Math.abs(Math.abs(x) - 1)))).toBeGreaterThan(1e-3);
      const c: HeadCase = { loss: kind, rows, width, split, targets, gate, inputGrad: true, paramGrads: true };
      const got = await runHead(gpu.ctx, c, { input: a, weight: w, bias: Float32Array.of(b) });

      const dz = Float64Array.from(z, (_, i) =>
        central((h) => {
          const moved = Float64Array.from(a);
          moved[i] = activation(z[i]! + h);
          return lossAt(moved, w, b);
        }),
      );
      const dw = Float64Array.from(w, (_, j) =>
        central((h) =>
          lossAt(
            a,
            Float64Array.from(w, (v, k) => (k === j ? v + h : v)),
            b,
          ),
        ),
      );
      const db = central((h) => lossAt(a, w, b + h));
      const tolerance = (x: number) => 2e-5 + 1e-3 * Math.abs(x);
      expectClose(got.inputGrad, dz, (i) => tolerance(dz[i]!), 'dLoss/dz');
      expectClose(got.weightGrad, dw, (j) => tolerance(dw[j]!), 'dLoss/dw');
      expectClose([got.biasGrad], [db], () => tolerance(db), 'dLoss/db');
    });
  }
});

describe('logit head arguments', () => {
  async function headError(
    change: (spec: LogitHeadSpec, make: (floats: number) => GPUBuffer) => void,
  ): Promise<unknown> {
    const ctx = gpu.ctx;
    const made: GPUBuffer[] = [];
    const make = (floats: number) => {
      const b = ctx.memory.createStorage('t', floats);
      made.push(b);
      return b;
    };
    const spec: LogitHeadSpec = {
      rows: 4,
      width: 3,
      input: make(12),
      weight: make(3),
      bias: make(1),
      stats: make(3),
      targetFirst: 1,
      inputGrad: { output: make(12) },
    };
    change(spec, make);
    try {
      const kernel = await createLogitHead(ctx, spec);
      kernel.destroy();
      return null;
    } catch (error) {
      return error;
    } finally {
      for (const b of made) ctx.memory.release(b);
    }
  }

  it.each([
    [
      'a split past the rows',
      (s: LogitHeadSpec) => {
        s.split = 5;
      },
      /split.*\[0, 4\]/,
    ],
    [
      'a weight shorter than the width',
      (s: LogitHeadSpec, make: (n: number) => GPUBuffer) => {
        s.weight = make(2);
      },
      /weight.*needs 3 f32/,
    ],
    [
      'a gate of none',
      (s: LogitHeadSpec) => {
        s.inputGrad!.gate = 'none' as never;
      },
      /inputGrad.gate.*not none/,
    ],
    [
      'an input gradient written over the input',
      (s: LogitHeadSpec) => {
        s.inputGrad = { output: s.input as GPUBuffer };
      },
      /inputGrad.output.*overlaps input/,
    ],
    [
      'a target outside [0, 1]',
      (s: LogitHeadSpec) => {
        s.targetFirst = 1.5;
      },
      /targetFirst/,
    ],
    [
      'an unknown loss',
      (s: LogitHeadSpec) => {
        s.loss = 'wasserstein' as never;
      },
      /loss.*bce, least-squares, hinge, negative-logit.*wasserstein/,
    ],
    [
      'zero rows',
      (s: LogitHeadSpec) => {
        s.rows = 0;
      },
      /rows/,
    ],
    [
      'zero rows per group',
      (s: LogitHeadSpec) => {
        s.rowsPerGroup = 0;
      },
      /rowsPerGroup.*positive integer/,
    ],
    [
      'a fractional row count per group',
      (s: LogitHeadSpec) => {
        s.rowsPerGroup = 2.5;
      },
      /rowsPerGroup/,
    ],
    [
      'more rows per group than a workgroup holds',
      (s: LogitHeadSpec, make: (n: number) => GPUBuffer) => {
        Object.assign(s, { rows: 2000, input: make(6000), inputGrad: { output: make(6000) }, rowsPerGroup: 1025 });
      },
      /rowsPerGroup.*at most 1024/,
    ],
    [
      'a bias gradient for a head without a bias',
      (s: LogitHeadSpec, make: (n: number) => GPUBuffer) => {
        s.bias = undefined;
        s.paramGrads = { weight: make(3), bias: make(1) };
      },
      /paramGrads.bias: must be left out: the head has no bias/,
    ],
    [
      'no bias gradient for a head with a bias',
      (s: LogitHeadSpec, make: (n: number) => GPUBuffer) => {
        s.paramGrads = { weight: make(3) };
      },
      /paramGrads.bias: is required: the head has a bias/,
    ],
  ])('refuses %s with an ArgumentError', async (_name, change, message) => {
    const error = await headError(change);
    expect(error).toBeInstanceOf(ArgumentError);
    expect(String((error as Error).message)).toMatch(message);
  });

  it('accepts the same arguments unchanged', async () => {
    expect(await headError(() => {})).toBeNull();
  });
});
