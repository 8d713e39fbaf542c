// The run itself, as every panel changes it: the images on the GPU, a new session of some
// settings (Reset, the settings form, other pictures, a checkpoint), and what the training panel
// shows of the run's source and classes.
import { DEFAULT_GAN_CONFIG, type GanConfig, type GpuContext, GpuDataset } from 'webgpu-gan';
import { hasDevice } from './machine.js';
import { classWord, EVAL_COUNT, MAX_GRID_CLASSES, ui } from './page.js';
import { conditionalClasses, describeImages, type TrainingImages, valuesPerImage } from './pictures.js';
import { Session } from './session.js';
import { dispatch, type Quality, type State } from './state.js';

/** What Session.create needs to score samples: a classifier, and MNIST's digits, the only pictures it judges. */
export const qualitySpec = (quality: Quality, images: TrainingImages) =>
  quality.file && images.source === 'mnist' ? { file: quality.file, count: EVAL_COUNT } : null;

export const canvases = () => ({ grid: ui.samples, walk: ui.walk });

/** The images on the GPU, with their classes where a conditional session could use them. */
export function upload(ctx: GpuContext, images: TrainingImages): { dataset: GpuDataset; labels: GpuDataset | null } {
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

/**
 * The settings of a run that starts over (Reset, new settings, other pictures): as they are, but
 * the one-hot's hot entry, which the form does not show, takes today's default rather than that
 * of a loaded older checkpoint (which trained with a plain one-hot).
 */
export function afresh(config: GanConfig): GanConfig {
  return { ...config, oneHotValue: DEFAULT_GAN_CONFIG.oneHotValue };
}

/**
 * A new session of `config`. False when it could not start now (the page is busy rebuilding) or
 * a device loss overtook it (replaceDevice then speaks).
 */
export async function rebuild(state: State, config: Partial<GanConfig>): Promise<boolean> {
  if (!dispatch(state, 'rebuild')) return false;
  // The repair's networks are a snapshot of this run: a new run makes them stale.
  state.search.discard();
  const ctx = state.ctx;
  const overtaken = () => state.ctx !== ctx || !hasDevice(state.mode);
  try {
    await ctx.sync();
    state.session.destroy();
    const quality = qualitySpec(state.quality, state.images);
    const session = await Session.create(ctx, state.dataset, config, canvases(), quality, state.labels);
    if (overtaken()) {
      session.destroy(); // the device was lost meanwhile: replaceDevice's session stands
      return false;
    }
    state.session = session;
  } catch (error) {
    if (overtaken()) return false; // a lost device: replaceDevice reports it
    // The old session is gone and no new one exists: stop here with a visible reason.
    ui.error.textContent = `Could not start training: ${(error as Error).message}. Reload the page.`;
    ui.error.hidden = false;
    throw error;
  } finally {
    dispatch(state, 'rebuilt');
  }
  state.config = state.session.trainer.config;
  showClassPicker(state);
  showSource(state);
  state.snapshot = null; // a new run: the next autosave is of it
  state.charts.reset();
  resetQuality(state.quality);
  for (const el of [ui.lossD, ui.lossG, ui.dReal, ui.dFake, ui.speed]) el.textContent = '–';
  return true;
}

/** The digit (or class) picker, for a conditional session only; a new session draws every class. */
export function showClassPicker(state: State): void {
  const classes = state.session.trainer.config.classes;
  ui.classPicker.hidden = classes === 0;
  const every = state.images.source === 'mnist' ? 'every digit, a row each' : 'every class, a row each';
  const names = state.images.classNames.slice(0, classes);
  ui.showClass.replaceChildren(new Option(every, 'all'), ...names.map((name, i) => new Option(name, String(i))));
  ui.showClass.value = 'all';
}

/** What is being trained on, in the training panel, and the controls that depend on it. */
export function showSource(state: State): void {
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

export function resetQuality(quality: Quality): void {
  quality.view.reset();
  quality.lastStep = 0;
}
