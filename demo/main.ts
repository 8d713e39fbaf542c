// The demo page: finds WebGPU, loads MNIST onto the GPU, and trains live with the controls,
// numbers, charts and canvases of index.html, using only webgpu-gan's public API. The run is
// autosaved to the browser's storage (autosave.ts) and offered again when the page opens; a lost
// GPU device is replaced and training resumes from the last autosave, without a reload.
// URL parameters shrink the run for tests: ?subset=N images, ?gHidden=32,32&dHidden=32,32,
// ?batch=N, and ?autosave=N (steps between autosaves, default 500).
import './style.css';
import {
  DEFAULT_GAN_CONFIG,
  GpuDataset,
  TrainingDivergedError,
  WebGpuUnavailableError,
  acquireGpu,
  resolveGanConfig,
  decodeCheckpoint,
  encodeCheckpoint,
  formatAdapter,
  decodeClassifierFile,
  restoreCheckpoint,
  type ClassifierFile,
  type GanConfig,
  type GpuContext,
  type TrainingStats,
} from 'webgpu-gan';
import { clearSnapshot, loadSnapshot, saveSnapshot, type Snapshot } from './autosave.js';
import { ProgressCharts } from './charts.js';
import { fetchMnist, fetchMnistLabels } from './mnist.js';
import { QualityView } from './quality.js';
import { Session } from './session.js';
import classifierUrl from '../models/mnist-classifier.safetensors?url';
import { readSettings, syncSpectralNorm, writeSettings } from './settings.js';

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const ui = {
  adapter: $('adapter'),
  error: $('webgpu-error'),
  app: $('app'),
  loading: $('loading'),
  progress: $<HTMLProgressElement>('data-progress'),
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
  form: $<HTMLFormElement>('settings'),
  formMessage: $('form-message'),
  save: $<HTMLButtonElement>('save'),
  load: $<HTMLInputElement>('load'),
  fileMessage: $('file-message'),
  samples: $<HTMLCanvasElement>('samples'),
  walk: $<HTMLCanvasElement>('walk'),
  reroll: $<HTMLButtonElement>('reroll'),
  walkToggle: $<HTMLButtonElement>('walk-toggle'),
  classPicker: $('class-picker'),
  showClass: $<HTMLSelectElement>('show-class'),
  alert: $('run-alert'),
  offer: $('resume-offer'),
  offerText: $('resume-text'),
  resume: $<HTMLButtonElement>('resume'),
  discard: $<HTMLButtonElement>('discard'),
  autosave: $('autosave'),
};
const CONTROLS = [ui.start, ui.pause, ui.stepOnce, ui.reset, ui.save, ui.reroll, ui.walkToggle];

const params = new URLSearchParams(location.search);
const widths = (name: string) => params.get(name)?.split(',').map(Number);
const baseConfig: Partial<GanConfig> = {
  ...(widths('gHidden') && { generatorHidden: widths('gHidden') }),
  ...(widths('dHidden') && { discriminatorHidden: widths('dHidden') }),
  ...(params.get('batch') && { batch: Number(params.get('batch')) }),
};
const AUTOSAVE_EVERY = Math.max(1, Number(params.get('autosave')) || 500);
/** Steps between quality scores, and samples per score (?evalEvery=N&evalN=M). */
const EVAL_EVERY = Math.max(1, Number(params.get('evalEvery')) || 500);
const EVAL_COUNT = Math.max(2, Number(params.get('evalN')) || 1000);
/** So many device losses within this window make the page give up replacing the device. */
const LOSS_WINDOW_MS = 5 * 60_000;
const MAX_LOSSES = 3;

interface Images {
  pixels: Uint8Array;
  /** Each image's digit. */
  labels: Uint8Array;
  count: number;
  dim: number;
}

/** MNIST's classes: a conditional session is conditioned on the digit. */
const DIGITS = 10;

