// The settings panel: the form's learning rates and β1 apply at the next step; any other change
// (the model, batch, seed, loss, conditioning, the moving average) restarts training from step 0.
// The model panel beside it shows the networks the form describes as it is edited.
// Other panels write here only through the functions below.
import type { Architecture, GanConfig } from 'webgpu-gan';
import { ARCHITECTURE_NAMES } from './modelFormat.js';
import { showModel } from './modelPanel.js';
import { $, classWord, message } from './page.js';
import { pendingConfig, restartKeys } from './pendingConfig.js';
import { recipeFieldsShow, wireRecipeOffers } from './recipeOffers.js';
import { rebuild } from './run.js';
import { hasDevice } from './machine.js';
import { fieldLabel, fieldOf, writeSetting, writeSettings } from './settings.js';
import type { State, View } from './state.js';

const form = $<HTMLFormElement>('settings');
const formMessage = $('form-message');
/** An Apply asked for during a restart, to apply when it is done. */
let queued = false;
/** Set once the waiting Apply is to run (at the next task, after the restart's own Apply has finished). */
let scheduled = false;
/** Redraws the model panel from the form; set once the panel is wired. */
let refreshModel = () => {};

/** Wires the form; the returned view keeps the model panel on the form and the images trained on. */
export function settingsPanel(state: State): View {
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    requestApply(state);
  });
  refreshModel = () => {
    showAuxiliaryFields();
    showPendingModel(state);
  };
  wireRecipeOffers(form, state, { say: settingsMessage, refresh: () => refreshModel() });
  form.addEventListener('input', refreshModel);
  form.addEventListener('change', refreshModel);
  return (state) => {
    showPendingModel(state);
    // An Apply that waited for a restart: the form as it is now, once the page can restart again.
    if (queued && !scheduled && state.mode.phase !== 'rebuilding' && hasDevice(state.mode)) {
      scheduled = true;
      setTimeout(() => {
        queued = scheduled = false;
        requestApply(state);
      });
    }
  };
}

/** The auxiliary classifier's own fields (its head, G's class weight), shown only while it is chosen. */
function showAuxiliaryFields(): void {
  const auxiliary = (form.elements.namedItem('conditioning') as HTMLSelectElement).value === 'auxiliary';
  for (const field of Array.from(form.querySelectorAll<HTMLElement>('[data-auxiliary]'))) field.hidden = !auxiliary;
}

/** The form shows `config` (at the start, and for a run that did not come from the form). */
export const showSettings = (config: GanConfig) => {
  writeSettings(form, config);
  recipeFieldsShow(config);
  refreshModel();
};

/** What became of the settings: a restart, a refusal, a run on other images. */
export const settingsMessage = (text: string, bad = false) => message(formMessage, text, bad);

/** Whether the Conditional box is ticked: other pictures take it into account. */
export const conditionalAsked = () => (form.elements.namedItem('conditional') as HTMLInputElement).checked;

/** How the form's conditional D takes the class (what the recipe offered, or the visitor's choice). */
export const conditioningAsked = () =>
  (form.elements.namedItem('conditioning') as HTMLSelectElement).value as GanConfig['conditioning'];

function showPendingModel(state: State): void {
  const pending = pendingConfig(form, state);
  showModel({
    architecture: (form.elements.namedItem('architecture') as HTMLSelectElement).value as Architecture,
    pending: 'error' in pending ? { error: pending.error } : { config: pending.config },
    running: state.config,
    software: state.ctx.adapter.isSoftware,
  });
}

/**
 * Apply: during a restart (or while a lost device is replaced) the request waits, and the form as it
 * is then applies once the page can restart again, so no Apply is lost.
 */
function requestApply(state: State): void {
  if (!queuedWhileBusy(state)) void applySettings(state);
}

/** True when the page is restarting (or replacing its device): the Apply then waits for it. */
function queuedWhileBusy(state: State): boolean {
  if (state.mode.phase !== 'rebuilding' && state.mode.phase !== 'deviceLost') return false;
  queued = true;
  settingsMessage('Training is restarting: the settings apply as soon as it has.');
  return true;
}

