// One training session: the trainer, the fixed-noise sampler and the latent-walk sampler with
// their canvases, and the quality evaluator where the classifier could be loaded. Rebuilt on
// Reset or when a checkpoint of other settings is loaded; destroy() frees all of it (the dataset
// belongs to the page and outlives sessions).
import {
  chooseLabeled,
  GanSampler,
  GanTrainer,
  labeledSetFromBytes,
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
/** Samples per row of the grid; a conditional session has one row per class. */
const GRID_COLUMNS = 8;
const WALK_FRAMES = 90; // frames from one latent point to the next

export class Session {
  private walkFrom: Float32Array;
  private walkTo: Float32Array;
  private walkFrame = 0;
  private readonly random: () => number;
  /** The class a conditional grid draws, or null for a row of each. */
  private shownClass: number | null = null;
  /** The trainer's revision the grid last showed (−1: not drawn, or its noise or classes changed since). */
  private gridRevision = -1;

  private constructor(
    private readonly ctx: GpuContext,
    readonly trainer: GanTrainer,
    readonly grid: GanSampler,
    private readonly walk: GanSampler,
    private readonly gridView: SampleGridRenderer,
    private readonly walkView: SampleGridRenderer,
    /** Scores the moving-average generator; null without a classifier or for pictures other than MNIST's. */
    readonly evaluator: GeneratorEvaluator | null,
    /** A semi-supervised session's labelled images on the GPU, or null. */
    private readonly labeled: { destroy(): void } | null,
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
    /** Each image's class, used when the configuration is conditional; null for unlabelled images. */
    labels: GpuDataset | null,
    /** The images on the CPU, from which a semi-supervised session picks its labelled ones. */
    images: { pixels: Uint8Array; labels: Uint8Array },
  ): Promise<Session> {
    const classes = config.classes ?? 0;
    const labeled = Session.labeledImages(ctx, config, images);
    let trainer: GanTrainer;
    try {
      const conditionLabels = classes > 0 ? (labels ?? undefined) : undefined;
      trainer = await GanTrainer.create(ctx, config, dataset, conditionLabels, labeled ?? undefined);
    } catch (error) {
      labeled?.destroy();
      throw error;
    }
    const made: Array<{ destroy(): void }> = [...(labeled ? [labeled] : []), trainer];
    try {
      const gridSamples = classes > 0 ? GRID_COLUMNS * classes : GRID_SAMPLES;
      const grid = await GanSampler.create(ctx, trainer.config, trainer.generator, {
        count: gridSamples,
        ...(classes > 0 && { labels: Session.gridLabels(gridSamples, null) }),
      });
      made.push(grid);
      const walk = await GanSampler.create(ctx, trainer.config, trainer.generator, { count: 1 });
      made.push(walk);
      const { dataDim: dim, channels } = trainer.config;
      const gridView = await createSampleGridRenderer(ctx, canvases.grid, {
        samples: grid.output,
        count: gridSamples,
        dim,
        columns: GRID_COLUMNS,
        scale: 2,
        channels,
      });
      made.push(gridView);
      const walkView = await createSampleGridRenderer(ctx, canvases.walk, {
        samples: walk.output,
        count: 1,
        dim,
        padding: 0,
        scale: 8,
        channels,
      });
      made.push(walkView);
      // The classifier judges 28×28 grey digits: any other picture would only get a meaningless score.
      const evaluator =
        quality && dim === 784 && channels === 1
          ? await createGeneratorEvaluator(ctx, {
              classifier: quality.file.tensors,
              reference: quality.file.reference,
              config: trainer.config,
              generator: trainer.generator,
              count: quality.count,
            })
          : null;
      return new Session(ctx, trainer, grid, walk, gridView, walkView, evaluator, labeled);
    } catch (error) {
      for (const m of made.reverse()) m.destroy();
      throw error;
    }
  }

  /** A semi-supervised session's labelled images, picked from the seed as the CLI picks them; null otherwise. */
  private static labeledImages(
    ctx: GpuContext,
    config: Partial<GanConfig>,
    images: { pixels: Uint8Array; labels: Uint8Array },
  ) {
    const n = config.labeled ?? 0;
    const classes = config.labelClasses ?? 0;
    if (n === 0 || classes === 0 || config.dataDim === undefined) return null;
    const chosen = chooseLabeled(images.labels, n, classes, config.seed ?? 1);
    return labeledSetFromBytes(ctx, images.pixels, config.dataDim, images.labels, chosen, classes);
  }

  /** A conditional grid's labels: a row per class, or every sample of class `only`. */
  private static gridLabels(count: number, only: number | null): number[] {
    return Array.from({ length: count }, (_, r) => only ?? Math.floor(r / GRID_COLUMNS));
  }

  /** A conditional session shows every class (null: a row each) or one class in the grid and the walk. */
  showClass(only: number | null): void {
    if (this.trainer.config.classes === 0) return;
    this.shownClass = only;
    this.grid.setLabels(Session.gridLabels(this.grid.count, only));
    this.walk.setLabels([only ?? 0]);
    this.gridRevision = -1;
  }

  /** New fixed noise for the grid (Re-roll), drawn at the next frame. */
  async reseedGrid(seed: number): Promise<void> {
    await this.grid.reseed(seed);
    this.gridRevision = -1;
  }

  /** One of the grid's samples, read back (the repair panel's generated picture), with its class if it has one. */
  async gridSample(index: number): Promise<{ values: Float32Array; label: number | undefined }> {
    const dim = this.trainer.config.dataDim;
    const all = await this.grid.sample();
    const label =
      this.trainer.config.classes > 0 ? (this.shownClass ?? Session.gridLabels(index + 1, null)[index]) : undefined;
    return { values: all.slice(index * dim, (index + 1) * dim), label };
  }

  get gridCount(): number {
    return this.grid.count;
  }

  /**
   * Draws the canvases that are on screen (and advances the latent walk when `walking` and it is):
   * one submit, no readback. An off-screen canvas is left alone: drawing it costs GPU time that
   * nobody sees, and in headless Chromium it made every readback meanwhile take seconds. The grid
   * is drawn only when it would change (a step, a restore, new noise or classes): a canvas keeps
   * its picture, and 64 samples of a convolutional generator take seconds on a software adapter.
   */
  draw(walking: boolean, shown: { grid: boolean; walk: boolean }): void {
    const gridStale = shown.grid && this.gridRevision !== this.trainer.revision;
    if (!gridStale && !shown.walk) return;
    if (walking && shown.walk) this.advanceWalk();
    const encoder = this.ctx.device.createCommandEncoder({ label: 'demo frame' });
    if (gridStale) {
      this.grid.record(encoder);
      this.gridView.record(encoder);
      this.gridRevision = this.trainer.revision;
    }
    if (shown.walk) {
      this.walk.record(encoder);
      this.walkView.record(encoder);
    }
    this.ctx.submit([encoder.finish()]);
  }

  private advanceWalk(): void {
    const t = this.walkFrame / WALK_FRAMES;
    const eased = t * t * (3 - 2 * t);
    this.walk.setNoise(slerp(this.walkFrom, this.walkTo, eased));
    if (++this.walkFrame > WALK_FRAMES) {
      this.walkFrame = 0;
      this.walkFrom = this.walkTo;
      this.walkTo = gaussianVector(this.trainer.config.noiseDim, this.random);
    }
  }

  destroy(): void {
    this.evaluator?.destroy();
    this.walkView.destroy();
    this.gridView.destroy();
    this.walk.destroy();
    this.grid.destroy();
    this.trainer.destroy();
    this.labeled?.destroy();
  }
}
