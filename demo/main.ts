// The demo page: finds WebGPU, loads MNIST onto the GPU, and trains live with the controls,
// numbers, charts and canvases of index.html, using only webgpu-gan's public API.
// URL parameters shrink the run for tests: ?subset=N images, ?gHidden=32,32&dHidden=32,32.
import './style.css';
import {
  DEFAULT_GAN_CONFIG, GpuDataset, WebGpuUnavailableError, acquireGpu, configMismatches, decodeCheckpoint,
  encodeCheckpoint, formatAdapter, restoreCheckpoint, type GanConfig, type GpuContext, type TrainingStats,
} from 'webgpu-gan';
import { ProgressCharts } from './charts.js';
import { fetchMnist } from './mnist.js';
import { Session } from './session.js';
import { readSettings, writeSettings } from './settings.js';

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const ui = {
  adapter: $('adapter'), error: $('webgpu-error'), app: $('app'), loading: $('loading'), progress: $<HTMLProgressElement>('data-progress'),
  start: $<HTMLButtonElement>('start'), pause: $<HTMLButtonElement>('pause'), stepOnce: $<HTMLButtonElement>('step-once'), reset: $<HTMLButtonElement>('reset'),
  step: $('step'), speed: $('speed'), lossD: $('loss-d'), lossG: $('loss-g'), dReal: $('d-real'), dFake: $('d-fake'),
  form: $<HTMLFormElement>('settings'), formMessage: $('form-message'),
  save: $<HTMLButtonElement>('save'), load: $<HTMLInputElement>('load'), fileMessage: $('file-message'),
  samples: $<HTMLCanvasElement>('samples'), walk: $<HTMLCanvasElement>('walk'), reroll: $<HTMLButtonElement>('reroll'), walkToggle: $<HTMLButtonElement>('walk-toggle'),
};

const params = new URLSearchParams(location.search);
const widths = (name: string) => params.get(name)?.split(',').map(Number);
const baseConfig: Partial<GanConfig> = {
  ...(widths('gHidden') && { generatorHidden: widths('gHidden') }),
  ...(widths('dHidden') && { discriminatorHidden: widths('dHidden') }),
  ...(params.get('batch') && { batch: Number(params.get('batch')) }),
};

