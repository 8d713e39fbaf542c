// What the settings form offers when the kind of run it describes changes (the model, labelled
// images, the Conditional box): that kind's recipe, written into the fields in view before Apply,
// so that what restarts is what the form shows, with one line that says what changed and what
// Apply will do with it. A recipe's part that has no field (G's feature matching, an MLP's
// networks) is said.
import {
  type Architecture,
  DEFAULT_GAN_CONFIG,
  type GanConfig,
  conditionalRecipe,
  dcganRecipe,
  semiSupervisedRecipe,
} from 'webgpu-gan';
import { baseConfig } from './page.js';
import { pendingConfig, restartKeys } from './pendingConfig.js';
import { writeSetting } from './settings.js';
import type { State } from './state.js';

/** How the offers speak and redraw: the form's message line and the model panel. */
export interface FormVoice {
  say: (text: string, bad: boolean) => void;
  refresh: () => void;
}

/** The fields a plain DCGAN's recipe sets (examples/dcgan's) and any other run has from the default. */
const MODEL_RECIPE_FIELDS = ['loss', 'spectralNorm', 'discriminatorLr', 'generatorLr', 'emaWarmup'] as const;

/**
 * Whether the model-recipe fields were last written for a plain DCGAN (neither conditional nor
 * learning from labels), the one kind of run that takes examples/dcgan's recipe: the fields change
 * only when the form's kind crosses that line, so a visitor's own edits stay otherwise.
 */
let fieldsForPlainDcgan = false;

/** The form now shows `config` (the page's start, a loaded run): its kind is what the fields are for. */
export function recipeFieldsShow(config: GanConfig): void {
  fieldsForPlainDcgan = config.architecture === 'dcgan' && config.classes === 0 && config.labeled === 0;
}

/** Wires the offers to the fields that change the kind of run. */
export function wireRecipeOffers(form: HTMLFormElement, state: State, voice: FormVoice): void {
  const offers = new RecipeOffers(form, state, voice);
  const on = (name: string, offer: () => void) =>
    (form.elements.namedItem(name) as HTMLElement).addEventListener('change', offer);
  on('labeled', () => offers.kindChanged('labeled'));
  on('architecture', () => offers.kindChanged('architecture'));
  on('conditional', () => offers.kindChanged('conditional'));
}

class RecipeOffers {
  constructor(
    private readonly form: HTMLFormElement,
    private readonly state: State,
    private readonly voice: FormVoice,
  ) {}

  private field<T extends HTMLInputElement | HTMLSelectElement>(name: string): T {
    return this.form.elements.namedItem(name) as T;
  }

  private get architecture(): Architecture {
    return this.field<HTMLSelectElement>('architecture').value as Architecture;
  }

  private get labeled(): number {
    return Number(this.field<HTMLInputElement>('labeled').value);
  }

  private get conditional(): boolean {
    return this.field<HTMLInputElement>('conditional').checked;
  }

  /**
   * One field of the kind changed: the model's recipe first (it may reset loss, normalisation and
   * rates), then the labelled or conditional recipe on top, and one line for all of it.
   */
  kindChanged(changed: 'labeled' | 'architecture' | 'conditional'): void {
    const model = this.syncModelRecipe();
    const semi = changed === 'conditional' ? null : this.offerSemiSupervised();
    const conditional = changed === 'labeled' ? null : this.offerConditional();
    const said = [model, semi, conditional].filter((sentence) => sentence !== null);
    if (said.length === 0) return;
    const otherwise = conditional
      ? 'choose another way to take the class first to train otherwise'
      : 'change a field first to train otherwise';
    const apply = this.applyHint(otherwise);
    this.voice.say(`${said.join(' ')} ${apply.text}`, apply.refused);
    this.voice.refresh();
  }

