// `npm run bench`: ms per GAN training step at several batch sizes and fp32 matmul GFLOP/s, on
// whatever adapter Dawn finds. Steps are timed like ../shared/baselines/torch_gan.py: warm-up,
// then many steps submitted back to back, one wait at the end (repeated until settled, the median
// of the last three runs). The flags are in bench/options.ts (`npm run bench -- --help`); the
// TensorFlow.js WebGPU peer trains the same model after us.
import { readFileSync, writeFileSync } from 'node:fs';
import { acquireGpu } from '../src/gpu/device.js';
import { formatAdapter } from '../src/gpu/adapter.js';
import type { GpuContext } from '../src/gpu/context.js';
import { GpuDataset } from '../src/data/dataset.js';
import { GanTrainer } from '../src/gan/trainer.js';
import { SEED_RECIPE } from '../src/gan/config.js';
import { createMatmul, MatmulKernel, ruleChoice } from '../src/kernels/matmul.js';
import {
  MATMUL_VARIANTS,
  registeredMatmulTuning,
  registerMatmulTuning,
  shapeKey,
  tunedChoice,
  tuningAdapterKey,
  unregisterMatmulTuning,
  type MatmulTuning,
  type MatmulVariant,
} from '../src/kernels/matmulTuning.js';
import { profileStep } from './profile.js';
import { timeTfjsSteps } from './tfjs-peer.js';
import { timeDcganSteps } from './dcgan.js';
import { timeTfjsDcganSteps } from './tfjs-dcgan.js';
import { gpuMicrosecondsPerCall, median, microsecondsPerCall, runOverNaN, untilSettled } from './timing.js';
import { rampUp, sampledError, tuneStepMatmuls, writeTuning } from './tune.js';
import { tuneLogitHeads } from './tune-head.js';
import { randomArray } from '../reference/numeric.js';
import { BENCH_USAGE, parseBenchOptions, UsageError, type BenchOptions } from './options.js';

// Dawn rounds timestamps unless told not to; the bench wants them exact.
const BENCH_DAWN_FLAGS = ['disable-dawn-features=timestamp_quantization'];
// Dawn checks every buffer and array index in a shader unless this toggle turns that off. Our
// kernels bound their own indices, but a toggle that the web does not offer is only measured here.
const ROBUSTNESS_OFF = 'webgpu-gan (Dawn robustness off)';

/**
 * Untimed runs of the timed runs' own pattern (many submits in flight, one wait at the end) until
 * this long has passed: clocks up (bench/timing.ts), caches, pipelines and the driver's queue
 * ready. A warm-up of one submit at a time was not enough: on the H100 (2026-11-27) the first
 * timed run after it was up to 2.5× slower than the two after it.
 */
const STEP_WARM_UP_MS = 200;
/**
 * Timed runs of `steps` steps each go on until settled (bench/timing.ts) or for this long; the
 * median of the last three is reported.
 */
const STEP_SETTLE_MS = 5000;
/**
 * TensorFlow.js took 45 to 240 ms a step on the H100 and the H200 (BENCHMARKS.md), so a tenth of
 * our steps, up to this many, times it closely enough; more would only lengthen a device run.
 */
const TFJS_MAX_STEPS = 30;

