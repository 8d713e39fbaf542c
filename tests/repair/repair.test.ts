// Image repair by latent search: its two kernels against float64 at awkward sizes; the gradient
// with respect to z (through D's and G's backward passes) against finite differences of the
// float64 objective; a linear generator whose optimal z is known, recovered; the known pixels'
// error falling step by step on the design's generator; a conditional search; and misuse.
import { describe, expect, it, vi } from 'vitest';
import { ArgumentError, DestroyedError, resolveGanConfig, type GanConfig } from '../../src/index.js';
import { Matrix, SingularValueDecomposition } from 'ml-matrix';
import { ImageRepairer, type RepairImprovement } from '../../src/repair/repairer.js';
import { nearnessWeights, poissonBlend } from '../../src/repair/context.js';
import { loadDiscriminator } from '../../src/gan/discriminator.js';
import { createRepairPixels, createRepairRealism } from '../../src/kernels/latentRepair.js';
import { createLatentToSphere } from '../../src/kernels/latentPrior.js';
import { discriminatorSpec, generatorSpec } from '../../src/gan/config.js';
import type { MlpSpec } from '../../src/nn/mlp.js';
import { NetworkWeights } from '../../src/nn/network.js';
import { discriminatorNetworkSpec, generatorNetworkSpec } from '../../src/gan/networks.js';
import { objectiveGradient, randomTensors, type Tensors, upload } from './networks.js';
import {
  latentToSphereReference,
  repairObjectiveReference,
  repairPixelsReference,
  repairRealismReference,
  type ReferenceNetwork,
} from '../../reference/repair.js';
import { seededRandom } from '../../reference/numeric.js';
import { expectClose, randomArray, runKernels, useGpu } from '../support/gpu.js';

/** Within atol + rtol·|expected| everywhere. */
function close(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  what: string,
  { atol = 1e-5, rtol = 1e-4 }: { atol?: number; rtol?: number } = {},
): void {
  expectClose(actual, expected, (i) => atol + rtol * Math.abs(expected[i]!), what);
}

const gpu = useGpu();

function reference(spec: MlpSpec, prefix: string, tensors: Tensors): ReferenceNetwork {
  return { tensors, prefix, spec: { ...spec, hidden: spec.hidden } };
}

/** G(z) in float64, one row. */
function generatedBy(generator: ReferenceNetwork, z: ArrayLike<number>, dim: number): Float64Array {
  const everywhere = new Float32Array(dim).fill(1);
  return repairObjectiveReference(generator, null, z, 1, new Float32Array(dim), everywhere, 0).generated;
}

/** Known where a seeded coin says so, at least one pixel. */
function randomMask(dim: number, fraction: number, seed: number): Float32Array {
  const random = seededRandom(seed);
  const mask = Float32Array.from({ length: dim }, () => (random() < fraction ? 1 : 0));
  mask[0] = 1;
  return mask;
}

