// Image repair by latent search: given a damaged image and which of its pixels are known, find
// noise vectors z whose generated image G(z) agrees with the known pixels and that the
// discriminator finds real, then fill the unknown pixels from the best of them. Many starting
// points are searched at once, as the rows of one batch, each by its own Adam on its own z.
//
// One iteration, all on the GPU through the training step's own kernels (the objective is in
// shaders/latent_repair.wgsl):
//   G forward (z → y) · D forward (y → logits) · realism term and ∂/∂logits · D backward to ∂/∂y ·
//   known-pixel error and ∂/∂(G's last pre-activation) · G backward to ∂/∂z · Adam on z
// Many iterations go into one command buffer; scores are read back only between chunks.
// Yeh et al.'s nearness weights and Poisson blending (context.ts) are options of repair.
import type { GpuContext } from '../gpu/context.js';
import { ArgumentError, DestroyedError, requirePositiveInteger } from '../base/errors.js';
import { NetworkWeights } from '../nn/network.js';
import { requireGenerator, type SamplingGenerator } from '../gan/sampler.js';
import { requireContext, requireInstance, requireObject } from '../base/arguments.js';
import { requireGanConfig, type GanConfig } from '../gan/config.js';
import {
  repairSettings,
  type RepairObjective,
  type RepairOptions,
  type RepairResult,
  type RepairRunOptions,
  type RepairSettings,
  pictureShape,
} from './options.js';
import { nearnessWeights, poissonBlend } from './context.js';
import { guardedCreation } from '../gpu/creation.js';
import { buildRepairProgram, type RepairBuffers, type RepairProgram } from './program.js';

export type {
  RepairImprovement,
  RepairObjective,
  RepairOptions,
  RepairProgress,
  RepairResult,
  RepairRunOptions,
} from './options.js';

export class ImageRepairer {
  private destroyed = false;
  /** K of the known-pixel kernel as built (every pixel, until an image says otherwise). */
  private knownCount: number;
  private readonly buffers: RepairBuffers;

  private constructor(
    private readonly ctx: GpuContext,
    readonly config: GanConfig,
    readonly starts: number,
    private readonly program: RepairProgram,
    private readonly settings: RepairSettings,
  ) {
    this.knownCount = program.fitDim;
    this.buffers = program.buffers;
  }

  /**
   * A repairer for `generator` (with the realism term when `discriminator` is given and λ > 0).
   * The networks stay the caller's: destroy them after this.
   */
  static async create(
    ctx: GpuContext,
    config: GanConfig,
    generator: SamplingGenerator,
    discriminator: NetworkWeights | null,
    options: RepairOptions = {},
  ): Promise<ImageRepairer> {
    requireContext(ctx);
    requireGanConfig('config', config);
    requireGenerator('generator', generator);
    if (discriminator !== null)
      requireInstance('discriminator', discriminator, NetworkWeights, 'loadDiscriminator() or null');
    requireObject('options', options, 'an object of repair options');
    const settings = repairSettings(config, options);
    if (settings.useEma && !generator.ema) throw new ArgumentError('useEma', 'this generator keeps no moving average');
    return guardedCreation(ctx, 'ImageRepairer.create', async () => {
      const program = await buildRepairProgram(ctx, config, generator, discriminator, settings);
      return new ImageRepairer(ctx, config, settings.starts, program, settings);
    });
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
    if (run.onImprove !== undefined && typeof run.onImprove !== 'function')
      throw new ArgumentError('onImprove', 'must be a function that takes the best fill so far');
    const { target, mask } = await this.setImage(image, known);
    this.restart();
    let done = 0;
    let lowest = Infinity;
    while (done < steps && !run.shouldStop?.()) {
      const count = Math.min(chunk, steps - done);
      this.submit(count);
      done += count;
      if (!run.onProgress && !run.onImprove) continue;
      const scores = await this.readScores();
      run.onProgress?.({ step: done, ...summarize(scores) });
      const start = bestStart(scores);
      const objective = start < 0 ? NaN : scores.errors[start]! + scores.realism[start]!;
      if (!run.onImprove || !(objective < lowest)) continue;
      lowest = objective;
      const { completion } = await this.fillOf(start, target, mask);
      const [error, realism] = [scores.errors[start]!, scores.realism[start]!];
      run.onImprove({ step: done, completion, error, realism, start });
    }
    this.submit(0); // the scores of the final z
    const scores = await this.readScores();
    return this.best(scores, target, mask, done);
  }