async function timeSteps(ctx: GpuContext, batch: number, steps: number, perSubmit: number, profile: boolean) {
  const count = 60_000;
  const bytes = new Uint8Array(count * 784);
  for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 2654435761) >>> 24;
  const dataset = GpuDataset.fromBytes(ctx, bytes, count, 784);
  // The recipe the PyTorch and TensorFlow.js peers train, whatever the library's defaults are.
  const trainer = await GanTrainer.create(ctx, { ...SEED_RECIPE, batch }, dataset);
  try {
    const bytesInUse = ctx.memory.bytesInUse;
    // The CPU's share too (recording and submitting, which the GPU overlaps): a step whose wall
    // time is near it rather than near the GPU time is bound by the host.
    const cpuMsPerTrial: number[] = [];
    const runSteps = async () => {
      const t0 = performance.now();
      let cpuMs = 0;
      for (let done = 0; done < steps; done += perSubmit) {
        const c0 = performance.now();
        trainer.submitSteps(Math.min(perSubmit, steps - done), 1e9);
        cpuMs += performance.now() - c0;
      }
      await ctx.sync();
      cpuMsPerTrial.push(cpuMs / steps);
      return (performance.now() - t0) / steps;
    };
    const warmStart = performance.now();
    do await runSteps();
    while (performance.now() - warmStart < STEP_WARM_UP_MS);
    const trialMs = await untilSettled(runSteps, STEP_SETTLE_MS);
    const ms = median(trialMs.slice(-3));
    const cpuMsPerStep = median(cpuMsPerTrial.slice(-3));
    const gpuMsPerStep = await gpuMsPerWholeStep(ctx, trainer, perSubmit);
    const kernels = profile ? await profileStep(ctx, trainer, 20) : null;
    const kernelSumMsPerStep = kernels ? kernels.reduce((t, k) => t + k.microseconds, 0) / 1000 : undefined;
    const matmuls = trainer.stepKernelList.filter((k): k is MatmulKernel => k instanceof MatmulKernel);
    const measuredMatmuls = matmuls.filter((k) => tunedChoice(ctx.adapter, k.shape) !== null).length;
    return {
      impl: 'webgpu-gan',
      arch: 'mlp',
      batch,
      msPerStep: ms,
      stepsPerSec: 1000 / ms,
      dispatchesPerStep: trainer.dispatchesPerStep,
      submitsPerStep: 1 / perSubmit,
      bytesAllocated: bytesInUse,
      trialMs,
      cpuMsPerStep,
      gpuMsPerStep,
      kernelSumMsPerStep,
      kernels,
      matmulsPerStep: matmuls.length,
      measuredMatmuls,
    };
  } finally {
    trainer.destroy();
    dataset.destroy();
  }
}

/**
 * Runs `run` with a tuning table that gives every matmul of the step at this batch `variant` (v1
 * where it does not fit, each with the rules' split), then puts back the table there was: whole
 * steps timed with one variant throughout, chosen by an explicit table rather than a setting.
 */
async function withOneVariant<T>(ctx: GpuContext, batch: number, variant: MatmulVariant, run: () => Promise<T>) {
  const adapter = tuningAdapterKey(ctx.adapter);
  if (adapter === null) throw new UsageError('--step-variants: this adapter has no name a tuning table can match');
  const dataset = GpuDataset.fromBytes(ctx, new Uint8Array(784), 1, 784);
  const trainer = await GanTrainer.create(ctx, { ...SEED_RECIPE, batch }, dataset);
  const choices: MatmulTuning['choices'] = {};
  try {
    for (const k of trainer.stepKernelList)
      if (k instanceof MatmulKernel)
        choices[shapeKey(k.shape)] = { ...ruleChoice(k.shape, ctx.device.limits, variant) };
  } finally {
    trainer.destroy();
    dataset.destroy();
  }
  const previous = registeredMatmulTuning(adapter);
  registerMatmulTuning({ adapter, measured: `bench: every matmul ${variant}`, choices });
  try {
    return await run();
  } finally {
    if (previous) registerMatmulTuning(previous);
    else unregisterMatmulTuning(adapter);
  }
}

/**
 * GPU time of a step from timestamps at the start and end of a compute pass of `steps` whole
 * steps, as training records them (the best pass once settled, bench/timing.ts); null without
 * timestamp queries.
 */
async function gpuMsPerWholeStep(ctx: GpuContext, trainer: GanTrainer, steps: number): Promise<number | null> {
  if (!ctx.device.features.has('timestamp-query')) return null;
  const wholeStep = {
    record: (pass: GPUComputePassEncoder) => {
      for (const kernel of trainer.stepKernelList) kernel.record(pass);
    },
  };
  return (await gpuMicrosecondsPerCall(ctx, wholeStep, steps)) / 1000;
}

