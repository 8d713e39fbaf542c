// The repair panel: take a real or a generated picture, erase or scribble on it with the pointer,
// and watch the latent search (repair.ts) fill it in. Training waits while it searches.
import { canRepair } from 'webgpu-gan';
import { allows, hasDevice } from './machine.js';
import { $, message, REPAIR_CHUNK, REPAIR_STARTS, REPAIR_STEPS } from './page.js';
import { type TrainingImages, valuesPerImage } from './pictures.js';
import { drawPicture, RepairEditor, type RepairPicture, RepairSearch, valuesOf } from './repair.js';
import { dispatch, type State, type View } from './state.js';

const el = {
  repairReal: $<HTMLButtonElement>('repair-real'),
  repairGenerated: $<HTMLButtonElement>('repair-generated'),
  repairEditor: $<HTMLCanvasElement>('repair-editor'),
  repairResult: $<HTMLCanvasElement>('repair-result'),
  repairBrush: $<HTMLInputElement>('repair-brush'),
  repairEraseHalf: $<HTMLButtonElement>('repair-erase-half'),
  repairUndo: $<HTMLButtonElement>('repair-undo'),
  repairRun: $<HTMLButtonElement>('repair-run'),
  repairStop: $<HTMLButtonElement>('repair-stop'),
  repairBar: $<HTMLProgressElement>('repair-bar'),
  repairProgress: $('repair-progress'),
  repairModel: $('repair-model'),
};

/** The search takes any D, MLP or DCGAN, but one that takes the class by projection (the page says so). */
const repairable = (state: State) => canRepair(state.config);

/** The panel's editor on its canvas (`changed` when its picture changes) and the search it runs. */
export function repairTools(changed: () => void): { editor: RepairEditor; search: RepairSearch } {
  return {
    editor: new RepairEditor(el.repairEditor, changed),
    search: new RepairSearch({ starts: REPAIR_STARTS, steps: REPAIR_STEPS, chunk: REPAIR_CHUNK }),
  };
}

/** Other images: the picture in the editor would not fit the new generator. */
export function clearRepair(state: State): void {
  state.editor.clear();
  message(el.repairProgress, '');
}

/**
 * The repair panel: take a picture, mark it with the pointer, and search for its repair. The
 * returned view allows each step when it can be taken: a search needs a device and a picture, and
 * runs one at a time.
 */
export function repairPanel(state: State): View {
  wireRepair(state);
  return (state) => {
    const usable = hasDevice(state.mode);
    const repairing = state.mode.phase === 'repairing';
    const hasPicture = state.editor.picture !== null;
    el.repairReal.disabled = !usable || repairing;
    el.repairGenerated.disabled = !usable || repairing;
    el.repairEraseHalf.disabled = !hasPicture;
    el.repairUndo.disabled = !hasPicture;
    // Only where the machine allows a repair (a device, no autosave, rebuild or repair under way):
    // a click that does nothing is worse than a button that waits.
    el.repairRun.disabled = !allows(state.mode, 'repair') || !hasPicture || !repairable(state);
    el.repairModel.hidden = repairable(state);
    el.repairStop.disabled = !repairing;
    const thing = state.images.source === 'mnist' ? 'digit' : 'picture';
    if (el.repairReal.textContent !== `Real ${thing}`) {
      el.repairReal.textContent = `Real ${thing}`;
      el.repairGenerated.textContent = `Generated ${thing}`;
    }
  };
}

function wireRepair(state: State): void {
  el.repairReal.addEventListener('click', () => state.editor.show(realPicture(state.images)));
  el.repairGenerated.addEventListener('click', () => void takeGenerated(state));
  for (const input of Array.from(document.querySelectorAll<HTMLInputElement>('input[name=repair-mode]')))
    input.addEventListener('change', () => {
      if (input.checked) state.editor.mode = input.value === 'scribble' ? 'scribble' : 'erase';
    });
  el.repairBrush.addEventListener('input', () => {
    state.editor.brush = Number(el.repairBrush.value);
  });
  el.repairEraseHalf.addEventListener('click', () => state.editor.eraseLowerHalf());
  el.repairUndo.addEventListener('click', () => state.editor.restore());
  el.repairRun.addEventListener('click', () => void repairPicture(state));
  el.repairStop.addEventListener('click', () => state.search.stop());
}

