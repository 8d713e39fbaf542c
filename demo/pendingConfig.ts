// The configuration the settings form describes, as Apply would restart with it: the fields, and
// what the form has no field for (the networks a recipe sets, G's feature matching, D's weight
// normalisation) carried over from the running run or set by the recipe the form asks for.
import {
  DEFAULT_GAN_CONFIG,
  type GanConfig,
  conditionalRecipe,
  resolveGanConfig,
  semiSupervisedRecipe,
} from 'webgpu-gan';
import { baseConfig, MAX_GRID_CLASSES } from './page.js';
import { conditionalClasses } from './pictures.js';
import { afresh } from './run.js';
import { pageMessage, readSettings, type Settings } from './settings.js';
import type { State } from './state.js';

/** The MLP settings a recipe sets and the form has no field for: its networks. */
const RECIPE_NETWORK_SETTINGS = [
  'generatorHidden',
  'discriminatorHidden',
  'discriminatorInputNoise',
  'discriminatorHiddenNoise',
  'generatorBatchNorm',
] as const;

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

export type Pending = { settings: Settings; config: GanConfig } | { error: string; field: string };

/** The form's settings as the configuration Apply would restart with, or why they would be refused. */
export function pendingConfig(form: HTMLFormElement, state: State): Pending {
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

/** The settings that differ from the running run's and so restart it (the rest apply at the next step). */
export function restartKeys(state: State, pending: { settings: Settings; config: GanConfig }): string[] {
  const s = pending.settings;
  const keys: string[] = (
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
  if (pending.config.featureMatching !== state.config.featureMatching) keys.push('featureMatching');
  // How D takes the class matters only to a conditional run (a DCGAN's one-hot resolves to projection).
  if (pending.config.classes > 0 && pending.config.conditioning !== state.config.conditioning)
    keys.push('conditioning');
  // The head shapes D; G's class weight is built into the step's loss kernel.
  for (const key of ['auxiliaryHead', 'classWeight'] as const)
    if (pending.config[key] !== state.config[key]) keys.push(key);
  return keys;
}
