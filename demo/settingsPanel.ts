// The settings panel: the form's learning rates and β1 apply at the next step; any other change
// (the model, batch, seed, loss, conditioning, the moving average) restarts training from step 0.
// The model panel beside it shows the networks the form describes as it is edited.
// Other panels write here only through the functions below.
import { type Architecture, type GanConfig, resolveGanConfig } from 'webgpu-gan';
import { ARCHITECTURE_NAMES } from './modelFormat.js';
import { showModel } from './modelPanel.js';
import { $, classWord, MAX_GRID_CLASSES, message } from './page.js';
import { conditionalClasses } from './pictures.js';
import { afresh, rebuild } from './run.js';
import { pageMessage, readSettings, type Settings, writeSettings } from './settings.js';
import type { State, View } from './state.js';

const form = $<HTMLFormElement>('settings');
const formMessage = $('form-message');
/** Redraws the model panel from the form; set once the panel is wired. */
let refreshModel = () => {};

/** Wires the form; the returned view keeps the model panel on the form and the images trained on. */
export function settingsPanel(state: State): View {
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    void applySettings(state);
  });
  refreshModel = () => showPendingModel(state);
  form.addEventListener('input', refreshModel);
  form.addEventListener('change', refreshModel);
  return showPendingModel;
}

/** The form shows `config` (at the start, and for a run that did not come from the form). */
export const showSettings = (config: GanConfig) => {
  writeSettings(form, config);
  refreshModel();
};

/** What became of the settings: a restart, a refusal, a run on other images. */
export const settingsMessage = (text: string, bad = false) => message(formMessage, text, bad);

/** Whether the Conditional box is ticked: other pictures take it into account. */
export const conditionalAsked = () => (form.elements.namedItem('conditional') as HTMLInputElement).checked;

/** The form's settings as the configuration Apply would restart with, or why they would be refused. */
function pendingConfig(state: State): { settings: Settings; config: GanConfig } | { error: string; field: string } {
  const read = readSettings(form, conditionalClasses(state.images, MAX_GRID_CLASSES));
  if ('error' in read) return read;
  try {
    return { settings: read.settings, config: resolveGanConfig({ ...afresh(state.config), ...read.settings }) };
  } catch (error) {
    const field = (error as { argument?: string }).argument ?? '';
    return { error: pageMessage(error as Error), field };
  }
}

function showPendingModel(state: State): void {
  const pending = pendingConfig(state);
  showModel({
    architecture: (form.elements.namedItem('architecture') as HTMLSelectElement).value as Architecture,
    pending: 'error' in pending ? { error: pending.error } : { config: pending.config },
    running: state.config,
    software: state.ctx.adapter.isSoftware,
  });
}

async function applySettings(state: State): Promise<void> {
  const pending = pendingConfig(state);
  if ('error' in pending) {
    settingsMessage(pending.error, true);
    const field = pending.field === 'classes' ? 'conditional' : pending.field;
    (form.elements.namedItem(field) as HTMLElement | null)?.focus();
    return;
  }
  const s = pending.settings;
  const restartFor = (
    [
      'architecture',
      'batch',
      'seed',
      'loss',
      'spectralNorm',
      'classes',
      'labeled',
      'realLabel',
      'emaDecay',
      'emaWarmup',
    ] as const
  ).filter((key) => s[key] !== state.config[key]);
  const rates = `learning rates D ${s.discriminatorLr ?? s.lr}, G ${s.generatorLr ?? s.lr}`;
  if (restartFor.length > 0) {
    if (!(await rebuild(state, pending.config))) return;
    const model = s.architecture === 'mlp' ? '' : ` the ${ARCHITECTURE_NAMES[s.architecture]} model,`;
    settingsMessage(
      `Restarted ${s.classes > 0 ? `conditional on the ${classWord(state.images)}, ` : ''}` +
        `${s.labeled > 0 ? `learning the classes of ${s.labeled} labelled images, ` : ''}with${model} ` +
        `batch ${s.batch}, seed ${s.seed}, ${s.loss} loss` +
        `${s.spectralNorm ? ' (D spectrally normalised)' : ''}, real label ${s.realLabel}, moving average ` +
        `${s.emaDecay} (warm-up ${s.emaWarmup}), ${rates}.`,
    );
  } else {
    const { lr, discriminatorLr, generatorLr, beta1 } = s;
    state.session.trainer.setOptimizer({ lr, discriminatorLr, generatorLr, beta1 });
    settingsMessage(`${rates[0]!.toUpperCase()}${rates.slice(1)}, β1 ${s.beta1} apply from the next step.`);
  }
}
