// The training panel: Start, Pause, Step, Reset and the keyboard, the frame loop that submits
// steps (adapting how many per frame), the numbers and charts, the sample grid and the walk, what
// is trained on, and the quality score taken between frames.
import { type TrainingStats, TrainingDivergedError } from 'webgpu-gan';
import { autosave, fileMessage } from './checkpoint.js';
import { hasDevice, wantsTraining } from './machine.js';
import { $, AUTOSAVE_EVERY, alertUser, classWord, EVAL_EVERY } from './page.js';
import { describeImages } from './pictures.js';
import { afresh, rebuild } from './run.js';
import type { Session } from './session.js';
import { settingsMessage } from './settingsPanel.js';
import { measureTestAccuracy, measuresTestAccuracy } from './testAccuracy.js';
import { dispatch, type State, type View } from './state.js';

const el = {
  start: $<HTMLButtonElement>('start'),
  pause: $<HTMLButtonElement>('pause'),
  stepOnce: $<HTMLButtonElement>('step-once'),
  reset: $<HTMLButtonElement>('reset'),
  step: $('step'),
  speed: $('speed'),
  lossD: $('loss-d'),
  lossG: $('loss-g'),
  dReal: $('d-real'),
  dFake: $('d-fake'),
  reroll: $<HTMLButtonElement>('reroll'),
  walkToggle: $<HTMLButtonElement>('walk-toggle'),
  classPicker: $('class-picker'),
  showClass: $<HTMLSelectElement>('show-class'),
  dataSource: $('data-source'),
  rowLabels: $('row-labels'),
};
/** The live canvases every session draws on. */
export const canvases = { grid: $<HTMLCanvasElement>('samples'), walk: $<HTMLCanvasElement>('walk') };

/** Wires the panel's controls; the returned view renders them from the state. */
export function trainingPanel(state: State): View {
  wireTraining(state);
  let shown: Session | null = null;
  return (state) => {
    renderControls(state);
    if (state.session === shown) return;
    // A new session (Reset, new settings, other pictures, a checkpoint, a new device): its numbers
    // are to come, and its classes and images may differ.
    shown = state.session;
    for (const cell of [el.lossD, el.lossG, el.dReal, el.dFake, el.speed]) cell.textContent = '–';
    showClassPicker(state);
    showSource(state);
  };
}

/** Start, Pause and Step as the mode allows them; nothing works without a device. */
function renderControls(state: State): void {
  const usable = hasDevice(state.mode);
  for (const b of [el.start, el.pause, el.stepOnce, el.reset, el.reroll, el.walkToggle]) b.disabled = !usable;
  if (!usable) return;
  const training = wantsTraining(state.mode);
  el.start.disabled = training;
  el.pause.disabled = !training;
  el.stepOnce.disabled = training;
}

/** The digit (or class) picker, for a conditional session only; a new session draws every class. */
function showClassPicker(state: State): void {
  const classes = state.session.trainer.config.classes;
  el.classPicker.hidden = classes === 0;
  const every = state.images.source === 'mnist' ? 'every digit, a row each' : 'every class, a row each';
  const names = state.images.classNames.slice(0, classes);
  el.showClass.replaceChildren(new Option(every, 'all'), ...names.map((name, i) => new Option(name, String(i))));
  el.showClass.value = 'all';
  showRowLabels(names, null);
}

/** A conditional grid's row labels: each row's class, or the one class drawn in every row. */
function showRowLabels(names: string[], only: number | null): void {
  el.rowLabels.hidden = names.length === 0;
  el.rowLabels.replaceChildren(
    ...names.map((name, row) => {
      const item = document.createElement('li');
      item.textContent = only === null ? name : names[only]!;
      item.title = item.textContent;
      item.dataset.row = String(row);
      return item;
    }),
  );
}

/** What is being trained on. */
function showSource(state: State): void {
  const conditional = state.config.classes > 0 ? `, conditional on the ${classWord(state.images)}` : '';
  el.dataSource.textContent = `Training on ${describeImages(state.images)}${conditional}.`;
}

function showStats(s: TrainingStats): void {
  el.lossD.textContent = s.lossD.toFixed(3);
  el.lossG.textContent = s.lossG.toFixed(3);
  el.dReal.textContent = s.dReal.toFixed(3);
  el.dFake.textContent = s.dFake.toFixed(3);
}

/** Submits training work (adapting steps per frame to keep frames smooth), then draws. */
export function frame(state: State): void {
  requestAnimationFrame(() => frame(state));
  if (state.mode.phase === 'rebuilding' || !hasDevice(state.mode)) return;
  const { trainer } = state.session;
  if (state.ctx.error) {
    fileMessage(`GPU error: ${state.ctx.error.message}`, true);
    dispatch(state, 'pause');
  } else if (state.mode.phase === 'training' && !state.inFlight) {
    trainStep(state, state.stepsPerFrame);
  }
  for (const s of trainer.drainStats()) {
    showStats(s);
    state.charts.push(s);
  }
  if (trainer.diverged && wantsTraining(state.mode)) stopDiverged(state, trainer.diverged);
  el.step.textContent = String(trainer.step);
  showSpeed(state, trainer.step);
  const training = state.mode.phase === 'training';
  if (training && trainer.step >= (state.snapshot?.step ?? 0) + AUTOSAVE_EVERY) void autosave(state);
  if (training && !state.quality.inFlight && trainer.step >= state.quality.lastStep + EVAL_EVERY)
    void scoreQuality(state);
  state.session.draw(state.walking, state.shown);
}