interface State {
  ctx: GpuContext;
  dataset: GpuDataset;
  session: Session;
  config: GanConfig;
  running: boolean;
  /** True while the session is being replaced: the frame loop leaves it alone. */
  rebuilding: boolean;
  walking: boolean;
  stepsPerFrame: number;
  inFlight: boolean;
  speed: { time: number; step: number; value: number };
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

async function main(): Promise<void> {
  let ctx: GpuContext;
  try {
    ctx = await acquireGpu();
  } catch (error) {
    ui.adapter.textContent = 'No WebGPU adapter.';
    ui.error.textContent = error instanceof WebGpuUnavailableError ? error.message : `WebGPU failed to start: ${(error as Error).message}`;
    ui.error.hidden = false;
    return;
  }
  ui.adapter.textContent = `Adapter: ${formatAdapter(ctx.adapter)}`;
  ui.app.hidden = false;
  const images = await fetchMnist(`${import.meta.env.BASE_URL}mnist/train-images-idx3-ubyte.gz`, (f) => {
    if (f === null) ui.progress.removeAttribute('value');
    else ui.progress.value = f;
  });
  const count = Math.min(images.count, Number(params.get('subset')) || images.count);
  const dim = images.rows * images.cols;
  const dataset = GpuDataset.fromBytes(ctx, images.pixels.subarray(0, count * dim), count, dim, 'MNIST');
  ui.loading.hidden = true;

  const config = { ...DEFAULT_GAN_CONFIG, ...baseConfig, dataDim: dim };
  const session = await Session.create(ctx, dataset, config, { grid: ui.samples, walk: ui.walk });
  const state: State = { ctx, dataset, session, config: session.trainer.config, running: false, rebuilding: false, walking: true, stepsPerFrame: 1, inFlight: false, speed: { time: performance.now(), step: 0, value: 0 } };
  const charts = new ProgressCharts($('chart-loss'), $('chart-d'));
  writeSettings(ui.form, state.config);
  wire(state, charts);
  for (const b of [ui.start, ui.reset, ui.save, ui.stepOnce, ui.reroll, ui.walkToggle]) b.disabled = false;
  ui.pause.disabled = true;
  requestAnimationFrame(() => frame(state, charts));
}

/** Submits training work (adapting steps per frame to keep frames smooth), then draws. */
function frame(state: State, charts: ProgressCharts): void {
  if (state.rebuilding) {
    requestAnimationFrame(() => frame(state, charts));
    return;
  }
  const { trainer } = state.session;
  if (state.ctx.error) {
    message(ui.fileMessage, `GPU error: ${state.ctx.error.message}`, true);
    setRunning(state, false);
  } else if (state.running && !state.inFlight) {
    trainStep(state, state.stepsPerFrame);
  }
  for (const s of trainer.drainStats()) {
    showStats(s);
    charts.push(s);
  }
  ui.step.textContent = String(trainer.step);
  const now = performance.now();
  if (now - state.speed.time > 1000) {
    state.speed = { time: now, step: trainer.step, value: ((trainer.step - state.speed.step) * 1000) / (now - state.speed.time) };
    ui.speed.textContent = state.running ? state.speed.value.toFixed(1) : '–';
  }
  state.session.draw(state.walking);
  requestAnimationFrame(() => frame(state, charts));
}

function trainStep(state: State, steps: number): void {
  const started = performance.now();
  state.session.trainer.submitSteps(steps, 10);
  state.inFlight = true;
  state.ctx.device.queue.onSubmittedWorkDone().then(() => {
    state.inFlight = false;
    const ms = performance.now() - started;
    if (ms < 12) state.stepsPerFrame = Math.min(64, state.stepsPerFrame * 2);
    else if (ms > 40) state.stepsPerFrame = Math.max(1, Math.floor(state.stepsPerFrame / 2));
  }, () => undefined);
}

async function rebuild(state: State, charts: ProgressCharts, config: Partial<GanConfig>): Promise<void> {
  setRunning(state, false);
  state.rebuilding = true;
  await state.ctx.sync();
  state.session.destroy();
  try {
    state.session = await Session.create(state.ctx, state.dataset, config, { grid: ui.samples, walk: ui.walk });
  } catch (error) {
    // The old session is gone and no new one exists: stop here with a visible reason.
    ui.error.textContent = `Could not start training: ${(error as Error).message}. Reload the page.`;
    ui.error.hidden = false;
    throw error;
  }
  state.rebuilding = false;
  state.config = state.session.trainer.config;
  charts.reset();
  for (const el of [ui.lossD, ui.lossG, ui.dReal, ui.dFake, ui.speed]) el.textContent = '–';
}

function wire(state: State, charts: ProgressCharts): void {
  ui.start.addEventListener('click', () => setRunning(state, true));
  ui.pause.addEventListener('click', () => setRunning(state, false));
  ui.stepOnce.addEventListener('click', () => { if (!state.running && !state.inFlight) trainStep(state, 1); });
  ui.reset.addEventListener('click', () => void rebuild(state, charts, state.config).then(() => message(ui.formMessage, 'Reset to step 0.')));
  ui.reroll.addEventListener('click', () => void state.session.grid.reseed(Math.floor(Math.random() * 2 ** 31)));
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
    if (event.key === ' ') { event.preventDefault(); setRunning(state, !state.running); }
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
  const needsRestart = s.batch !== state.config.batch || s.seed !== state.config.seed || s.realLabel !== state.config.realLabel;
  if (needsRestart) {
    await rebuild(state, charts, { ...state.config, ...s });
    message(ui.formMessage, `Restarted with batch ${s.batch}, seed ${s.seed}, real label ${s.realLabel}.`);
  } else {
    state.session.trainer.setOptimizer({ lr: s.lr, beta1: s.beta1 });
    message(ui.formMessage, `Learning rate ${s.lr}, β1 ${s.beta1} apply from the next step.`);
  }
}

async function save(state: State): Promise<void> {
  const wasRunning = state.running;
  setRunning(state, false);
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
    setRunning(state, wasRunning);
  }
}

async function load(state: State, charts: ProgressCharts): Promise<void> {
  const file = ui.load.files?.[0];
  if (!file) return;
  ui.load.value = '';
  try {
    const checkpoint = decodeCheckpoint(new Uint8Array(await file.arrayBuffer()));
    if (checkpoint.config.dataDim !== state.dataset.dim) throw new Error(`it was trained on ${checkpoint.config.dataDim} values per image, not ${state.dataset.dim}`);
    if (configMismatches(checkpoint.config, state.config).length > 0 || checkpoint.config.lr !== state.config.lr || checkpoint.config.beta1 !== state.config.beta1) {
      await rebuild(state, charts, checkpoint.config);
    } else {
      setRunning(state, false);
      charts.reset();
    }
    restoreCheckpoint(state.session.trainer, checkpoint);
    writeSettings(ui.form, state.config);
    message(ui.fileMessage, `Loaded ${file.name}: step ${checkpoint.step}.`);
  } catch (error) {
    message(ui.fileMessage, `Could not load ${file.name}: ${(error as Error).message}`, true);
  }
}

void main().catch((error: Error) => {
  ui.error.textContent = `The demo failed to start: ${error.message}`;
  ui.error.hidden = false;
});
