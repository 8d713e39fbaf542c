// The settings panel: the form's learning rates and β1 apply at the next step; any other change
// (batch, seed, loss, conditioning, the moving average) restarts training from step 0.
// Other panels write here only through the functions below.
import { type GanConfig, resolveGanConfig } from 'webgpu-gan';
import { $, classWord, MAX_GRID_CLASSES, message } from './page.js';
import { conditionalClasses } from './pictures.js';
import { afresh, rebuild } from './run.js';
import { readSettings, writeSettings } from './settings.js';
import type { State } from './state.js';

const form = $<HTMLFormElement>('settings');
const formMessage = $('form-message');

export function settingsPanel(state: State): void {
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    void applySettings(state);
  });
}

/** The form shows `config` (at the start, and for a run that did not come from the form). */
export const showSettings = (config: GanConfig) => writeSettings(form, config);

/** What became of the settings: a restart, a refusal, a run on other images. */
export const settingsMessage = (text: string, bad = false) => message(formMessage, text, bad);

/** Whether the Conditional box is ticked: other pictures take it into account. */
export const conditionalAsked = () => (form.elements.namedItem('conditional') as HTMLInputElement).checked;

async function applySettings(state: State): Promise<void> {
  const read = readSettings(form, conditionalClasses(state.images, MAX_GRID_CLASSES));
  if ('error' in read) {
    settingsMessage(read.error, true);
    (form.elements.namedItem(read.field) as HTMLInputElement).focus();
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
      settingsMessage((error as Error).message, true);
      return;
    }
    if (!(await rebuild(state, restarted))) return;
    settingsMessage(
      `Restarted ${s.classes > 0 ? `conditional on the ${classWord(state.images)}, ` : ''}with batch ${s.batch}, ` +
        `seed ${s.seed}, ` +
        `${s.loss} loss` +
        `${s.spectralNorm ? ' (D spectrally normalised)' : ''}, real label ${s.realLabel}, moving average ` +
        `${s.emaDecay} (warm-up ${s.emaWarmup}), ${rates}.`,
    );
  } else {
    const { lr, discriminatorLr, generatorLr, beta1 } = s;
    state.session.trainer.setOptimizer({ lr, discriminatorLr, generatorLr, beta1 });
    settingsMessage(`${rates[0]!.toUpperCase()}${rates.slice(1)}, β1 ${s.beta1} apply from the next step.`);
  }
}