/** The settings Apply can take: a field the run cannot have goes back to the run's value, and the rest applies. */
function acceptedSettings(state: State): { pending: ReturnType<typeof pendingConfig>; refused: string[] } {
  const refused: string[] = [];
  const fields: string[] = [];
  let pending = pendingConfig(form, state);
  while ('error' in pending) {
    const field = fieldOf(pending.field);
    refused.push(pending.error);
    if (!field || fields.includes(field)) break; // putting it back did not help: the visitor must choose
    fields.push(field);
    writeSetting(form, field, state.config);
    pending = pendingConfig(form, state);
  }
  if (fields.length > 0) {
    const first = form.elements.namedItem(fields[0]!) as HTMLInputElement;
    first.focus();
    if (first.type === 'number') first.select();
  }
  if (!('error' in pending) && fields.length > 0) refused.push(`${fields.map(fieldLabel).join(', ')}: kept as before.`);
  return { pending, refused };
}

async function applySettings(state: State): Promise<void> {
  const { pending, refused } = acceptedSettings(state);
  const said = (text: string) => settingsMessage([...refused, text].filter(Boolean).join(' '), refused.length > 0);
  if ('error' in pending) return said('');
  const s = pending.settings;
  const restartFor = restartKeys(state, pending);
  const rates = `learning rates D ${s.discriminatorLr}, G ${s.generatorLr}`;
  if (restartFor.length > 0) {
    if (!(await rebuild(state, pending.config))) {
      queuedWhileBusy(state);
      return;
    }
    if (queued) return; // the form changed meanwhile: its own Apply follows at once, and speaks
    const model = s.architecture === 'mlp' ? '' : ` the ${ARCHITECTURE_NAMES[s.architecture]} model,`;
    const taking = takesClass(pending.config);
    said(
      `Restarted ${s.classes > 0 ? `conditional on the ${classWord(state.images)}${taking}, ` : ''}` +
        `${s.labeled > 0 ? `learning the classes of ${s.labeled} labelled images${learnsBy(pending.config)}, ` : ''}` +
        `with${model} ` +
        `batch ${s.batch}, seed ${s.seed}, ${s.loss} loss` +
        `${s.spectralNorm ? ' (D spectrally normalised)' : pending.config.weightNorm ? ' (D weight-normalised)' : ''}` +
        `, real label ${s.realLabel}, moving average ` +
        `${s.emaDecay} (warm-up ${s.emaWarmup}), ${rates}.`,
    );
    return;
  }
  const running = state.session.trainer.config;
  const { discriminatorLr, generatorLr, beta1 } = s;
  if (
    rate(running, 'discriminatorLr') === discriminatorLr &&
    rate(running, 'generatorLr') === generatorLr &&
    running.beta1 === beta1
  )
    return said('Nothing to apply: these are the settings training runs with.');
  state.session.trainer.setOptimizer({ discriminatorLr, generatorLr, beta1 });
  state.config = state.session.trainer.config;
  said(`${rates[0]!.toUpperCase()}${rates.slice(1)}, β1 ${s.beta1} apply from the next step.`);
}

const learnsBy = (c: GanConfig) => (c.featureMatching ? ' (G by feature matching)' : '');

/** How a conditional run's D takes the class, as the restart message says it. */
const takesClass = (c: GanConfig) =>
  ({
    'one-hot': ' (a one-hot input in D)',
    projection: ' (by projection in D)',
    auxiliary:
      ` (an auxiliary classifier in D${c.auxiliaryHead === 'two-heads' ? ', two heads' : ''}` +
      `${c.classWeight !== 1 ? `, G's class weight ${c.classWeight}` : ''})`,
  })[c.conditioning];

/** A network's learning rate as it applies: its own, or the shared one. */
const rate = (c: GanConfig, key: 'discriminatorLr' | 'generatorLr') => c[key] ?? c.lr;
