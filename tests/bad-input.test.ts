// Bad arguments are refused with an ArgumentError that names the argument, before anything is
// recorded or created on the GPU (the fixture fails on any validation error or leftover buffer).
import { describe, expect, it } from 'vitest';
import {
  createAdam,
  ArgumentError,
  createActivationForward,
  createBceWithLogits,
  createBiasGrad,
  createMatmul,
  createRandomFill,
  type GpuContext,
} from '../src/index.js';
import { useGpu } from './support/gpu.js';

const gpu = useGpu();

interface BadCase {
  name: string;
  argument: string;
  create: (ctx: GpuContext, bufs: Record<string, GPUBuffer>) => Promise<unknown>;
}

const matmul = (ctx: GpuContext, b: Record<string, GPUBuffer>, changes: Record<string, unknown>) =>
  createMatmul(ctx, { m: 4, n: 4, k: 4, a: b.big!, b: b.big2!, c: b.out!, ...changes } as never);

// 1×32 times 32×1, with K split in two.
const deepMatmul = (ctx: GpuContext, b: Record<string, GPUBuffer>, changes: Record<string, unknown>) =>
  createMatmul(ctx, { m: 1, n: 1, k: 32, splitK: 2, a: b.long!, b: b.long2!, c: b.out!, ...changes } as never);

const adam = (ctx: GpuContext, b: Record<string, GPUBuffer>, changes: Record<string, unknown>) =>
  createAdam(ctx, {
    n: 16,
    weights: b.big!,
    grads: b.big2!,
    moment1: b.out!,
    moment2: b.out2!,
    stepCount: b.small!,
    ...changes,
  } as never);

