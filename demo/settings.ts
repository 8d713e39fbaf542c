// The settings form: read, validated against sane bounds, and refused with a message naming the
// field — invalid values never reach the GPU.
import {
  type Architecture,
  AUXILIARY_HEADS,
  type AuxiliaryHead,
  CONDITIONINGS,
  type Conditioning,
  DEFAULT_GAN_CONFIG,
  type GanConfig,
} from 'webgpu-gan';
import { ARCHITECTURE_NAMES } from './modelFormat.js';

export type Settings = Pick<
  GanConfig,
  | 'architecture'
  | 'discriminatorLr'
  | 'generatorLr'
  | 'beta1'
  | 'batch'
  | 'loss'
  | 'spectralNorm'
  | 'classes'
  | 'conditioning'
  | 'auxiliaryHead'
  | 'classWeight'
  | 'labeled'
  | 'labelClasses'
  | 'realLabel'
  | 'emaDecay'
  | 'emaWarmup'
  | 'seed'
>;

type NumberSetting = Exclude<
  keyof Settings,
  'architecture' | 'loss' | 'spectralNorm' | 'classes' | 'conditioning' | 'auxiliaryHead' | 'labelClasses'
>;

/**
 * A number field's bounds. The form has one rate per network and no shared one: the default
 * recipe trains D and G at different rates, so a shared field would either be overridden by
 * theirs or change the recipe behind the visitor's back.
 */
const FIELDS: Record<NumberSetting, { label: string; min: number; max: number; integer: boolean }> = {
  discriminatorLr: { label: 'D learning rate', min: 1e-6, max: 0.1, integer: false },
  generatorLr: { label: 'G learning rate', min: 1e-6, max: 0.1, integer: false },
  beta1: { label: 'Adam β1', min: 0, max: 0.999, integer: false },
  batch: { label: 'Batch size', min: 1, max: 1024, integer: true },
  realLabel: { label: 'Real label', min: 0.5, max: 1, integer: false },
  emaDecay: { label: 'Moving average decay', min: 0, max: 0.9999, integer: false },
  emaWarmup: { label: 'Moving average warm-up', min: 0, max: 1e6, integer: true },
  seed: { label: 'Seed', min: 0, max: 2147483647, integer: true },
  labeled: { label: 'Labelled images', min: 0, max: 60000, integer: true },
  classWeight: { label: "G's class weight", min: 0.01, max: 100, integer: false },
};

/** The losses, and how the form's dropdown names them. */
const LOSSES: Record<string, string> = { bce: 'non-saturating BCE', hinge: 'hinge', 'least-squares': 'least squares' };

/** Each setting as the form names it, for the library's refusals (which name the setting). */
const NAMES: Record<string, string> = {
  ...Object.fromEntries(Object.entries(FIELDS).map(([name, f]) => [name, f.label])),
  architecture: 'Model',
  loss: 'Loss',
  spectralNorm: 'Spectral normalisation of D',
  classes: 'Conditional',
  conditioning: 'How a conditional D takes the class',
  auxiliaryHead: "Auxiliary classifier's head",
  labelClasses: 'Labelled images',
  lr: 'D learning rate and G learning rate',
  dataDim: 'The pictures’ size',
  channels: 'The pictures’ colour',
};

/**
 * A refusal of the library (an ArgumentError, "realLabel: is 0.9, …") as the page words it: each
 * setting by its label in the form ("Real label: is 0.9, …"), each loss as its dropdown names it.
 * Any other error as it is.
 */
export function pageMessage(error: Error): string {
  const argument = (error as { argument?: unknown }).argument;
  if (typeof argument !== 'string' || !(argument in NAMES) || !error.message.startsWith(`${argument}: `))
    return error.message;
  const body = error.message
    .slice(argument.length + 2)
    .replace(/\b[a-z]+[A-Z]\w*\b/g, (word) => NAMES[word] ?? word)
    .replace(/\b(bce|least-squares)\b/g, (loss) => LOSSES[loss] ?? loss);
  return `${NAMES[argument]}: ${body}`;
}

/** A field of the form by its label. */
export const fieldLabel = (field: string) => NAMES[field === 'conditional' ? 'classes' : field] ?? field;

/** The form's field that shows a setting the library names (Conditional shows the classes). */
export function fieldOf(setting: string): string | null {
  if (setting === 'classes') return 'conditional';
  if (setting === 'labelClasses') return 'labeled';
  return setting in NAMES && !['dataDim', 'channels', 'lr'].includes(setting) ? setting : null;
}