interface State {
  ctx: GpuContext;
  /** Kept on the CPU too, to upload again onto a replacement device. */
  images: Images;
  dataset: GpuDataset;
  /** Each image's digit, for a conditional session. */
  labels: GpuDataset;
  session: Session;
  config: GanConfig;
  /** The last autosave (in IndexedDB too where `stored`): what a lost device or a reload resumes from. */
  snapshot: (Snapshot & { stored: boolean }) | null;
  /** 'lost' while a replacement device is sought, 'failed' when none could be had. */
  gpu: 'ok' | 'lost' | 'failed';
  losses: number[];
  /** True while a checkpoint is being read back: no steps are submitted meanwhile. */
  saving: boolean;
  running: boolean;
  /** True while the session is being replaced: the frame loop leaves it alone. */
  rebuilding: boolean;
  walking: boolean;
  stepsPerFrame: number;
  inFlight: boolean;
  speed: { time: number; step: number; value: number };
  quality: Quality;
}

interface Quality {
  /** The classifier and its reference statistics; null when they could not be fetched. */
  file: ClassifierFile | null;
  view: QualityView;
  /** True while a score is being computed: at most one at a time, and training never waits for it. */
  inFlight: boolean;
  lastStep: number;
}

/** What Session.create needs to score samples, when there is a classifier. */
const qualitySpec = (quality: Quality) => (quality.file ? { file: quality.file, count: EVAL_COUNT } : null);

/** The classifier file, fetched next to the page; scores are skipped (and the page says why) without it. */
async function fetchClassifier(view: QualityView): Promise<ClassifierFile | null> {
  try {
    const response = await fetch(classifierUrl);
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    return decodeClassifierFile(new Uint8Array(await response.arrayBuffer()), 'the classifier file');
  } catch (error) {
    view.unavailable(`the classifier could not be loaded (${(error as Error).message}).`);
    return null;
  }
}

function message(element: HTMLElement, text: string, bad = false): void {
  element.textContent = text;
  element.classList.toggle('bad', bad);
}

function showStats(s: TrainingStats): void {
  ui.lossD.textContent = s.lossD.toFixed(3);
  ui.lossG.textContent = s.lossG.toFixed(3);
  ui.dReal.textContent = s.dReal.toFixed(3);
  ui.dFake.textContent = s.dFake.toFixed(3);
}

function setRunning(state: State, running: boolean): void {
  state.running = running;
  ui.start.disabled = running;
  ui.pause.disabled = !running;
  ui.stepOnce.disabled = running;
}

function alertUser(text: string, bad: boolean): void {
  ui.alert.textContent = text;
  ui.alert.classList.toggle('bad', bad);
  ui.alert.hidden = text === '';
}

function setControls(enabled: boolean): void {
  for (const b of CONTROLS) b.disabled = !enabled;
  ui.load.disabled = !enabled;
  if (enabled) ui.pause.disabled = true;
}

async function main(): Promise<void> {
  let ctx: GpuContext;
  try {
    ctx = await acquireGpu();
  } catch (error) {
    ui.adapter.textContent = 'No WebGPU adapter.';
    ui.error.textContent =
      error instanceof WebGpuUnavailableError ? error.message : `WebGPU failed to start: ${(error as Error).message}`;
    ui.error.hidden = false;
    return;
  }
  ui.adapter.textContent = `Adapter: ${formatAdapter(ctx.adapter)}`;
  ui.app.hidden = false;
  const mnist = await fetchMnist(`${import.meta.env.BASE_URL}mnist/train-images-idx3-ubyte.gz`, (f) => {
    if (f === null) ui.progress.removeAttribute('value');
    else ui.progress.value = f;
  });
  const digits = await fetchMnistLabels(`${import.meta.env.BASE_URL}mnist/train-labels-idx1-ubyte.gz`);
  const count = Math.min(mnist.count, Number(params.get('subset')) || mnist.count);
  const dim = mnist.rows * mnist.cols;
  const images: Images = {
    pixels: mnist.pixels.subarray(0, count * dim),
    labels: digits.subarray(0, count),
    count,
    dim,
  };
  const dataset = GpuDataset.fromBytes(ctx, images.pixels, count, dim, 'MNIST');
  const labels = GpuDataset.fromLabels(ctx, images.labels, DIGITS, 'MNIST labels');
  ui.loading.hidden = true;

  const config = { ...DEFAULT_GAN_CONFIG, ...baseConfig, dataDim: dim };
  const view = new QualityView($('chart-quality'), $('class-bars'), $('quality-text'));
  const quality: Quality = { file: await fetchClassifier(view), view, inFlight: false, lastStep: 0 };
  const canvases = { grid: ui.samples, walk: ui.walk };
  const session = await Session.create(ctx, dataset, config, canvases, qualitySpec(quality), labels);
  const state: State = {
    ctx,
    images,
    dataset,
    labels,
    session,
    config: session.trainer.config,
    snapshot: null,
    gpu: 'ok',
    losses: [],
    saving: false,
    running: false,
    rebuilding: false,
    walking: true,
    stepsPerFrame: 1,
    inFlight: false,
    speed: { time: performance.now(), step: 0, value: 0 },
    quality,
  };
  const charts = new ProgressCharts($('chart-loss'), $('chart-d'));
  writeSettings(ui.form, state.config);
  wire(state, charts);
  watchDevice(state, charts);
  setControls(true);
  await offerResume(state, charts);
  requestAnimationFrame(() => frame(state, charts));
}