const KERNEL_NAMES = {
  v1: 'v1: 64x64 tile, 4x4 per thread',
  v3: 'v3: v1 double-buffered',
  v4: 'v4: v1 with vec4 loads',
  v5: 'v5: 128x64 tile, 8x4 per thread, vec4 loads',
} as const;

/** Random n×n operands, made once per size and shared by every variant. */
function squareOperands(n: number): { a: Float32Array; b: Float32Array } {
  return { a: randomArray(n * n, n), b: randomArray(n * n, n + 1) };
}

/**
 * Square matmul GFLOP/s, after a float64 check of sampled entries (a wrong kernel is not timed);
 * `specialized`: with a pipeline built for n³ (MatmulSpec.specialize).
 */
async function timeMatmul(
  ctx: GpuContext,
  n: number,
  variant: keyof typeof KERNEL_NAMES,
  specialized: boolean,
  operands: { a: Float32Array; b: Float32Array },
) {
  const mem = ctx.memory;
  const [a, b, c] = [
    mem.createStorage('a', operands.a),
    mem.createStorage('b', operands.b),
    mem.createStorage('c', n * n),
  ];
  const kernel = await createMatmul(ctx, { m: n, n, k: n, a, b, c, variant, splitK: 1, specialize: specialized });
  try {
    const shape = { m: n, n, k: n, transposeA: false, transposeB: false, rowSums: false };
    const [product] = await runOverNaN(ctx, kernel, [c]);
    const error = sampledError(shape, operands, product!, null);
    const kernelName = `${KERNEL_NAMES[variant]}${specialized ? ', specialised to the shape' : ''}`;
    if (!(error <= 1)) throw new Error(`matmul ${kernelName} is wrong at ${n}³: ${error.toFixed(1)}× the tolerance`);
    const seconds = (await microsecondsPerCall(ctx, kernel, 20)) / 1e6;
    return { impl: 'webgpu-gan', kernel: kernelName, variant, specialized, n, gflops: (2 * n ** 3) / seconds / 1e9 };
  } finally {
    kernel.destroy();
    for (const x of [a, b, c]) mem.release(x);
  }
}

/** Whole steps at every batch size of the options, printed as they finish. */
async function timeBatches(ctx: GpuContext, options: BenchOptions, impl: string) {
  const results = [];
  for (const batch of options.batches) {
    const r = {
      ...(await timeSteps(ctx, batch, options.steps, options.stepsPerSubmit, options.profile.includes(batch))),
      impl,
    };
    results.push(r);
    const times =
      `, CPU ${r.cpuMsPerStep.toFixed(3)} ms/step to record and submit` +
      (r.gpuMsPerStep === null ? '' : `, GPU ${r.gpuMsPerStep.toFixed(3)} ms/step by timestamps`) +
      (r.kernelSumMsPerStep === undefined
        ? ''
        : ` (${r.kernelSumMsPerStep.toFixed(3)} as the sum of its kernels, each in its own pass)`);
    const name = impl === 'webgpu-gan' ? '' : `${impl}, `;
    console.log(
      `${name}batch ${String(batch).padStart(5)}: ${r.msPerStep.toFixed(3)} ms/step ` +
        `(${r.stepsPerSec.toFixed(0)} steps/s), ${r.dispatchesPerStep} dispatches/step, ` +
        `${(r.bytesAllocated / 2 ** 20).toFixed(1)} MiB allocated${times}` +
        (r.measuredMatmuls > 0 ? `, ${r.measuredMatmuls} of ${r.matmulsPerStep} matmuls by measured choice` : ''),
    );
    for (const k of r.kernels ?? []) console.log(`    ${k.microseconds.toFixed(1).padStart(8)} us  ${k.label}`);
  }
  return results;
}

