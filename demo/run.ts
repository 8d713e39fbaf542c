// The run itself, as every panel changes it: the images on the GPU, and a new session of some
// settings (Reset, the settings form, other pictures, a checkpoint). The panels see a new session
// when they next render (dispatch's 'rebuilt'), so this module writes to none of them, but clears
// their lines about the run before.
import { DEFAULT_GAN_CONFIG, type GanConfig, type GpuContext, GpuDataset } from 'webgpu-gan';
import { hasDevice } from './machine.js';
import { clearRunMessages, EVAL_COUNT, fail, MAX_GRID_CLASSES } from './page.js';
import { conditionalClasses, type TrainingImages, valuesPerImage } from './pictures.js';
import { Session } from './session.js';
import { dispatch, type Quality, type State } from './state.js';

/** What Session.create needs to score samples: a classifier, and MNIST's digits, the only pictures it judges. */
export const qualitySpec = (quality: Quality, images: TrainingImages) =>
  quality.file && images.source === 'mnist' ? { file: quality.file, count: EVAL_COUNT } : null;

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
  // A save reads the networks back: the session must outlive it (an autosave takes a moment).
  while (state.mode.phase === 'saving') await new Promise((resolve) => setTimeout(resolve, 50));
  if (!dispatch(state, 'rebuild')) return false;
  // The repair's networks are a snapshot of this run: a new run makes them stale.
  state.search.discard();
  const ctx = state.ctx;
  const overtaken = () => state.ctx !== ctx || !hasDevice(state.mode);
  try {
    await ctx.sync();
    state.session.destroy();
    const quality = qualitySpec(state.quality, state.images);
    const session = await Session.create(
      ctx,
      state.dataset,
      config,
      state.canvases,
      quality,
      state.labels,
      state.images,
    );
    if (overtaken()) {
      session.destroy(); // the device was lost meanwhile: replaceDevice's session stands
      return false;
    }
    startedAfresh(state, session);
    return true;
  } catch (error) {
    if (overtaken()) return false; // a lost device: replaceDevice reports it
    // The old session is gone and no new one exists: stop here with a visible reason.
    fail(`Could not start training: ${(error as Error).message}. Reload the page.`);
    throw error;
  } finally {
    dispatch(state, 'rebuilt');
  }
}

/** A new run in the state, before the panels render it: no autosave of it yet, no charts or scores. */
function startedAfresh(state: State, session: Session): void {
  state.session = session;
  state.config = session.trainer.config;
  state.snapshot = null; // a new run: the next autosave is of it
  state.charts.reset();
  resetQuality(state.quality);
  clearRunMessages();
}

export function resetQuality(quality: Quality): void {
  quality.view.reset();
  quality.lastStep = 0;
  quality.resets++;
}
