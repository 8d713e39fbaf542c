// A lost GPU device (a driver reset, a GPU switch, the browser's own limits) is replaced, not
// fatal: the page gets a new device, uploads the images again and goes on from the last autosave,
// unless the device was lost too often lately. The panels see the new session when 'recovered'
// renders them.
import { acquireGpu, decodeCheckpoint, restoreCheckpoint, WebGpuUnavailableError } from 'webgpu-gan';
import { hasDevice } from './machine.js';
import { alertUser, LOSS_WINDOW_MS, MAX_LOSSES } from './page.js';
import { qualitySpec, resetQuality, upload } from './run.js';
import { Session } from './session.js';
import { dispatch, type State } from './state.js';

export function watchDevice(state: State): void {
  const ctx = state.ctx;
  void ctx.device.lost.then((info) => {
    if (state.ctx !== ctx || !hasDevice(state.mode)) return; // a device we replaced ourselves
    void replaceDevice(state, `${info.reason}${info.message ? `: ${info.message}` : ''}`);
  });
}

async function replaceDevice(state: State, reason: string): Promise<void> {
  const lostAt = state.session.trainer.step;
  if (!dispatch(state, 'lost')) return;
  state.losses = [...state.losses.filter((t) => performance.now() - t < LOSS_WINDOW_MS), performance.now()];
  const from = state.snapshot ? `the autosave of step ${state.snapshot.step}` : 'step 0 (nothing was autosaved yet)';
  const stored = state.snapshot?.stored
    ? ` Your run is saved in this browser at step ${state.snapshot.step}: reloading the page offers it.`
    : '';
  if (state.losses.length >= MAX_LOSSES) {
    dispatch(state, 'gaveUp');
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
  state.restorers.destroy();
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
    const quality = qualitySpec(state.quality, state.images);
    const session = await Session.create(ctx, dataset, state.config, state.canvases, quality, labels, state.images);
    made.unshift(session);
    if (state.snapshot) restoreCheckpoint(session.trainer, decodeCheckpoint(state.snapshot.bytes));
    Object.assign(state, { ctx, dataset, labels, session, inFlight: false });
    state.charts.reset();
    resetQuality(state.quality);
    watchDevice(state);
    dispatch(state, 'recovered');
    alertUser(
      `The GPU device was lost at step ${lostAt} (${reason}) and was replaced; training goes on from ${from}.`,
      false,
    );
  } catch (error) {
    for (const object of made) object.destroy();
    dispatch(state, 'gaveUp');
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
