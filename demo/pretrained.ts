// The pretrained start: on a software adapter the default model trains at well under a step a
// second, and its grid stays noise for minutes. There the page starts instead from the model the
// package ships (models/mnist-gan.safetensors, scripts/shipped-models.sh) and goes on training
// from its step, Adam afresh, saying so in one line with a way back to step 0 that is remembered
// for the tab's session. Any other model or data starts from scratch as before.
import { decodeCheckpoint, restoreCheckpoint, type Checkpoint } from 'webgpu-gan';
import shippedUrl from '../models/mnist-gan.safetensors?url';
import { $, message, params } from './page.js';
import { afresh, rebuild } from './run.js';
import { settingsMessage } from './settingsPanel.js';
import type { State } from './state.js';

const el = {
  note: $('pretrained-note'),
  text: $('pretrained-text'),
  scratch: $<HTMLButtonElement>('from-scratch'),
};
/** Set for the tab's session once the visitor asks to start from scratch: reloads then start at step 0 too. */
const SCRATCH_KEY = 'webgpu-gan:from-scratch';

/**
 * Whether this page should start from the shipped generator: on a software adapter (or with
 * ?start=pretrained), unless ?start=scratch or the visitor chose scratch earlier in this tab.
 */
export function wantsPretrained(isSoftware: boolean): boolean {
  const asked = params.get('start');
  if (asked === 'scratch' || chosenScratch()) return false;
  return asked === 'pretrained' || isSoftware;
}

function chosenScratch(): boolean {
  try {
    return sessionStorage.getItem(SCRATCH_KEY) === '1';
  } catch {
    return false; // no storage (some private windows): the choice lasts until a reload
  }
}

/** The shipped model file, fetched while MNIST loads; an Error says why it could not be had. */
export async function fetchPretrained(): Promise<Checkpoint | Error> {
  try {
    const response = await fetch(shippedUrl);
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    return decodeCheckpoint(new Uint8Array(await response.arrayBuffer()));
  } catch (error) {
    return error as Error;
  }
}

/**
 * Restores the shipped model into the page's first session when it was made for exactly this
 * model and these settings (a URL that changes them starts from scratch), and says so. Called
 * before the page is ready, so no step can run meanwhile.
 */
export function startPretrained(state: State, shipped: Checkpoint | Error): void {
  const why = state.ctx.adapter.isSoftware ? 'Software adapter (slow): ' : '';
  if (shipped instanceof Error) {
    show(
      `${why}the pretrained start could not be loaded (${shipped.message}), so training ` +
        'starts from scratch, and digits take several minutes to appear.',
      false,
    );
    return;
  }
  if (state.images.source !== 'mnist' || JSON.stringify(shipped.config) !== JSON.stringify(state.config)) return;
  // A model file holds no optimiser state: Adam starts afresh on its weights (QUALITY.md measures it).
  restoreCheckpoint(state.session.trainer, shipped, { freshOptimizer: true });
  show(
    `${why}started from a generator pretrained to step ${shipped.step} so that you see digits ` +
      'now; Start goes on training it.',
    true,
  );
}

/** The line above the controls; any new run (page.ts's clearRunMessages) hides it. */
function show(text: string, offerScratch: boolean): void {
  message(el.text, text[0]!.toUpperCase() + text.slice(1));
  el.scratch.hidden = !offerScratch;
  el.note.hidden = false;
}

/** Wires "Start from scratch": step 0 with the same settings, for this tab's session. */
export function wireStartFromScratch(state: State): void {
  el.scratch.addEventListener('click', () => {
    try {
      sessionStorage.setItem(SCRATCH_KEY, '1');
    } catch {} // no storage: this visit still starts from scratch
    void rebuild(state, afresh(state.config)).then((done) => {
      if (done) settingsMessage('Started from scratch at step 0 (this tab remembers it until it is closed).');
    });
  });
}
