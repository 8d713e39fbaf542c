// The page's elements, found once, the settings its URL takes, and the small ways every panel
// writes to it. Below every other module of the demo.
// URL parameters shrink the run for tests: ?subset=N images, ?gHidden=32,32&dHidden=32,32,
// ?batch=N, ?autosave=N (steps between autosaves, default 500), ?evalEvery=N&evalN=M, and
// ?repairStarts=N&repairSteps=M (the repair search's starting points and Adam steps).
import type { GanConfig, TrainingStats } from 'webgpu-gan';
import type { TrainingImages } from './pictures.js';

export const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
export const ui = {
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
export const CONTROLS = [ui.start, ui.pause, ui.stepOnce, ui.reset, ui.save, ui.reroll, ui.walkToggle];
/** Disabled while the GPU device is being replaced, as CONTROLS are. */
export const DATA_INPUTS = [ui.pickFiles, ui.pickFolder, ui.backToMnist];

export const params = new URLSearchParams(location.search);
const widths = (name: string) => params.get(name)?.split(',').map(Number);
export const baseConfig: Partial<GanConfig> = {
  ...(widths('gHidden') && { generatorHidden: widths('gHidden') }),
  ...(widths('dHidden') && { discriminatorHidden: widths('dHidden') }),
  ...(params.get('batch') && { batch: Number(params.get('batch')) }),
};
export const AUTOSAVE_EVERY = Math.max(1, Number(params.get('autosave')) || 500);
/** Steps between quality scores, and samples per score (?evalEvery=N&evalN=M). */
export const EVAL_EVERY = Math.max(1, Number(params.get('evalEvery')) || 500);
export const EVAL_COUNT = Math.max(2, Number(params.get('evalN')) || 1000);
/** The repair search: starting points searched at once, Adam steps, and ten progress reports on the way. */
export const REPAIR_STARTS = Math.min(4096, Math.max(1, Number(params.get('repairStarts')) || 64));
export const REPAIR_STEPS = Math.max(1, Number(params.get('repairSteps')) || 300);
export const REPAIR_CHUNK = Math.max(1, Math.round(REPAIR_STEPS / 10));
/**
 * A conditional grid has a row per class: more than this many rows would outgrow a canvas's largest
 * size, so pictures in more class folders train without conditioning.
 */
export const MAX_GRID_CLASSES = 100;
/** So many device losses within this window make the page give up replacing the device. */
export const LOSS_WINDOW_MS = 5 * 60_000;
export const MAX_LOSSES = 3;

export function message(element: HTMLElement, text: string, bad = false): void {
  element.textContent = text;
  element.classList.toggle('bad', bad);
}

/** The run's alert above the controls: a divergence, a lost device; '' hides it. */
export function alertUser(text: string, bad: boolean): void {
  ui.alert.textContent = text;
  ui.alert.classList.toggle('bad', bad);
  ui.alert.hidden = text === '';
}

export function showStats(s: TrainingStats): void {
  ui.lossD.textContent = s.lossD.toFixed(3);
  ui.lossG.textContent = s.lossG.toFixed(3);
  ui.dReal.textContent = s.dReal.toFixed(3);
  ui.dFake.textContent = s.dFake.toFixed(3);
}

export const classWord = (images: TrainingImages) => (images.source === 'mnist' ? 'digit' : 'class');
