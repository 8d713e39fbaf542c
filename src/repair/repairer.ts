// Image repair by latent search: given a damaged image and which of its pixels are known, find
// noise vectors z whose generated image G(z) agrees with the known pixels and that the
// discriminator finds real, then fill the unknown pixels from the best of them. Many starting
// points are searched at once, as the rows of one batch, each by its own Adam on its own z.
//
// One iteration, all on the GPU through the training step's own kernels (the objective is in
// shaders/latent_repair.wgsl):
//   G forward (z → y) · D forward (y → logit) · realism term and ∂/∂logit · D backward to ∂/∂y ·
//   known-pixel error and ∂/∂(G's last pre-activation) · G backward to ∂/∂z · Adam on z
// Many iterations go into one command buffer; scores are read back only between chunks.
import type { GpuContext } from '../gpu/context.js';
import { ArgumentError, DestroyedError, requireFinite, requirePositiveInteger } from '../base/errors.js';
import { createAdam } from '../kernels/adam.js';
import { createStepCounter, type StepCounter } from '../kernels/counter.js';
import type { Kernel } from '../kernels/kernel.js';
import { createRepairPixels, createRepairRealism } from '../kernels/latentRepair.js';
import { createMatmul } from '../kernels/matmul.js';
import { createRandomFill } from '../kernels/random.js';
import type { MlpWeights } from '../nn/mlp.js';
import { backwardMatmulSpecs, forwardKernels } from '../nn/passes.js';
import type { GanConfig } from '../gan/config.js';
import { STREAM } from '../gan/step.js';

export interface RepairOptions {
  /** Starting points searched at once (rows of one batch). Default 64. */
  starts?: number;
  /**
   * λ, the weight of the discriminator's realism term λ·softplus(−D(G(z))) beside the known
   * pixels' mean squared error. 0 (or no discriminator) searches for agreement alone. Default 0.02.
   */
  realism?: number;
  /** Adam's learning rate on z. Default 0.05. */
  lr?: number;
  /** Seed of the starting points. Default: the training seed. */
  seed?: number;
  /** Search the generator's moving average (default) or its trained weights. */
  useEma?: boolean;
  /** A conditional generator's class: the class of the image being repaired. */
  label?: number;
}

export interface RepairRunOptions {
  /** Adam steps on every start. Default 500. */
  steps?: number;
  /** Steps between reading the scores back for onProgress (one command buffer each). Default 50. */
  chunk?: number;
  onProgress?: (progress: RepairProgress) => void;
  /** Asked between chunks; true ends the search early with what it has. */
  shouldStop?: () => boolean;
}

export interface RepairProgress {
  step: number;
  /** The lowest known-pixel error of any start, and the mean over starts. */
  bestError: number;
  meanError: number;
}

export interface RepairResult {
  /** The image: its known pixels as given, the others from the best start's generated image. */
  completion: Float32Array;
  /** The best start's generated image G(z). */
  generated: Float32Array;
  /** Its noise vector z. */
  noise: Float32Array;
  /** Its known pixels' mean squared error (pixels in [−1, 1]). */
  error: number;
  /** Its realism term λ·softplus(−D(G(z))) (0 without one). */
  realism: number;
  /** Which start it was. */
  start: number;
  /** Every start's known-pixel error. */
  errors: Float32Array;
  /** Adam steps taken. */
  steps: number;
}

/** The objective at given noise vectors: each start's two terms, and the gradient with respect to z. */
export interface RepairObjective {
  errors: Float32Array;
  realism: Float32Array;
  /** starts × noiseDim: ∂(error + realism)/∂z of each start. */
  gradient: Float32Array;
}