describe('repair kernels against float64', () => {
  const cases = [
    { rows: 1, dim: 1, realism: false, activation: 'tanh' as const, weighted: false },
    { rows: 3, dim: 257, realism: true, activation: 'tanh' as const, weighted: false },
    { rows: 5, dim: 31, realism: true, activation: 'none' as const, weighted: false },
    { rows: 70, dim: 784, realism: true, activation: 'leaky-relu' as const, weighted: false },
    // Weights in [0, 1] as Yeh et al.'s nearness gives them, some pixels weighing 0.
    { rows: 6, dim: 100, realism: true, activation: 'tanh' as const, weighted: true },
  ];
  for (const c of cases) {
    const name = `${c.rows} × ${c.dim}, ${c.activation}${c.realism ? ', with D' : ''}${c.weighted ? ', weighted' : ''}`;
    it(`known pixels' error and gradient: ${name}`, async () => {
      const { ctx } = gpu;
      const generated = randomArray(c.rows * c.dim, 1, c.activation === 'tanh' ? -0.99 : -2, 0.99);
      const target = randomArray(c.dim, 2);
      const mask = randomMask(c.dim, 0.6, 3);
      const scale = randomArray(c.dim, 5, 0, 1);
      const known = c.weighted ? mask.map((m, j) => m * scale[j]!) : mask;
      const imageGrads = c.realism ? randomArray(c.rows * c.dim, 4, -0.05, 0.05) : null;
      const mem = ctx.memory;
      const b = {
        generated: mem.createStorage('y', generated),
        target: mem.createStorage('x', target),
        known: mem.createStorage('m', known),
        imageGrads: imageGrads ? mem.createStorage('dD/dy', imageGrads) : undefined,
        outputGrads: mem.createStorage('dZ', c.rows * c.dim),
        scores: mem.createStorage('scores', new Float32Array(2 * c.rows).fill(-7)),
      };
      const knownCount = known.reduce((a, m) => a + m, 0);
      const kernel = await createRepairPixels(ctx, {
        rows: c.rows,
        dim: c.dim,
        ...b,
        knownCount,
        outputActivation: c.activation,
        leakySlope: 0.2,
      });
      await runKernels(ctx, kernel);
      const want = repairPixelsReference(generated, target, known, imageGrads, c.rows, c.activation, 0.2);
      const scores = await ctx.readF32(b.scores);
      close(await ctx.readF32(b.outputGrads), want.outputGrads, 'output grads');
      close(
        Float32Array.from({ length: c.rows }, (_, r) => scores[2 * r]!),
        want.errors,
        'errors',
      );
      // The realism half of each score is the other kernel's: left as it was.
      for (let r = 0; r < c.rows; r++) expect(scores[2 * r + 1]).toBe(-7);
      kernel.destroy();
      for (const buffer of Object.values(b)) if (buffer) mem.release(buffer);
    });
  }

  for (const rows of [1, 300]) {
    it(`realism term and its logit gradient: ${rows} rows, logits of both signs past ±30`, async () => {
      const { ctx } = gpu;
      const logits = randomArray(rows, 5, -40, 40);
      logits[0] = rows === 1 ? 35 : 0;
      const mem = ctx.memory;
      const b = {
        logits: mem.createStorage('logits', logits),
        logitGrads: mem.createStorage('dlogit', rows),
        scores: mem.createStorage('scores', new Float32Array(2 * rows).fill(-7)),
      };
      const kernel = await createRepairRealism(ctx, { rows, ...b, weight: 0.3 });
      await runKernels(ctx, kernel);
      const want = repairRealismReference(logits, 0.3);
      const scores = await ctx.readF32(b.scores);
      close(await ctx.readF32(b.logitGrads), want.logitGrads, 'logit grads');
      close(
        Float32Array.from({ length: rows }, (_, r) => scores[2 * r + 1]!),
        want.realism,
        'realism',
      );
      for (let r = 0; r < rows; r++) expect(scores[2 * r]).toBe(-7);
      kernel.destroy();
      for (const buffer of Object.values(b)) mem.release(buffer);
    });
  }
});