/** A picture the GAN trains on, chosen at random, with its class where the images have classes. */
function realPicture(images: TrainingImages): RepairPicture {
  const dim = valuesPerImage(images);
  const index = Math.floor(Math.random() * images.count);
  const hasClass = images.classNames.length > 0;
  const label = hasClass ? images.labels[index] : undefined;
  const name =
    images.source === 'mnist'
      ? `the real digit ${label}`
      : `your picture ${index + 1}${hasClass ? ` (${images.classNames[label!]})` : ''}`;
  const values = valuesOf(images.pixels.subarray(index * dim, (index + 1) * dim));
  return { side: images.side, channels: images.channels, values, known: new Float32Array(dim).fill(1), label, name };
}

/** One of the sample grid's pictures, read back from the GPU. */
async function takeGenerated(state: State): Promise<void> {
  const { session, images } = state;
  try {
    const index = Math.floor(Math.random() * session.gridCount);
    const { values, label } = await session.gridSample(index);
    if (state.session !== session) return; // replaced meanwhile: its picture would not fit the new run
    const thing = images.source === 'mnist' ? 'digit' : 'picture';
    const known = new Float32Array(values.length).fill(1);
    const name = `a generated ${thing} of step ${session.trainer.step}`;
    state.editor.show({ side: images.side, channels: images.channels, values, known, label, name });
  } catch (error) {
    message(el.repairProgress, `Could not take a generated picture: ${(error as Error).message}`, true);
  }
}

/** Below so many steps the default recipe's samples are not digits yet, and neither is a repair's fill. */
const TRAINED_STEPS = 1000;

/** A warning for a repair by a generator that has hardly trained; '' for one that has. */
function untrained(step: number): string {
  if (step >= TRAINED_STEPS) return '';
  return (
    ` Careful: a generator of step ${step} has not learned the pictures yet, so its fill is close to noise. ` +
    `Train for ${TRAINED_STEPS} steps or more (or load a trained checkpoint), then repair again.`
  );
}

/**
 * Fills the erased pixels by latent search. Training pauses meanwhile (and resumes after if it was
 * running), so the snapshot the search runs on and the search's own GPU work never interleave
 * with training steps.
 */
async function repairPicture(state: State): Promise<void> {
  const picture = state.editor.picture;
  if (!picture) return;
  if (!repairable(state)) {
    message(el.repairProgress, el.repairModel.textContent!.replace(/\s+/g, ' ').trim(), true);
    return;
  }
  const known = state.editor.knownCount();
  if (known === 0) {
    message(
      el.repairProgress,
      'Everything is erased: leave some of the picture as it was, so that the search has something to match.',
      true,
    );
    return;
  }
  if (known === picture.known.length) {
    message(el.repairProgress, 'Nothing is erased yet: erase the part to fill in with the pointer, then Repair.');
    return;
  }
  const session = state.session;
  if (!dispatch(state, 'repair')) {
    message(el.repairProgress, 'The page is busy (saving or starting a run): Repair again in a moment.', true);
    return;
  }
  el.repairBar.hidden = false;
  el.repairBar.value = 0;
  message(
    el.repairProgress,
    `Taking a snapshot of the networks at step ${session.trainer.step}…${untrained(session.trainer.step)}`,
  );
  // The damaged picture until the search has a fill: the result then changes as the fill improves.
  drawPicture(el.repairResult, picture, picture.known);
  try {
    const result = await state.search.run(
      state.ctx,
      session.trainer,
      picture,
      (progress, steps) => {
        el.repairBar.value = progress.step / steps;
        message(
          el.repairProgress,
          `Searching: step ${progress.step} of ${steps}, best error ${progress.bestError.toFixed(4)} ` +
            `(mean ${progress.meanError.toFixed(4)} over ${REPAIR_STARTS} starts)…`,
        );
      },
      (best) => drawPicture(el.repairResult, { ...picture, values: best.completion }, null),
    );
    drawPicture(el.repairResult, { ...picture, values: result.completion }, null);
    const rms = Math.sqrt(result.error);
    const step = session.trainer.step;
    message(
      el.repairProgress,
      `Repaired ${picture.name} with the generator of step ${step}: after ${result.steps} steps on ` +
        `${REPAIR_STARTS} starts the best matches the kept pixels to an RMS error of ${rms.toFixed(4)} ` +
        `(${(rms * 127.5).toFixed(1)} grey levels of 255); error ${result.error.toFixed(4)}.${untrained(step)}`,
      step < TRAINED_STEPS,
    );
  } catch (error) {
    message(el.repairProgress, `Could not repair: ${(error as Error).message}`, true);
  } finally {
    el.repairBar.hidden = true;
    dispatch(state, 'repaired');
  }
}