/** Every variant at every square size, plain and specialised to the shape. */
async function timeSquareMatmuls(ctx: GpuContext, sizes: number[], impl: string) {
  const matmul = [];
  for (const n of sizes) {
    const operands = squareOperands(n);
    for (const variant of MATMUL_VARIANTS) {
      for (const specialized of [false, true]) {
        const r = { ...(await timeMatmul(ctx, n, variant, specialized, operands)), impl };
        matmul.push(r);
        console.log(
          `${impl === 'webgpu-gan' ? '' : `${impl}, `}matmul ${n}³ ${r.kernel}: ${r.gflops.toFixed(0)} GFLOP/s`,
        );
      }
    }
  }
  return matmul;
}

/** The tables in a --tuning file, or an error that names the file and what is wrong with it. */
function readTuning(file: string): MatmulTuning[] {
  let tables: unknown;
  try {
    tables = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new Error(`--tuning ${file}: ${(error as Error).message}`);
  }
  if (!Array.isArray(tables))
    throw new Error(`--tuning ${file}: expected a JSON list of tables, as --tune --write-tuning writes`);
  return tables as MatmulTuning[];
}

/**
 * --tune: the logit heads (a few seconds), then the matmul shapes, heaviest first, until the time
 * limit. The table is written after every shape, so a run stopped from outside keeps its work.
 */
async function tune(ctx: GpuContext, options: BenchOptions): Promise<void> {
  const deadline = options.tuneLimitSeconds === undefined ? Infinity : Date.now() + options.tuneLimitSeconds * 1000;
  const log = (line: string) => console.log(line);
  await rampUp(ctx);
  await tuneLogitHeads(ctx, options.tune, options.tuneReps, log);
  console.log(
    `matmul tuning at batch ${options.tune.join(', ')} (variant/splits, "fixed" for a pipeline specialised to the ` +
      `shape; GPU us per call):`,
  );
  const file = options.writeTuning;
  await tuneStepMatmuls(ctx, options.tune, {
    reps: options.tuneReps,
    log,
    deadline,
    onTable: file ? (table) => writeTuning(file, table) : undefined,
  });
}

/** The options, or null after printing why they are wrong (the exit code is then 2). */
function optionsOrUsage(argv: string[]): BenchOptions | null {
  try {
    const options = parseBenchOptions(argv);
    if (options.help) process.stdout.write(BENCH_USAGE);
    return options.help ? null : options;
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`bench: ${error.message}\n(npm run bench -- --help lists the flags)\n`);
    process.exitCode = 2;
    return null;
  }
}

/** The DCGAN preset's steps at each batch size, then TensorFlow.js's on its own device. */
async function benchDcgan(ctx: GpuContext, options: BenchOptions, adapter: string): Promise<void> {
  const results: Array<{ impl: string; arch: string; batch: number; msPerStep: number }> = [];
  for (const batch of options.batches) {
    const r = await timeDcganSteps(ctx, batch, options.steps, options.stepsPerSubmit);
    results.push(r);
    console.log(
      `dcgan batch ${String(batch).padStart(5)}: ${r.msPerStep.toFixed(1)} ms/step, ${r.dispatchesPerStep} ` +
        `dispatches/step, ${(r.bytesAllocated / 2 ** 20).toFixed(1)} MiB allocated`,
    );
  }
  if (options.tfjs) {
    const { create } = await import('webgpu');
    const gpu = create([]);
    for (const batch of options.batches) {
      // TensorFlow.js takes seconds a step on a software adapter: a few steps time it.
      const r = await timeTfjsDcganSteps(gpu, batch, Math.max(2, Math.min(options.steps, 5)));
      results.push(r);
      const ours = results.find((o) => o.impl === 'webgpu-gan' && o.batch === batch)!;
      console.log(
        `tfjs-webgpu dcgan batch ${String(batch).padStart(5)}: ${r.msPerStep.toFixed(1)} ms/step ` +
          `(webgpu-gan ${(r.msPerStep / ours.msPerStep).toFixed(1)}× faster)`,
      );
    }
  }
  if (options.json)
    writeFileSync(options.json, JSON.stringify({ adapter, date: new Date().toISOString(), results }, null, 2));
}