describe('the realism term of a D that reads classes, against float64', () => {
  // K + 1's log-sum-exp over one row of ten and over 300 rows of two; two heads' last of eleven.
  for (const [head, rows, width, spread] of [
    ['log-sum-exp', 1, 10, 3],
    ['log-sum-exp', 300, 2, 40],
    ['last-logit', 7, 11, 40],
  ] as const) {
    it(`${head} of ${width} logits a row, ${rows} rows, logits within ±${spread}`, async () => {
      const { ctx } = gpu;
      const logits = randomArray(rows * width, width, -spread, spread);
      const mem = ctx.memory;
      const b = {
        logits: mem.createStorage('logits', logits),
        logitGrads: mem.createStorage('dlogits', new Float32Array(rows * width).fill(-7)),
        scores: mem.createStorage('scores', new Float32Array(2 * rows).fill(-7)),
      };
      const kernel = await createRepairRealism(ctx, { rows, ...b, weight: 0.3, head, logitsPerRow: width });
      try {
        await runKernels(ctx, kernel);
        const want = repairRealismReference(logits, 0.3, head, width);
        const scores = await ctx.readF32(b.scores);
        close(await ctx.readF32(b.logitGrads), want.logitGrads, 'logit grads');
        close(
          Float32Array.from({ length: rows }, (_, r) => scores[2 * r + 1]!),
          want.realism,
          'realism',
        );
        // Among ten logits of like size the log-sum-exp is well above the largest: the head decides.
        if (spread === 3) {
          const largest = repairRealismReference([Math.max(...logits)], 0.3).realism[0]!;
          expect(largest - want.realism[0]!).toBeGreaterThan(1e-3);
        }
      } finally {
        kernel.destroy();
        for (const buffer of Object.values(b)) mem.release(buffer);
      }
    });
  }

  it('refuses a width that does not fit the head', async () => {
    const { ctx } = gpu;
    const buffer = ctx.memory.createStorage('logits', 8);
    const spec = { rows: 2, logits: buffer, logitGrads: buffer, scores: buffer, weight: 1 };
    await expect(createRepairRealism(ctx, { ...spec, logitsPerRow: 2 })).rejects.toThrow(
      /must be 1 for one-logit; got 2/,
    );
    await expect(createRepairRealism(ctx, { ...spec, head: 'log-sum-exp' })).rejects.toThrow(
      /at least 2 for log-sum-exp; got 1/,
    );
    await expect(createRepairRealism(ctx, { ...spec, head: 'softmax' as never, logitsPerRow: 2 })).rejects.toThrow(
      /head: must be one of one-logit, log-sum-exp, last-logit/,
    );
    ctx.memory.release(buffer);
  });
});

describe('the prior step against float64', () => {
  // Widths below, at and past the 64 threads; a row of zeros stays; rows far off the shell both ways.
  for (const [rows, dim] of [
    [1, 1],
    [5, 7],
    [64, 100],
    [3, 300],
  ] as const)
    it(`each z onto the sphere of radius √d: ${rows} × ${dim}`, async () => {
      const { ctx } = gpu;
      const latents = randomArray(rows * dim, rows + dim, -3, 3);
      if (rows > 1) latents.fill(0, dim, 2 * dim);
      if (rows > 2) for (let j = 2 * dim; j < 3 * dim; j++) latents[j]! *= 1e-3;
      const buffer = ctx.memory.createStorage('z', latents);
      const kernel = await createLatentToSphere(ctx, { rows, dim, latents: buffer });
      try {
        await runKernels(ctx, kernel);
        const got = await ctx.readF32(buffer);
        close(got, latentToSphereReference(latents, rows, dim), 'z on the sphere');
        for (let r = 0; r < rows; r++) {
          const norm = Math.hypot(...got.subarray(r * dim, (r + 1) * dim));
          expect(norm).toBeCloseTo(r === 1 ? 0 : Math.sqrt(dim), 4);
        }
      } finally {
        kernel.destroy();
        ctx.memory.release(buffer);
      }
    });
});

describe('the gradient with respect to z', () => {
  const cases = [
    { weight: 0, dataDim: 9, context: 'uniform' },
    { weight: 0.7, dataDim: 9, context: 'uniform' },
    // A 10×10 picture, wider than the 7×7 window, so the known pixels' nearness weights differ.
    { weight: 0.7, dataDim: 100, context: 'nearness' },
  ] as const;
  for (const { weight, dataDim, context } of cases) {
    it(`matches finite differences of the float64 objective (λ = ${weight}, ${context} context)`, async () => {
      const { ctx } = gpu;
      const config = resolveGanConfig({
        noiseDim: 3,
        generatorHidden: [6],
        discriminatorHidden: [5, 4],
        dataDim,
        spectralNorm: false,
      });
      const [gSpec, dSpec] = [generatorSpec(config), discriminatorSpec(config)];
      const gTensors = randomTensors(gSpec, 'generator', 10, 2);
      const dTensors = randomTensors(dSpec, 'discriminator', 20, 2);
      const generator = upload(ctx, config, 'generator', gTensors);
      const discriminator = upload(ctx, config, 'discriminator', dTensors);
      const starts = 4;
      const repairer = await ImageRepairer.create(ctx, config, generator, discriminator, {
        starts,
        realism: weight,
        context,
      });
      const z = randomArray(starts * config.noiseDim, 30, -1.5, 1.5);
      const target = randomArray(config.dataDim, 31, -0.9, 0.9);
      const known = randomMask(config.dataDim, 0.5, 32);
      const got = await repairer.objective(z, target, known);
      const g = reference(gSpec, 'generator', gTensors);
      const d = reference(dSpec, 'discriminator', dTensors);
      const weights = context === 'nearness' ? nearnessWeights(known, { channels: 1, side: 10 }) : known;
      if (context === 'nearness') expect(new Set(weights).size).toBeGreaterThan(3);
      const at = (values: ArrayLike<number>) => repairObjectiveReference(g, d, values, starts, target, weights, weight);
      const base = at(z);
      close(got.errors, base.errors, 'errors');
      close(got.realism, base.realism, 'realism');
      const numeric = objectiveGradient(z, config.noiseDim, at);
      close(got.gradient, numeric, '∂L/∂z', { atol: 2e-5, rtol: 1e-3 });
      // A gradient that cannot be told apart from zero would pass too easily.
      expect(Math.max(...numeric.map(Math.abs))).toBeGreaterThan(1e-2);
      repairer.destroy();
      generator.destroy();
      discriminator.destroy();
    });
  }
});

