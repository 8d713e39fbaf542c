// The settings panel: the form's learning rates and β1 apply at the next step; any other change
// (batch, seed, loss, conditioning, the moving average) restarts training from step 0.
import { resolveGanConfig } from 'webgpu-gan';
import { classWord, MAX_GRID_CLASSES, message, ui } from './page.js';
import { conditionalClasses } from './pictures.js';
import { afresh, rebuild } from './run.js';
import { readSettings } from './settings.js';
import type { State } from './state.js';

export function wireSettings(state: State): void {
  ui.form.addEventListener('submit', (event) => {
    event.preventDefault();
    void applySettings(state);
  });
}

async function applySettings(state: State): Promise<void> {
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
    if (!(await rebuild(state, restarted))) return;
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
