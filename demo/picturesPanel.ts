// The pictures panel: the drop zone and the two file inputs for training on the visitor's own
// pictures (read by pictures.ts), and Back to MNIST. Other images start a new run from step 0.
import { resolveGanConfig } from 'webgpu-gan';
import { hasDevice } from './machine.js';
import { $, MAX_GRID_CLASSES, message, page } from './page.js';
import {
  conditionalClasses,
  describeImages,
  describeSkipped,
  dropContents,
  type Listing,
  listChosen,
  listDrop,
  MAX_FILES,
  readPictures,
  type TrainingImages,
  valuesPerImage,
} from './pictures.js';
import { clearRepair } from './repairPanel.js';
import { pageMessage } from './settings.js';
import { afresh, rebuild, upload } from './run.js';
import { networksFor } from './pendingConfig.js';
import { conditionalAsked, conditioningAsked, settingsMessage, showSettings } from './settingsPanel.js';
import type { State, View } from './state.js';

const el = {
  dropZone: $('drop-zone'),
  pickFiles: $<HTMLInputElement>('pick-files'),
  pickFolder: $<HTMLInputElement>('pick-folder'),
  pictureSide: $<HTMLSelectElement>('picture-side'),
  picturesProgress: $<HTMLProgressElement>('pictures-progress'),
  picturesMessage: $('pictures-message'),
  backToMnist: $<HTMLButtonElement>('back-to-mnist'),
};

/**
 * Wires the drop zone, the two file inputs (pictures, or a folder) and Back to MNIST; the returned
 * view allows them while there is a device, and offers Back to MNIST away from the digits.
 */
export function picturesPanel(state: State): View {
  wireDrop(state);
  for (const input of [el.pickFiles, el.pickFolder])
    input.addEventListener('change', () => {
      const files = Array.from(input.files ?? []);
      input.value = ''; // so that choosing the same pictures again is a change too
      if (files.length > 0) void usePictures(state, async () => listChosen(files));
    });
  el.backToMnist.addEventListener('click', () => void backToMnist(state));
  return (state) => {
    for (const input of [el.pickFiles, el.pickFolder, el.backToMnist]) input.disabled = !hasDevice(state.mode);
    el.backToMnist.hidden = state.images.source === 'mnist';
  };
}

function wireDrop(state: State): void {
  const zone = el.dropZone;
  // A picture dropped beside the zone would make the browser open it in place of the page, and its run.
  window.addEventListener('dragover', (event) => {
    event.preventDefault();
    if (event.dataTransfer && !zone.contains(event.target as Node)) event.dataTransfer.dropEffect = 'none';
  });
  window.addEventListener('drop', (event) => event.preventDefault());
  for (const type of ['dragenter', 'dragover'] as const)
    zone.addEventListener(type, (event) => {
      event.preventDefault();
      if (event.dataTransfer) event.dataTransfer.dropEffect = 'copy';
      zone.classList.add('over');
    });
  zone.addEventListener('dragleave', (event) => {
    if (!zone.contains(event.relatedTarget as Node | null)) zone.classList.remove('over');
  });
  zone.addEventListener('drop', (event) => {
    event.preventDefault();
    zone.classList.remove('over');
    if (!event.dataTransfer) return;
    const contents = dropContents(event.dataTransfer);
    void usePictures(state, () => listDrop(contents));
  });
}