describe('the gradient with respect to z, for a model whose D reads classes', () => {
  // G takes the class beside its noise (an auxiliary classifier's) or no class (semi-supervised);
  // D's real/fake logit is the log-sum-exp of its class logits (K + 1) or a logit of its own.
  const cases = [
    {
      name: 'an auxiliary classifier, K + 1',
      settings: { classes: 3, conditioning: 'auxiliary' },
      head: 'log-sum-exp',
    },
    {
      name: 'an auxiliary classifier, two heads',
      settings: { classes: 3, conditioning: 'auxiliary', auxiliaryHead: 'two-heads' },
      head: 'last-logit',
    },
    { name: 'a semi-supervised D', settings: { labeled: 6, labelClasses: 4 }, head: 'log-sum-exp' },
  ] as const;
  for (const { name, settings, head } of cases) {
    it(`matches finite differences of the float64 objective: ${name}`, async () => {
      const { ctx } = gpu;
      const config = resolveGanConfig({
        noiseDim: 3,
        generatorHidden: [6],
        discriminatorHidden: [5, 4],
        dataDim: 9,
        spectralNorm: false,
        ...settings,
      });
      const label = config.classes > 0 ? 2 : null;
      const reading = { classes: config.classes, label: label ?? 0, head };
      const outputs = Math.max(config.classes, config.labelClasses) + (head === 'last-logit' ? 1 : 0);
      const gSpec = { ...generatorSpec(config), widths: [3 + config.classes, 6, 9] };
      const dSpec = { ...discriminatorSpec(config), widths: [9, 5, 4, outputs] };
      const gTensors = randomTensors(gSpec, 'generator', 40, 2);
      const dTensors = randomTensors(dSpec, 'discriminator', 50, 2);
      const generator = upload(ctx, config, 'generator', gTensors);
      const discriminator = upload(ctx, config, 'discriminator', dTensors);
      const starts = 4;
      const repairer = await ImageRepairer.create(ctx, config, generator, discriminator, {
        starts,
        realism: 0.7,
        ...(label !== null && { label }),
      });
      try {
        const z = randomArray(starts * config.noiseDim, 60, -1.5, 1.5);
        const target = randomArray(config.dataDim, 61, -0.9, 0.9);
        const known = randomMask(config.dataDim, 0.5, 62);
        const got = await repairer.objective(z, target, known);
        const [g, d] = [reference(gSpec, 'generator', gTensors), reference(dSpec, 'discriminator', dTensors)];
        const at = (values: ArrayLike<number>) =>
          repairObjectiveReference(g, d, values, starts, target, known, 0.7, reading);
        const base = at(z);
        close(got.errors, base.errors, 'errors');
        close(got.realism, base.realism, 'realism');
        const numeric = objectiveGradient(z, config.noiseDim, at);
        close(got.gradient, numeric, '∂L/∂z', { atol: 2e-5, rtol: 1e-3 });
        expect(Math.max(...numeric.map(Math.abs))).toBeGreaterThan(1e-2);
        // A realism term too small to matter would not test the head's gradient.
        expect(Math.min(...base.realism)).toBeGreaterThan(1e-2);
      } finally {
        repairer.destroy();
        generator.destroy();
        discriminator.destroy();
      }
    });
  }
});