interface RepairBuffers {
  z: GPUBuffer;
  zGrad: GPUBuffer;
  moment1: GPUBuffer;
  moment2: GPUBuffer;
  generatorHidden: GPUBuffer[];
  generated: GPUBuffer;
  generatorGrads: GPUBuffer[];
  target: GPUBuffer;
  known: GPUBuffer;
  scores: GPUBuffer;
  /** The realism term's buffers (absent without a discriminator or with λ = 0). */
  critic: {
    hidden: GPUBuffer[];
    logits: GPUBuffer;
    grads: GPUBuffer[];
    imageGrads: GPUBuffer;
  } | null;
  /** A conditional network's labels (one per start) and one-hot rows for G and for D. */
  conditioning: { labels: GPUBuffer; generatorOnehot: GPUBuffer; discriminatorOnehot: GPUBuffer } | null;
}

export class ImageRepairer {
  private destroyed = false;
  /** K of the known-pixel kernel as built (every pixel, until an image says otherwise). */
  private knownCount: number;

  private constructor(
    private readonly ctx: GpuContext,
    readonly config: GanConfig,
    readonly starts: number,
    private readonly buffers: RepairBuffers,
    private readonly startNoise: Kernel,
    /** Through the known-pixel kernel: the objective's scores and its gradient at G's output. */
    private readonly evaluation: Kernel[],
    /** The rest of an iteration: G backward to z, the counter and Adam. */
    private readonly update: Kernel[],
    private readonly counter: StepCounter,
    /** The known-pixel kernel is built per image (its K is a uniform); evaluation's slot for it. */
    private readonly pixelsSlot: number,
    private readonly buildPixels: (knownCount: number) => Promise<Kernel>,
  ) {
    this.knownCount = config.dataDim;
  }

  /**
   * A repairer for `generator` (with the realism term when `discriminator` is given and λ > 0).
   * The networks stay the caller's: destroy them after this.
   */
  static async create(
    ctx: GpuContext,
    config: GanConfig,
    generator: MlpWeights,
    discriminator: MlpWeights | null,
    options: RepairOptions = {},
  ): Promise<ImageRepairer> {
    const starts = requirePositiveInteger('starts', options.starts ?? 64);
    if (starts > 4096) throw new ArgumentError('starts', `must be at most 4096, got ${starts}`);
    const realism = requireFinite('realism', options.realism ?? 0.02, { min: 0 });
    const lr = requireFinite('lr', options.lr ?? 0.05, { min: 0, minExclusive: true });
    const useEma = options.useEma !== false;
    if (useEma && !generator.ema) throw new ArgumentError('useEma', 'this generator keeps no moving average');
    const label = checkedLabel(config, options.label);
    const withCritic = discriminator !== null && realism > 0;
    const buffers = allocate(ctx, config, starts, withCritic, label);
    const kernels: Kernel[] = [];
    const keep = <K extends Kernel>(kernel: K): K => {
      kernels.push(kernel);
      return kernel;
    };
    try {
      const startNoise = keep(
        await createRandomFill(ctx, {
          n: starts * config.noiseDim,
          output: buffers.z,
          seed: options.seed ?? config.seed,
          stream: STREAM.repairNoise,
          distribution: { kind: 'normal' },
          label: 'repair starting points',
        }),
      );
      const generatorWeights = useEma ? generator.ema! : generator.weights;
      const b = buffers;
      const generatorCondition = b.conditioning && {
        labels: b.conditioning.labels,
        labelRows: starts,
        onehot: b.conditioning.generatorOnehot,
      };
      const evaluation: Kernel[] = [];
      for (const k of await forwardKernels(ctx, generator, {
        rows: starts,
        input: b.z,
        outputs: [...b.generatorHidden, b.generated],
        weights: generatorWeights,
        ...(generatorCondition && { condition: generatorCondition }),
      }))
        evaluation.push(keep(k));
      if (b.critic && discriminator) {
        const criticOutputs = [...b.critic.hidden, b.critic.logits];
        for (const k of await forwardKernels(ctx, discriminator, {
          rows: starts,
          input: b.generated,
          outputs: criticOutputs,
          ...(b.conditioning && {
            condition: { labels: b.conditioning.labels, labelRows: starts, onehot: b.conditioning.discriminatorOnehot },
          }),
        }))
          evaluation.push(keep(k));
        evaluation.push(
          keep(
            await createRepairRealism(ctx, {
              rows: starts,
              logits: b.critic.logits,
              logitGrads: b.critic.grads.at(-1)!,
              scores: b.scores,
              weight: realism,
            }),
          ),
        );
        const specs = backwardMatmulSpecs(discriminator, {
          rows: starts,
          input: b.generated,
          outputs: criticOutputs,
          preActivationGrads: b.critic.grads,
          inputGrad: { output: b.critic.imageGrads },
          inputGradOnly: true,
        });
        for (const spec of specs) evaluation.push(keep(await createMatmul(ctx, spec)));
      }
      const pixelsSlot = evaluation.length;
      const buildPixels = (knownCount: number) =>
        createRepairPixels(ctx, {
          rows: starts,
          dim: config.dataDim,
          generated: b.generated,
          target: b.target,
          known: b.known,
          knownCount,
          ...(b.critic && { imageGrads: b.critic.imageGrads }),
          outputGrads: b.generatorGrads.at(-1)!,
          scores: b.scores,
          outputActivation: config.generatorOutput,
          leakySlope: config.leakySlope,
        });
      evaluation.push(keep(await buildPixels(config.dataDim)));
      const update: Kernel[] = [];
      const generatorBackward = backwardMatmulSpecs(generator, {
        rows: starts,
        input: b.z,
        outputs: [...b.generatorHidden, b.generated],
        preActivationGrads: b.generatorGrads,
        inputGrad: { output: b.zGrad },
        inputGradOnly: true,
        weights: generatorWeights,
      });
      for (const spec of generatorBackward) update.push(keep(await createMatmul(ctx, spec)));
      const counter = keep(await createStepCounter(ctx, { label: 'repair step' }));
      update.push(counter);
      const adam = await createAdam(ctx, {
        n: starts * config.noiseDim,
        weights: b.z,
        grads: b.zGrad,
        moment1: b.moment1,
        moment2: b.moment2,
        stepCount: counter.buffer,
        lr,
        beta1: 0.9,
        beta2: 0.999,
        label: 'repair adam on z',
      });
      update.push(keep(adam));
      return new ImageRepairer(
        ctx,
        config,
        starts,
        buffers,
        startNoise,
        evaluation,
        update,
        counter,
        pixelsSlot,
        buildPixels,
      );
    } catch (error) {
      for (const k of kernels) k.destroy();
      release(ctx, buffers);
      throw error;
    }
  }

