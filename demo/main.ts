// The demo page: finds WebGPU, loads MNIST onto the GPU, and trains live with the controls,
// numbers, charts and canvases of index.html, using only webgpu-gan's public API. The visitor may
// train on pictures of their own instead (pictures.ts) and repair a damaged picture with the
// generator (repair.ts). The run is autosaved to the browser's storage (autosave.ts) and offered
// again when the page opens; a lost GPU device is replaced and training resumes from the last
// autosave, without a reload.
// What it is doing is a state machine (machine.ts, state.ts); each panel is a module that owns its
// part of the page (training, settings, checkpoint, pictures, repair, quality); this file starts
// the page and wires them. URL parameters are read in page.ts.
import './style.css';
import {
  DEFAULT_GAN_CONFIG,
  WebGpuUnavailableError,
  acquireGpu,
  formatAdapter,
  decodeClassifierFile,
  type ClassifierFile,
  type GpuContext,
} from 'webgpu-gan';
import { ProgressCharts } from './charts.js';
import { offerResume, wireCheckpoint } from './checkpoint.js';
import { watchDevice } from './device.js';
import { LOADING } from './machine.js';
import { fetchMnist, fetchMnistLabels } from './mnist.js';
import { $, baseConfig, params, REPAIR_CHUNK, REPAIR_STARTS, REPAIR_STEPS, ui } from './page.js';
import type { TrainingImages } from './pictures.js';
import { wirePictures } from './picturesPanel.js';
import { QualityView } from './quality.js';
import { RepairEditor, RepairSearch } from './repair.js';
import { wireRepair } from './repairPanel.js';
import { canvases, qualitySpec, showSource, upload } from './run.js';
import { Session } from './session.js';
import classifierUrl from '../models/mnist-classifier.safetensors?url';
import { writeSettings } from './settings.js';
import { wireSettings } from './settingsPanel.js';
import { dispatch, type Quality, render, type State } from './state.js';
import { frame, watchVisibility, wireTraining } from './training.js';

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
  const session = await Session.create(ctx, dataset, config, canvases(), qualitySpec(quality, images), labels);
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
    editor: new RepairEditor(ui.repairEditor, () => render(state)),
    search: new RepairSearch({ starts: REPAIR_STARTS, steps: REPAIR_STEPS, chunk: REPAIR_CHUNK }),
  };
  writeSettings(ui.form, state.config);
  showSource(state);
  wireTraining(state);
  wireSettings(state);
  wireCheckpoint(state);
  wirePictures(state);
  wireRepair(state);
  watchDevice(state);
  dispatch(state, 'ready');
  await offerResume(state);
  requestAnimationFrame(() => frame(state));
}

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

void main().catch((error: Error) => {
  const why = error.message.replace(/\.$/, '');
  ui.error.textContent = `The demo failed to start: ${why}. Reload the page, or try another browser.`;
  ui.error.hidden = false;
});