const CASES: BadCase[] = [
  { name: 'matmul m = 0', argument: 'm', create: (c, b) => matmul(c, b, { m: 0 }) },
  { name: 'matmul k = 2.5', argument: 'k', create: (c, b) => matmul(c, b, { k: 2.5 }) },
  { name: 'matmul n = NaN', argument: 'n', create: (c, b) => matmul(c, b, { n: NaN }) },
  { name: 'matmul A too small for M×K', argument: 'a', create: (c, b) => matmul(c, b, { m: 5, a: b.small }) },
  { name: 'matmul C too small for M×N', argument: 'c', create: (c, b) => matmul(c, b, { c: b.small }) },
  { name: 'matmul bias too small', argument: 'bias', create: (c, b) => matmul(c, b, { bias: b.small }) },
  { name: 'matmul C aliases A', argument: 'c', create: (c, b) => matmul(c, b, { c: b.big }) },
  // Apart, but in one buffer: WebGPU refuses a buffer one binding writes and another reads.
  {
    name: "matmul C in A's buffer",
    argument: 'c',
    create: (c, b) =>
      matmul(c, b, { a: { buffer: b.wide, offset: 0, size: 64 }, c: { buffer: b.wide, offset: 256, size: 64 } }),
  },
  // K split in two: the split dispatch writes the workspace, and the reduce reads it while writing C.
  {
    name: "matmul split workspace in C's buffer",
    argument: 'c',
    create: (c, b) =>
      deepMatmul(c, b, { c: { buffer: b.wide, offset: 0, size: 4 }, splitWorkspace: { buffer: b.wide, offset: 256 } }),
  },
  {
    name: 'matmul split workspace too small',
    argument: 'splitWorkspace',
    create: (c, b) => deepMatmul(c, b, { splitWorkspace: b.small }),
  },
  {
    name: "matmul split workspace in A's buffer",
    argument: 'splitWorkspace',
    create: (c, b) =>
      deepMatmul(c, b, {
        a: { buffer: b.wide, offset: 0, size: 128 },
        splitWorkspace: { buffer: b.wide, offset: 256 },
      }),
  },
  {
    name: 'matmul unaligned offset',
    argument: 'a',
    create: (c, b) => matmul(c, b, { a: { buffer: b.big, offset: 2 } }),
  },
  {
    name: 'matmul range past the end',
    argument: 'b',
    create: (c, b) => matmul(c, b, { b: { buffer: b.big2, offset: 256 } }),
  },
  { name: 'matmul non-storage buffer', argument: 'a', create: (c, b) => matmul(c, b, { a: b.uniform }) },
  { name: 'matmul unknown activation', argument: 'activation', create: (c, b) => matmul(c, b, { activation: 'relu' }) },
  {
    name: 'matmul gate of none',
    argument: 'gate.kind',
    create: (c, b) => matmul(c, b, { gate: { kind: 'none', output: b.out2 } }),
  },
  {
    name: 'matmul leakySlope Infinity',
    argument: 'leakySlope',
    create: (c, b) => matmul(c, b, { leakySlope: Infinity }),
  },
  { name: 'adam lr NaN', argument: 'lr', create: (c, b) => adam(c, b, { lr: NaN }) },
  { name: 'adam beta1 = 1', argument: 'beta1', create: (c, b) => adam(c, b, { beta1: 1 }) },
  { name: 'adam epsilon = 0', argument: 'epsilon', create: (c, b) => adam(c, b, { epsilon: 0 }) },
  { name: 'adam negative weight decay', argument: 'weightDecay', create: (c, b) => adam(c, b, { weightDecay: -1 }) },
  { name: 'adam moments alias', argument: 'moment1', create: (c, b) => adam(c, b, { moment2: b.out }) },
  {
    name: "adam step counter in the gradients' buffer",
    argument: 'stepCount',
    create: (c, b) =>
      adam(c, b, {
        grads: { buffer: b.wide, offset: 0, size: 64 },
        stepCount: { buffer: b.wide, offset: 256, size: 8 },
      }),
  },
  { name: 'adam missing step counter', argument: 'stepCount', create: (c, b) => adam(c, b, { stepCount: undefined }) },
  {
    name: 'bce target 1.5',
    argument: 'targetFirst',
    create: (c, b) =>
      createBceWithLogits(c, { n: 4, logits: b.big!, gradLogits: b.out!, stats: b.out2!, targetFirst: 1.5 }),
  },
  {
    name: 'bce split past n',
    argument: 'split',
    create: (c, b) =>
      createBceWithLogits(c, { n: 4, logits: b.big!, gradLogits: b.out!, stats: b.out2!, targetFirst: 1, split: 5 }),
  },
  {
    name: 'bce divisor 0',
    argument: 'divisor',
    create: (c, b) =>
      createBceWithLogits(c, { n: 4, logits: b.big!, gradLogits: b.out!, stats: b.out2!, targetFirst: 1, divisor: 0 }),
  },
  {
    name: 'bias grad rows 0',
    argument: 'rows',
    create: (c, b) => createBiasGrad(c, { rows: 0, cols: 4, grad: b.big!, gradBias: b.out! }),
  },
  {
    name: 'activation of an unknown kind',
    argument: 'activation',
    create: (c, b) => createActivationForward(c, { activation: 'swish' as never, n: 4, input: b.big!, output: b.out! }),
  },
  {
    name: 'random negative seed',
    argument: 'seed',
    create: (c, b) => createRandomFill(c, { n: 4, output: b.out!, seed: -1, distribution: { kind: 'normal' } }),
  },
  {
    name: 'random unknown distribution',
    argument: 'distribution.kind',
    create: (c, b) =>
      createRandomFill(c, { n: 4, output: b.out!, seed: 1, distribution: { kind: 'poisson' } as never }),
  },
  {
    name: 'random high ≤ low',
    argument: 'distribution.high',
    create: (c, b) =>
      createRandomFill(c, { n: 4, output: b.out!, seed: 1, distribution: { kind: 'uniform', low: 1, high: 1 } }),
  },
];

describe('bad input', () => {
  for (const c of CASES) {
    it(`${c.name} → ArgumentError naming ${c.argument}`, async () => {
      const { ctx } = gpu;
      const mem = ctx.memory;
      const bufs = {
        big: mem.createStorage('big', 16),
        big2: mem.createStorage('big2', 16),
        out: mem.createStorage('out', 16),
        out2: mem.createStorage('out2', 16),
        small: mem.createStorage('small', 1),
        wide: mem.createStorage('wide', 128),
        long: mem.createStorage('long', 32),
        long2: mem.createStorage('long2', 32),
        uniform: mem.createBuffer({ label: 'uniform', size: 64, usage: GPUBufferUsage.UNIFORM }),
      };
      const bytesBefore = mem.bytesInUse;
      try {
        const error = await c.create(ctx, bufs).then(
          () => null,
          (e: unknown) => e,
        );
        expect(error).toBeInstanceOf(ArgumentError);
        expect((error as ArgumentError).argument).toBe(c.argument);
        expect((error as Error).message.startsWith(`${c.argument}:`)).toBe(true);
        expect(mem.bytesInUse, 'nothing allocated for a refused kernel').toBe(bytesBefore);
      } finally {
        for (const b of Object.values(bufs)) mem.release(b);
      }
    });
  }
});