  /**
   * Repairs `image` (dataDim values in the data's range, e.g. [−1, 1] pixels) whose pixels are
   * known where `known` is 1 (and to be filled where it is 0). Starts afresh from the seeded
   * starting points on every call.
   */
  async repair(image: ArrayLike<number>, known: ArrayLike<number>, run: RepairRunOptions = {}): Promise<RepairResult> {
    this.checkUsable('repair');
    const steps = requirePositiveInteger('steps', run.steps ?? 500);
    const chunk = requirePositiveInteger('chunk', run.chunk ?? 50);
    const { target, mask } = await this.setImage(image, known);
    this.restart();
    let done = 0;
    while (done < steps && !run.shouldStop?.()) {
      const count = Math.min(chunk, steps - done);
      this.submit(count);
      done += count;
      if (run.onProgress) run.onProgress({ step: done, ...summarize(await this.readScores()) });
    }
    this.submit(0); // the scores of the final z
    const scores = await this.readScores();
    return this.best(scores, target, mask, done);
  }

  /** The objective and its gradient with respect to z at the given noise (starts × noiseDim), with no step. */
  async objective(noise: Float32Array, image: ArrayLike<number>, known: ArrayLike<number>): Promise<RepairObjective> {
    this.checkUsable('objective');
    const length = this.starts * this.config.noiseDim;
    if (noise.length !== length || !noise.every(Number.isFinite))
      throw new ArgumentError('noise', `must be starts × noiseDim = ${length} finite numbers`);
    await this.setImage(image, known);
    this.ctx.write(this.buffers.z, noise);
    const encoder = this.ctx.device.createCommandEncoder({ label: 'repair objective' });
    const pass = encoder.beginComputePass({ label: 'repair objective' });
    // Through G's backward pass to ∂L/∂z; the last two of an update are the step counter and Adam.
    for (const k of [...this.evaluation, ...this.update.slice(0, -2)]) k.record(pass);
    pass.end();
    this.ctx.submit([encoder.finish()]);
    const scores = await this.readScores();
    return {
      errors: scores.errors,
      realism: scores.realism,
      gradient: await this.ctx.readF32(this.buffers.zGrad),
    };
  }