describe('the latent search', () => {
  it('recovers the known optimal z of a linear generator', async () => {
    const { ctx } = gpu;
    // G(z) = W z + b with W of full column rank: with every pixel known, z* is the only minimum.
    const config = resolveGanConfig({
      noiseDim: 4,
      generatorHidden: [],
      discriminatorHidden: [3],
      dataDim: 12,
      generatorOutput: 'none',
      spectralNorm: false,
    });
    const spec = generatorSpec(config);
    const tensors = randomTensors(spec, 'generator', 40, 3);
    const generator = upload(ctx, config, 'generator', tensors);
    const zStar = randomArray(config.noiseDim, 41, -1, 1);
    const target = generatedBy(reference(spec, 'generator', tensors), zStar, config.dataDim);
    const repairer = await ImageRepairer.create(ctx, config, generator, null, { starts: 6, lr: 0.02 });
    const result = await repairer.repair(target, new Float32Array(config.dataDim).fill(1), { steps: 2000, chunk: 500 });
    close(result.noise, zStar, 'recovered z', { atol: 2e-3, rtol: 0 });
    expect(result.error).toBeLessThan(1e-5);
    expect(result.realism).toBe(0);
    expect(Array.from(result.completion)).toEqual(Array.from(Float32Array.from(target)));
    repairer.destroy();
    generator.destroy();
  });

  it("lowers the known pixels' error step by step on the design's generator, and fills the rest", async () => {
    const { ctx } = gpu;
    const config = resolveGanConfig({ spectralNorm: false });
    const [gSpec, dSpec] = [generatorSpec(config), discriminatorSpec(config)];
    const gTensors = randomTensors(gSpec, 'generator', 50, 1.5);
    const generator = upload(ctx, config, 'generator', gTensors);
    const discriminator = upload(ctx, config, 'discriminator', randomTensors(dSpec, 'discriminator', 60));
    // The damaged image is the generator's own, so some z matches its known pixels exactly.
    const zStar = randomArray(config.noiseDim, 51, -1, 1);
    const image = generatedBy(reference(gSpec, 'generator', gTensors), zStar, config.dataDim);
    const known = randomMask(config.dataDim, 0.6, 52);
    const repairer = await ImageRepairer.create(ctx, config, generator, discriminator, { starts: 16, realism: 0.001 });
    const history: number[] = [];
    const result = await repairer.repair(image, known, {
      steps: 300,
      chunk: 20,
      onProgress: (p) => history.push(p.bestError),
    });
    expect(history).toHaveLength(15);
    // Adam is not a descent method step by step, but over 20-step chunks the best start's error
    // falls: never up by more than 5%, and far down over the run.
    for (let i = 1; i < history.length; i++) expect(history[i]!).toBeLessThanOrEqual(history[i - 1]! * 1.05);
    expect(history.at(-1)!).toBeLessThan(history[0]! / 10);
    expect(result.error).toBeLessThanOrEqual(Math.min(...result.errors) + 1e-7 + result.realism);
    // 28×28 pictures: the default blends G(z) into the known pixels, which stay as given.
    const blended = poissonBlend(Float32Array.from(image), result.generated, known, { channels: 1, side: 28 });
    for (let j = 0; j < config.dataDim; j++) {
      if (known[j]) expect(result.completion[j]).toBe(Math.fround(image[j]!));
      else expect(result.completion[j]).toBe(blended[j]);
    }
    repairer.destroy();
    generator.destroy();
    discriminator.destroy();
  });

  it('with the sphere prior, keeps every z at norm √d and still fits the known pixels', async () => {
    const { ctx } = gpu;
    const config = resolveGanConfig({ noiseDim: 9, generatorHidden: [16], discriminatorHidden: [8], dataDim: 25 });
    const gSpec = generatorSpec(config);
    const gTensors = randomTensors(gSpec, 'generator', 90, 1.5);
    const generator = upload(ctx, config, 'generator', gTensors);
    // A target the generator makes from a z on the sphere, so the constrained search can reach it.
    const zStar = randomArray(config.noiseDim, 91, -1, 1);
    const onSphere = latentToSphereReference(zStar, 1, config.noiseDim);
    const image = generatedBy(reference(gSpec, 'generator', gTensors), onSphere, config.dataDim);
    const known = randomMask(config.dataDim, 0.6, 92);
    const search = (prior: 'none' | 'sphere') =>
      ImageRepairer.create(ctx, config, generator, null, { starts: 6, prior, context: 'uniform', blend: 'copy' });
    const [free, kept] = [await search('none'), await search('sphere')];
    try {
      const [loose, held] = [
        await free.repair(image, known, { steps: 200 }),
        await kept.repair(image, known, { steps: 200 }),
      ];
      expect(Math.hypot(...held.noise)).toBeCloseTo(Math.sqrt(config.noiseDim), 4);
      // The unconstrained search leaves the shell: the prior step is what keeps z on it.
      expect(Math.abs(Math.hypot(...loose.noise) - Math.sqrt(config.noiseDim))).toBeGreaterThan(0.01);
      expect(held.error).toBeLessThan(0.05 * held.errors.reduce((a, e) => Math.max(a, e), 0) + 1e-3);
    } finally {
      free.destroy();
      kept.destroy();
      generator.destroy();
    }
  });

  it('gives the best fill as it improves, read back only when asked and only on an improvement', async () => {
    const { ctx } = gpu;
    const config = resolveGanConfig({ noiseDim: 6, generatorHidden: [16], discriminatorHidden: [8], dataDim: 24 });
    const [gSpec, dSpec] = [generatorSpec(config), discriminatorSpec(config)];
    const gTensors = randomTensors(gSpec, 'generator', 80, 1.5);
    const generator = upload(ctx, config, 'generator', gTensors);
    const discriminator = upload(ctx, config, 'discriminator', randomTensors(dSpec, 'discriminator', 81));
    const image = generatedBy(reference(gSpec, 'generator', gTensors), randomArray(config.noiseDim, 82, -1, 1), 24);
    const known = randomMask(config.dataDim, 0.5, 83);
    const repairer = await ImageRepairer.create(ctx, config, generator, discriminator, { starts: 8, realism: 0.001 });
    const picturesRead = vi.spyOn(ctx, 'readF32');
    const readsOfG = () => picturesRead.mock.calls.filter(([buffer]) => buffer.label.includes('G(z)')).length;
    await repairer.repair(image, known, { steps: 100, chunk: 10, onProgress: () => {} });
    expect(readsOfG()).toBe(1); // the result's alone
    picturesRead.mockClear();

    const improvements: RepairImprovement[] = [];
    const result = await repairer.repair(image, known, {
      steps: 100,
      chunk: 10,
      onImprove: (b) => improvements.push(b),
    });
    expect(improvements.length).toBeGreaterThanOrEqual(3);
    expect(readsOfG()).toBe(improvements.length + 1);
    for (let i = 1; i < improvements.length; i++) {
      const [before, now] = [improvements[i - 1]!, improvements[i]!];
      expect(now.step).toBeGreaterThan(before.step);
      expect(now.error + now.realism).toBeLessThan(before.error + before.realism);
    }
    for (const { completion } of improvements) {
      expect(completion).toHaveLength(config.dataDim);
      for (let j = 0; j < config.dataDim; j++) if (known[j]) expect(completion[j]).toBe(Math.fround(image[j]!));
    }
    const last = improvements.at(-1)!;
    expect(last.error + last.realism).toBeLessThanOrEqual(result.error + result.realism);
    if (last.step === 100) {
      expect(Array.from(last.completion)).toEqual(Array.from(result.completion));
      expect(last.start).toBe(result.start);
    }
    await expect(repairer.repair(image, known, { onImprove: 'draw' as never })).rejects.toThrow(/onImprove/);
    picturesRead.mockRestore();
    repairer.destroy();
    generator.destroy();
    discriminator.destroy();
  });

  it('searches a conditional generator with the given class', async () => {
    const { ctx } = gpu;
    const config = resolveGanConfig({
      noiseDim: 5,
      generatorHidden: [16],
      discriminatorHidden: [8],
      dataDim: 20,
      classes: 3,
    });
    const generator = new NetworkWeights(ctx, generatorNetworkSpec(config), 'generator', true);
    const weights = randomArray(generator.layout.parameterFloats, 70, -0.5, 0.5);
    ctx.write(generator.weights, weights);
    ctx.write(generator.ema!, weights);
    const discriminator = new NetworkWeights(ctx, discriminatorNetworkSpec(config), 'discriminator', false);
    ctx.write(discriminator.weights, randomArray(discriminator.layout.parameterFloats, 71, -0.5, 0.5));
    const image = randomArray(config.dataDim, 72, -0.5, 0.5);
    const known = randomMask(config.dataDim, 0.5, 73);
    const history: number[] = [];
    const repairer = await ImageRepairer.create(ctx, config, generator, discriminator, { starts: 8, label: 2 });
    await repairer.repair(image, known, { steps: 200, chunk: 100, onProgress: (p) => history.push(p.meanError) });
    expect(history[1]!).toBeLessThan(history[0]!);
    repairer.destroy();
    await expect(ImageRepairer.create(ctx, config, generator, discriminator)).rejects.toThrow(
      /needs the image's class/,
    );
    await expect(ImageRepairer.create(ctx, config, generator, discriminator, { label: 3 })).rejects.toThrow(/0 to 2/);
    generator.destroy();
    discriminator.destroy();
  });
});