  /**
   * The model-recipe fields follow the form's kind across the plain-DCGAN line: examples/dcgan's
   * recipe into a plain DCGAN (QUALITY.md: it led the spectral-norm recipe on MNIST and drew a colour
   * folder's colours where that drew grey), the default's out of it, and the running run's own
   * values where the form comes back to the running run's kind. Returns the sentence that says so,
   * or null when nothing changed.
   */
  private syncModelRecipe(): string | null {
    const plain = this.architecture === 'dcgan' && !(this.labeled > 0) && !this.conditional;
    if (plain === fieldsForPlainDcgan) return null;
    fieldsForPlainDcgan = plain;
    const running = this.state.config;
    const backToRunning =
      running.architecture === this.architecture &&
      running.labeled > 0 === this.labeled > 0 &&
      running.classes > 0 === this.conditional;
    const values = backToRunning ? running : { ...DEFAULT_GAN_CONFIG, ...(plain ? dcganRecipe() : {}) };
    for (const name of MODEL_RECIPE_FIELDS) writeSetting(this.form, name, values);
    // The hinge loss has no targets to smooth: a smoothed real label would be refused with it.
    if (values.loss === 'hinge') writeSetting(this.form, 'realLabel', values);
    if (backToRunning) return 'The form has the running run’s loss, normalisation, rates and warm-up back.';
    if (plain)
      return (
        "DCGAN: the form now has PyTorch's examples/dcgan recipe (BCE loss, batch norm in D in place of spectral " +
        `normalisation, Adam ${values.lr} for both networks, no warm-up of the moving average).`
      );
    const rates = `D at ${values.discriminatorLr} and G at ${values.generatorLr}`;
    const recipe = `the default recipe (hinge loss, spectral normalisation of D, ${rates})`;
    if (this.architecture === 'mlp') return `Fully connected: the form has ${recipe} back.`;
    if (this.conditional) return `A conditional DCGAN keeps ${recipe}.`;
    const learning = 'A DCGAN learning from labelled images';
    return `${learning} keeps spectral normalisation of D and the default's rates (${rates}).`;
  }

  /**
   * Labelled images asked for where the run has none: the semi-supervised recipe's loss,
   * normalisation and G's rate (QUALITY.md: the recipe that won). Returns the sentence that says so.
   */
  private offerSemiSupervised(): string | null {
    if (!(this.labeled > 0) || this.state.config.labeled > 0) return null;
    const recipe = semiSupervisedRecipe(this.architecture);
    this.field<HTMLSelectElement>('loss').value = recipe.loss!;
    if (recipe.spectralNorm !== undefined) this.field<HTMLInputElement>('spectralNorm').checked = recipe.spectralNorm;
    if (recipe.generatorLr != null) this.field<HTMLInputElement>('generatorLr').value = String(recipe.generatorLr);
    const networks = recipe.discriminatorHidden ? `, and ${recipeNetworksText(recipe)}` : '';
    const normalisation = recipe.spectralNorm === false ? ', no spectral normalisation of D' : '';
    const rate = recipe.generatorLr != null ? `, G's rate ${recipe.generatorLr}` : '';
    return (
      `Labelled images: the form now has the semi-supervised recipe (non-saturating BCE loss${normalisation}` +
      `${rate}), and G will learn by feature matching${networks}.`
    );
  }

  /**
   * Conditional asked for where the run has no classes (the box ticked, or the model changed while
   * it is): for the MLP the auxiliary classifier (QUALITY.md: a one-hot input forgets its classes)
   * with a wider G, said; a DCGAN takes the class by projection, its default. Returns the sentence.
   */
  private offerConditional(): string | null {
    if (!this.conditional || this.state.config.classes > 0) return null;
    const recipe = conditionalRecipe(this.architecture);
    this.field<HTMLSelectElement>('conditioning').value = recipe.conditioning ?? 'projection';
    if (recipe.conditioning === undefined) return 'Conditional: the DCGAN takes the class by projection in D.';
    const widths = baseConfig.generatorHidden
      ? ''
      : `, and G will have ${recipe.generatorHidden?.join('-')} hidden units`;
    return (
      'Conditional: the form now takes the class by an auxiliary classifier in D, which keeps samples on their ' +
      `class${widths}.`
    );
  }

  /** What Apply will do with the form as it now is: refuse it (and why), restart, or keep the run. */
  private applyHint(otherwise: string): { text: string; refused: boolean } {
    const pending = pendingConfig(this.form, this.state);
    if ('error' in pending) return { text: `Apply will refuse the form as it is: ${pending.error}`, refused: true };
    if (restartKeys(this.state, pending).length === 0)
      return { text: 'Apply keeps the run going (no restart).', refused: false };
    return { text: `Apply restarts with it; ${otherwise}.`, refused: false };
  }
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