/** A run autosaved by an earlier visit: offered, not forced. */
async function offerResume(state: State, charts: ProgressCharts): Promise<void> {
  let snapshot: Snapshot | null;
  try {
    snapshot = await loadSnapshot();
  } catch {
    return; // no storage (a private window, say): nothing to offer
  }
  if (!snapshot) return;
  const when = new Date(snapshot.savedAt).toLocaleString();
  ui.offerText.textContent = `A run saved in this browser at step ${snapshot.step} (${when}) can go on from there.`;
  ui.offer.hidden = false;
  ui.resume.onclick = async () => {
    ui.offer.hidden = true;
    if (await restoreBytes(state, charts, snapshot.bytes, 'the autosave'))
      state.snapshot = { ...snapshot, stored: true };
  };
  ui.discard.onclick = async () => {
    ui.offer.hidden = true;
    await clearSnapshot().catch(() => undefined);
  };
}

/** Submits training work (adapting steps per frame to keep frames smooth), then draws. */
function frame(state: State, charts: ProgressCharts): void {
  requestAnimationFrame(() => frame(state, charts));
  if (state.rebuilding || state.gpu !== 'ok') return;
  const { trainer } = state.session;
  if (state.ctx.error) {
    message(ui.fileMessage, `GPU error: ${state.ctx.error.message}`, true);
    setRunning(state, false);
  } else if (state.running && !state.inFlight && !state.saving) {
    trainStep(state, state.stepsPerFrame);
  }
  for (const s of trainer.drainStats()) {
    showStats(s);
    charts.push(s);
  }
  if (trainer.diverged && state.running) stopDiverged(state, trainer.diverged);
  ui.step.textContent = String(trainer.step);
  const now = performance.now();
  if (now - state.speed.time > 1000) {
    state.speed = {
      time: now,
      step: trainer.step,
      value: ((trainer.step - state.speed.step) * 1000) / (now - state.speed.time),
    };
    ui.speed.textContent = state.running ? state.speed.value.toFixed(1) : '–';
  }
  if (state.running && !state.saving && trainer.step >= (state.snapshot?.step ?? 0) + AUTOSAVE_EVERY)
    void autosave(state);
  if (state.running && !state.quality.inFlight && trainer.step >= state.quality.lastStep + EVAL_EVERY)
    void scoreQuality(state);
  state.session.draw(state.walking);
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
    if (state.session === session && state.gpu === 'ok') state.quality.view.unavailable((error as Error).message);
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
  setRunning(state, false);
  const saved = state.snapshot?.stored
    ? ` The autosave of step ${state.snapshot.step} is kept: reload the page to go on from it.`
    : '';
  alertUser(`${error.message}. Lower the learning rate and press Reset.${saved}`, true);
}

