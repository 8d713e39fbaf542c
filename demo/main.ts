// The demo page: finds WebGPU, loads MNIST onto the GPU, and trains live with the controls,
// numbers, charts and canvases of index.html, using only webgpu-gan's public API. The visitor may
// train on pictures of their own instead (pictures.ts) and repair a damaged picture with the
// generator (repair.ts). The run is autosaved to the browser's storage (autosave.ts) and offered
// again when the page opens; a lost GPU device is replaced and training resumes from the last
// autosave, without a reload.
// URL parameters shrink the run for tests: ?subset=N images, ?gHidden=32,32&dHidden=32,32,
// ?batch=N, ?autosave=N (steps between autosaves, default 500), and ?repairStarts=N&repairSteps=M
// (the repair search's starting points and Adam steps, default 64 and 300).
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
import { QualityView } from './quality.js';
import { drawPicture, type RepairPicture, RepairEditor, RepairSearch, valuesOf } from './repair.js';
import { Session } from './session.js';
import classifierUrl from '../models/mnist-classifier.safetensors?url';
import { readSettings, writeSettings } from './settings.js';

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
  dataSource: $('data-source'),
  dropZone: $('drop-zone'),
  pickFiles: $<HTMLInputElement>('pick-files'),
  pickFolder: $<HTMLInputElement>('pick-folder'),
  pictureSide: $<HTMLSelectElement>('picture-side'),
  picturesProgress: $<HTMLProgressElement>('pictures-progress'),
  picturesMessage: $('pictures-message'),
  backToMnist: $<HTMLButtonElement>('back-to-mnist'),
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
};
const CONTROLS = [ui.start, ui.pause, ui.stepOnce, ui.reset, ui.save, ui.reroll, ui.walkToggle];
/** Disabled while the GPU device is being replaced, as CONTROLS are. */
const DATA_INPUTS = [ui.pickFiles, ui.pickFolder, ui.backToMnist];

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
/** The repair search: starting points searched at once, Adam steps, and ten progress reports on the way. */
const REPAIR_STARTS = Math.min(4096, Math.max(1, Number(params.get('repairStarts')) || 64));
const REPAIR_STEPS = Math.max(1, Number(params.get('repairSteps')) || 300);
const REPAIR_CHUNK = Math.max(1, Math.round(REPAIR_STEPS / 10));
/**
 * A conditional grid has a row per class: more than this many rows would outgrow a canvas's largest
 * size, so pictures in more class folders train without conditioning.
 */
const MAX_GRID_CLASSES = 100;
/** So many device losses within this window make the page give up replacing the device. */
const LOSS_WINDOW_MS = 5 * 60_000;
const MAX_LOSSES = 3;

interface State {
  ctx: GpuContext;
  /** What is trained on, kept on the CPU too, to upload again onto a replacement device. */
  images: TrainingImages;
  /** The digits, for "Back to MNIST". */
  mnist: TrainingImages;
  dataset: GpuDataset;
  /** Each image's class, for a conditional session; null for images without (two or more) classes. */
  labels: GpuDataset | null;
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
  /** Which of the live canvases are on screen: only those are drawn. */
  shown: { grid: boolean; walk: boolean };
  stepsPerFrame: number;
  inFlight: boolean;
  speed: { time: number; step: number; value: number };
  quality: Quality;
  /** True while pictures are being read: a second drop waits for the first. */
  readingPictures: boolean;
  /** True while a repair searches: training waits meanwhile, as for a save. */
  repairing: boolean;
  editor: RepairEditor;
  search: RepairSearch;
}

interface Quality {
  /** The classifier and its reference statistics; null when they could not be fetched. */
  file: ClassifierFile | null;
  /** Why there is no file, to say again when the page comes back to MNIST. */
  missing: string;
  view: QualityView;
  /** True while a score is being computed: at most one at a time, and training never waits for it. */
  inFlight: boolean;
  lastStep: number;
}

/** What Session.create needs to score samples: a classifier, and MNIST's digits, the only pictures it judges. */
const qualitySpec = (quality: Quality, images: TrainingImages) =>
  quality.file && images.source === 'mnist' ? { file: quality.file, count: EVAL_COUNT } : null;

/** The classifier file, fetched next to the page; scores are skipped (and the page says why) without it. */
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

