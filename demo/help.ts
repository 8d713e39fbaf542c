// One short explanation per term of the page's jargon, written for a reader of the original GAN
// article (Goodfellow et al., 2014). Each is a tooltip (title) on every element marked
// data-help="term", and an entry of the "What am I looking at?" panel, so there is one text per term.
import { $ } from './page.js';

export const HELP: Record<string, { term: string; text: string }> = {
  dReal: {
    term: 'D(x)',
    text:
      'The discriminator’s estimate, from 0 to 1, that a real training picture x is real (averaged over the ' +
      'batch). D wants it near 1.',
  },
  dFake: {
    term: 'D(G(z))',
    text:
      'The same estimate for generated pictures G(z), made from random noise z. D wants it near 0, G wants it ' +
      'near 1; at the article’s equilibrium both D(x) and D(G(z)) are ½.',
  },
  loss: {
    term: 'Loss D, Loss G',
    text:
      'What each network minimises. The non-saturating BCE is the article’s: G maximises log D(G(z)) rather ' +
      'than minimising log(1 − D(G(z))), which gives G strong gradients early on. Hinge and least squares are ' +
      'later variants. The losses of a GAN need not go down: they measure a contest, not progress.',
  },
  learningRates: {
    term: 'D and G learning rates',
    text:
      'The step size of each network’s Adam optimiser. The default trains D faster (0.0004) than G (0.0001), ' +
      'the “two time-scale” rule, so that D keeps up with G.',
  },
  beta1: {
    term: 'Adam β1',
    text:
      'How much of the past gradients Adam’s momentum keeps. 0.9 is Adam’s usual value; GANs train more ' +
      'steadily with 0.5 (DCGAN, 2015), since the target each network chases keeps moving.',
  },
  spectralNorm: {
    term: 'Spectral normalisation',
    text:
      'Each weight matrix of D is divided by its largest singular value, so that no layer can stretch a change ' +
      'of its input. D then cannot become arbitrarily sharp, and G keeps getting useful gradients.',
  },
  realLabel: {
    term: 'Real label (smoothing)',
    text:
      'The target D is trained to give real pictures: the article’s 1, or e.g. 0.9 (“one-sided label ' +
      'smoothing”), which keeps D from growing over-confident. The hinge loss has no targets: it needs 1.',
  },
  emaDecay: {
    term: 'Moving-average decay',
    text:
      'The samples come from an exponential moving average of G’s weights: each step keeps this share of the ' +
      'average and adds the rest from G’s new weights. The average is steadier than G itself; 0 shows G as ' +
      'it is.',
  },
  emaWarmup: {
    term: 'Moving-average warm-up',
    text:
      'For the first steps the average uses a smaller decay, (1 + t) / (warm-up + t) at step t, so that it ' +
      'follows a fast-learning G instead of holding on to its random start. 0: the full decay from step 0.',
  },
  distance: {
    term: 'Fréchet classifier distance',
    text:
      'How far the samples are from MNIST’s test digits, in the eyes of a digit classifier: a Gaussian is ' +
      'fitted to the classifier’s features of each set, and the Fréchet distance between the two is taken ' +
      '(FID’s recipe, with an MNIST classifier instead of Inception). Lower is better; 0 is the same statistics.',
  },
  confidence: {
    term: 'Confidence',
    text:
      'The classifier’s probability for the digit it reads in each sample, averaged: near 1 when the samples ' +
      'look clearly like some digit, lower when they are blurred or ambiguous.',
  },
  classShares: {
    term: 'Class bars',
    text:
      'The share of samples the classifier reads as each digit. An orange bar is under 5%: a digit the ' +
      'generator hardly draws (“mode collapse”, which the article warns of as the “Helvetica scenario”).',
  },
  conditioning: {
    term: 'How a conditional D takes the class',
    text:
      'A one-hot input beside the image, a learned row per class dotted with D’s last features ' +
      '(projection, DCGAN’s default), or an auxiliary classifier: D also learns to read each digit’s class ' +
      'and G to draw samples D reads as their class, which keeps them on class (QUALITY.md). Ticking ' +
      'Conditional for the MLP chooses the auxiliary classifier and a wider G (512-1024 hidden units).',
  },
  auxiliaryHead: {
    term: "Auxiliary classifier's head",
    text:
      'With an auxiliary classifier, how D says real or fake: K + 1 reads it off the class logits (“fake” an ' +
      'implicit extra class, as a semi-supervised D), two heads give it a logit of its own beside them ' +
      '(Odena et al.’s AC-GAN).',
  },
  classWeight: {
    term: "G's class weight",
    text:
      'With an auxiliary classifier, how much G is pushed to have each sample read as the class it was drawn ' +
      'for: heavier holds the class harder and, measured, draws further from the real pictures.',
  },
  testAccuracy: {
    term: 'Test accuracy',
    text:
      'The share of MNIST’s test digits, which no run trains on, whose class the run’s D reads right: for a D ' +
      'trained with labelled images, how well it learnt the digits from a few labels and many unlabelled ' +
      'pictures; for an auxiliary classifier, how well it learnt them from every label (10% is chance).',
  },
};

/** Puts each term's text on the elements marked with it, and lists every term in the help panel. */
export function showHelp(): void {
  for (const element of Array.from(document.querySelectorAll<HTMLElement>('[data-help]'))) {
    const help = HELP[element.dataset.help ?? ''];
    if (help) element.title = help.text;
  }
  $('help-terms').replaceChildren(
    ...Object.entries(HELP).flatMap(([key, { term, text }]) => {
      const dt = document.createElement('dt');
      dt.textContent = term;
      dt.id = `help-${key}`;
      const dd = document.createElement('dd');
      dd.textContent = text;
      return [dt, dd];
    }),
  );
}
