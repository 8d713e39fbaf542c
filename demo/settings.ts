// The settings form: read, validated against sane bounds, and refused with a message naming the
// field — invalid values never reach the GPU.
import type { Architecture, GanConfig } from 'webgpu-gan';
import { ARCHITECTURE_NAMES } from './modelFormat.js';

export type Settings = Pick<
  GanConfig,
  | 'architecture'
  | 'lr'
  | 'discriminatorLr'
  | 'generatorLr'
  | 'beta1'
  | 'batch'
  | 'loss'
  | 'spectralNorm'
  | 'classes'
  | 'labeled'
  | 'labelClasses'
  | 'realLabel'
  | 'emaDecay'
  | 'emaWarmup'
  | 'seed'
>;

type NumberSetting = Exclude<keyof Settings, 'architecture' | 'loss' | 'spectralNorm' | 'classes' | 'labelClasses'>;

/** A number field's bounds; an optional one may be left empty, which reads as null. */
const FIELDS: Record<NumberSetting, { label: string; min: number; max: number; integer: boolean; optional?: true }> = {
  lr: { label: 'Learning rate', min: 1e-6, max: 0.1, integer: false },
  discriminatorLr: { label: 'D learning rate', min: 1e-6, max: 0.1, integer: false, optional: true },
  generatorLr: { label: 'G learning rate', min: 1e-6, max: 0.1, integer: false, optional: true },
  beta1: { label: 'Adam β1', min: 0, max: 0.999, integer: false },
  batch: { label: 'Batch size', min: 1, max: 1024, integer: true },
  realLabel: { label: 'Real label', min: 0.5, max: 1, integer: false },
  emaDecay: { label: 'Moving average decay', min: 0, max: 0.9999, integer: false },
  emaWarmup: { label: 'Moving average warm-up', min: 0, max: 1e6, integer: true },
  seed: { label: 'Seed', min: 0, max: 2147483647, integer: true },
  labeled: { label: 'Labelled images', min: 0, max: 60000, integer: true },
};

const LOSSES: readonly string[] = ['bce', 'hinge', 'least-squares'];

/** Each setting as the form names it, for the library's refusals (which name the setting). */
const NAMES: Record<string, string> = {
  ...Object.fromEntries(Object.entries(FIELDS).map(([name, f]) => [name, f.label])),
  architecture: 'Model',
  loss: 'Loss',
  spectralNorm: 'Spectral normalisation of D',
  classes: 'Conditional',
  labelClasses: 'Labelled images',
  dataDim: 'The pictures’ size',
  channels: 'The pictures’ colour',
};

/**
 * A refusal of the library (an ArgumentError, "realLabel: is 0.9, …") as the page words it: the
 * setting by its label in the form ("Real label: is 0.9, …"). Any other error as it is.
 */
export function pageMessage(error: Error): string {
  const argument = (error as { argument?: unknown }).argument;
  if (typeof argument !== 'string' || !(argument in NAMES) || !error.message.startsWith(`${argument}: `))
    return error.message;
  return `${NAMES[argument]}: ${error.message.slice(argument.length + 2)}`;
}

export function writeSettings(form: HTMLFormElement, s: Settings): void {
  for (const name of Object.keys(FIELDS) as NumberSetting[]) {
    (form.elements.namedItem(name) as HTMLInputElement).value = s[name] === null ? '' : String(s[name]);
  }
  (form.elements.namedItem('architecture') as HTMLSelectElement).value = s.architecture;
  (form.elements.namedItem('loss') as HTMLSelectElement).value = s.loss;
  (form.elements.namedItem('spectralNorm') as HTMLInputElement).checked = s.spectralNorm;
  (form.elements.namedItem('conditional') as HTMLInputElement).checked = s.classes > 0;
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
  if (!LOSSES.includes(loss)) return { error: `Loss must be one of ${LOSSES.join(', ')}.`, field: 'loss' };
  const spectralNorm = (form.elements.namedItem('spectralNorm') as HTMLInputElement).checked;
  const conditional = (form.elements.namedItem('conditional') as HTMLInputElement).checked;
  if (conditional && dataClasses === 0)
    return {
      error:
        'Conditional needs pictures sorted into class folders (two at least, one folder per class); these have none.',
      field: 'conditional',
    };
  const classes = conditional ? dataClasses : 0;
  const settings = { architecture, loss, spectralNorm, classes } as Partial<Settings> as Settings;
  for (const [name, f] of Object.entries(FIELDS) as Array<[NumberSetting, (typeof FIELDS)[NumberSetting]]>) {
    const text = (form.elements.namedItem(name) as HTMLInputElement).value.trim();
    if (text === '' && f.optional) {
      (settings as Record<NumberSetting, number | null>)[name] = null;
      continue;
    }
    const value = Number(text);
    if (text === '' || !Number.isFinite(value)) return { error: `${f.label} must be a number.`, field: name };
    if (f.integer && !Number.isInteger(value)) return { error: `${f.label} must be a whole number.`, field: name };
    if (value < f.min || value > f.max)
      return { error: `${f.label} must be between ${f.min} and ${f.max}.`, field: name };
    settings[name] = value;
  }
  // Labelled images make D a classifier of the images' classes (semi-supervised).
  if (settings.labeled > 0 && dataClasses === 0)
    return { error: 'Labelled images need pictures sorted into class folders; these have none.', field: 'labeled' };
  settings.labelClasses = settings.labeled > 0 ? dataClasses : 0;
  return { settings };
}
