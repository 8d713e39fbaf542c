// The Restore panel's training row: train a restorer for the chosen damage on the page's own
// training images (restoreTraining.ts), watch its loss fall, stop it early, then restore with it
// instead of the shipped one (a tick box, to compare the two on the same kind of picture) and
// save it as a file the CLI's `restore --checkpoint` takes. One training at a time; it carries
// on when the visitor picks another damage, and says which damage it trains for.
import { encodeRestorer, parseDegradation } from 'webgpu-gan';
import { hasDevice } from './machine.js';
import { $, message, RESTORE_BATCH } from './page.js';
import type { RestorerChoice } from './restorers.js';
import { type TrainedHere, trainRestorerHere } from './restoreTraining.js';
import { render, type State, type View } from './state.js';

const el = {
  steps: $<HTMLInputElement>('restore-steps'),
  train: $<HTMLButtonElement>('restore-train'),
  own: $<HTMLInputElement>('restore-own'),
  ownLabel: $('restore-own-label'),
  save: $<HTMLButtonElement>('restore-save'),
  message: $('restore-train-message'),
};

/** Most steps one press trains: more than the shipped restorers had, and a long wait on a slow adapter. */
const MAX_STEPS = 20_000;

/** The training under way: for which damage, and whether Stop was pressed. */
let training: { choice: RestorerChoice; stop: boolean } | null = null;

/** The training row's view; `chosen` says whose damage is picked (null for the hand-erased picture). */
export function restoreTrainPanel(state: State, chosen: () => RestorerChoice | null): View {
  el.train.addEventListener('click', () => {
    if (training) training.stop = true;
    else void train(state, chosen());
  });
  el.save.addEventListener('click', () => save(state, chosen()));
  $('restore-kind').addEventListener('change', () => showOwn(state, chosen()));
  showOwn(state, chosen());
  return (s) => {
    el.train.disabled = !training && !hasDevice(s.mode);
    el.train.textContent = training ? 'Stop' : 'Train one here';
    el.steps.disabled = training !== null;
  };
}

/** Whether the picture should go through the restorer trained here for `choice` rather than the shipped one. */
export const usesOwn = (state: State, choice: RestorerChoice) =>
  el.own.checked && state.restorers.ownFor(choice.key) !== undefined;

async function train(state: State, choice: RestorerChoice | null): Promise<void> {
  if (!choice || !hasDevice(state.mode)) return;
  const steps = Number(el.steps.value);
  if (!Number.isInteger(steps) || steps < 1 || steps > MAX_STEPS) {
    message(el.message, `Steps: write a whole number from 1 to ${MAX_STEPS.toLocaleString('en')}.`, true);
    return;
  }
  const { ctx, images } = state;
  const on = images.source === 'mnist' ? `${images.count.toLocaleString('en')} MNIST digits` : 'your pictures';
  training = { choice, stop: false };
  render(state);
  message(el.message, `Training a restorer for “${choice.label}” on ${on}…`);
  try {
    const trained = await trainRestorerHere(ctx, images, parseDegradation(choice.key), {
      steps,
      batch: RESTORE_BATCH,
      stopRequested: () => training?.stop === true || state.ctx !== ctx,
      progress: (step, loss) =>
        message(el.message, `“${choice.label}”: step ${step} of ${steps} on ${on}, l1 loss ${loss.toFixed(4)}.`),
    });
    if (state.ctx !== ctx) message(el.message, 'The GPU was lost while the restorer trained: train it again.', true);
    else if (trained) keep(state, choice, trained, on);
    else message(el.message, 'Stopped before the first steps ended: nothing was kept.');
  } catch (error) {
    // A device lost mid-chunk fails the chunk's readback: say what happened rather than its echo.
    const why = state.ctx !== ctx ? 'the GPU was lost meanwhile; train it again' : (error as Error).message;
    message(el.message, `The restorer could not be trained: ${why}`, true);
  } finally {
    training = null;
    render(state);
  }
}

function keep(state: State, choice: RestorerChoice, trained: TrainedHere, on: string): void {
  state.restorers.setOwn(choice.key, trained);
  const { step } = trained.file;
  message(
    el.message,
    `Trained “${choice.label}” for ${step} steps on ${on} in ${trained.seconds.toFixed(0)} s: l1 loss ` +
      `${trained.firstLoss.toFixed(4)} over the first steps, ${trained.lastLoss.toFixed(4)} over the last. ` +
      'Pictures of this damage now go through it; untick the box to compare with the shipped one.',
  );
  el.own.checked = true;
  showOwn(state, choice);
}

/** The tick box and the Save button for the chosen damage's restorer trained here, if there is one. */
function showOwn(state: State, choice: RestorerChoice | null): void {
  const trained = choice ? state.restorers.ownFor(choice.key) : undefined;
  el.ownLabel.hidden = !trained;
  el.save.hidden = !trained;
  if (trained) el.ownLabel.lastChild!.textContent = ` Restore with the one trained here (${trained.file.step} steps)`;
}

/** Downloads the chosen damage's restorer trained here: the file `webgpu-gan restore --checkpoint` takes. */
function save(state: State, choice: RestorerChoice | null): void {
  const trained = choice ? state.restorers.ownFor(choice.key) : undefined;
  if (!trained || !choice) return;
  const link = document.createElement('a');
  link.href = URL.createObjectURL(
    new Blob([encodeRestorer(trained.file) as BlobPart], { type: 'application/octet-stream' }),
  );
  link.download = `restorer-${choice.key.replace(/[^a-z0-9.]+/gi, '-')}-step-${trained.file.step}.safetensors`;
  link.click();
  setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
}
