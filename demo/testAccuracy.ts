// A semi-supervised run's test accuracy for the quality panel: the run's discriminator as it is
// now (GanClassifier, its weights copied on the GPU before each measurement) reading MNIST's
// held-out test digits, which no run trains on. One classifier per session, made at the first
// measurement and dropped with its session; one that failed to build is tried again next time.
import { type ClassificationScore, classifiesBuiltinSet, GanClassifier } from 'webgpu-gan';
import { mnistTestImages, mnistTestLabels } from './mnist.js';
import { TEST_DIGITS } from './page.js';
import type { Session } from './session.js';
import type { State } from './state.js';

/** Test digits per GPU pass. */
const BATCH = 1000;

/** Whether the session's D classifies MNIST digits: a semi-supervised run (or an auxiliary classifier) on them. */
export function measuresTestAccuracy(state: State): boolean {
  const { config } = state.session.trainer;
  return state.images.source === 'mnist' && classifiesBuiltinSet(config);
}

let made: { session: Session; classifier: Promise<GanClassifier> } | null = null;

/** The classifier of a session that has been replaced goes with it. */
export function dropTestClassifier(current: Session): void {
  if (!made || made.session === current) return;
  void made.classifier.then(
    (c) => c.destroy(),
    () => {},
  );
  made = null;
}

/**
 * D of `session` as it is now, scored on the first TEST_DIGITS test digits, with the step it is
 * D of: the steps submitted when its weights are copied (the copy is queued after them).
 */
export async function measureTestAccuracy(
  state: State,
  session: Session,
): Promise<{ score: ClassificationScore; step: number }> {
  dropTestClassifier(session);
  if (!made) {
    const entry = { session, classifier: GanClassifier.fromTrainer(state.ctx, session.trainer, { batch: BATCH }) };
    made = entry;
    entry.classifier.catch(() => {
      if (made === entry) made = null;
    });
  }
  const [classifier, images, labels] = await Promise.all([made.classifier, mnistTestImages(), mnistTestLabels()]);
  const count = Math.min(TEST_DIGITS, images.count, labels.length);
  const step = session.trainer.step;
  classifier.refresh();
  const score = await classifier.score(
    images.pixels.subarray(0, count * images.side * images.side),
    labels.subarray(0, count),
  );
  return { score, step };
}
