// The page's state: what it trains (the device, the images, the session) and what it is doing
// (machine.ts's mode). Events go through dispatch, which applies the transition table and then
// has every panel render from the new state, so no panel sets a mode, or another panel's controls.
import type { ClassifierFile, GanConfig, GpuContext, GpuDataset } from 'webgpu-gan';
import type { Snapshot } from './autosave.js';
import type { ProgressCharts } from './charts.js';
import { type Mode, type PageEvent, transition } from './machine.js';
import type { TrainingImages } from './pictures.js';
import type { QualityView } from './quality.js';
import type { RepairEditor, RepairSearch } from './repair.js';
import type { RestorerShelf } from './restorers.js';
import type { Session } from './session.js';

export interface Quality {
  /** The classifier and its reference statistics; null when they could not be fetched. */
  file: ClassifierFile | null;
  /** Why there is no file, to say again when the page comes back to MNIST. */
  missing: string;
  view: QualityView;
  /** True while a score is being computed: at most one at a time, and training never waits for it. */
  inFlight: boolean;
  lastStep: number;
  /** Counts resets (a checkpoint loaded with the same settings): a score begun before one is not shown. */
  resets: number;
}

export interface State {
  mode: Mode;
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
  charts: ProgressCharts;
  /** The last autosave (in IndexedDB too where `stored`): what a lost device or a reload resumes from. */
  snapshot: (Snapshot & { stored: boolean }) | null;
  /** When the device was lost lately: too many losses make the page stop replacing it. */
  losses: number[];
  walking: boolean;
  /** Which of the live canvases are on screen: only those are drawn. */
  shown: { grid: boolean; walk: boolean };
  stepsPerFrame: number;
  /** A submitted frame of steps the queue has not finished: the next waits for it. */
  inFlight: boolean;
  speed: { time: number; step: number; value: number };
  quality: Quality;
  /** True while pictures are being read (training goes on): a second drop waits for the first. */
  readingPictures: boolean;
  editor: RepairEditor;
  search: RepairSearch;
  /** The shipped restorers loaded so far (the Restore panel's), on the current device. */
  restorers: RestorerShelf;
  /** The live canvases (the training panel's) that every new session draws on. */
  canvases: { grid: HTMLCanvasElement; walk: HTMLCanvasElement };
  /** Each panel's rendering, in the order main.ts wired them. */
  views: View[];
}

/** A panel's rendering: its part of the page from the state, called after every event. */
export type View = (state: State) => void;

/** Applies `event` if the current mode allows it, and renders the panels. False when it was not allowed. */
export function dispatch(state: State, event: PageEvent): boolean {
  const next = transition(state.mode, event);
  if (!next) return false;
  state.mode = next;
  render(state);
  return true;
}

/** Every panel draws its part of the page from the state: its controls as the mode allows them. */
export function render(state: State): void {
  for (const view of state.views) view(state);
}