/** Reads the run back into a checkpoint for the browser's storage; training waits meanwhile. */
async function autosave(state: State): Promise<void> {
  state.saving = true;
  const { trainer } = state.session;
  try {
    const snapshot = { bytes: await encodeCheckpoint(trainer), step: trainer.step, savedAt: Date.now(), stored: false };
    state.snapshot = snapshot;
    try {
      await saveSnapshot({ bytes: snapshot.bytes, step: snapshot.step, savedAt: snapshot.savedAt });
      snapshot.stored = true;
      // The stored run is this one now: an offer of the one before would only mislead.
      ui.offer.hidden = true;
      message(ui.autosave, `Autosaved step ${snapshot.step} in this browser.`);
    } catch (error) {
      message(
        ui.autosave,
        `Kept step ${snapshot.step} for this visit only: the browser refused to store it ` +
          `(${(error as Error).message}).`,
        true,
      );
    }
  } catch (error) {
    if (!(error instanceof TrainingDivergedError) && state.gpu === 'ok')
      message(ui.autosave, `Autosave failed: ${(error as Error).message}`, true);
  } finally {
    state.saving = false;
  }
}

/** A lost device (a driver reset, a GPU switch, the browser's own limits) is replaced, not fatal. */
function watchDevice(state: State, charts: ProgressCharts): void {
  const ctx = state.ctx;
  void ctx.device.lost.then((info) => {
    if (state.ctx !== ctx || state.gpu !== 'ok') return; // a device we replaced ourselves
    void replaceDevice(state, charts, `${info.reason}${info.message ? `: ${info.message}` : ''}`);
  });
}

async function replaceDevice(state: State, charts: ProgressCharts, reason: string): Promise<void> {
  const wasRunning = state.running;
  const lostAt = state.session.trainer.step;
  setRunning(state, false);
  setControls(false);
  state.gpu = 'lost';
  state.losses = [...state.losses.filter((t) => performance.now() - t < LOSS_WINDOW_MS), performance.now()];
  const from = state.snapshot ? `the autosave of step ${state.snapshot.step}` : 'step 0 (nothing was autosaved yet)';
  const stored = state.snapshot?.stored
    ? ` Your run is saved in this browser at step ${state.snapshot.step}: reloading the page offers it.`
    : '';
  if (state.losses.length >= MAX_LOSSES) {
    state.gpu = 'failed';
    alertUser(
      `The GPU device was lost ${state.losses.length} times in five minutes (last: ${reason}), so the page stopped ` +
        `replacing it.${stored} Reload the page, or try another browser.`,
      true,
    );
    return;
  }
  alertUser(
    `The GPU device was lost at step ${lostAt} (${reason}). Getting a new one and resuming from ${from}…`,
    true,
  );
  // The old objects go first: their canvases must be unconfigured before new ones configure them.
  state.session.destroy();
  state.dataset.destroy();
  state.labels.destroy();
  state.ctx.destroy();
  const made: Array<{ destroy(): void }> = [];
  let stage = 'getting a new device';
  try {
    const ctx = await acquireGpu();
    made.push(ctx);
    stage = 'setting training up on the new device';
    const dataset = GpuDataset.fromBytes(ctx, state.images.pixels, state.images.count, state.images.dim, 'MNIST');
    made.unshift(dataset);
    const labels = GpuDataset.fromLabels(ctx, state.images.labels, DIGITS, 'MNIST labels');
    made.unshift(labels);
    const canvases = { grid: ui.samples, walk: ui.walk };
    const session = await Session.create(ctx, dataset, state.config, canvases, qualitySpec(state.quality), labels);
    made.unshift(session);
    if (state.snapshot) restoreCheckpoint(session.trainer, decodeCheckpoint(state.snapshot.bytes));
    Object.assign(state, {
      ctx,
      dataset,
      labels,
      session,
      inFlight: false,
      saving: false,
      rebuilding: false,
      gpu: 'ok',
    });
    showClassPicker(state);
    charts.reset();
    resetQuality(state.quality);
    watchDevice(state, charts);
    setControls(true);
    alertUser(
      `The GPU device was lost at step ${lostAt} (${reason}) and was replaced; training goes on from ${from}.`,
      false,
    );
    setRunning(state, wasRunning);
  } catch (error) {
    for (const object of made) object.destroy();
    state.gpu = 'failed';
    const why =
      error instanceof WebGpuUnavailableError
        ? 'the browser offers no WebGPU adapter any more'
        : (error as Error).message.replace(/\.$/, '');
    alertUser(
      `The GPU device was lost (${reason}), and ${stage} failed: ${why}.${stored} Reload the page, or try another ` +
        `browser.`,
      true,
    );
  }
}