/** Steps per second over the last second or so. */
function showSpeed(state: State, step: number): void {
  const now = performance.now();
  if (now - state.speed.time <= 1000) return;
  state.speed = { time: now, step, value: ((step - state.speed.step) * 1000) / (now - state.speed.time) };
  el.speed.textContent = wantsTraining(state.mode) ? state.speed.value.toFixed(1) : '–';
}

/** Whether the sample grid and the latent walk are on screen, kept up to date as the page scrolls. */
export function watchVisibility(): { grid: boolean; walk: boolean } {
  const shown = { grid: true, walk: true };
  const observer = new IntersectionObserver((entries) => {
    for (const entry of entries) shown[entry.target === canvases.grid ? 'grid' : 'walk'] = entry.isIntersecting;
  });
  observer.observe(canvases.grid);
  observer.observe(canvases.walk);
  return shown;
}

/**
 * Scores the samples, and a semi-supervised D's test accuracy, in the background: their readbacks
 * resolve while training frames go on.
 */
async function scoreQuality(state: State): Promise<void> {
  const { session } = state;
  const accuracy = measuresTestAccuracy(state);
  if (!session.evaluator && !accuracy) return;
  const step = session.trainer.step;
  state.quality.inFlight = true;
  state.quality.lastStep = step;
  // A session replaced meanwhile (reset, lost device) destroys what scores it, and a checkpoint
  // loaded into it (resets) makes the score one of the run before: nothing to report either way.
  const resets = state.quality.resets;
  const current = () => state.session === session && state.quality.resets === resets && hasDevice(state.mode);
  const { view } = state.quality;
  try {
    if (session.evaluator)
      await session.evaluator.evaluate().then(
        (score) => current() && view.push(step, score),
        (error: Error) => current() && view.unavailable(error.message),
      );
    if (accuracy && current())
      await measureTestAccuracy(state, session).then(
        (measured) => current() && view.pushAccuracy(measured.step, measured.score),
        (error: Error) => current() && view.accuracyUnavailable(error.message),
      );
  } finally {
    state.quality.inFlight = false;
  }
}

/** Submits `steps` steps, with statistics every `statsEvery` (every step for Step, so its numbers and charts move). */
function trainStep(state: State, steps: number, statsEvery = 10): void {
  const started = performance.now();
  try {
    state.session.trainer.submitSteps(steps, statsEvery);
  } catch (error) {
    if (!(error instanceof TrainingDivergedError)) throw error;
    stopDiverged(state, error);
    return;
  }
  state.inFlight = true;
  state.ctx.device.queue.onSubmittedWorkDone().then(
    () => {
      state.inFlight = false;
      const ms = performance.now() - started;
      if (ms < 12) state.stepsPerFrame = Math.min(64, state.stepsPerFrame * 2);
      else if (ms > 40) state.stepsPerFrame = Math.max(1, Math.floor(state.stepsPerFrame / 2));
    },
    () => undefined,
  );
}

function stopDiverged(state: State, error: TrainingDivergedError): void {
  dispatch(state, 'pause');
  const saved = state.snapshot?.stored
    ? ` The autosave of step ${state.snapshot.step} is kept: reload the page to go on from it.`
    : '';
  alertUser(`${error.message}. Lower the learning rate and press Reset.${saved}`, true);
}

function wireTraining(state: State): void {
  el.start.addEventListener('click', () => {
    // On a narrow screen the samples are below the controls: bring them into view to watch them learn.
    if (!dispatch(state, 'start')) return;
    const box = canvases.grid.getBoundingClientRect();
    if (box.top < 0 || box.bottom > innerHeight) canvases.grid.scrollIntoView({ block: 'nearest' });
  });
  el.pause.addEventListener('click', () => dispatch(state, 'pause'));
  el.stepOnce.addEventListener('click', () => {
    if (!state.inFlight && dispatch(state, 'step')) trainStep(state, 1, 1);
  });
  el.reset.addEventListener('click', () => {
    const step = state.session.trainer.step;
    if (step > 0 && !confirm(`Reset discards the ${step} steps trained so far and starts again from step 0.`)) return;
    void rebuild(state, afresh(state.config)).then((done) => {
      if (done) settingsMessage('Reset to step 0.');
    });
  });
  el.reroll.addEventListener('click', () => void state.session.reseedGrid(Math.floor(Math.random() * 2 ** 31)));
  el.showClass.addEventListener('change', () => {
    const only = el.showClass.value === 'all' ? null : Number(el.showClass.value);
    state.session.showClass(only);
    showRowLabels(state.images.classNames.slice(0, state.session.trainer.config.classes), only);
  });
  el.walkToggle.addEventListener('click', () => {
    state.walking = !state.walking;
    el.walkToggle.textContent = state.walking ? 'Pause walk' : 'Resume walk';
    el.walkToggle.setAttribute('aria-pressed', String(state.walking));
  });
  document.addEventListener('keydown', (event) => {
    if (event.target instanceof HTMLInputElement || event.target instanceof HTMLButtonElement) return;
    if (event.key === ' ') {
      event.preventDefault();
      dispatch(state, wantsTraining(state.mode) ? 'pause' : 'start');
    }
    if (event.key === 's' || event.key === 'S') el.stepOnce.click();
  });
}
