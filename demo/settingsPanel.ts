// The settings panel: the form's learning rates and β1 apply at the next step; any other change
// (the model, batch, seed, loss, conditioning, the moving average) restarts training from step 0.
// The model panel beside it shows the networks the form describes as it is edited.
// Other panels write here only through the functions below.
import {
  type Architecture,
  DEFAULT_GAN_CONFIG,
  type GanConfig,
  conditionalRecipe,
  dcganRecipe,
  resolveGanConfig,
  semiSupervisedRecipe,
} from 'webgpu-gan';
import { ARCHITECTURE_NAMES } from './modelFormat.js';
import { showModel } from './modelPanel.js';
import { $, baseConfig, classWord, MAX_GRID_CLASSES, message } from './page.js';
import { conditionalClasses } from './pictures.js';
import { afresh, rebuild } from './run.js';
import { hasDevice } from './machine.js';
import {
  fieldLabel,
  fieldOf,
  pageMessage,
  readSettings,
  type Settings,
  writeSetting,
  writeSettings,
} from './settings.js';
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
  (form.elements.namedItem('labeled') as HTMLInputElement).addEventListener('change', () => offerRecipe(state));
  (form.elements.namedItem('architecture') as HTMLElement).addEventListener('change', () => offerModelRecipe(state));
  for (const name of ['conditional', 'architecture'])
    (form.elements.namedItem(name) as HTMLElement).addEventListener('change', () => offerConditionalRecipe(state));
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
  refreshModel();
};

/** What became of the settings: a restart, a refusal, a run on other images. */
export const settingsMessage = (text: string, bad = false) => message(formMessage, text, bad);

/** Whether the Conditional box is ticked: other pictures take it into account. */
export const conditionalAsked = () => (form.elements.namedItem('conditional') as HTMLInputElement).checked;

/** How the form's conditional D takes the class (what the recipe offered, or the visitor's choice). */
export const conditioningAsked = () =>
  (form.elements.namedItem('conditioning') as HTMLSelectElement).value as GanConfig['conditioning'];

/**
 * Labelled images asked for where the run has none: the form takes the semi-supervised recipe's
 * loss, spectral normalisation and G's rate (QUALITY.md: the recipe that won), in view, before
 * Apply, so that what restarts is what the form shows; what has no field (G's feature matching,
 * an MLP's networks) is said.
 */
function offerRecipe(state: State): void {
  const labeled = Number((form.elements.namedItem('labeled') as HTMLInputElement).value);
  if (!(labeled > 0) || state.config.labeled > 0) return;
  const architecture = (form.elements.namedItem('architecture') as HTMLSelectElement).value as Architecture;
  const recipe = semiSupervisedRecipe(architecture);
  (form.elements.namedItem('loss') as HTMLSelectElement).value = recipe.loss!;
  if (recipe.spectralNorm !== undefined)
    (form.elements.namedItem('spectralNorm') as HTMLInputElement).checked = recipe.spectralNorm;
  if (recipe.generatorLr != null)
    (form.elements.namedItem('generatorLr') as HTMLInputElement).value = String(recipe.generatorLr);
  const networks = recipe.discriminatorHidden ? `, and ${recipeNetworksText(recipe)}` : '';
  // Another field may still be wrong (a DCGAN without spectral norm, say): the line says so, not "Apply".
  const pending = pendingConfig(state);
  settingsMessage(
    `Labelled images: the form now has the semi-supervised recipe (non-saturating BCE loss` +
      `${recipe.spectralNorm === false ? ', no spectral normalisation of D' : ''}` +
      `${recipe.generatorLr != null ? `, G's rate ${recipe.generatorLr}` : ''}), and G will learn by feature ` +
      `matching${networks}. ` +
      ('error' in pending
        ? `Apply will refuse the form as it is: ${pending.error}`
        : 'Apply restarts with it; change a field first to train otherwise.'),
    'error' in pending,
  );
  refreshModel();
}

/** The recipe's MLP networks in words, from the recipe itself so that the text cannot drift from it. */
function recipeNetworksText(recipe: Partial<GanConfig>): string {
  const widths = (hidden: readonly number[] | undefined) => (hidden ?? []).join('-');
  const dNoise = recipe.discriminatorInputNoise || recipe.discriminatorHiddenNoise ? ' with noise' : '';
  const gNorms = recipe.generatorBatchNorm ? ' with batch norms' : '';
  return (
    `Salimans et al.'s networks (D ${widths(recipe.discriminatorHidden)}${dNoise}, ` +
    `G ${widths(recipe.generatorHidden)}${gNorms})`
  );
}