  /**
   * Restores `degraded` (the picture after the degradation this repairer was made with, in the
   * data's range): every value of it is fitted, and the result's completion is G(z).
   */
  restore(degraded: ArrayLike<number>, run: RepairRunOptions = {}): Promise<RepairResult> {
    this.checkUsable('restore');
    if (!this.restoring)
      throw new ArgumentError('degradation', 'this repairer was made without one; give options.degradation');
    return this.repair(degraded, new Float32Array(this.program.fitDim).fill(1), run);
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
    for (const k of [...this.program.evaluation, ...this.program.update.slice(0, -2)]) k.record(pass);
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
    const dim = this.program.fitDim;
    const what = this.restoring ? 'the degraded picture' : 'dataDim';
    if (image?.length !== dim)
      throw new ArgumentError('image', `must hold ${what} = ${dim} values, got ${image?.length}`);
    if (known?.length !== dim)
      throw new ArgumentError('known', `must hold ${what} = ${dim} values, got ${known?.length}`);
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
    // Yeh et al.'s weighting counts pixels by nearness to the hole; with no hole, all alike.
    const nearness = this.nearness(mask);
    const weights = nearness ?? mask;
    if (nearness) knownCount = nearness.reduce((sum, w) => sum + w, 0);
    if (knownCount !== this.knownCount) {
      // K is a uniform of the known-pixel kernel: rebuilt when it changes, outside any step.
      const { evaluation, pixelsSlot, ws } = this.program;
      evaluation[pixelsSlot] = ws.replace(evaluation[pixelsSlot]!, await this.program.buildPixels(knownCount));
      this.knownCount = knownCount;
    }
    this.ctx.write(this.buffers.target, target);
    this.ctx.write(this.buffers.known, weights);
    return { target, mask };
  }

  /** Fresh starting points, zero Adam moments, step 0. */
  private restart(): void {
    const b = this.buffers;
    this.ctx.write(b.moment1, new Float32Array(this.starts * this.config.noiseDim));
    this.ctx.write(b.moment2, new Float32Array(this.starts * this.config.noiseDim));
    this.program.counter.set(0);
    const encoder = this.ctx.device.createCommandEncoder({ label: 'repair start' });
    this.program.startNoise.record(encoder);
    this.program.prior?.record(encoder);
    this.ctx.submit([encoder.finish()]);
  }

  /** `iterations` Adam steps on z, then the objective at the resulting z, in one command buffer. */
  private submit(iterations: number): void {
    const encoder = this.ctx.device.createCommandEncoder({ label: `repair ${iterations} steps` });
    const pass = encoder.beginComputePass({ label: 'repair' });
    const { evaluation, update, prior } = this.program;
    const iteration = [...evaluation, ...update, ...(prior ? [prior] : [])];
    for (let i = 0; i < iterations; i++) for (const k of iteration) k.record(pass);
    for (const k of this.program.evaluation) k.record(pass);
    pass.end();
    this.ctx.submit([encoder.finish()]);
  }

  private async readScores(): Promise<{ errors: Float32Array; realism: Float32Array }> {
    const pairs = await this.ctx.readF32(this.buffers.scores);
    const errors = new Float32Array(this.starts);
    const realism = new Float32Array(this.starts);
    for (let r = 0; r < this.starts; r++) {
      errors[r] = pairs[2 * r]!;
      realism[r] = this.program.withCritic ? pairs[2 * r + 1]! : 0;
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
    const start = bestStart(scores);
    if (start < 0) throw new ArgumentError('image', 'every start diverged to NaN: lower the learning rate');
    const { generated, completion } = await this.fillOf(start, target, mask);
    const noiseDim = this.config.noiseDim;
    const noise = await this.ctx.readF32(this.buffers.z, start * noiseDim * 4, noiseDim);
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

  /** One start's generated image, read back alone, and the completion it makes of `target`. */
  private async fillOf(start: number, target: Float32Array, mask: Float32Array) {
    const dim = this.config.dataDim;
    const generated = await this.ctx.readF32(this.buffers.generated, start * dim * 4, dim);
    // A degraded picture's values are not the clean picture's: restoration gives G(z) itself.
    if (this.restoring) return { generated, completion: generated.slice() };
    if (this.settings.blend === 'poisson') {
      const range = this.config.generatorOutput === 'tanh' ? { lo: -1, hi: 1 } : { lo: -Infinity, hi: Infinity };
      return { generated, completion: poissonBlend(target, generated, mask, pictureShape(this.config)!, range) };
    }
    return { generated, completion: generated.map((g, j) => (mask[j] ? target[j]! : g)) };
  }

  /** The known pixels' nearness weights where the search uses them and the mask leaves a hole; else null. */
  private nearness(mask: Float32Array): Float32Array | null {
    if (this.restoring || this.settings.context !== 'nearness') return null;
    const weights = nearnessWeights(mask, pictureShape(this.config)!);
    return weights.some((w) => w > 0) ? weights : null;
  }

  /** Whether this searcher restores through a degradation (restore) rather than fills a mask (repair). */
  get restoring(): boolean {
    return this.program.restoring;
  }

  private checkUsable(method: string): void {
    if (this.destroyed) throw new DestroyedError('ImageRepairer', method);
  }

  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.program.ws.destroy();
  }
}

/** The start with the lowest objective (known-pixel error plus realism); −1 when every one is NaN. */
function bestStart(scores: { errors: Float32Array; realism: Float32Array }): number {
  let start = -1;
  let lowest = Infinity;
  for (let r = 0; r < scores.errors.length; r++) {
    const objective = scores.errors[r]! + scores.realism[r]!;
    if (objective < lowest) [start, lowest] = [r, objective];
  }
  return start;
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
