// The evaluator's samples, made in one pass of the generator where the device binds that many
// rows, and otherwise in passes of as many as it does: the noise of all the samples is drawn once
// (the same values a single pass draws), each pass copies its rows of it into a sampler of fewer
// rows and its samples into place. A conditional generator's passes hold a whole number of rounds
// of its classes, so sample r stays of class r mod classes. Every pass is recorded into the
// caller's encoder: still one submit, nothing read back.
import { ArgumentError, requirePositiveInteger } from '../base/errors.js';
import type { GpuContext } from '../gpu/context.js';
import type { GanConfig } from '../gan/config.js';
import { GanSampler, sampleNoiseFill, samplesPerPassLimit, type SamplingGenerator } from '../gan/sampler.js';
import type { BoundKernel } from '../kernels/kernel.js';

interface Options {
  count: number;
  useEma: boolean;
  seed?: number;
}

export class SamplePasses {
  private constructor(
    private readonly ctx: GpuContext,
    private readonly sampler: GanSampler,
    readonly count: number,
    private readonly dataDim: number,
    /** With more than one pass: every sample's noise, and the kernel that drew it. */
    private readonly noise: { buffer: GPUBuffer; fill: BoundKernel; rowBytes: number } | null,
  ) {}

  static async create(
    ctx: GpuContext,
    config: GanConfig,
    generator: SamplingGenerator,
    options: Options,
    samplesPerPass?: number,
  ): Promise<SamplePasses> {
    const count = requirePositiveInteger('count', options.count);
    if (samplesPerPass !== undefined) requirePositiveInteger('samplesPerPass', samplesPerPass);
    const fits = samplesPerPassLimit(ctx.device.limits, config, generator);
    const perPass = passRows(count, Math.min(samplesPerPass ?? fits, fits), config.classes, samplesPerPass);
    if (perPass === count) {
      const sampler = await GanSampler.create(ctx, config, generator, options);
      return new SamplePasses(ctx, sampler, count, config.dataDim, null);
    }
    const sampler = await GanSampler.create(ctx, config, generator, { ...options, count: perPass });
    let buffer: GPUBuffer | undefined;
    let fill: BoundKernel | undefined;
    try {
      buffer = ctx.memory.createStorage('evaluation noise', count * config.noiseDim);
      fill = await sampleNoiseFill(ctx, config, buffer, count, options.seed ?? config.seed);
      const encoder = ctx.device.createCommandEncoder({ label: 'evaluation noise' });
      fill.record(encoder);
      ctx.submit([encoder.finish()]);
      return new SamplePasses(ctx, sampler, count, config.dataDim, { buffer, fill, rowBytes: 4 * config.noiseDim });
    } catch (error) {
      fill?.destroy();
      if (buffer) ctx.memory.release(buffer);
      sampler.destroy();
      throw error;
    }
  }

  /** Records the passes that write all count × dataDim samples into `target`. */
  record(encoder: GPUCommandEncoder, target: GPUBuffer): void {
    const rowBytes = 4 * this.dataDim;
    const perPass = this.sampler.count;
    for (let first = 0; first < this.count; first += perPass) {
      const rows = Math.min(perPass, this.count - first);
      if (this.noise)
        encoder.copyBufferToBuffer(
          this.noise.buffer,
          first * this.noise.rowBytes,
          this.sampler.noise,
          0,
          rows * this.noise.rowBytes,
        );
      this.sampler.record(encoder);
      encoder.copyBufferToBuffer(this.sampler.output, 0, target, first * rowBytes, rows * rowBytes);
    }
  }

  destroy(): void {
    if (this.noise) {
      this.noise.fill.destroy();
      this.ctx.memory.release(this.noise.buffer);
    }
    this.sampler.destroy();
  }
}

/**
 * Rows per pass: all `count` where `limit` allows, else the most that fit, rounded down to whole
 * rounds of the classes. A device that cannot bind one row is sent to the sampler's own error.
 */
function passRows(count: number, limit: number, classes: number, asked: number | undefined): number {
  if (count <= limit) return count;
  if (limit < 1) return count; // GanSampler.create says which layer is too wide for even one row
  const round = Math.max(classes, 1);
  const rows = Math.floor(limit / round) * round;
  if (rows > 0) return rows;
  throw new ArgumentError(
    'samplesPerPass',
    asked !== undefined && asked === limit
      ? `is ${limit}, fewer than the generator's ${classes} classes in one pass`
      : `this device binds ${limit} samples of this generator in one pass, fewer than its ${classes} classes`,
  );
}
