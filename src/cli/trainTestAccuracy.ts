// A run whose D reads classes (semi-supervised, or an auxiliary classifier) on a built-in set: its
// D's accuracy on that set's test split at each --eval-every, as the demo's quality panel shows
// it. The classifier reads the trainer's weights as they are (copied on the GPU before each
// reading), so the number is the one `classify` gives the checkpoint saved at that step.
import type { ClassificationScore } from '../gan/ganClassifier.js';
import { GanClassifier } from '../gan/ganClassifier.js';
import { classifiesBuiltinSet } from '../gan/networks.js';
import type { GanTrainer } from '../gan/trainer.js';
import type { GpuContext } from '../gpu/context.js';
import { builtinTestPictures } from './classify.js';
import type { BuiltinData } from './data.js';

/** Test pictures per GPU pass. */
const BATCH = 1000;

export interface TestAccuracyMeter {
  measure(): Promise<ClassificationScore>;
  destroy(): void;
}

/** The meter for a run, or null where D has no class head or the pictures are not a built-in set. */
export async function testAccuracyMeter(
  ctx: GpuContext,
  trainer: GanTrainer,
  dataset: BuiltinData | null | undefined,
): Promise<TestAccuracyMeter | null> {
  const { config } = trainer;
  if (!dataset || !classifiesBuiltinSet(config)) return null;
  const pictures = builtinTestPictures(dataset);
  const classifier = await GanClassifier.fromTrainer(ctx, trainer, { batch: BATCH });
  return {
    measure: () => {
      classifier.refresh();
      return classifier.score(pictures.pixels, pictures.labels);
    },
    destroy: () => classifier.destroy(),
  };
}