/** One field of the form as `s` has it (the learning rates as they apply: a network's own, or the shared one). */
export function writeSetting(form: HTMLFormElement, name: string, s: Settings & { lr: number }): void {
  const field = form.elements.namedItem(name) as HTMLInputElement | HTMLSelectElement;
  if (name === 'conditioning') field.value = s.conditioning;
  else if (name === 'auxiliaryHead') field.value = s.auxiliaryHead;
  else if (name === 'spectralNorm' || name === 'conditional')
    (field as HTMLInputElement).checked = name === 'conditional' ? s.classes > 0 : s.spectralNorm;
  else if (name === 'discriminatorLr' || name === 'generatorLr') field.value = String(s[name] ?? s.lr);
  else field.value = String(s[name as keyof Settings]);
}

export function writeSettings(form: HTMLFormElement, s: Settings & { lr: number }): void {
  const choices = ['architecture', 'loss', 'spectralNorm', 'conditional', 'conditioning', 'auxiliaryHead'];
  for (const name of [...Object.keys(FIELDS), ...choices]) writeSetting(form, name, s);
}

/**
 * The form's settings, or the first field that is wrong. `dataClasses` is how many classes the
 * images being trained on have (MNIST's ten digits, the visitor's class folders; 0 for none), which
 * a conditional session is conditioned on.
 */
export function readSettings(
  form: HTMLFormElement,
  dataClasses: number,
): { settings: Settings } | { error: string; field: string } {
  const architecture = (form.elements.namedItem('architecture') as HTMLSelectElement).value as Architecture;
  if (!Object.hasOwn(ARCHITECTURE_NAMES, architecture))
    return { error: `Model must be one of ${Object.values(ARCHITECTURE_NAMES).join(', ')}.`, field: 'architecture' };
  const loss = (form.elements.namedItem('loss') as HTMLSelectElement).value;
  if (!Object.hasOwn(LOSSES, loss))
    return { error: `Loss must be one of ${Object.values(LOSSES).join(', ')}.`, field: 'loss' };
  const spectralNorm = (form.elements.namedItem('spectralNorm') as HTMLInputElement).checked;
  const conditional = (form.elements.namedItem('conditional') as HTMLInputElement).checked;
  const conditioning = (form.elements.namedItem('conditioning') as HTMLSelectElement).value as Conditioning;
  if (!CONDITIONINGS.includes(conditioning))
    return { error: `${NAMES.conditioning} must be one of ${CONDITIONINGS.join(', ')}.`, field: 'conditioning' };
  const auxiliaryHead = (form.elements.namedItem('auxiliaryHead') as HTMLSelectElement).value as AuxiliaryHead;
  if (!AUXILIARY_HEADS.includes(auxiliaryHead))
    return { error: `${NAMES.auxiliaryHead} must be one of ${AUXILIARY_HEADS.join(', ')}.`, field: 'auxiliaryHead' };
  if (conditional && dataClasses === 0)
    return {
      error:
        'Conditional needs pictures sorted into class folders (two at least, one folder per class); these have none.',
      field: 'conditional',
    };
  const classes = conditional ? dataClasses : 0;
  const settings = {
    architecture,
    loss,
    spectralNorm,
    classes,
    conditioning,
    auxiliaryHead,
  } as Partial<Settings> as Settings;
  for (const [name, f] of Object.entries(FIELDS) as Array<[NumberSetting, (typeof FIELDS)[NumberSetting]]>) {
    const text = (form.elements.namedItem(name) as HTMLInputElement).value.trim();
    const value = Number(text);
    if (text === '' || !Number.isFinite(value)) return { error: `${f.label} must be a number.`, field: name };
    if (f.integer && !Number.isInteger(value)) return { error: `${f.label} must be a whole number.`, field: name };
    if (value < f.min || value > f.max)
      return { error: `${f.label} must be between ${f.min} and ${f.max}.`, field: name };
    settings[name] = value;
  }
  // The auxiliary classifier's own fields are hidden, and mean nothing, under another conditioning.
  if (conditioning !== 'auxiliary') {
    settings.auxiliaryHead = DEFAULT_GAN_CONFIG.auxiliaryHead;
    settings.classWeight = DEFAULT_GAN_CONFIG.classWeight;
  }
  // Labelled images make D a classifier of the images' classes (semi-supervised).
  if (settings.labeled > 0 && dataClasses === 0)
    return { error: 'Labelled images need pictures sorted into class folders; these have none.', field: 'labeled' };
  settings.labelClasses = settings.labeled > 0 ? dataClasses : 0;
  return { settings };
}
