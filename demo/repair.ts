// The repair panel's two halves: the picture the visitor damages (a 2-D canvas, drawn with the
// pointer: erase marks pixels unknown, scribble paints white ink that stays known), and the
// search that fills the unknown pixels from the generator (ImageRepairer). The search's networks
// are a snapshot of the trainer, kept for the next repair until the trainer takes a step, is
// restored or replaced, or the label changes; nothing GPU-side is made while the visitor draws.
import {
  type Channels,
  decodeCheckpoint,
  encodeCheckpoint,
  type GanTrainer,
  type GpuContext,
  ImageRepairer,
  loadDiscriminator,
  loadGenerator,
  type RepairImprovement,
  type RepairProgress,
  type RepairResult,
} from 'webgpu-gan';

/** Canvas pixels per picture pixel. */
export const SCALE = 8;
/** How unknown pixels are shown: a red checker, unlike any picture the generator makes. */
const UNKNOWN_LIGHT = [176, 48, 64];
const UNKNOWN_DARK = [112, 28, 40];

/** A picture to repair: dataDim values in [−1, 1] and which of them are known. */
export interface RepairPicture {
  side: number;
  channels: Channels;
  /** channels × side² values, planar. */
  values: Float32Array;
  /** One per value: 1 known, 0 to fill (a pixel's channels alike). */
  known: Float32Array;
  /** Its class where it has one (a real picture's label, a conditional sample's class). */
  label: number | undefined;
  /** What it is, for messages: "real digit 7", "generated digit". */
  name: string;
}

export type BrushMode = 'erase' | 'scribble';

/** Bytes as the values training sees: (2b − 255) / 255 ∈ [−1, 1]. */
export const valuesOf = (bytes: Uint8Array) => Float32Array.from(bytes, (b) => (2 * b - 255) / 255);

const byteOf = (v: number) => Math.round(Math.min(1, Math.max(-1, Number.isFinite(v) ? v : -1)) * 127.5 + 127.5);

/**
 * Draws planar values onto a 2-D canvas at `scale`× (SCALE unless a smaller picture is to fill the
 * same canvas), unknown pixels (known[p] = 0) as a red checker.
 */
export function drawPicture(
  canvas: HTMLCanvasElement,
  picture: { side: number; channels: Channels; values: Float32Array },
  known: Float32Array | null,
  scale = SCALE,
): void {
  const { side, channels, values } = picture;
  const plane = side * side;
  const small = new ImageData(side, side);
  for (let p = 0; p < plane; p++) {
    const unknown = known !== null && known[p] === 0;
    const checker = ((p % side) + Math.floor(p / side)) % 2 === 0 ? UNKNOWN_LIGHT : UNKNOWN_DARK;
    for (let c = 0; c < 3; c++) {
      small.data[4 * p + c] = unknown ? checker[c]! : byteOf(values[(channels === 3 ? c : 0) * plane + p]!);
    }
    small.data[4 * p + 3] = 255;
  }
  canvas.width = side * scale;
  canvas.height = side * scale;
  const context = canvas.getContext('2d')!;
  context.imageSmoothingEnabled = false;
  // Drawn small, then enlarged without smoothing: each picture pixel a crisp scale × scale square.
  const staging = new OffscreenCanvas(side, side);
  staging.getContext('2d')!.putImageData(small, 0, 0);
  context.drawImage(staging, 0, 0, side * scale, side * scale);
}

/** The picture being damaged: its values and known mask change under the pointer; `original` stays. */
export class RepairEditor {
  picture: RepairPicture | null = null;
  private original: Float32Array | null = null;
  mode: BrushMode = 'erase';
  /** Brush diameter in picture pixels. */
  brush = 3;
  private last: { x: number; y: number } | null = null;

  constructor(
    private readonly canvas: HTMLCanvasElement,
    private readonly onChange: () => void,
  ) {
    canvas.addEventListener('pointerdown', (event) => this.press(event));
    canvas.addEventListener('pointermove', (event) => this.drag(event));
    for (const type of ['pointerup', 'pointercancel'] as const)
      canvas.addEventListener(type, () => {
        this.last = null;
      });
  }

  show(picture: RepairPicture): void {
    this.picture = picture;
    this.original = picture.values.slice();
    this.redraw();
    this.onChange();
  }

  clear(): void {
    this.picture = null;
    this.original = null;
    const context = this.canvas.getContext('2d')!;
    context.clearRect(0, 0, this.canvas.width, this.canvas.height);
    this.onChange();
  }

  /** Forgets every mark: the picture as it was chosen, all of it known. */
  restore(): void {
    if (!this.picture || !this.original) return;
    this.picture.values.set(this.original);
    this.picture.known.fill(1);
    this.redraw();
    this.onChange();
  }

  /** Erases the lower half: what a keyboard user (or a quick try) can do without a pointer. */
  eraseLowerHalf(): void {
    const picture = this.picture;
    if (!picture) return;
    for (let y = Math.floor(picture.side / 2); y < picture.side; y++)
      for (let x = 0; x < picture.side; x++) this.mark(x, y, 'erase');
    this.redraw();
    this.onChange();
  }

  knownCount(): number {
    return this.picture ? this.picture.known.reduce((sum, k) => sum + k, 0) : 0;
  }

  private redraw(): void {
    if (this.picture) drawPicture(this.canvas, this.picture, this.picture.known);
  }

  private press(event: PointerEvent): void {
    if (!this.picture || event.button !== 0) return;
    event.preventDefault();
    this.canvas.setPointerCapture(event.pointerId);
    this.last = this.at(event);
    this.paint(this.last, this.last);
  }

  private drag(event: PointerEvent): void {
    if (!this.last) return;
    const here = this.at(event);
    this.paint(this.last, here);
    this.last = here;
  }