  private async setImage(image: ArrayLike<number>, known: ArrayLike<number>) {
    const dim = this.config.dataDim;
    if (image?.length !== dim)
      throw new ArgumentError('image', `must hold dataDim = ${dim} values, got ${image?.length}`);
    if (known?.length !== dim)
      throw new ArgumentError('known', `must hold dataDim = ${dim} values, got ${known?.length}`);
    const target = Float32Array.from(image);
    if (!target.every(Number.isFinite)) throw new ArgumentError('image', 'contains NaN or infinite values');
    const mask = new Float32Array(dim);
    let knownCount = 0;
    for (let j = 0; j < dim; j++) {
      const m = known[j]!;
      if (m !== 0 && m !== 1)
        throw new ArgumentError('known', `value ${j} is ${m}: use 1 for a known pixel, 0 for one to fill`);
      mask[j] = m;
      knownCount += m;
    }
    if (knownCount === 0)
      throw new ArgumentError(
        'known',
        'marks no pixel as known: there is nothing to match; mark the intact pixels with 1',
      );
    if (knownCount !== this.knownCount) {
      // K is a uniform of the known-pixel kernel: rebuilt when it changes, outside any step.
      const next = await this.buildPixels(knownCount);
      this.evaluation[this.pixelsSlot]!.destroy();
      this.evaluation[this.pixelsSlot] = next;
      this.knownCount = knownCount;
    }
    this.ctx.write(this.buffers.target, target);
    this.ctx.write(this.buffers.known, mask);
    return { target, mask };
  }

  /** Fresh starting points, zero Adam moments, step 0. */
  private restart(): void {
    const b = this.buffers;
    this.ctx.write(b.moment1, new Float32Array(this.starts * this.config.noiseDim));
    this.ctx.write(b.moment2, new Float32Array(this.starts * this.config.noiseDim));
    this.counter.set(0);
    const encoder = this.ctx.device.createCommandEncoder({ label: 'repair start' });
    this.startNoise.record(encoder);
    this.ctx.submit([encoder.finish()]);
  }

  /** `iterations` Adam steps on z, then the objective at the resulting z, in one command buffer. */
  private submit(iterations: number): void {
    const encoder = this.ctx.device.createCommandEncoder({ label: `repair ${iterations} steps` });
    const pass = encoder.beginComputePass({ label: 'repair' });
    const iteration = [...this.evaluation, ...this.update];
    for (let i = 0; i < iterations; i++) for (const k of iteration) k.record(pass);
    for (const k of this.evaluation) k.record(pass);
    pass.end();
    this.ctx.submit([encoder.finish()]);
  }

  private async readScores(): Promise<{ errors: Float32Array; realism: Float32Array }> {
    const pairs = await this.ctx.readF32(this.buffers.scores);
    const errors = new Float32Array(this.starts);
    const realism = new Float32Array(this.starts);
    for (let r = 0; r < this.starts; r++) {
      errors[r] = pairs[2 * r]!;
      realism[r] = this.buffers.critic ? pairs[2 * r + 1]! : 0;
    }
    return { errors, realism };
  }

