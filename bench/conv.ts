// Each convolution kernel of the 28×28 DCGAN preset beside our matmul at the GEMM shape the
// convolution amounts to, in GFLOP/s of useful work (2 · batch · Cout · OH · OW · Cin · KH · KW,
// what PyTorch counts; the matmul's 2·M·N·K is the same number): how much the implicit GEMM's index
// arithmetic and gathers cost against a plain GEMM that reads its operands in place.
//   node scripts/bundle.mjs bench/conv.ts OUT.mjs && node OUT.mjs [--batch 64] [--json FILE] [--only TEXT]
//     [--tiles auto|gpu|cpu] (the conv GEMM's tiles) [--no-matmul] [--quick] (one warm-up call,
//     then the best of three single calls: a rough number in a fraction of the time)
import { writeFileSync } from 'node:fs';
import { acquireGpu, formatAdapter, type GpuContext, type Kernel } from '../src/index.js';
import { createMatmul } from '../src/kernels/matmul.js';
import {
  type ConvTiles,
  convShape,
  createConv2d,
  createConv2dInputGrad,
  createConv2dWeightGrad,
  type Conv2dGeometry,
} from '../src/kernels/conv2d.js';
import { randomArray } from '../reference/numeric.js';
import { microsecondsPerCall } from './timing.js';

/** The preset's layers as convolutions (a transposed one as the convolution it is the input gradient of). */
function presetLayers(batch: number): Array<{ name: string; geometry: Conv2dGeometry; transposed: boolean }> {
  const conv = (
    inChannels: number,
    outChannels: number,
    side: number,
    kernelSize: number,
    stride: number,
    padding: number,
  ) => ({
    batch,
    inChannels,
    outChannels,
    inHeight: side,
    inWidth: side,
    kernelSize,
    stride,
    padding,
  });
  return [
    { name: 'D conv 1→64 k4 s2 28→14', geometry: conv(1, 64, 28, 4, 2, 1), transposed: false },
    { name: 'D conv 64→128 k4 s2 14→7', geometry: conv(64, 128, 14, 4, 2, 1), transposed: false },
    { name: 'D conv 128→1 k7 7→1', geometry: conv(128, 1, 7, 7, 1, 0), transposed: false },
    { name: 'G convT 100→256 k7 1→7', geometry: conv(256, 100, 7, 7, 1, 0), transposed: true },
    { name: 'G convT 256→128 k4 s2 7→14', geometry: conv(128, 256, 14, 4, 2, 1), transposed: true },
    { name: 'G convT 128→1 k4 s2 14→28', geometry: conv(1, 128, 28, 4, 2, 1), transposed: true },
  ];
}

type Mode = 'forward' | 'input grad' | 'weight grad';

/** The matmul (M, N, K) each mode amounts to: channels × pixels × reduction. */
function gemmShape(g: Conv2dGeometry, mode: Mode): { m: number; n: number; k: number } {
  const s = convShape(g);
  const taps = s.kernelH * s.kernelW;
  const outPixels = s.batch * s.outHeight * s.outWidth;
  if (mode === 'forward') return { m: s.outChannels, n: outPixels, k: s.inChannels * taps };
  if (mode === 'weight grad') return { m: s.outChannels, n: s.inChannels * taps, k: outPixels };
  // The input gradient's useful work spread over the input's pixels.
  const inPixels = s.batch * s.inHeight * s.inWidth;
  return { m: s.inChannels, n: inPixels, k: Math.max(1, Math.round((s.outChannels * taps * outPixels) / inPixels)) };
}

const OPTIONS = { tiles: 'auto' as ConvTiles, quick: false };

/** One warm-up call, then the best of three single calls, in µs. */
async function quickMicroseconds(ctx: GpuContext, kernel: Kernel): Promise<number> {
  const once = async () => {
    const t0 = performance.now();
    const encoder = ctx.device.createCommandEncoder();
    const pass = encoder.beginComputePass();
    kernel.record(pass);
    pass.end();
    ctx.submit([encoder.finish()]);
    await ctx.sync();
    return (performance.now() - t0) * 1000;
  };
  await once();
  return Math.min(await once(), await once(), await once());
}

