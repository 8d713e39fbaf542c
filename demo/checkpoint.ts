// The checkpoint panel: Save downloads the run as .safetensors (the CLI's format), Load resumes
// from one, the run is autosaved to the browser's storage every so many steps, and a run saved by
// an earlier visit is offered when the page opens.
import { decodeCheckpoint, encodeCheckpoint, restoreCheckpoint, TrainingDivergedError } from 'webgpu-gan';
import { clearSnapshot, loadSnapshot, saveSnapshot, type Snapshot } from './autosave.js';
import { hasDevice } from './machine.js';
import { $, alertUser, clearRunMessages, MAX_GRID_CLASSES, message } from './page.js';
import { conditionalClasses, describeImages } from './pictures.js';
import { rebuild, resetQuality } from './run.js';
import { showSettings } from './settingsPanel.js';
import { dispatch, type State, type View } from './state.js';

const el = {
  save: $<HTMLButtonElement>('save'),
  load: $<HTMLInputElement>('load'),
  fileMessage: $('file-message'),
  offer: $('resume-offer'),
  offerText: $('resume-text'),
  resume: $<HTMLButtonElement>('resume'),
  discard: $<HTMLButtonElement>('discard'),
  autosave: $('autosave'),
};

/** Wires Save and Load; the returned view allows them only while there is a device. */
export function checkpointPanel(state: State): View {
  el.save.addEventListener('click', () => void save(state));
  el.load.addEventListener('change', () => void load(state));
  return (state) => {
    el.save.disabled = !hasDevice(state.mode);
    el.load.disabled = !hasDevice(state.mode);
    // Training started afresh: the earlier visit's run is no longer what the visitor wants (its autosave stays).
    if (state.mode.phase === 'training') el.offer.hidden = true;
  };
}

/** The line under Save and Load: what was saved or loaded, or what went wrong with the GPU. */
export const fileMessage = (text: string, bad = false) => message(el.fileMessage, text, bad);

/**
 * A run autosaved by an earlier visit: offered, not forced, as soon as the page opens (Resume works
 * once `ready` gives the page's state). Start trains afresh instead, and the offer goes.
 */
export async function offerResume(ready: Promise<State>): Promise<void> {
  let snapshot: Snapshot | null;
  try {
    snapshot = await loadSnapshot();
  } catch {
    return; // no storage (a private window, say): nothing to offer
  }
  if (!snapshot) return;
  const when = new Date(snapshot.savedAt).toLocaleString();
  el.offerText.textContent = `A run saved in this browser at step ${snapshot.step} (${when}) can go on from there.`;
  el.resume.disabled = true;
  el.offer.hidden = false;
  el.discard.onclick = async () => {
    el.offer.hidden = true;
    await clearSnapshot().catch(() => undefined);
  };
  const state = await ready;
  el.resume.disabled = false;
  el.resume.onclick = async () => {
    el.offer.hidden = true;
    if (await restoreBytes(state, snapshot.bytes, 'the autosave')) state.snapshot = { ...snapshot, stored: true };
  };
}

/** Reads the run back into a checkpoint for the browser's storage; training waits meanwhile. */
export async function autosave(state: State): Promise<void> {
  if (!dispatch(state, 'save')) return;
  const { trainer } = state.session;
  try {
    const snapshot = { bytes: await encodeCheckpoint(trainer), step: trainer.step, savedAt: Date.now(), stored: false };
    state.snapshot = snapshot;
    if (state.images.source !== 'mnist') {
      // Kept for a lost device only: the pictures are not stored, so a reload could not go on with them.
      message(
        el.autosave,
        `Kept step ${snapshot.step} for this visit only: your pictures are not stored in the browser, so a ` +
          'reload starts again on MNIST.',
      );
      return;
    }
    await store(snapshot);
  } catch (error) {
    if (!(error instanceof TrainingDivergedError) && hasDevice(state.mode))
      message(el.autosave, `Autosave failed: ${(error as Error).message}`, true);
  } finally {
    dispatch(state, 'saved');
  }
}

/** Keeps an autosave in IndexedDB, or says why the browser would not. */
async function store(snapshot: Snapshot & { stored: boolean }): Promise<void> {
  try {
    await saveSnapshot({ bytes: snapshot.bytes, step: snapshot.step, savedAt: snapshot.savedAt });
    snapshot.stored = true;
    // The stored run is this one now: an offer of the one before would only mislead.
    el.offer.hidden = true;
    message(el.autosave, `Autosaved step ${snapshot.step} in this browser.`);
  } catch (error) {
    message(
      el.autosave,
      `Kept step ${snapshot.step} for this visit only: the browser refused to store it ` +
        `(${(error as Error).message}).`,
      true,
    );
  }
}

async function save(state: State): Promise<void> {
  if (!dispatch(state, 'save')) {
    fileMessage('The page is busy (a repair, a restart or an autosave): save in a moment.', true);
    return;
  }
  try {
    const bytes = await encodeCheckpoint(state.session.trainer);
    const link = document.createElement('a');
    link.href = URL.createObjectURL(new Blob([bytes as BlobPart], { type: 'application/octet-stream' }));
    link.download = `webgpu-gan-step-${state.session.trainer.step}.safetensors`;
    link.click();
    setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
    fileMessage(`Saved step ${state.session.trainer.step}.`);
  } catch (error) {
    fileMessage(`Could not save: ${(error as Error).message}`, true);
  } finally {
    dispatch(state, 'saved');
  }
}

async function load(state: State): Promise<void> {
  const file = el.load.files?.[0];
  if (!file) return;
  el.load.value = '';
  await restoreBytes(state, new Uint8Array(await file.arrayBuffer()), file.name);
}

/** Loads a checkpoint (a file, or the autosave) into the page, rebuilding if its settings differ. */
async function restoreBytes(state: State, bytes: Uint8Array, name: string): Promise<boolean> {
  try {
    const checkpoint = decodeCheckpoint(bytes);
    if (checkpoint.config.dataDim !== state.dataset.dim)
      throw new Error(
        `it was trained on ${checkpoint.config.dataDim} values per image, not the ${state.dataset.dim} of ` +
          `${describeImages(state.images)}`,
      );
    // Checked before the session is replaced: its classes must be those of the images trained on.
    const classes = conditionalClasses(state.images, MAX_GRID_CLASSES);
    if (checkpoint.config.classes !== 0 && checkpoint.config.classes !== classes)
      throw new Error(
        `it is conditional on ${checkpoint.config.classes} classes; ${describeImages(state.images)} ` +
          `${classes > 0 ? `have ${classes}` : 'have none'}`,
      );
    // Any setting that differs (a loss or label, not only a shape) needs the checkpoint's own step.
    // A loaded run waits for Start, whether or not the page was training before.
    if (JSON.stringify(checkpoint.config) !== JSON.stringify(state.config)) {
      if (!(await rebuild(state, checkpoint.config))) return false;
      dispatch(state, 'pause');
    } else {
      dispatch(state, 'pause');
      clearRunMessages();
      state.charts.reset();
      resetQuality(state.quality);
    }
    restoreCheckpoint(state.session.trainer, checkpoint);
    state.snapshot = null; // the autosave, if any, is of what was there before
    showSettings(state.config);
    alertUser('', false);
    const warning = checkpoint.warnings.length > 0 ? ` (${checkpoint.warnings.join('; ')})` : '';
    fileMessage(`Loaded ${name}: step ${checkpoint.step}.${warning}`);
    return true;
  } catch (error) {
    fileMessage(`Could not load ${name}: ${(error as Error).message}`, true);
    return false;
  }
}