describe('misuse', () => {
  const config: GanConfig = resolveGanConfig({
    noiseDim: 2,
    generatorHidden: [4],
    discriminatorHidden: [3],
    dataDim: 5,
  });
  it('refuses masks and images that cannot be searched, and use after destroy', async () => {
    const { ctx } = gpu;
    const generator = new NetworkWeights(ctx, generatorNetworkSpec(config), 'generator', true);
    const repairer = await ImageRepairer.create(ctx, config, generator, null, { starts: 2 });
    const image = new Float32Array(5);
    await expect(repairer.repair(image, new Float32Array(5))).rejects.toThrow(/marks no pixel as known/);
    await expect(repairer.repair(image, [1, 0.5, 0, 0, 0])).rejects.toThrow(/value 1 is 0.5/);
    await expect(repairer.repair(new Float32Array(4), new Float32Array(5).fill(1))).rejects.toThrow(ArgumentError);
    await expect(repairer.repair([0, 0, Number.NaN, 0, 0], new Float32Array(5).fill(1))).rejects.toThrow(/NaN/);
    await expect(repairer.repair(image, new Float32Array(5).fill(1), { steps: 0 })).rejects.toThrow(/steps/);
    repairer.destroy();
    await expect(repairer.repair(image, new Float32Array(5).fill(1))).rejects.toThrow(DestroyedError);
    await expect(ImageRepairer.create(ctx, config, generator, null, { label: 1 })).rejects.toThrow(/no classes/);
    await expect(ImageRepairer.create(ctx, config, generator, null, { starts: 0 })).rejects.toThrow(/starts/);
    await expect(ImageRepairer.create(ctx, config, generator, null, { lr: -1 })).rejects.toThrow(/lr/);
    // Refused by the random kernel, after the workspace made its buffers: they are freed (useGpu).
    await expect(ImageRepairer.create(ctx, config, generator, null, { seed: -1 })).rejects.toThrow(/seed/);
    // Five values are no square picture: nearness and blending need one.
    await expect(ImageRepairer.create(ctx, config, generator, null, { context: 'nearness' })).rejects.toThrow(
      /context: needs square pictures/,
    );
    await expect(ImageRepairer.create(ctx, config, generator, null, { blend: 'poisson' })).rejects.toThrow(/blend/);
    await expect(ImageRepairer.create(ctx, config, generator, null, { blend: 'smudge' as never })).rejects.toThrow(
      /must be 'copy' or 'poisson', got smudge/,
    );
    await expect(ImageRepairer.create(ctx, config, generator, null, { prior: 'ball' as never })).rejects.toThrow(
      /^prior: must be 'none' or 'sphere', got ball/,
    );
    generator.destroy();
  });

  it("with Poisson blending, fills the hole from G(z)'s gradients and keeps the known pixels", async () => {
    const { ctx } = gpu;
    const square = resolveGanConfig({ noiseDim: 4, generatorHidden: [12], discriminatorHidden: [6], dataDim: 64 });
    const generator = new NetworkWeights(ctx, generatorNetworkSpec(square), 'generator', true);
    const options = { starts: 4, context: 'nearness', blend: 'poisson' } as const;
    const repairer = await ImageRepairer.create(ctx, square, generator, null, options);
    const image = randomArray(64, 90, -0.8, 0.8);
    const known = Float32Array.from({ length: 64 }, (_, p) => (p >= 24 && p < 40 ? 0 : 1)); // rows 3 and 4
    const result = await repairer.repair(image, known, { steps: 20 });
    expect(Array.from(result.completion)).toEqual(
      Array.from(poissonBlend(image, result.generated, known, { channels: 1, side: 8 })),
    );
    for (let p = 0; p < 64; p++) if (known[p]) expect(result.completion[p]).toBe(Math.fround(image[p]!));
    // The blend moved the fill off G(z) to meet the known pixels.
    expect(result.completion.some((v, p) => !known[p] && Math.abs(v - result.generated[p]!) > 1e-3)).toBe(true);
    repairer.destroy();
    generator.destroy();
  });
});