  /** The start with the lowest objective; its generated image fills the unknown pixels. */
  private async best(
    scores: { errors: Float32Array; realism: Float32Array },
    target: Float32Array,
    mask: Float32Array,
    steps: number,
  ): Promise<RepairResult> {
    let start = -1;
    let lowest = Infinity;
    for (let r = 0; r < this.starts; r++) {
      const objective = scores.errors[r]! + scores.realism[r]!;
      if (objective < lowest) [start, lowest] = [r, objective];
    }
    if (start < 0) throw new ArgumentError('image', 'every start diverged to NaN: lower the learning rate');
    const dim = this.config.dataDim;
    const generated = (await this.ctx.readF32(this.buffers.generated)).slice(start * dim, (start + 1) * dim);
    const noiseDim = this.config.noiseDim;
    const noise = (await this.ctx.readF32(this.buffers.z)).slice(start * noiseDim, (start + 1) * noiseDim);
    const completion = generated.map((g, j) => (mask[j] ? target[j]! : g));
    return {
      completion,
      generated,
      noise,
      error: scores.errors[start]!,
      realism: scores.realism[start]!,
      start,
      errors: scores.errors,
      steps,
    };
  }

  private checkUsable(method: string): void {
    if (this.destroyed) throw new DestroyedError('ImageRepairer', method);
  }

  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    for (const k of new Set([this.startNoise, ...this.evaluation, ...this.update])) k.destroy();
    release(this.ctx, this.buffers);
  }
}

function checkedLabel(config: GanConfig, label: number | undefined): number | null {
  if (config.classes === 0) {
    if (label !== undefined)
      throw new ArgumentError('label', 'is for a conditional generator; this one has no classes');
    return null;
  }
  if (label === undefined)
    throw new ArgumentError('label', `a conditional generator needs the image's class (0 to ${config.classes - 1})`);
  if (!Number.isInteger(label) || label < 0 || label >= config.classes)
    throw new ArgumentError('label', `must be a class from 0 to ${config.classes - 1}, got ${label}`);
  return label;
}

function allocate(
  ctx: GpuContext,
  config: GanConfig,
  starts: number,
  withCritic: boolean,
  label: number | null,
): RepairBuffers {
  const mem = ctx.memory;
  const rows = (name: string, width: number) => mem.createStorage(name, starts * width);
  return {
    z: rows('repair z', config.noiseDim),
    zGrad: rows('repair dz', config.noiseDim),
    moment1: rows('repair adam m', config.noiseDim),
    moment2: rows('repair adam v', config.noiseDim),
    generatorHidden: config.generatorHidden.map((w, i) => rows(`repair G h${i + 1}`, w)),
    generated: rows('repair G(z)', config.dataDim),
    generatorGrads: [...config.generatorHidden, config.dataDim].map((w, i) => rows(`repair G dZ${i + 1}`, w)),
    target: mem.createStorage('repair target', config.dataDim),
    known: mem.createStorage('repair known', config.dataDim),
    scores: rows('repair scores', 2),
    critic: withCritic
      ? {
          hidden: config.discriminatorHidden.map((w, i) => rows(`repair D a${i + 1}`, w)),
          logits: rows('repair D logits', 1),
          grads: [...config.discriminatorHidden, 1].map((w, i) => rows(`repair D dZ${i + 1}`, w)),
          imageGrads: rows('repair dD/dy', config.dataDim),
        }
      : null,
    conditioning:
      label === null
        ? null
        : {
            labels: mem.createStorage('repair labels', new Float32Array(starts).fill(label)),
            generatorOnehot: rows('repair G one-hot', config.classes),
            discriminatorOnehot: rows('repair D one-hot', config.classes),
          },
  };
}

function release(ctx: GpuContext, b: RepairBuffers): void {
  const all = [
    b.z,
    b.zGrad,
    b.moment1,
    b.moment2,
    ...b.generatorHidden,
    b.generated,
    ...b.generatorGrads,
    b.target,
    b.known,
    b.scores,
    ...(b.critic ? [...b.critic.hidden, b.critic.logits, ...b.critic.grads, b.critic.imageGrads] : []),
    ...(b.conditioning ? Object.values(b.conditioning) : []),
  ];
  for (const buffer of all) ctx.memory.release(buffer);
}

function summarize(scores: { errors: Float32Array }): { bestError: number; meanError: number } {
  let best = Infinity;
  let sum = 0;
  for (const e of scores.errors) {
    best = Math.min(best, e);
    sum += e;
  }
  return { bestError: best, meanError: sum / scores.errors.length };
}
