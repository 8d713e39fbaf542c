// The quality panel: its view (quality.ts) over the panel's elements, the classifier the scores
// need, fetched next to the page, and whether scores (and a semi-supervised D's test accuracy)
// apply to what is trained on. Both are taken between training frames (training.ts).
import { type ClassifierFile, decodeClassifierFile } from 'webgpu-gan';
import classifierUrl from '../models/mnist-classifier.safetensors?url';
import { $, EVAL_EVERY } from './page.js';
import { QualityView } from './quality.js';
import type { Session } from './session.js';
import type { Quality, State, View } from './state.js';
import { dropTestClassifier, measuresTestAccuracy } from './testAccuracy.js';

/** The panel's view and the classifier; without the file the page says why and trains on unscored. */
export async function loadQuality(): Promise<Quality> {
  const view = new QualityView($('chart-quality'), $('class-bars'), $('quality-text'), $('test-accuracy'));
  return { ...(await fetchClassifier(view)), view, inFlight: false, lastStep: 0, resets: 0 };
}

/** The classifier file; scores are skipped (and the page says why) without it. */
async function fetchClassifier(view: QualityView): Promise<{ file: ClassifierFile | null; missing: string }> {
  try {
    const response = await fetch(classifierUrl);
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    return {
      file: decodeClassifierFile(new Uint8Array(await response.arrayBuffer()), 'the classifier file'),
      missing: '',
    };
  } catch (error) {
    const missing = `the classifier could not be loaded (${(error as Error).message}).`;
    view.unavailable(missing);
    return { file: null, missing };
  }
}

/**
 * Renders, for each new session, whether its samples can be scored (MNIST's digits only, with the
 * file) and whether its D's test accuracy is measured.
 */
export function qualityPanel(): View {
  let shown: Session | null = null;
  return (state: State) => {
    if (state.session === shown) return;
    shown = state.session;
    dropTestClassifier(state.session);
    const { quality, images } = state;
    quality.view.expectAccuracy(measuresTestAccuracy(state) ? EVAL_EVERY : null);
    if (images.source !== 'mnist')
      quality.view.notApplicable('the classifier judges 28×28 grey MNIST digits, not your pictures.');
    else if (quality.file) quality.view.applicable();
    else quality.view.unavailable(quality.missing);
  };
}