/** The digit picker, for a conditional session only; a new session draws every digit. */
function showClassPicker(state: State): void {
  ui.classPicker.hidden = state.session.trainer.config.classes === 0;
  ui.showClass.value = 'all';
}

function resetQuality(quality: Quality): void {
  quality.view.reset();
  quality.lastStep = 0;
}

/** A new session of `config`. False when a device loss overtook it (replaceDevice then speaks). */
async function rebuild(state: State, charts: ProgressCharts, config: Partial<GanConfig>): Promise<boolean> {
  setRunning(state, false);
  state.rebuilding = true;
  const ctx = state.ctx;
  try {
    await ctx.sync();
    state.session.destroy();
    const canvases = { grid: ui.samples, walk: ui.walk };
    const session = await Session.create(
      ctx,
      state.dataset,
      config,
      canvases,
      qualitySpec(state.quality),
      state.labels,
    );
    if (state.ctx !== ctx || state.gpu !== 'ok') {
      session.destroy(); // the device was lost meanwhile: replaceDevice's session stands
      return false;
    }
    state.session = session;
  } catch (error) {
    if (state.ctx !== ctx || state.gpu !== 'ok') return false; // a lost device: replaceDevice reports it
    // The old session is gone and no new one exists: stop here with a visible reason.
    ui.error.textContent = `Could not start training: ${(error as Error).message}. Reload the page.`;
    ui.error.hidden = false;
    throw error;
  } finally {
    state.rebuilding = false;
  }
  state.config = state.session.trainer.config;
  showClassPicker(state);
  state.snapshot = null; // a new run: the next autosave is of it
  charts.reset();
  resetQuality(state.quality);
  for (const el of [ui.lossD, ui.lossG, ui.dReal, ui.dFake, ui.speed]) el.textContent = '–';
  return true;
}

function wire(state: State, charts: ProgressCharts): void {
  ui.start.addEventListener('click', () => setRunning(state, true));
  ui.pause.addEventListener('click', () => setRunning(state, false));
  ui.stepOnce.addEventListener('click', () => {
    if (!state.running && !state.inFlight && !state.saving && !state.rebuilding && state.gpu === 'ok')
      trainStep(state, 1);
  });
  ui.reset.addEventListener(
    'click',
    () =>
      void rebuild(state, charts, state.config).then((done) => {
        if (done) message(ui.formMessage, 'Reset to step 0.');
      }),
  );
  ui.reroll.addEventListener('click', () => void state.session.grid.reseed(Math.floor(Math.random() * 2 ** 31)));
  (ui.form.elements.namedItem('conditional') as HTMLInputElement).addEventListener('change', () =>
    syncSpectralNorm(ui.form),
  );
  ui.showClass.addEventListener('change', () => {
    state.session.showClass(ui.showClass.value === 'all' ? null : Number(ui.showClass.value));
  });
  ui.walkToggle.addEventListener('click', () => {
    state.walking = !state.walking;
    ui.walkToggle.textContent = state.walking ? 'Pause walk' : 'Resume walk';
    ui.walkToggle.setAttribute('aria-pressed', String(state.walking));
  });
  ui.form.addEventListener('submit', (event) => {
    event.preventDefault();
    void applySettings(state, charts);
  });
  ui.save.addEventListener('click', () => void save(state));
  ui.load.addEventListener('change', () => void load(state, charts));
  document.addEventListener('keydown', (event) => {
    if (event.target instanceof HTMLInputElement || event.target instanceof HTMLButtonElement) return;
    if (event.key === ' ') {
      event.preventDefault();
      setRunning(state, !state.running);
    }
    if (event.key === 's' || event.key === 'S') ui.stepOnce.click();
  });
}