  /** The pointer in picture pixels (continuous), wherever CSS has scaled the canvas to. */
  private at(event: PointerEvent): { x: number; y: number } {
    const rect = this.canvas.getBoundingClientRect();
    const side = this.picture!.side;
    return {
      x: ((event.clientX - rect.left) / rect.width) * side,
      y: ((event.clientY - rect.top) / rect.height) * side,
    };
  }

  /** Paints the brush along the segment, in half-pixel steps so that a fast drag leaves no gaps. */
  private paint(from: { x: number; y: number }, to: { x: number; y: number }): void {
    const steps = Math.max(1, Math.ceil(2 * Math.hypot(to.x - from.x, to.y - from.y)));
    for (let s = 0; s <= steps; s++) {
      const t = s / steps;
      this.dab(from.x + (to.x - from.x) * t, from.y + (to.y - from.y) * t);
    }
    this.redraw();
    this.onChange();
  }

  /** Every pixel whose centre is within the brush's radius, and always the one under the pointer. */
  private dab(x: number, y: number): void {
    const side = this.picture!.side;
    const radius = this.brush / 2;
    for (let py = Math.floor(y - radius); py <= Math.ceil(y + radius); py++)
      for (let px = Math.floor(x - radius); px <= Math.ceil(x + radius); px++) {
        if (px < 0 || py < 0 || px >= side || py >= side) continue;
        const under = px === Math.floor(x) && py === Math.floor(y);
        if (under || Math.hypot(px + 0.5 - x, py + 0.5 - y) <= radius) this.mark(px, py, this.mode);
      }
  }

  private mark(x: number, y: number, mode: BrushMode): void {
    const { side, channels, values, known } = this.picture!;
    const plane = side * side;
    for (let c = 0; c < channels; c++) {
      const j = c * plane + y * side + x;
      known[j] = mode === 'erase' ? 0 : 1;
      if (mode === 'scribble') values[j] = 1; // white ink, as MNIST's strokes
    }
  }
}

/** The snapshot a search runs on: copies of the trainer's networks at one step, with their repairer. */
interface Tools {
  trainer: GanTrainer;
  /** The trainer's revision when the snapshot was taken: it changes with every step and every restore. */
  revision: number;
  label: number | undefined;
  repairer: ImageRepairer;
  networks: Array<{ destroy(): void }>;
}

export interface SearchSettings {
  starts: number;
  steps: number;
  chunk: number;
}

/**
 * Runs repairs. The repairer is kept for the next repair while the trainer, its revision and the
 * label stay the same; `discard` frees it (at once, or when a search still running ends).
 */
export class RepairSearch {
  private tools: Tools | null = null;
  private running = false;
  private stopRequested = false;
  /** Set when discard came during a search: the snapshot goes once the search has stopped. */
  private discardRequested = false;

  constructor(private readonly settings: SearchSettings) {}

  get busy(): boolean {
    return this.running;
  }

  /** Ends a running search at its next chunk; the best so far is its result. */
  stop(): void {
    this.stopRequested = true;
  }

  async run(
    ctx: GpuContext,
    trainer: GanTrainer,
    picture: RepairPicture,
    onProgress: (progress: RepairProgress, steps: number) => void,
    onImprove?: (best: RepairImprovement) => void,
  ): Promise<RepairResult> {
    if (this.running) throw new Error('a repair is already running');
    this.running = true;
    this.stopRequested = false;
    this.discardRequested = false;
    try {
      const label = trainer.config.classes > 0 ? (picture.label ?? 0) : undefined;
      const tools = await this.toolsFor(ctx, trainer, label);
      return await tools.repairer.repair(picture.values, picture.known, {
        steps: this.settings.steps,
        chunk: this.settings.chunk,
        onProgress: (progress) => onProgress(progress, this.settings.steps),
        ...(onImprove && { onImprove }),
        shouldStop: () => this.stopRequested,
      });
    } finally {
      this.running = false;
      if (this.discardRequested) this.discard();
    }
  }

  /** Frees the snapshot: the trainer was replaced or the page is going. */
  discard(): void {
    if (this.running) {
      this.stopRequested = true;
      this.discardRequested = true;
      return;
    }
    this.release();
  }

  private release(): void {
    if (!this.tools) return;
    this.tools.repairer.destroy();
    for (const network of this.tools.networks) network.destroy();
    this.tools = null;
  }

  private async toolsFor(ctx: GpuContext, trainer: GanTrainer, label: number | undefined): Promise<Tools> {
    const t = this.tools;
    if (t && t.trainer === trainer && t.revision === trainer.revision && t.label === label) return t;
    this.release();
    this.tools = await snapshotTools(ctx, trainer, label, this.settings.starts);
    return this.tools;
  }
}

/** Consistent networks from the live trainer: read back as a checkpoint, loaded as a fresh pair. */
async function snapshotTools(
  ctx: GpuContext,
  trainer: GanTrainer,
  label: number | undefined,
  starts: number,
): Promise<Tools> {
  const revision = trainer.revision;
  const checkpoint = decodeCheckpoint(await encodeCheckpoint(trainer));
  const networks: Array<{ destroy(): void }> = [];
  try {
    const generator = loadGenerator(ctx, checkpoint);
    networks.push(generator);
    // Loaded as it computed in training: a spectrally normalised D has each layer divided by its σ.
    const discriminator = loadDiscriminator(ctx, checkpoint);
    networks.push(discriminator);
    const repairer = await ImageRepairer.create(ctx, checkpoint.config, generator, discriminator, {
      starts,
      ...(label !== undefined && { label }),
    });
    return { trainer, revision, label, repairer, networks };
  } catch (error) {
    for (const network of networks) network.destroy();
    throw error;
  }
}
