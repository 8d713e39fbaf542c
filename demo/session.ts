// One training session: the trainer, the fixed-noise sampler and the latent-walk sampler with
// their canvases, and the quality evaluator where the classifier could be loaded. Rebuilt on
// Reset or when a checkpoint of other settings is loaded; destroy() frees all of it (the dataset
// belongs to the page and outlives sessions).
import {
  GanSampler,
  GanTrainer,
  createGeneratorEvaluator,
  type ClassifierFile,
  type GeneratorEvaluator,
  createSampleGridRenderer,
  gaussianVector,
  type SampleGridRenderer,
  seededRandom,
  slerp,
  type GanConfig,
  type GpuContext,
  type GpuDataset,
} from 'webgpu-gan';

const GRID_SAMPLES = 64;
const WALK_FRAMES = 90; // frames from one latent point to the next

export class Session {
  private walkFrom: Float32Array;
  private walkTo: Float32Array;
  private walkFrame = 0;
  private readonly random: () => number;

  private constructor(
    private readonly ctx: GpuContext,
    readonly trainer: GanTrainer,
    readonly grid: GanSampler,
    private readonly walk: GanSampler,
    private readonly gridView: SampleGridRenderer,
    private readonly walkView: SampleGridRenderer,
    /** Scores the moving-average generator; null without a classifier or for other image sizes. */
    readonly evaluator: GeneratorEvaluator | null,
  ) {
    this.random = seededRandom(trainer.config.seed + 1);
    this.walkFrom = gaussianVector(trainer.config.noiseDim, this.random);
    this.walkTo = gaussianVector(trainer.config.noiseDim, this.random);
  }

  static async create(
    ctx: GpuContext,
    dataset: GpuDataset,
    config: Partial<GanConfig>,
    canvases: { grid: HTMLCanvasElement; walk: HTMLCanvasElement },
    quality: { file: ClassifierFile; count: number } | null,
  ): Promise<Session> {
    const trainer = await GanTrainer.create(ctx, config, dataset);
    const made: Array<{ destroy(): void }> = [trainer];
    try {
      const grid = await GanSampler.create(ctx, trainer.config, trainer.generator, { count: GRID_SAMPLES });
      made.push(grid);
      const walk = await GanSampler.create(ctx, trainer.config, trainer.generator, { count: 1 });
      made.push(walk);
      const dim = trainer.config.dataDim;
      const gridView = await createSampleGridRenderer(ctx, canvases.grid, {
        samples: grid.output,
        count: GRID_SAMPLES,
        dim,
        columns: 8,
        scale: 2,
      });
      made.push(gridView);
      const walkView = await createSampleGridRenderer(ctx, canvases.walk, {
        samples: walk.output,
        count: 1,
        dim,
        padding: 0,
        scale: 8,
      });
      made.push(walkView);
      const evaluator =
        quality && dim === 784
          ? await createGeneratorEvaluator(ctx, {
              classifier: quality.file.tensors,
              reference: quality.file.reference,
              config: trainer.config,
              generator: trainer.generator,
              count: quality.count,
            })
          : null;
      return new Session(ctx, trainer, grid, walk, gridView, walkView, evaluator);
    } catch (error) {
      for (const m of made.reverse()) m.destroy();
      throw error;
    }
  }

  /** Draws the sample grid (and advances the latent walk when `walking`): one submit, no readback. */
  draw(walking: boolean): void {
    if (walking) {
      const t = this.walkFrame / WALK_FRAMES;
      const eased = t * t * (3 - 2 * t);
      this.walk.setNoise(slerp(this.walkFrom, this.walkTo, eased));
      if (++this.walkFrame > WALK_FRAMES) {
        this.walkFrame = 0;
        this.walkFrom = this.walkTo;
        this.walkTo = gaussianVector(this.trainer.config.noiseDim, this.random);
      }
    }
    const encoder = this.ctx.device.createCommandEncoder({ label: 'demo frame' });
    this.grid.record(encoder);
    this.walk.record(encoder);
    this.gridView.record(encoder);
    this.walkView.record(encoder);
    this.ctx.submit([encoder.finish()]);
  }

  destroy(): void {
    this.evaluator?.destroy();
    this.walkView.destroy();
    this.gridView.destroy();
    this.walk.destroy();
    this.grid.destroy();
    this.trainer.destroy();
  }
}
