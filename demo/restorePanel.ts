// The Restore panel: say what happened to the picture. Erased with the pointer, the generator fills
// it in by latent search (repairPanel.ts). Any other damage has a restorer the package ships
// (restorers.ts), which undoes it in one pass: on a test digit, damaged here on the GPU and shown
// beside the truth with both PSNRs, or on a picture the visitor drops or chooses, taken as damaged.
// A restorer trained in the page (restoreTrainPanel.ts) takes the shipped one's place where its box is
// ticked. The restorers' GPU work is their own, so training goes on meanwhile.
import { type TrainedRestorer, upscaleNearest } from 'webgpu-gan';
import { hasDevice } from './machine.js';
import { $, message } from './page.js';
import { drawPicture, SCALE } from './repair.js';
import { restoreTrainPanel, usesOwn } from './restoreTrainPanel.js';
import type { TrainedHere } from './restoreTraining.js';
import {
  degradeLike,
  psnrOf,
  randomPicture,
  randomTestDigit,
  readDroppedPicture,
  type RestorerChoice,
  SHIPPED_CHOICES,
} from './restorers.js';
import { render, type State, type View } from './state.js';

const el = {
  kind: $<HTMLSelectElement>('restore-kind'),
  trained: $('restore-trained'),
  byHand: $('repair-by-hand'),
  test: $<HTMLButtonElement>('restore-test'),
  file: $<HTMLInputElement>('restore-file'),
  drop: $('restore-drop'),
  degraded: $<HTMLCanvasElement>('restore-degraded'),
  restored: $<HTMLCanvasElement>('restore-restored'),
  truth: $<HTMLCanvasElement>('restore-truth'),
  truthCaption: $('restore-truth-caption'),
  message: $('restore-message'),
};

/** True while a restoration runs: one at a time, so that pictures and messages belong together. */
let busy = false;

export function restorePanel(state: State): View {
  for (const choice of SHIPPED_CHOICES) el.kind.add(new Option(choice.label, choice.key));
  el.kind.addEventListener('change', () => showKind());
  el.test.addEventListener('click', () => void restoreTestDigit(state));
  el.file.addEventListener('change', () => {
    const file = el.file.files?.[0];
    el.file.value = ''; // the same file chosen again is a new choice
    if (file) void restoreDropped(state, file);
  });
  wireDrop(state);
  showKind();
  const training = restoreTrainPanel(state, chosen);
  return (s) => {
    training(s);
    const usable = hasDevice(s.mode) && !busy;
    el.test.disabled = !usable;
    el.file.disabled = !usable;
    // A search running is shown (and stopped) on the hand-erased side: the choice waits for it to end.
    el.kind.disabled = s.mode.phase === 'repairing';
  };
}

/** The shipped restorer chosen, or null for the hand-erased picture. */
const chosen = (): RestorerChoice | null => SHIPPED_CHOICES.find((c) => c.key === el.kind.value) ?? null;

function showKind(): void {
  const choice = chosen();
  el.trained.hidden = choice === null;
  el.byHand.hidden = choice !== null;
  for (const canvas of [el.degraded, el.restored, el.truth]) clear(canvas);
  el.truthCaption.textContent = 'Truth';
  message(el.message, choice ? 'Take a test digit, or drop a picture damaged this way onto the pictures.' : '');
}

function wireDrop(state: State): void {
  el.drop.addEventListener('dragover', (event) => {
    event.preventDefault();
    el.drop.classList.add('over');
  });
  el.drop.addEventListener('dragleave', () => el.drop.classList.remove('over'));
  el.drop.addEventListener('drop', (event) => {
    event.preventDefault();
    el.drop.classList.remove('over');
    const file = event.dataTransfer?.files[0];
    if (file) void restoreDropped(state, file);
    else message(el.message, 'That was not a file: drop a PNG or JPEG picture.', true);
  });
}

/** The restorer a picture goes through, what it undoes, and the page's own training of it (null: shipped). */
type RestoreWork = (restorer: TrainedRestorer, choice: RestorerChoice, own: TrainedHere | null) => Promise<void>;

