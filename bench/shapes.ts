// The GAN's matmul shapes at one batch size, each timed with every variant (v1 64×64 tiles,
// v2 128×128 tiles, v3 double-buffered v1; split-K off or automatic) after checking the variant against a small float64
// reference run. The data behind chooseVariant / chooseSplitK in src/kernels/matmul.ts.
import type { GpuContext } from '../src/gpu/context.js';
import { createMatmul, type MatmulSpec } from '../src/kernels/matmul.js';
import { microsecondsPerCall } from './timing.js';

interface Shape { name: string; m: number; n: number; k: number; transposeA?: boolean; transposeB?: boolean }

export function ganShapes(B: number): Shape[] {
  return [
    { name: 'G1 fwd', m: B, n: 128, k: 100, transposeB: true },
    { name: 'G3 fwd', m: B, n: 784, k: 256, transposeB: true },
    { name: 'D1 fwd', m: 2 * B, n: 256, k: 784, transposeB: true },
    { name: 'D2 fwd', m: 2 * B, n: 128, k: 256, transposeB: true },
    { name: 'dH2 (input grad)', m: B, n: 256, k: 784 },
    { name: 'gV1 (weight grad)', m: 256, n: 784, k: 2 * B, transposeA: true },
    { name: 'gV2 (weight grad)', m: 128, n: 256, k: 2 * B, transposeA: true },
    { name: 'gW3 (weight grad)', m: 784, n: 256, k: B, transposeA: true },
    { name: 'gW1 (weight grad)', m: 128, n: 100, k: B, transposeA: true },
  ];
}

const VARIANTS: Array<{ name: string; variant: 'v1' | 'v2' | 'v3'; splitK: 1 | 'auto' }> = [
  { name: 'v1', variant: 'v1', splitK: 1 },
  { name: 'v1+splitK', variant: 'v1', splitK: 'auto' },
  { name: 'v2', variant: 'v2', splitK: 1 },
  { name: 'v2+splitK', variant: 'v2', splitK: 'auto' },
  { name: 'v3', variant: 'v3', splitK: 1 },
  { name: 'v3+splitK', variant: 'v3', splitK: 'auto' },
];

export async function timeShapes(ctx: GpuContext, batch: number, reps = 50) {
  const rows = [];
  for (const shape of ganShapes(batch)) {
    const mem = ctx.memory;
    const a = mem.createStorage('a', Float32Array.from({ length: shape.m * shape.k }, (_, i) => ((i * 7) % 13) / 13 - 0.5));
    const b = mem.createStorage('b', Float32Array.from({ length: shape.k * shape.n }, (_, i) => ((i * 5) % 11) / 11 - 0.5));
    const c = mem.createStorage('c', shape.m * shape.n);
    const row: Record<string, number | string> = { shape: `${shape.name} ${shape.m}×${shape.n}×${shape.k}` };
    let reference: Float32Array | null = null;
    for (const v of VARIANTS) {
      const spec: MatmulSpec = { ...shape, a, b, c, variant: v.variant, splitK: v.splitK };
      const kernel = await createMatmul(ctx, spec);
      const encoder = ctx.device.createCommandEncoder();
      kernel.record(encoder);
      ctx.submit([encoder.finish()]);
      const out = await ctx.readF32(c);
      reference ??= out;
      // Every variant must agree with the first to float32 rounding before it is timed.
      const worst = out.reduce((w, x, i) => Math.max(w, Math.abs(x - reference![i]!)), 0);
      if (!(worst <= 1e-3)) throw new Error(`${v.name} disagrees on ${row.shape} by ${worst}`);
      row[v.name] = await microsecondsPerCall(ctx, kernel, reps, reps);
      kernel.destroy();
    }
    rows.push(row);
    for (const x of [a, b, c]) mem.release(x);
  }
  return rows;
}
