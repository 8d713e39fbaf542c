// What every panel shares: the page's own elements (each panel finds its own), the settings its
// URL takes, and the small ways of writing a message. Below every other module of the demo.
// URL parameters shrink the run for tests: ?subset=N images, ?gHidden=32,32&dHidden=32,32,
// ?batch=N, ?autosave=N (steps between autosaves, default 500), ?evalEvery=N&evalN=M, ?testN=N (test
// digits a semi-supervised run's accuracy is measured on, default all 10,000), and
// ?repairStarts=N&repairSteps=M (the repair search's starting points and Adam steps), ?restoreBatch=N
// (pictures per step of a restorer trained in the page, default 64); ?start=scratch or
// ?start=pretrained turns the software adapter's pretrained start (pretrained.ts) off or on.
import type { GanConfig } from 'webgpu-gan';
import type { TrainingImages } from './pictures.js';

export const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
/** What belongs to the page rather than a panel: the adapter line, the error, the loading bar, the run's alert. */
export const page = {
  adapter: $('adapter'),
  error: $('webgpu-error'),
  app: $('app'),
  loading: $('loading'),
  progress: $<HTMLProgressElement>('data-progress'),
  alert: $('run-alert'),
};

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
/** Test digits a semi-supervised run's D is scored on: all of MNIST's 10,000 unless the URL says fewer. */
export const TEST_DIGITS = Math.min(10_000, Math.max(1, Number(params.get('testN')) || 10_000));
/**
 * The Restore panel's test digit, 1 … 10,000 as the page numbers them (?testDigit=K): a link that
 * shows one digit again; a random one each time unless the URL names it.
 */
const asked = Number(params.get('testDigit'));
export const TEST_DIGIT: number | null = Number.isInteger(asked) && asked >= 1 && asked <= 10_000 ? asked : null;
/** The repair search: starting points searched at once, Adam steps, and ten progress reports on the way. */
export const REPAIR_STARTS = Math.min(4096, Math.max(1, Number(params.get('repairStarts')) || 64));
export const REPAIR_STEPS = Math.max(1, Number(params.get('repairSteps')) || 300);
export const REPAIR_CHUNK = Math.max(1, Math.round(REPAIR_STEPS / 10));
/** Pictures per step of a restorer trained in the page: the library's default unless the URL shrinks it. */
export const RESTORE_BATCH = Math.min(1024, Math.max(1, Number(params.get('restoreBatch')) || 64));
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

/** The panels' lines about the run before (a restart, a load, a repair, an autosave): a new run makes them stale. */
const RUN_MESSAGES = ['form-message', 'file-message', 'autosave', 'pictures-message', 'repair-progress'];

/** Clears the panels' messages about an earlier run; whoever started the new one then says so. */
export function clearRunMessages(): void {
  for (const id of RUN_MESSAGES) message($(id), '');
  // The line saying the run began from the pretrained generator (pretrained.ts) is about the run before too.
  $('pretrained-note').hidden = true;
}

/** A failure that leaves the page without a run: said prominently, with what to do. */
export function fail(text: string): void {
  page.error.textContent = text;
  page.error.hidden = false;
}

/** The run's alert above the controls: a divergence, a lost device; '' hides it. */
export function alertUser(text: string, bad: boolean): void {
  page.alert.textContent = text;
  page.alert.classList.toggle('bad', bad);
  page.alert.hidden = text === '';
}

export const classWord = (images: TrainingImages) => (images.source === 'mnist' ? 'digit' : 'class');
