// The training panel: Start, Pause, Step, Reset and the keyboard, the frame loop that submits
// steps (adapting how many per frame), the numbers and charts, the sample grid and the walk, and
// the quality score taken between frames.
import { TrainingDivergedError } from 'webgpu-gan';
import { autosave } from './checkpoint.js';
import { hasDevice, wantsTraining } from './machine.js';
import { AUTOSAVE_EVERY, alertUser, EVAL_EVERY, message, showStats, ui } from './page.js';
import { afresh, rebuild } from './run.js';
import { dispatch, type State } from './state.js';

/** Submits training work (adapting steps per frame to keep frames smooth), then draws. */
export function frame(state: State): void {
  requestAnimationFrame(() => frame(state));
  if (state.mode.phase === 'rebuilding' || !hasDevice(state.mode)) return;
  const { trainer } = state.session;
  if (state.ctx.error) {
    message(ui.fileMessage, `GPU error: ${state.ctx.error.message}`, true);
    dispatch(state, 'pause');
  } else if (state.mode.phase === 'training' && !state.inFlight) {
    trainStep(state, state.stepsPerFrame);
  }
  for (const s of trainer.drainStats()) {
    showStats(s);
    state.charts.push(s);
  }
  if (trainer.diverged && wantsTraining(state.mode)) stopDiverged(state, trainer.diverged);
  ui.step.textContent = String(trainer.step);
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
  ui.speed.textContent = wantsTraining(state.mode) ? state.speed.value.toFixed(1) : '–';
}

/** Whether the sample grid and the latent walk are on screen, kept up to date as the page scrolls. */
export function watchVisibility(): { grid: boolean; walk: boolean } {
  const shown = { grid: true, walk: true };
  const observer = new IntersectionObserver((entries) => {
    for (const entry of entries) shown[entry.target === ui.samples ? 'grid' : 'walk'] = entry.isIntersecting;
  });
  observer.observe(ui.samples);
  observer.observe(ui.walk);
  return shown;
}

/** Scores the samples in the background: its readback resolves while training frames go on. */
async function scoreQuality(state: State): Promise<void> {
  const { session } = state;
  if (!session.evaluator) return;
  const step = session.trainer.step;
  state.quality.inFlight = true;
  state.quality.lastStep = step;
  try {
    const score = await session.evaluator.evaluate();
    if (state.session === session) state.quality.view.push(step, score);
  } catch (error) {
    // A session replaced meanwhile (reset, lost device) destroys its evaluator: nothing to report.
    if (state.session === session && hasDevice(state.mode)) state.quality.view.unavailable((error as Error).message);
  } finally {
    state.quality.inFlight = false;
  }
}

function trainStep(state: State, steps: number): void {
  const started = performance.now();
  try {
    state.session.trainer.submitSteps(steps, 10);
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

export function wireTraining(state: State): void {
  ui.start.addEventListener('click', () => dispatch(state, 'start'));
  ui.pause.addEventListener('click', () => dispatch(state, 'pause'));
  ui.stepOnce.addEventListener('click', () => {
    if (state.mode.phase === 'idle' && !state.inFlight) trainStep(state, 1);
  });
  ui.reset.addEventListener(
    'click',
    () =>
      void rebuild(state, afresh(state.config)).then((done) => {
        if (done) message(ui.formMessage, 'Reset to step 0.');
      }),
  );
  ui.reroll.addEventListener('click', () => void state.session.grid.reseed(Math.floor(Math.random() * 2 ** 31)));
  ui.showClass.addEventListener('change', () => {
    state.session.showClass(ui.showClass.value === 'all' ? null : Number(ui.showClass.value));
  });
  ui.walkToggle.addEventListener('click', () => {
    state.walking = !state.walking;
    ui.walkToggle.textContent = state.walking ? 'Pause walk' : 'Resume walk';
    ui.walkToggle.setAttribute('aria-pressed', String(state.walking));
  });
  document.addEventListener('keydown', (event) => {
    if (event.target instanceof HTMLInputElement || event.target instanceof HTMLButtonElement) return;
    if (event.key === ' ') {
      event.preventDefault();
      dispatch(state, wantsTraining(state.mode) ? 'pause' : 'start');
    }
    if (event.key === 's' || event.key === 'S') ui.stepOnce.click();
  });
}