async function main(): Promise<void> {
  const options = optionsOrUsage(process.argv.slice(2));
  if (!options) return;
  const ctx = await acquireGpu({ dawnFlags: BENCH_DAWN_FLAGS });
  try {
    const adapter = formatAdapter(ctx.adapter);
    console.log(`adapter: ${adapter}`);
    // Recorded so that what a GPU offers (subgroup sizes, f16, matrix features) is known from its run.
    const { features, subgroupSizes } = ctx.adapter;
    console.log(
      `adapter features: ${features.join(' ')}${subgroupSizes ? `; subgroup sizes ${subgroupSizes.join('-')}` : ''}`,
    );
    const limits = ctx.device.limits;
    console.log(
      `device limits: ${limits.maxComputeWorkgroupStorageSize} B of workgroup memory, ` +
        `${limits.maxComputeInvocationsPerWorkgroup} invocations per workgroup, ` +
        `${limits.maxStorageBufferBindingSize} B per storage binding`,
    );
    if (options.tune.length > 0) {
      await tune(ctx, options);
      return;
    }
    if (options.arch === 'dcgan') {
      await benchDcgan(ctx, options, adapter);
      return;
    }
    const adapterKey = tuningAdapterKey(ctx.adapter);
    if (options.noTuning && adapterKey !== null) unregisterMatmulTuning(adapterKey);
    if (options.tuning) {
      for (const table of readTuning(options.tuning)) registerMatmulTuning(table);
      console.log(`matmul choices from ${options.tuning}`);
    }
    const results: Array<{ impl: string }> = await timeBatches(ctx, options, 'webgpu-gan');
    for (const variant of options.variants) {
      for (const batch of options.batches) {
        const r = await withOneVariant(ctx, batch, variant, () =>
          timeSteps(ctx, batch, options.steps, options.stepsPerSubmit, false),
        );
        results.push({ ...r, impl: `webgpu-gan (all matmuls ${variant})` });
        console.log(`all matmuls ${variant}, batch ${String(batch).padStart(5)}: ${r.msPerStep.toFixed(3)} ms/step`);
      }
    }
    const matmul = await timeSquareMatmuls(ctx, options.matmul, 'webgpu-gan');
    if (options.robustnessOff) {
      const unsafe = await acquireGpu({ dawnFlags: [...BENCH_DAWN_FLAGS, 'enable-dawn-features=disable_robustness'] });
      try {
        results.push(...(await timeBatches(unsafe, { ...options, profile: [] }, ROBUSTNESS_OFF)));
        matmul.push(...(await timeSquareMatmuls(unsafe, options.matmul, ROBUSTNESS_OFF)));
      } finally {
        unsafe.destroy();
      }
    }
    if (options.tfjs) {
      // The peer runs last, on its own device from the same Dawn adapter, so it cannot slow us.
      const { create } = await import('webgpu');
      const gpu = create([]);
      for (const batch of options.batches) {
        const r = await timeTfjsSteps(gpu, batch, Math.min(TFJS_MAX_STEPS, Math.max(5, Math.ceil(options.steps / 10))));
        results.push({ ...r, arch: 'mlp' } as never);
        console.log(`tfjs-webgpu batch ${String(batch).padStart(5)}: ${r.msPerStep.toFixed(3)} ms/step`);
      }
    }
    if (options.json)
      writeFileSync(
        options.json,
        JSON.stringify({ adapter, features, subgroupSizes, date: new Date().toISOString(), results, matmul }, null, 2),
      );
  } finally {
    ctx.destroy();
  }
}

await main();