describe("a checkpoint's discriminator", () => {
  it('loads as W / σ when it was trained with spectral normalisation', async () => {
    const { ctx } = gpu;
    const config = resolveGanConfig({ noiseDim: 2, generatorHidden: [3], discriminatorHidden: [7], dataDim: 5 });
    expect(config.spectralNorm).toBe(true);
    const spec = discriminatorSpec(config);
    const tensors = randomTensors(spec, 'discriminator', 80, 3);
    const sigmas: number[] = [];
    const shapes: Array<[number, number]> = [
      [7, 5],
      [1, 7],
    ];
    for (const [l, [rows, cols]] of shapes.entries()) {
      const w = tensors.get(`discriminator.${2 * l}.weight`)!.data;
      const svd = new SingularValueDecomposition(
        new Matrix(Array.from({ length: rows }, (_, i) => Array.from(w.subarray(i * cols, (i + 1) * cols)))),
      );
      sigmas.push(svd.diagonal[0]!);
      // u: the top left singular vector, as power iteration converges to.
      const u = Float32Array.from(svd.leftSingularVectors.getColumn(0));
      tensors.set(`discriminator.${2 * l}.weight_u`, { shape: [rows], data: u });
    }
    const discriminator = loadDiscriminator(ctx, { config, tensors });
    try {
      const flat = await ctx.readF32(discriminator.weights);
      for (const [l, { layer }] of discriminator.blocks.entries()) {
        const original = tensors.get(`discriminator.${2 * l}.weight`)!.data;
        const loaded = flat.subarray(layer.weight!.offset, layer.weight!.offset + layer.weight!.count);
        close(
          loaded,
          Float64Array.from(original, (w) => w / sigmas[l]!),
          `layer ${l} W / σ`,
          { atol: 1e-6 },
        );
        const bias = flat.subarray(layer.bias!.offset, layer.bias!.offset + layer.bias!.count);
        expect(Array.from(bias)).toEqual(Array.from(tensors.get(`discriminator.${2 * l}.bias`)!.data));
      }
      expect(Math.min(...sigmas)).toBeGreaterThan(1.05); // so that dividing by σ shows
    } finally {
      discriminator.destroy();
    }
    tensors.delete('discriminator.0.weight_u');
    expect(() => loadDiscriminator(ctx, { config, tensors })).toThrow(/weight_u/);
  });
});
