// A trained restorer at work: degraded pictures in, restored pictures out, batched on the GPU.
// Made from a restorer file (restorerFile.ts) or from a trainer's current weights. Where the
// chain is a mask alone, the pictures' known pixels are kept as they are and only the erased band
// comes from the network, as any inpainting should.
import { requireArrayLike, requireContext, requireInstance, requireString } from '../base/arguments.js';
import { ArgumentError, DestroyedError, requirePositiveInteger } from '../base/errors.js';
import type { GpuContext } from '../gpu/context.js';
import { Workspace } from '../gpu/workspace.js';
import { buildPlan, forwardPlan, NetworkWeights } from '../nn/network.js';
import { restorerNetworkSpec } from './restorerModel.js';
import { checkRestorerFile, decodeRestorer, type RestorerFile } from './restorerFile.js';
import { RestorerTrainer, type ResolvedRestorerSettings } from './restorerTrainer.js';
import { formatDegradation } from './spec.js';

/** Pictures run at once; more are restored in chunks of this many. */
const CHUNK = 256;

export class TrainedRestorer {
  private constructor(
    private readonly ctx: GpuContext,
    readonly settings: ResolvedRestorerSettings,
    readonly step: number,
    private readonly network: NetworkWeights,
  ) {}

  static fromFile(ctx: GpuContext, file: RestorerFile | Uint8Array): TrainedRestorer {
    requireContext(ctx);
    const f = file instanceof Uint8Array ? decodeRestorer(file) : checkRestorerFile(file);
    const network = new NetworkWeights(ctx, restorerNetworkSpec(f.settings), 'restorer');
    ctx.device.queue.writeBuffer(network.weights, 0, Float32Array.from(f.parameters));
    if (f.state.length > 0) ctx.device.queue.writeBuffer(network.state, 0, Float32Array.from(f.state));
    return new TrainedRestorer(ctx, f.settings, f.step, network);
  }

  /** A copy of the trainer's weights as they are now (training on does not change it). */
  static async fromTrainer(ctx: GpuContext, trainer: RestorerTrainer): Promise<TrainedRestorer> {
    requireInstance('trainer', trainer, RestorerTrainer, 'a RestorerTrainer');
    return TrainedRestorer.fromFile(ctx, await restorerFileOf(ctx, trainer));
  }

  /** Values of one degraded picture: C × (side after the chain)². */
  get inputSize(): number {
    return this.settings.channels * this.settings.inputSide ** 2;
  }

  /** Values of one restored picture: C × side². */
  get outputSize(): number {
    return this.settings.channels * this.settings.side ** 2;
  }

  get degradation(): string {
    return formatDegradation(this.settings.degradation);
  }

  /** Restores `count` degraded pictures (count × inputSize values in [−1, 1]; default all they hold). */
  async restore(degraded: ArrayLike<number>, count?: number): Promise<Float32Array> {
    if (this.network.destroyed) throw new DestroyedError('TrainedRestorer', 'restore');
    requireArrayLike('degraded', degraded, 'degraded pictures as numbers in [−1, 1]');
    count ??= degraded.length / this.inputSize;
    if (degraded.length === 0 || !Number.isInteger(count) || degraded.length !== count * this.inputSize)
      throw new ArgumentError(
        'degraded',
        `holds ${degraded.length} values, not ${Number.isInteger(count) ? count : 'a whole number of'} pictures of ` +
          `${this.inputSize} (C × side², after the chain)`,
      );
    requirePositiveInteger('count', count);
    for (let i = 0; i < degraded.length; i++)
      if (!Number.isFinite(degraded[i]))
        throw new ArgumentError('degraded', `value ${i} is ${degraded[i]}; pictures hold finite numbers in [−1, 1]`);
    const out = new Float32Array(count * this.outputSize);
    for (let first = 0; first < count; first += CHUNK) {
      const rows = Math.min(CHUNK, count - first);
      const chunk = Float32Array.from(
        { length: rows * this.inputSize },
        (_, i) => degraded[first * this.inputSize + i]!,
      );
      out.set(await this.runChunk(chunk, rows), first * this.outputSize);
    }
    if (this.keepsKnownPixels) keepKnown(out, degraded, this.settings);
    // A residual restorer's output is the degraded picture plus a correction in [−1, 1]: it can
    // leave the pictures' range, and a value past it is never closer to the truth than the bound.
    if (this.settings.residual) for (let i = 0; i < out.length; i++) out[i] = Math.min(1, Math.max(-1, out[i]!));
    return out;
  }

  private get keepsKnownPixels(): boolean {
    return this.settings.degradation.length === 1 && this.settings.degradation[0]!.kind === 'mask';
  }

  private async runChunk(pictures: Float32Array, rows: number): Promise<Float32Array> {
    return Workspace.build(this.ctx, 'restorer', async (ws) => {
      try {
        const input = ws.storage('degraded', pictures);
        const outputs = this.network.blocks.map((block, b) => ws.rows(`block ${b} output`, rows, block.width));
        const pass = { rows, input, outputs, stats: outputs.map(() => null), mode: 'eval' as const };
        const kernels = (await buildPlan(this.ctx, forwardPlan(this.network, pass))).map((k) => ws.own(k));
        const encoder = this.ctx.device.createCommandEncoder({ label: 'restore' });
        const computePass = encoder.beginComputePass({ label: 'restore' });
        for (const kernel of kernels) kernel.record(computePass);
        computePass.end();
        this.ctx.submit([encoder.finish()]);
        return await this.ctx.readF32(outputs.at(-1)!, 0, rows * this.outputSize);
      } finally {
        ws.destroy();
      }
    });
  }

  destroy(): void {
    if (!this.network.destroyed) this.network.destroy();
  }
}

/** The trainer's state as a restorer file (its weights read back from the GPU). */
export async function restorerFileOf(ctx: GpuContext, trainer: RestorerTrainer, data?: string): Promise<RestorerFile> {
  requireContext(ctx);
  requireInstance('trainer', trainer, RestorerTrainer, 'a RestorerTrainer');
  if (data !== undefined) requireString('data', data, 'the name of what it was trained on');
  const { layout, weights, state: statistics } = trainer.network;
  const parameters = await ctx.readF32(weights, 0, layout.parameterFloats);
  const state = layout.stateFloats > 0 ? await ctx.readF32(statistics, 0, layout.stateFloats) : new Float32Array(0);
  return { settings: trainer.settings, step: trainer.step, parameters, state, ...(data !== undefined && { data }) };
}

/** Puts each picture's known pixels (outside the mask's band) back over the network's guess. */
function keepKnown(out: Float32Array, degraded: ArrayLike<number>, s: ResolvedRestorerSettings): void {
  const mask = s.degradation[0]! as { first: number; last: number };
  const plane = s.side * s.side;
  for (let i = 0; i < out.length; i++) {
    const row = Math.floor((i % plane) / s.side);
    if (row < mask.first || row > mask.last) out[i] = Number(degraded[i]);
  }
}
