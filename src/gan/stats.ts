// Training statistics that accumulate on the GPU (the BCE kernels add into a small buffer every
// step) and come back through a ring of staging buffers: a read is a copy plus a clear recorded
// after the steps, mapped asynchronously, so the queue never waits for the CPU. If every staging
// buffer is still in flight, the read is skipped and the sums simply cover more steps next time.
import type { GpuContext } from '../gpu/context.js';
import { requireNumber, requireObject } from '../base/arguments.js';

/** Float offsets of the two BCE stat slots (each [loss, mean σ first rows, mean σ second rows]). */
export const STATS_SLOT_D = 0;
export const STATS_SLOT_G = 64; // 256 bytes in: a valid binding offset on every device
/** One float that both Adam updates set to 1 when a weight or moment becomes non-finite. */
export const STATS_SLOT_NON_FINITE = 128;
/**
 * A semi-supervised D's labelled batches: [mean cross-entropy, fraction classified right]; an
 * auxiliary classifier's real batches, the same.
 */
export const STATS_SLOT_SUPERVISED = 192;
/** An auxiliary classifier's generated batches as G's update sees them: [mean cross-entropy, share read as drawn]. */
export const STATS_SLOT_AGREEMENT = 256;
export const STATS_FLOATS = 320;

export interface TrainingStats {
  /** The last step these numbers include. */
  step: number;
  /** How many steps they average over. */
  steps: number;
  lossD: number;
  lossG: number;
  /**
   * Mean D(x) on real batches: σ of D's output (a probability), or with the least-squares loss
   * the output itself (its targets are 0 for fake and 1, or the smoothed label, for real).
   */
  dReal: number;
  /** Mean D(G(z)) on fake batches, before the discriminator update. */
  dFake: number;
  /** Mean D(G(z)) seen by the generator update (after the discriminator update). */
  dFakeAfter: number;
  /** A weight, Adam moment or moving average became NaN or infinite during these steps. */
  nonFinite: boolean;
  /** A semi-supervised D's mean cross-entropy on its labelled batches. */
  labeledLoss?: number;
  /** The fraction of those batches' images D classified right (before its update). */
  labeledAccuracy?: number;
  /** An auxiliary classifier's mean cross-entropy on the real batches' classes (before D's update). */
  realClassLoss?: number;
  /** The fraction of the real batches' images its D classified right. */
  realClassAccuracy?: number;
  /** Its D's mean cross-entropy on the class each generated image was drawn for (after D's update). */
  fakeClassLoss?: number;
  /** The fraction of generated images its D reads as the class they were drawn for: G's class agreement in D's eyes. */
  fakeClassAccuracy?: number;
}

/** Whether statistics show a broken run: a non-finite number anywhere, or the Adam kernels' alarm. */
export function divergence(s: TrainingStats): string | null {
  requireObject('stats', s, 'a TrainingStats object');
  requireNumber('stats.lossD', s.lossD, 'a number (TrainingStats, as onStats receives them)');
  if (s.nonFinite) return 'a weight or optimiser moment became NaN or infinite';
  const losses = { 'loss D': s.lossD, 'loss G': s.lossG, 'D(x)': s.dReal, 'D(G(z))': s.dFake };
  const bad = Object.entries(losses).filter(([, v]) => !Number.isFinite(v));
  return bad.length > 0 ? `${bad.map(([k, v]) => `${k} ${v}`).join(', ')}` : null;
}

interface Slot {
  buffer: GPUBuffer;
  pending: { step: number; steps: number } | null;
  mapping: boolean;
}

export class StatsReader {
  readonly buffer: GPUBuffer;
  private readonly slots: Slot[];
  private readonly ready: TrainingStats[] = [];
  private readonly inFlight = new Set<Promise<void>>();
  /** Bumped by reset(): reads begun before it are of the state that was replaced, and dropped. */
  private generation = 0;