/** The images on the GPU, with their classes where a conditional session could use them. */
function upload(ctx: GpuContext, images: TrainingImages): { dataset: GpuDataset; labels: GpuDataset | null } {
  const name = images.source === 'mnist' ? 'MNIST' : 'your pictures';
  const dataset = GpuDataset.fromBytes(ctx, images.pixels, images.count, valuesPerImage(images), name);
  const classes = conditionalClasses(images, MAX_GRID_CLASSES);
  try {
    const labels = classes > 0 ? GpuDataset.fromLabels(ctx, images.labels, classes, `${name} labels`) : null;
    return { dataset, labels };
  } catch (error) {
    dataset.destroy();
    throw error;
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
  for (const b of [...CONTROLS, ...DATA_INPUTS]) b.disabled = !enabled;
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
  const images: TrainingImages = {
    pixels: mnist.pixels.subarray(0, count * dim),
    labels: digits.subarray(0, count),
    classNames: Array.from({ length: 10 }, (_, digit) => String(digit)),
    count,
    side: mnist.rows,
    channels: 1,
    source: 'mnist',
  };
  const { dataset, labels } = upload(ctx, images);
  ui.loading.hidden = true;

  const config = { ...DEFAULT_GAN_CONFIG, ...baseConfig, dataDim: dim, channels: 1 as const };
  const view = new QualityView($('chart-quality'), $('class-bars'), $('quality-text'));
  const quality: Quality = { ...(await fetchClassifier(view)), view, inFlight: false, lastStep: 0 };
  const canvases = { grid: ui.samples, walk: ui.walk };
  const session = await Session.create(ctx, dataset, config, canvases, qualitySpec(quality, images), labels);
  const state: State = {
    ctx,
    images,
    mnist: images,
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
    shown: watchVisibility(),
    stepsPerFrame: 1,
    inFlight: false,
    speed: { time: performance.now(), step: 0, value: 0 },
    quality,
    readingPictures: false,
    repairing: false,
    editor: new RepairEditor(ui.repairEditor, () => updateRepairButtons(state)),
    search: new RepairSearch({ starts: REPAIR_STARTS, steps: REPAIR_STEPS, chunk: REPAIR_CHUNK }),
  };
  const charts = new ProgressCharts($('chart-loss'), $('chart-d'));
  writeSettings(ui.form, state.config);
  showSource(state);
  wire(state, charts);
  wirePictures(state, charts);
  wireRepair(state);
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
  } else if (state.running && !state.inFlight && !state.saving && !state.repairing) {
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
  state.session.draw(state.walking, state.shown);
}

/** Whether the sample grid and the latent walk are on screen, kept up to date as the page scrolls. */
function watchVisibility(): { grid: boolean; walk: boolean } {
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
    if (state.images.source !== 'mnist') {
      // Kept for a lost device only: the pictures are not stored, so a reload could not go on with them.
      message(
        ui.autosave,
        `Kept step ${snapshot.step} for this visit only: your pictures are not stored in the browser, so a ` +
          'reload starts again on MNIST.',
      );
      return;
    }
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
  updateRepairButtons(state);
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
  state.search.discard();
  state.session.destroy();
  state.dataset.destroy();
  state.labels?.destroy();
  state.ctx.destroy();
  const made: Array<{ destroy(): void }> = [];
  let stage = 'getting a new device';
  try {
    const ctx = await acquireGpu();
    made.push(ctx);
    stage = 'setting training up on the new device';
    const { dataset, labels } = upload(ctx, state.images);
    made.unshift(dataset);
    if (labels) made.unshift(labels);
    const canvases = { grid: ui.samples, walk: ui.walk };
    const quality = qualitySpec(state.quality, state.images);
    const session = await Session.create(ctx, dataset, state.config, canvases, quality, labels);
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
    updateRepairButtons(state);
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

/** The digit (or class) picker, for a conditional session only; a new session draws every class. */
function showClassPicker(state: State): void {
  const classes = state.session.trainer.config.classes;
  ui.classPicker.hidden = classes === 0;
  const every = state.images.source === 'mnist' ? 'every digit, a row each' : 'every class, a row each';
  const names = state.images.classNames.slice(0, classes);
  ui.showClass.replaceChildren(new Option(every, 'all'), ...names.map((name, i) => new Option(name, String(i))));
  ui.showClass.value = 'all';
}

/** What is being trained on, in the training panel, and the controls that depend on it. */
function showSource(state: State): void {
  const { images } = state;
  const conditional = state.config.classes > 0 ? `, conditional on the ${classWord(images)}` : '';
  ui.dataSource.textContent = `Training on ${describeImages(images)}${conditional}.`;
  ui.backToMnist.hidden = images.source === 'mnist';
  const thing = images.source === 'mnist' ? 'digit' : 'picture';
  ui.repairReal.textContent = `Real ${thing}`;
  ui.repairGenerated.textContent = `Generated ${thing}`;
  if (images.source !== 'mnist')
    state.quality.view.notApplicable('the classifier judges 28×28 grey MNIST digits, not your pictures.');
  else if (state.quality.file) state.quality.view.applicable();
  else state.quality.view.unavailable(state.quality.missing);
}

const classWord = (images: TrainingImages) => (images.source === 'mnist' ? 'digit' : 'class');

function resetQuality(quality: Quality): void {
  quality.view.reset();
  quality.lastStep = 0;
}

/** A new session of `config`. False when a device loss overtook it (replaceDevice then speaks). */
async function rebuild(state: State, charts: ProgressCharts, config: Partial<GanConfig>): Promise<boolean> {
  setRunning(state, false);
  state.rebuilding = true;
  // The repair's networks are a snapshot of this run: a new run makes them stale.
  state.search.discard();
  const ctx = state.ctx;
  try {
    await ctx.sync();
    state.session.destroy();
    const canvases = { grid: ui.samples, walk: ui.walk };
    const quality = qualitySpec(state.quality, state.images);
    const session = await Session.create(ctx, state.dataset, config, canvases, quality, state.labels);
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
  showSource(state);
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
    const idle = !state.inFlight && !state.saving && !state.rebuilding && !state.repairing;
    if (!state.running && idle && state.gpu === 'ok') trainStep(state, 1);
  });
  ui.reset.addEventListener(
    'click',
    () =>
      void rebuild(state, charts, afresh(state.config)).then((done) => {
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

/**
 * The settings of a run that starts over (Reset, new settings, other pictures): as they are, but
 * the one-hot's hot entry, which the form does not show, takes today's default rather than that
 * of a loaded older checkpoint (which trained with a plain one-hot).
 */
function afresh(config: GanConfig): GanConfig {
  return { ...config, oneHotValue: DEFAULT_GAN_CONFIG.oneHotValue };
}

async function applySettings(state: State, charts: ProgressCharts): Promise<void> {
  const read = readSettings(ui.form, conditionalClasses(state.images, MAX_GRID_CLASSES));
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
    const restarted = { ...afresh(state.config), ...s };
    try {
      resolveGanConfig(restarted);
    } catch (error) {
      message(ui.formMessage, (error as Error).message, true);
      return;
    }
    if (!(await rebuild(state, charts, restarted))) return;
    message(
      ui.formMessage,
      `Restarted ${s.classes > 0 ? `conditional on the ${classWord(state.images)}, ` : ''}with batch ${s.batch}, ` +
        `seed ${s.seed}, ` +
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

/** The drop zone and the two file inputs (pictures, or a folder) for training on the visitor's pictures. */
function wirePictures(state: State, charts: ProgressCharts): void {
  const zone = ui.dropZone;
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
    void usePictures(state, charts, () => listDrop(contents));
  });
  for (const input of [ui.pickFiles, ui.pickFolder])
    input.addEventListener('change', () => {
      const files = Array.from(input.files ?? []);
      input.value = ''; // so that choosing the same pictures again is a change too
      if (files.length > 0) void usePictures(state, charts, async () => listChosen(files));
    });
  ui.backToMnist.addEventListener('click', () => void backToMnist(state, charts));
}

/** Reads the visitor's pictures and trains on them from step 0; with none usable the run is left alone. */
async function usePictures(state: State, charts: ProgressCharts, list: () => Promise<Listing>): Promise<void> {
  if (state.readingPictures) {
    message(ui.picturesMessage, 'Still reading the pictures before: wait until they are in.', true);
    return;
  }
  if (state.gpu !== 'ok') {
    message(ui.picturesMessage, 'Training has no GPU device at the moment (see the message above): try again later.');
    return;
  }
  state.readingPictures = true;
  message(ui.picturesMessage, 'Looking for pictures…');
  try {
    const listing = await list();
    if (listing.files.length === 0 && listing.skipped.length === 0) {
      message(ui.picturesMessage, 'There are no files there: drop a folder of pictures, or picture files.', true);
      return;
    }
    ui.picturesProgress.hidden = false;
    const pictures = await readPictures(listing, Number(ui.pictureSide.value), (done, total) => {
      ui.picturesProgress.value = total > 0 ? done / total : 1;
      message(ui.picturesMessage, `Reading pictures: ${done} of ${total}…`);
    });
    const leftOver = listing.leftOver > 0 ? ` Only the first ${MAX_FILES} files were read.` : '';
    const skipped = `${describeSkipped(pictures.skipped)}${leftOver}`;
    if (pictures.count === 0) {
      const files = listing.files.length + listing.skipped.length;
      message(
        ui.picturesMessage,
        `No usable picture among ${files} file${files === 1 ? '' : 's'}, so training goes on as before. ${skipped}`,
        true,
      );
      return;
    }
    const note = conditionalNote(pictures); // before the switch unticks the box
    if (!(await switchImages(state, charts, pictures))) return;
    const read = `Read ${pictures.count} picture${pictures.count === 1 ? '' : 's'}.`;
    message(ui.picturesMessage, `${read} ${note}${skipped}`.trim());
  } catch (error) {
    message(ui.picturesMessage, `Could not use those pictures: ${(error as Error).message}`, true);
  } finally {
    state.readingPictures = false;
    ui.picturesProgress.hidden = true;
  }
}

/** Why Conditional, ticked, cannot apply to these pictures; '' when it is not ticked or applies. */
function conditionalNote(pictures: TrainingImages): string {
  const asked = (ui.form.elements.namedItem('conditional') as HTMLInputElement).checked;
  if (!asked || conditionalClasses(pictures, MAX_GRID_CLASSES) > 0) return '';
  const n = pictures.classNames.length;
  const why =
    n > MAX_GRID_CLASSES
      ? `they are in ${n} class folders, more than the ${MAX_GRID_CLASSES} rows a conditional grid can show`
      : `Conditional needs two class folders at least, and these have ${n === 0 ? 'none' : 'one'}`;
  return `They train without classes: ${why}. `;
}

async function backToMnist(state: State, charts: ProgressCharts): Promise<void> {
  if (state.readingPictures || state.images.source === 'mnist') return;
  try {
    if (await switchImages(state, charts, state.mnist)) message(ui.picturesMessage, 'Back to the MNIST digits.');
  } catch (error) {
    message(ui.picturesMessage, `Could not go back to MNIST: ${(error as Error).message}`, true);
  }
}

/**
 * Trains on other images from step 0: they go onto the GPU, then a new session is built as Reset
 * builds one, with the same settings but the images' size, colour and classes (Conditional on
 * when its box is ticked and the images have classes). A configuration the images cannot have
 * is refused before anything changes.
 */
async function switchImages(state: State, charts: ProgressCharts, images: TrainingImages): Promise<boolean> {
  if (state.rebuilding || state.gpu !== 'ok')
    throw new Error('training is being restarted (or its GPU device replaced) just now: try again in a moment');
  const asked = (ui.form.elements.namedItem('conditional') as HTMLInputElement).checked;
  const classes = asked ? conditionalClasses(images, MAX_GRID_CLASSES) : 0;
  const config = resolveGanConfig({
    ...afresh(state.config),
    dataDim: valuesPerImage(images),
    channels: images.channels,
    classes,
  });
  const before = { images: state.images, dataset: state.dataset, labels: state.labels, config: state.config };
  const uploaded = upload(state.ctx, images);
  // A device lost meanwhile is replaced from the state as it is now: these images and their settings.
  Object.assign(state, { images, ...uploaded, config });
  let done: boolean;
  try {
    done = await rebuild(state, charts, config);
  } catch (error) {
    // Back to what was trained on before, so that the page is not left without a run.
    Object.assign(state, before);
    uploaded.dataset.destroy();
    uploaded.labels?.destroy();
    if (await rebuild(state, charts, before.config)) ui.error.hidden = true;
    throw error;
  }
  before.dataset.destroy();
  before.labels?.destroy();
  if (!done) return false; // the device was lost meanwhile: replaceDevice speaks
  state.editor.clear(); // a picture of the old size and colour cannot be repaired by the new generator
  message(ui.repairProgress, '');
  writeSettings(ui.form, state.config);
  message(ui.formMessage, `Reset to step 0 on ${describeImages(images)}.`);
  return true;
}

/** The repair panel: take a picture, mark it with the pointer, and search for its repair. */
function wireRepair(state: State): void {
  ui.repairReal.addEventListener('click', () => state.editor.show(realPicture(state.images)));
  ui.repairGenerated.addEventListener('click', () => void takeGenerated(state));
  for (const input of Array.from(document.querySelectorAll<HTMLInputElement>('input[name=repair-mode]')))
    input.addEventListener('change', () => {
      if (input.checked) state.editor.mode = input.value === 'scribble' ? 'scribble' : 'erase';
    });
  ui.repairBrush.addEventListener('input', () => {
    state.editor.brush = Number(ui.repairBrush.value);
  });
  ui.repairEraseHalf.addEventListener('click', () => state.editor.eraseLowerHalf());
  ui.repairUndo.addEventListener('click', () => state.editor.restore());
  ui.repairRun.addEventListener('click', () => void repairPicture(state));
  ui.repairStop.addEventListener('click', () => state.search.stop());
  updateRepairButtons(state);
}

function updateRepairButtons(state: State): void {
  const usable = state.gpu === 'ok';
  const busy = state.repairing;
  const hasPicture = state.editor.picture !== null;
  ui.repairReal.disabled = !usable || busy;
  ui.repairGenerated.disabled = !usable || busy;
  ui.repairEraseHalf.disabled = !hasPicture;
  ui.repairUndo.disabled = !hasPicture;
  ui.repairRun.disabled = !usable || busy || !hasPicture;
  ui.repairStop.disabled = !busy;
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
    message(ui.repairProgress, `Could not take a generated picture: ${(error as Error).message}`, true);
  }
}

/**
 * Fills the erased pixels by latent search. Training pauses meanwhile (and resumes after if it was
 * running), so the snapshot the search runs on and the search's own GPU work never interleave
 * with training steps.
 */
async function repairPicture(state: State): Promise<void> {
  const picture = state.editor.picture;
  if (!picture || state.repairing || state.rebuilding || state.gpu !== 'ok') return;
  const known = state.editor.knownCount();
  if (known === 0) {
    message(
      ui.repairProgress,
      'Everything is erased: leave some of the picture as it was, so that the search has something to match.',
      true,
    );
    return;
  }
  if (known === picture.known.length) {
    message(ui.repairProgress, 'Nothing is erased yet: erase the part to fill in with the pointer, then Repair.');
    return;
  }
  const session = state.session;
  const wasRunning = state.running;
  setRunning(state, false);
  state.repairing = true;
  updateRepairButtons(state);
  ui.repairBar.hidden = false;
  ui.repairBar.value = 0;
  message(ui.repairProgress, `Taking a snapshot of the networks at step ${session.trainer.step}…`);
  try {
    const result = await state.search.run(state.ctx, session.trainer, picture, (progress, steps) => {
      ui.repairBar.value = progress.step / steps;
      message(
        ui.repairProgress,
        `Searching: step ${progress.step} of ${steps}, best error ${progress.bestError.toFixed(4)} ` +
          `(mean ${progress.meanError.toFixed(4)} over ${REPAIR_STARTS} starts)…`,
      );
    });
    drawPicture(ui.repairResult, { ...picture, values: result.completion }, null);
    const rms = Math.sqrt(result.error);
    message(
      ui.repairProgress,
      `Repaired ${picture.name} with the generator of step ${session.trainer.step}: after ${result.steps} steps on ` +
        `${REPAIR_STARTS} starts the best matches the kept pixels to an RMS error of ${rms.toFixed(4)} ` +
        `(${(rms * 127.5).toFixed(1)} grey levels of 255); error ${result.error.toFixed(4)}.`,
    );
  } catch (error) {
    message(ui.repairProgress, `Could not repair: ${(error as Error).message}`, true);
  } finally {
    state.repairing = false;
    ui.repairBar.hidden = true;
    if (wasRunning && state.session === session && state.gpu === 'ok') setRunning(state, true);
    updateRepairButtons(state);
  }
}

void main().catch((error: Error) => {
  const why = error.message.replace(/\.$/, '');
  ui.error.textContent = `The demo failed to start: ${why}. Reload the page, or try another browser.`;
  ui.error.hidden = false;
});