/** Runs `work` with the chosen restorer, one at a time, saying why when it fails. */
async function withRestorer(state: State, work: RestoreWork) {
  const choice = chosen();
  if (!choice || busy || !hasDevice(state.mode)) return;
  busy = true;
  render(state);
  try {
    const own = usesOwn(state, choice) ? (state.restorers.ownFor(choice.key) ?? null) : null;
    message(el.message, `Restoring with the restorer ${own ? 'trained here' : 'shipped'} for “${choice.label}”…`);
    await work(await state.restorers.get(state.ctx, choice, own !== null), choice, own);
  } catch (error) {
    message(el.message, `Could not restore: ${(error as Error).message}`, true);
  } finally {
    busy = false;
    render(state);
  }
}

/**
 * A random MNIST test digit (or, for a restorer trained here on the visitor's pictures, one of
 * those), damaged on the GPU, restored, and scored against the truth.
 */
function restoreTestDigit(state: State): Promise<void> {
  return withRestorer(state, async (restorer, choice, own) => {
    const yours = own !== null && own.images.source === 'pictures';
    const picture = yours ? randomPicture(own.images) : await randomTestDigit();
    const degraded = await degradeLike(state.ctx, restorer, picture.values);
    const restored = await restorer.restore(degraded);
    show(restorer, degraded, restored, picture.values);
    const { side, inputSide } = restorer.settings;
    const { channels } = restorer.settings;
    const shown = upscaleNearest(degraded, { channels, height: inputSide, width: inputSide }, side);
    const how = inputSide === side ? '' : ' (blown up pixel by pixel, as shown)';
    const which = yours
      ? `Your picture ${picture.index + 1} of ${own.images.count} (one it trained on: the page keeps none back)`
      : `Test digit ${picture.index + 1} of MNIST's 10,000`;
    message(
      el.message,
      `${which}, ${choice.label.toLowerCase()}. PSNR against the truth (higher is closer): damaged ` +
        `${decibels(psnrOf(shown, picture.values))}${how}, restored ${decibels(psnrOf(restored, picture.values))} ` +
        `by ${whose(own)}.`,
    );
  });
}

/** The visitor's picture, taken as damaged the chosen way: restored, with no truth to compare. */
function restoreDropped(state: State, file: File): Promise<void> {
  return withRestorer(state, async (restorer, choice, own) => {
    const degraded = await readDroppedPicture(file, restorer);
    const restored = await restorer.restore(degraded);
    show(restorer, degraded, restored, null);
    const { inputSide: side, channels } = restorer.settings;
    const knows = own?.images.source === 'pictures' ? 'pictures like yours' : 'MNIST digits';
    message(
      el.message,
      `Restored ${file.name}, read as ${side}×${side} ${channels === 3 ? 'colour' : 'grey'} and taken as ` +
        `${choice.label.toLowerCase()} by ${whose(own)}, which knows ${knows}: other pictures come out like them.`,
    );
  });
}

function show(restorer: TrainedRestorer, degraded: Float32Array, restored: Float32Array, truth: Float32Array | null) {
  const { side, inputSide, channels } = restorer.settings;
  // A downscaled picture fills the same canvas, each of its pixels a larger square.
  drawPicture(el.degraded, { side: inputSide, channels, values: degraded }, null, (SCALE * side) / inputSide);
  drawPicture(el.restored, { side, channels, values: restored }, null);
  if (truth) drawPicture(el.truth, { side, channels, values: truth }, null);
  else clear(el.truth);
  el.truthCaption.textContent = truth ? 'Truth' : 'Truth (not known for your picture)';
}

const whose = (own: TrainedHere | null) =>
  own ? `the restorer trained here (${own.file.step} steps)` : 'the shipped restorer';

const decibels = (db: number) => (Number.isFinite(db) ? `${db.toFixed(1)} dB` : 'identical');

const clear = (canvas: HTMLCanvasElement) => canvas.getContext('2d')!.clearRect(0, 0, canvas.width, canvas.height);