  constructor(
    private readonly ctx: GpuContext,
    ringSize = 3,
    /** Whether to report the labelled batches' statistics (a semi-supervised trainer's). */
    private readonly supervised = false,
    /** Whether to report an auxiliary classifier's class statistics. */
    private readonly auxiliary = false,
  ) {
    this.buffer = ctx.memory.createStorage('training stats', STATS_FLOATS);
    this.slots = Array.from({ length: ringSize }, (_, i) => ({
      buffer: ctx.memory.createBuffer({
        label: `stats staging ${i}`,
        size: STATS_FLOATS * 4,
        usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
      }),
      pending: null,
      mapping: false,
    }));
  }

  /**
   * Records copy-and-clear of the sums covering `steps` steps ending at `step`. Returns false
   * (recording nothing) when no staging buffer is free.
   */
  record(encoder: GPUCommandEncoder, step: number, steps: number): boolean {
    const slot = this.slots.find((s) => !s.pending && !s.mapping);
    if (!slot) return false;
    encoder.copyBufferToBuffer(this.buffer, 0, slot.buffer, 0, STATS_FLOATS * 4);
    encoder.clearBuffer(this.buffer);
    slot.pending = { step, steps };
    return true;
  }

  /** Starts mapping what record() scheduled; call right after the submit that carried it. */
  afterSubmit(): void {
    for (const slot of this.slots) {
      if (!slot.pending || slot.mapping) continue;
      slot.mapping = true;
      const { step, steps } = slot.pending;
      const generation = this.generation;
      const done = slot.buffer
        .mapAsync(GPUMapMode.READ)
        .then(
          () => {
            const sums = new Float32Array(slot.buffer.getMappedRange().slice(0));
            slot.buffer.unmap();
            if (generation === this.generation) this.ready.push(this.average(sums, step, steps));
          },
          () => undefined, // the device was lost or destroyed: the context reports it
        )
        .finally(() => {
          slot.pending = null;
          slot.mapping = false;
          this.inFlight.delete(done);
        });
      this.inFlight.add(done);
    }
  }

  private average(sums: Float32Array, step: number, steps: number): TrainingStats {
    const d = STATS_SLOT_D,
      g = STATS_SLOT_G;
    const labelled = STATS_SLOT_SUPERVISED;
    return {
      step,
      steps,
      lossD: sums[d]! / steps,
      dFake: sums[d + 1]! / steps, // the D batch puts fake rows first
      dReal: sums[d + 2]! / steps,
      lossG: sums[g]! / steps,
      dFakeAfter: sums[g + 1]! / steps,
      nonFinite: sums[STATS_SLOT_NON_FINITE] !== 0,
      ...(this.supervised && {
        labeledLoss: sums[labelled]! / steps,
        labeledAccuracy: sums[labelled + 1]! / steps,
      }),
      ...(this.auxiliary && {
        realClassLoss: sums[labelled]! / steps,
        realClassAccuracy: sums[labelled + 1]! / steps,
        fakeClassLoss: sums[STATS_SLOT_AGREEMENT]! / steps,
        fakeClassAccuracy: sums[STATS_SLOT_AGREEMENT + 1]! / steps,
      }),
    };
  }

  /** Statistics that have arrived since the last call, oldest first. */
  drain(): TrainingStats[] {
    return this.ready.splice(0);
  }

  /**
   * Forgets everything accumulated so far: the sums on the GPU (zeroed by work submitted after
   * this call), reads still in flight and statistics not yet drained. For a trainer whose weights
   * were just replaced (a restored checkpoint), so that its old run's numbers, a divergence alarm
   * among them, never reach the new one.
   */
  reset(): void {
    this.generation++;
    this.ready.length = 0;
    this.ctx.write(this.buffer, new Float32Array(STATS_FLOATS));
  }

  /** Waits for every read in flight, then drains. */
  async flush(): Promise<TrainingStats[]> {
    await Promise.all([...this.inFlight]);
    return this.drain();
  }

  destroy(): void {
    this.ctx.memory.release(this.buffer);
    for (const slot of this.slots) this.ctx.memory.release(slot.buffer);
  }
}