/** The MLP settings a recipe sets and the form has no field for: its networks. */
const RECIPE_NETWORK_SETTINGS = [
  'generatorHidden',
  'discriminatorHidden',
  'discriminatorInputNoise',
  'discriminatorHiddenNoise',
  'generatorBatchNorm',
] as const;

/** The fields a model's plain recipe sets: examples/dcgan's for a DCGAN, the library default's for the MLP. */
const MODEL_RECIPE_FIELDS = ['loss', 'spectralNorm', 'discriminatorLr', 'generatorLr', 'emaWarmup'] as const;

/**
 * The model changed on a form that asks for neither labels nor classes: the form takes that
 * model's plain recipe, in view, before Apply (as `train --arch dcgan` does). A DCGAN's is PyTorch's
 * examples/dcgan (QUALITY.md: it drew a colour folder's colours where spectral normalisation drew
 * none, and led on MNIST); back on the MLP the default returns. Conditional and semi-supervised
 * runs keep their own recipes' fields.
 */
function offerModelRecipe(state: State): void {
  const labeled = Number((form.elements.namedItem('labeled') as HTMLInputElement).value);
  if (labeled > 0 || conditionalAsked()) return;
  const architecture = (form.elements.namedItem('architecture') as HTMLSelectElement).value as Architecture;
  const recipe = { ...DEFAULT_GAN_CONFIG, ...(architecture === 'dcgan' ? dcganRecipe() : {}) };
  for (const name of MODEL_RECIPE_FIELDS) writeSetting(form, name, recipe);
  const pending = pendingConfig(state);
  const apply =
    'error' in pending
      ? `Apply will refuse the form as it is: ${pending.error}`
      : 'Apply restarts with it; change a field first to train otherwise.';
  settingsMessage(
    architecture === 'dcgan'
      ? "DCGAN: the form now has PyTorch's examples/dcgan recipe (BCE loss, batch norm in D in place of spectral " +
          `normalisation, Adam ${recipe.lr} for both networks, no warm-up of the moving average). ${apply}`
      : `Fully connected: the form has the default recipe back (hinge loss, spectral normalisation of D, D at ` +
          `${recipe.discriminatorLr} and G at ${recipe.generatorLr}). ${apply}`,
    'error' in pending,
  );
  refreshModel();
}

/**
 * Conditional asked for where the run has no classes (the box ticked, or the model changed while
 * it is): the form takes the model's conditional recipe, in view, before Apply. For the MLP that
 * is the auxiliary classifier (QUALITY.md: a one-hot input forgets its classes) with a wider G,
 * which has no field and is said; a DCGAN takes the class by projection, its default.
 */
function offerConditionalRecipe(state: State): void {
  const conditional = (form.elements.namedItem('conditional') as HTMLInputElement).checked;
  if (!conditional || state.config.classes > 0) return;
  const architecture = (form.elements.namedItem('architecture') as HTMLSelectElement).value as Architecture;
  const recipe = conditionalRecipe(architecture);
  (form.elements.namedItem('conditioning') as HTMLSelectElement).value = recipe.conditioning ?? 'projection';
  const pending = pendingConfig(state);
  const apply =
    'error' in pending
      ? `Apply will refuse the form as it is: ${pending.error}`
      : 'Apply restarts with it; choose another way to take the class first to train otherwise.';
  if (recipe.conditioning === undefined) {
    settingsMessage(`Conditional: the DCGAN takes the class by projection in D. ${apply}`, 'error' in pending);
  } else {
    const widths = baseConfig.generatorHidden
      ? ''
      : `, and G will have ${recipe.generatorHidden!.join('-')} hidden units`;
    settingsMessage(
      `Conditional: the form now takes the class by an auxiliary classifier in D, which keeps samples on their ` +
        `class${widths}. ${apply}`,
      'error' in pending,
    );
  }
  refreshModel();
}

type RecipeKind = 'semi-supervised' | 'conditional' | 'none';

/** Which recipe's networks a run of these settings has: semi-supervised, conditional or none. */
function recipeKind(c: Pick<GanConfig, 'labeled' | 'classes' | 'conditioning' | 'architecture'>): RecipeKind {
  if (c.labeled > 0) return 'semi-supervised';
  return c.classes > 0 && conditionalRecipe(c.architecture).conditioning === c.conditioning ? 'conditional' : 'none';
}