async function timed(ctx: GpuContext, sizes: number[], build: (buffers: GPUBuffer[]) => Promise<Kernel>) {
  const buffers = sizes.map((n, i) => ctx.memory.createStorage(`operand ${i}`, randomArray(n, i + 1)));
  const kernel = await build(buffers);
  try {
    return await (OPTIONS.quick ? quickMicroseconds(ctx, kernel) : microsecondsPerCall(ctx, kernel, 3));
  } finally {
    kernel.destroy();
    for (const b of buffers) ctx.memory.release(b);
  }
}

async function convMicroseconds(ctx: GpuContext, g: Conv2dGeometry, mode: Mode): Promise<number> {
  const s = convShape(g);
  const tiles = OPTIONS.tiles;
  const x = s.batch * s.inChannels * s.inHeight * s.inWidth;
  const y = s.batch * s.outChannels * s.outHeight * s.outWidth;
  const w = s.outChannels * s.inChannels * s.kernelH * s.kernelW;
  if (mode === 'forward')
    return timed(ctx, [x, w, y], ([input, weight, output]) =>
      createConv2d(ctx, { geometry: g, input: input!, weight: weight!, output: output!, tiles }),
    );
  if (mode === 'input grad')
    return timed(ctx, [y, w, x], ([dy, weight, dx]) =>
      createConv2dInputGrad(ctx, { geometry: g, gradOutput: dy!, weight: weight!, gradInput: dx!, tiles }),
    );
  return timed(ctx, [y, x, w], ([dy, input, dw]) =>
    createConv2dWeightGrad(ctx, { geometry: g, gradOutput: dy!, input: input!, gradWeight: dw!, tiles }),
  );
}

async function matmulMicroseconds(ctx: GpuContext, shape: { m: number; n: number; k: number }): Promise<number> {
  const { m, n, k } = shape;
  return timed(ctx, [m * k, k * n, m * n], ([a, b, c]) => createMatmul(ctx, { m, n, k, a: a!, b: b!, c: c! }));
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const batch = Number(args[args.indexOf('--batch') + 1] ?? 64) || 64;
  const jsonFile = args.includes('--json') ? args[args.indexOf('--json') + 1] : undefined;
  // Times only the layers whose name contains this text: a quicker loop while tuning one kernel.
  const only = args.includes('--only') ? (args[args.indexOf('--only') + 1] ?? '') : '';
  if (args.includes('--tiles')) OPTIONS.tiles = (args[args.indexOf('--tiles') + 1] ?? 'auto') as ConvTiles;
  OPTIONS.quick = args.includes('--quick');
  const withMatmul = !args.includes('--no-matmul');
  const ctx = await acquireGpu();
  const adapter = formatAdapter(ctx.adapter);
  console.log(
    `conv kernels (${OPTIONS.tiles} tiles) against matmul at the same GEMM shape, batch ${batch}, ${adapter}`,
  );
  const rows = [];
  try {
    for (const layer of presetLayers(batch).filter((l) => l.name.includes(only))) {
      const s = convShape(layer.geometry);
      const flops = 2 * s.batch * s.outChannels * s.outHeight * s.outWidth * s.inChannels * s.kernelH * s.kernelW;
      for (const mode of ['forward', 'input grad', 'weight grad'] as const) {
        const shape = gemmShape(layer.geometry, mode);
        const convUs = await convMicroseconds(ctx, layer.geometry, mode);
        const matmulUs = withMatmul ? await matmulMicroseconds(ctx, shape) : Number.NaN;
        const row = {
          layer: layer.name,
          // A transposed convolution's forward is the convolution's input gradient and vice versa.
          mode: layer.transposed
            ? (({ forward: 'input grad', 'input grad': 'forward' } as const)[mode as 'forward'] ?? mode)
            : mode,
          kernel: mode,
          gemm: `${shape.m}×${shape.n}×${shape.k}`,
          convGflops: flops / convUs / 1e3,
          matmulGflops: (2 * shape.m * shape.n * shape.k) / matmulUs / 1e3,
          adapter,
        };
        rows.push(row);
        console.log(
          `${row.layer.padEnd(28)} ${row.mode.padEnd(12)} (${row.kernel}) GEMM ${row.gemm.padEnd(16)} ` +
            `conv ${row.convGflops.toFixed(2)} GFLOP/s, matmul ${row.matmulGflops.toFixed(2)} GFLOP/s ` +
            `(${((100 * row.convGflops) / row.matmulGflops).toFixed(0)}%)`,
        );
      }
    }
    if (jsonFile) writeFileSync(jsonFile, `${JSON.stringify(rows, null, 2)}\n`);
  } finally {
    ctx.destroy();
  }
}

await main();
