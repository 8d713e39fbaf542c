// The demo page: finds WebGPU, loads MNIST onto the GPU, and trains live with the controls,
// numbers, charts and canvases of index.html, using only webgpu-gan's public API. The visitor may
// train on pictures of their own instead (pictures.ts), repair a picture erased by hand with the
// generator (repair.ts) and restore a damaged one with a shipped restorer (restorers.ts). The run
// is autosaved to the browser's storage (autosave.ts) and offered again when the page opens; a
// lost GPU device is replaced and training resumes from the last autosave, without a reload.
// What it is doing is a state machine (machine.ts, state.ts); each panel is a module that owns its
// part of the page (training, settings, checkpoint, pictures, repair, restore, quality) and renders it from
// the state; this file starts the page and wires them. URL parameters are read in page.ts.
import './style.css';
import { DEFAULT_GAN_CONFIG, WebGpuUnavailableError, acquireGpu, formatAdapter, type GpuContext } from 'webgpu-gan';
import { ProgressCharts } from './charts.js';
import { checkpointPanel, offerResume } from './checkpoint.js';
import { watchDevice } from './device.js';
import { LOADING } from './machine.js';
import { showHelp } from './help.js';
import { fetchMnist, fetchMnistLabels } from './mnist.js';
import { $, baseConfig, fail, page, params } from './page.js';
import type { TrainingImages } from './pictures.js';
import { picturesPanel } from './picturesPanel.js';
import { fetchPretrained, startPretrained, wantsPretrained, wireStartFromScratch } from './pretrained.js';
import { loadQuality, qualityPanel } from './qualityPanel.js';
import { classifyPanel } from './classifyPanel.js';
import { repairPanel, repairTools } from './repairPanel.js';
import { restorePanel } from './restorePanel.js';
import { RestorerShelf } from './restorers.js';
import { qualitySpec, upload } from './run.js';
import { Session } from './session.js';
import { settingsPanel, showSettings } from './settingsPanel.js';
import { dispatch, render, type State } from './state.js';
import { canvases, frame, trainingPanel, watchVisibility } from './training.js';

async function main(): Promise<void> {
  showHelp();
  const ctx = await findGpu();
  if (!ctx) return;
  let ready = (_: State) => {};
  void offerResume(new Promise<State>((resolve) => (ready = resolve)));
  // Fetched beside MNIST, and restored before the page is ready: no step can run in between.
  const shipped = wantsPretrained(ctx.adapter.isSoftware) ? fetchPretrained() : null;
  const images = await loadMnist();
  const { dataset, labels } = upload(ctx, images);
  page.loading.hidden = true;
  const config = { ...DEFAULT_GAN_CONFIG, ...baseConfig, dataDim: images.side ** 2, channels: 1 as const };
  const quality = await loadQuality();
  const session = await Session.create(ctx, dataset, config, canvases, qualitySpec(quality, images), labels, images);
  const state: State = {
    mode: LOADING,
    ctx,
    images,
    mnist: images,
    dataset,
    labels,
    session,
    config: session.trainer.config,
    charts: new ProgressCharts($('chart-loss'), $('chart-d')),
    snapshot: null,
    losses: [],
    walking: true,
    shown: watchVisibility(),
    stepsPerFrame: 1,
    inFlight: false,
    speed: { time: performance.now(), step: 0, value: 0 },
    quality,
    readingPictures: false,
    ...repairTools(() => render(state)),
    restorers: new RestorerShelf(),
    canvases,
    views: [],
  };
  wire(state);
  if (shipped) startPretrained(state, await shipped);
  dispatch(state, 'ready');
  ready(state);
  requestAnimationFrame(() => frame(state));
}

/** Every panel's listeners, and its view in the order the panels render. */
function wire(state: State): void {
  state.views.push(
    settingsPanel(state),
    trainingPanel(state),
    checkpointPanel(state),
    picturesPanel(state),
    repairPanel(state),
    restorePanel(state),
    classifyPanel(state),
    qualityPanel(),
  );
  wireStartFromScratch(state);
  watchDevice(state);
  showSettings(state.config);
}

/** The GPU, or null when there is none (the page then says why). */
async function findGpu(): Promise<GpuContext | null> {
  try {
    const ctx = await acquireGpu();
    page.adapter.textContent = `Adapter: ${formatAdapter(ctx.adapter)}`;
    page.app.hidden = false;
    return ctx;
  } catch (error) {
    page.adapter.textContent = 'No WebGPU adapter.';
    const why = error instanceof WebGpuUnavailableError ? error.message : (error as Error).message;
    fail(error instanceof WebGpuUnavailableError ? why : `WebGPU failed to start: ${why}`);
    return null;
  }
}

/** MNIST's digits and their labels, served next to the page (?subset=N takes the first N). */
async function loadMnist(): Promise<TrainingImages> {
  const mnist = await fetchMnist(`${import.meta.env.BASE_URL}mnist/train-images-idx3-ubyte.gz`, (f) => {
    if (f === null) page.progress.removeAttribute('value');
    else page.progress.value = f;
  });
  const digits = await fetchMnistLabels(`${import.meta.env.BASE_URL}mnist/train-labels-idx1-ubyte.gz`);
  const count = Math.min(mnist.count, Number(params.get('subset')) || mnist.count);
  return {
    pixels: mnist.pixels.subarray(0, count * mnist.rows * mnist.cols),
    labels: digits.subarray(0, count),
    classNames: Array.from({ length: 10 }, (_, digit) => String(digit)),
    count,
    side: mnist.rows,
    channels: 1,
    source: 'mnist',
  };
}

void main().catch((error: Error) => {
  fail(`The demo failed to start: ${error.message.replace(/\.$/, '')}. Reload the page, or try another browser.`);
});