/** The network settings each recipe sets: all of them for labelled images, G's widths for a conditional run. */
const RECIPE_SETS: Record<RecipeKind, readonly (typeof RECIPE_NETWORK_SETTINGS)[number][]> = {
  'semi-supervised': RECIPE_NETWORK_SETTINGS,
  conditional: ['generatorHidden'],
  none: [],
};

/**
 * The networks, which the form has no field for: the running run's while the recipe they come
 * from stays (labelled images, or a conditional MLP by the auxiliary classifier); when it changes,
 * what the old or the new recipe sets becomes the new recipe's or the design's, and the rest stays
 * the run's (a checkpoint's own D stays when Conditional widens G). Widths the page's URL gives
 * (tests' small networks) win.
 */
export function networksFor(
  state: State,
  settings: Pick<GanConfig, 'labeled' | 'classes' | 'conditioning' | 'architecture'>,
): Partial<GanConfig> {
  const [before, after] = [recipeKind(state.config), recipeKind(settings)];
  if (before === after) return {};
  const recipe: Partial<GanConfig> =
    after === 'semi-supervised'
      ? semiSupervisedRecipe(settings.architecture)
      : after === 'conditional'
        ? conditionalRecipe(settings.architecture)
        : {};
  const changed = new Set([...RECIPE_SETS[before], ...RECIPE_SETS[after]]);
  const networks: Partial<GanConfig> = Object.fromEntries(
    [...changed].map((name) => [name, recipe[name] ?? DEFAULT_GAN_CONFIG[name]]),
  );
  for (const name of ['generatorHidden', 'discriminatorHidden'] as const)
    if (changed.has(name) && baseConfig[name]) networks[name] = baseConfig[name];
  return networks;
}

/**
 * G's feature matching, which the form has no field for: on for a run that starts learning from
 * labelled images (the recipe), as the running run has it while the labels stay, off without them.
 */
function featureMatchingFor(state: State, settings: Settings): boolean {
  if (settings.labeled === 0) return false;
  return state.config.labeled > 0 ? state.config.featureMatching : true;
}

/**
 * Whether the restart keeps D weight-normalised: the form has no field for it, so a loaded run
 * that trained that way (`train --weight-norm`) keeps it until the form asks for what it cannot
 * go with: spectral normalisation, or a conditional D that is not an auxiliary classifier.
 */
function weightNormFor(state: State, settings: Settings): boolean {
  if (!state.config.weightNorm || settings.spectralNorm) return false;
  return settings.classes === 0 || settings.conditioning === 'auxiliary';
}

/** The form's settings as the configuration Apply would restart with, or why they would be refused. */
function pendingConfig(state: State): { settings: Settings; config: GanConfig } | { error: string; field: string } {
  const read = readSettings(form, conditionalClasses(state.images, MAX_GRID_CLASSES));
  if ('error' in read) return read;
  try {
    const featureMatching = featureMatchingFor(state, read.settings);
    const networks = networksFor(state, read.settings);
    const weightNorm = weightNormFor(state, read.settings);
    // A run that started its g from the data restarts so while it keeps D weight-normalised.
    const weightNormInit = weightNorm ? state.config.weightNormInit : 'unit';
    const chosen = { ...read.settings, featureMatching, weightNorm, weightNormInit };
    return { settings: read.settings, config: resolveGanConfig({ ...afresh(state.config), ...networks, ...chosen }) };
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
  let pending = pendingConfig(state);
  while ('error' in pending) {
    const field = fieldOf(pending.field);
    refused.push(pending.error);
    if (!field || fields.includes(field)) break; // putting it back did not help: the visitor must choose
    fields.push(field);
    writeSetting(form, field, state.config);
    pending = pendingConfig(state);
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
  const restartFor: string[] = (
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
  if (pending.config.featureMatching !== state.config.featureMatching) restartFor.push('featureMatching');
  // How D takes the class matters only to a conditional run (a DCGAN's one-hot resolves to projection).
  if (pending.config.classes > 0 && pending.config.conditioning !== state.config.conditioning)
    restartFor.push('conditioning');
  // The head shapes D; G's class weight is built into the step's loss kernel.
  for (const key of ['auxiliaryHead', 'classWeight'] as const)
    if (pending.config[key] !== state.config[key]) restartFor.push(key);
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