async function applySettings(state: State, charts: ProgressCharts): Promise<void> {
  const read = readSettings(ui.form);
  if ('error' in read) {
    message(ui.formMessage, read.error, true);
    (ui.form.elements.namedItem(read.field) as HTMLInputElement).focus();
    return;
  }
  const s = read.settings;
  const restartFor = (
    ['batch', 'seed', 'loss', 'spectralNorm', 'classes', 'realLabel', 'emaDecay', 'emaWarmup'] as const
  ).filter((key) => s[key] !== state.config[key]);
  const rates = `learning rates D ${s.discriminatorLr ?? s.lr}, G ${s.generatorLr ?? s.lr}`;
  if (restartFor.length > 0) {
    try {
      resolveGanConfig({ ...state.config, ...s });
    } catch (error) {
      message(ui.formMessage, (error as Error).message, true);
      return;
    }
    if (!(await rebuild(state, charts, { ...state.config, ...s }))) return;
    message(
      ui.formMessage,
      `Restarted ${s.classes > 0 ? 'conditional on the digit, ' : ''}with batch ${s.batch}, seed ${s.seed}, ` +
        `${s.loss} loss` +
        `${s.spectralNorm ? ' (D spectrally normalised)' : ''}, real label ${s.realLabel}, moving average ` +
        `${s.emaDecay} (warm-up ${s.emaWarmup}), ${rates}.`,
    );
  } else {
    const { lr, discriminatorLr, generatorLr, beta1 } = s;
    state.session.trainer.setOptimizer({ lr, discriminatorLr, generatorLr, beta1 });
    message(ui.formMessage, `${rates[0]!.toUpperCase()}${rates.slice(1)}, β1 ${s.beta1} apply from the next step.`);
  }
}

async function save(state: State): Promise<void> {
  const wasRunning = state.running;
  setRunning(state, false);
  state.saving = true;
  try {
    const bytes = await encodeCheckpoint(state.session.trainer);
    const link = document.createElement('a');
    link.href = URL.createObjectURL(new Blob([bytes as BlobPart], { type: 'application/octet-stream' }));
    link.download = `webgpu-gan-step-${state.session.trainer.step}.safetensors`;
    link.click();
    setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
    message(ui.fileMessage, `Saved step ${state.session.trainer.step}.`);
  } catch (error) {
    message(ui.fileMessage, `Could not save: ${(error as Error).message}`, true);
  } finally {
    state.saving = false;
    setRunning(state, wasRunning);
  }
}

async function load(state: State, charts: ProgressCharts): Promise<void> {
  const file = ui.load.files?.[0];
  if (!file) return;
  ui.load.value = '';
  await restoreBytes(state, charts, new Uint8Array(await file.arrayBuffer()), file.name);
}

/** Loads a checkpoint (a file, or the autosave) into the page, rebuilding if its settings differ. */
async function restoreBytes(state: State, charts: ProgressCharts, bytes: Uint8Array, name: string): Promise<boolean> {
  try {
    const checkpoint = decodeCheckpoint(bytes);
    if (checkpoint.config.dataDim !== state.dataset.dim)
      throw new Error(`it was trained on ${checkpoint.config.dataDim} values per image, not ${state.dataset.dim}`);
    // Checked before the session is replaced: the page's labels are MNIST's ten digits.
    if (checkpoint.config.classes !== 0 && checkpoint.config.classes !== DIGITS)
      throw new Error(
        `it is conditional on ${checkpoint.config.classes} classes; this page trains on the ${DIGITS} digits`,
      );
    // Any setting that differs (a loss or label, not only a shape) needs the checkpoint's own step.
    if (JSON.stringify(checkpoint.config) !== JSON.stringify(state.config)) {
      if (!(await rebuild(state, charts, checkpoint.config))) return false;
    } else {
      setRunning(state, false);
      charts.reset();
      resetQuality(state.quality);
    }
    restoreCheckpoint(state.session.trainer, checkpoint);
    state.snapshot = null; // the autosave, if any, is of what was there before
    writeSettings(ui.form, state.config);
    alertUser('', false);
    const warning = checkpoint.warnings.length > 0 ? ` (${checkpoint.warnings.join('; ')})` : '';
    message(ui.fileMessage, `Loaded ${name}: step ${checkpoint.step}.${warning}`);
    return true;
  } catch (error) {
    message(ui.fileMessage, `Could not load ${name}: ${(error as Error).message}`, true);
    return false;
  }
}

void main().catch((error: Error) => {
  const why = error.message.replace(/\.$/, '');
  ui.error.textContent = `The demo failed to start: ${why}. Reload the page, or try another browser.`;
  ui.error.hidden = false;
});