/** Reads the visitor's pictures and trains on them from step 0; with none usable the run is left alone. */
async function usePictures(state: State, list: () => Promise<Listing>): Promise<void> {
  if (state.readingPictures) {
    message(el.picturesMessage, 'Still reading the pictures before: wait until they are in.', true);
    return;
  }
  if (!hasDevice(state.mode)) {
    message(el.picturesMessage, 'Training has no GPU device at the moment (see the message above): try again later.');
    return;
  }
  state.readingPictures = true;
  message(el.picturesMessage, 'Looking for pictures…');
  try {
    const listing = await list();
    if (listing.files.length === 0 && listing.skipped.length === 0) {
      message(el.picturesMessage, 'There are no files there: drop a folder of pictures, or picture files.', true);
      return;
    }
    el.picturesProgress.hidden = false;
    const pictures = await readPictures(listing, Number(el.pictureSide.value), (done, total) => {
      el.picturesProgress.value = total > 0 ? done / total : 1;
      message(el.picturesMessage, `Reading pictures: ${done} of ${total}…`);
    });
    const leftOver = listing.leftOver > 0 ? ` Only the first ${MAX_FILES} files were read.` : '';
    const skipped = `${describeSkipped(pictures.skipped)}${leftOver}`;
    if (pictures.count === 0) {
      const files = listing.files.length + listing.skipped.length;
      message(
        el.picturesMessage,
        `No usable picture among ${files} file${files === 1 ? '' : 's'}, so training goes on as before. ${skipped}`,
        true,
      );
      return;
    }
    const note = conditionalNote(pictures); // before the switch unticks the box
    if (!(await switchImages(state, pictures))) return;
    const read = `Read ${pictures.count} picture${pictures.count === 1 ? '' : 's'}.`;
    message(el.picturesMessage, `${read} ${note}${skipped}`.trim());
  } catch (error) {
    message(el.picturesMessage, `Could not use those pictures: ${pageMessage(error as Error)}`, true);
  } finally {
    state.readingPictures = false;
    el.picturesProgress.hidden = true;
  }
}

/** Why Conditional, ticked, cannot apply to these pictures; '' when it is not ticked or applies. */
function conditionalNote(pictures: TrainingImages): string {
  const asked = conditionalAsked();
  if (!asked || conditionalClasses(pictures, MAX_GRID_CLASSES) > 0) return '';
  const n = pictures.classNames.length;
  const why =
    n > MAX_GRID_CLASSES
      ? `they are in ${n} class folders, more than the ${MAX_GRID_CLASSES} rows a conditional grid can show`
      : `Conditional needs two class folders at least, and these have ${n === 0 ? 'none' : 'one'}`;
  return `They train without classes: ${why}. `;
}

async function backToMnist(state: State): Promise<void> {
  if (state.readingPictures || state.images.source === 'mnist') return;
  try {
    if (await switchImages(state, state.mnist)) message(el.picturesMessage, 'Back to the MNIST digits.');
  } catch (error) {
    message(el.picturesMessage, `Could not go back to MNIST: ${(error as Error).message}`, true);
  }
}

/**
 * Trains on other images from step 0: they go onto the GPU, then a new session is built as Reset
 * builds one, with the same settings but the images' size, colour and classes (Conditional on
 * when its box is ticked and the images have classes). A configuration the images cannot have
 * is refused before anything changes.
 */
async function switchImages(state: State, images: TrainingImages): Promise<boolean> {
  if (state.mode.phase === 'rebuilding' || !hasDevice(state.mode))
    throw new Error('training is being restarted (or its GPU device replaced) just now: try again in a moment');
  // A convolutional model is not conditional (yet): the box then waits for the fully connected one.
  const asked = conditionalAsked() && state.config.architecture === 'mlp';
  const classes = asked ? conditionalClasses(images, MAX_GRID_CLASSES) : 0;
  // The class enters D as the form says (the conditional recipe's auxiliary classifier, offered
  // when the box was ticked), with the networks that go with it.
  const next = { ...afresh(state.config), classes, ...(classes > 0 && { conditioning: conditioningAsked() }) };
  const config = resolveGanConfig({
    ...next,
    ...networksFor(state, next),
    dataDim: valuesPerImage(images),
    channels: images.channels,
  });
  const before = { images: state.images, dataset: state.dataset, labels: state.labels, config: state.config };
  const uploaded = upload(state.ctx, images);
  // A device lost meanwhile is replaced from the state as it is now: these images and their settings.
  Object.assign(state, { images, ...uploaded, config });
  let done: boolean;
  try {
    done = await rebuild(state, config);
  } catch (error) {
    // Back to what was trained on before, so that the page is not left without a run.
    Object.assign(state, before);
    uploaded.dataset.destroy();
    uploaded.labels?.destroy();
    if (await rebuild(state, before.config)) page.error.hidden = true;
    throw error;
  }
  before.dataset.destroy();
  before.labels?.destroy();
  if (!done) return false; // the device was lost meanwhile: replaceDevice speaks
  clearRepair(state); // a picture of the old size and colour cannot be repaired by the new generator
  showSettings(state.config);
  settingsMessage(`Reset to step 0 on ${describeImages(images)}.`);
  return true;
}
