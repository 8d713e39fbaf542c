// Training a restorer in the page, as `webgpu-gan train --task restore` does from the command line:
// the page's training images (MNIST's digits or the visitor's pictures) degraded on the GPU with
// new noise every step, the library's RestorerTrainer taking a chunk of steps at a time so that
// the page can say how far it is and stop between chunks. It uploads its own copy of the images,
// so that the GAN's run may change its pictures or restart meanwhile without pulling the data
// from under it; everything it made is destroyed when it ends, and only the file (on the CPU) is kept.
import {
  type Degradation,
  type GpuContext,
  GpuDataset,
  type RestorerFile,
  RestorerTrainer,
  restorerFileOf,
} from 'webgpu-gan';
import { type TrainingImages, valuesPerImage } from './pictures.js';

/** Steps between progress reports (and chances to stop). */
const CHUNK = 10;

export interface RestorerTraining {
  /** The steps asked for. */
  steps: number;
  /** Pictures per step. */
  batch: number;
  /** Asked between chunks: true ends the training early, keeping the steps done. */
  stopRequested: () => boolean;
  /** After each chunk: the steps done and that chunk's mean reconstruction loss. */
  progress: (step: number, loss: number) => void;
}

export interface TrainedHere {
  file: RestorerFile;
  /** The images it learnt from, for test pictures of its own kind. */
  images: TrainingImages;
  /** The first chunk's loss and the last one's. */
  firstLoss: number;
  lastLoss: number;
  seconds: number;
}

/** A restorer trained on `images` to undo `chain`; null when stopped before its first chunk ended. */
export async function trainRestorerHere(
  ctx: GpuContext,
  images: TrainingImages,
  chain: Degradation[],
  how: RestorerTraining,
): Promise<TrainedHere | null> {
  const started = performance.now();
  const dataset = GpuDataset.fromBytes(ctx, images.pixels, images.count, valuesPerImage(images), 'restorer images');
  let trainer: RestorerTrainer | null = null;
  try {
    trainer = await RestorerTrainer.create(
      ctx,
      dataset,
      { channels: images.channels, side: images.side },
      { degradation: chain, batch: how.batch },
    );
    let firstLoss = Number.NaN;
    let lastLoss = Number.NaN;
    while (trainer.step < how.steps && !(trainer.step > 0 && how.stopRequested())) {
      ({ loss: lastLoss } = await trainer.train(Math.min(CHUNK, how.steps - trainer.step)));
      if (Number.isNaN(firstLoss)) firstLoss = lastLoss;
      how.progress(trainer.step, lastLoss);
    }
    const file = await restorerFileOf(ctx, trainer, dataName(images));
    return { file, images, firstLoss, lastLoss, seconds: (performance.now() - started) / 1000 };
  } finally {
    trainer?.destroy();
    dataset.destroy();
  }
}

/** What the file says it was trained on, as the CLI's restorer files say it. */
export const dataName = (images: TrainingImages) =>
  images.source === 'mnist' ? 'mnist' : `${images.count} pictures dropped on the demo page`;
