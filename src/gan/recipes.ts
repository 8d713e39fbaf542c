// The recipes the CLI and the demo put under a user's own settings for a semi-supervised, a
// conditional or a plain DCGAN run: what measured best (QUALITY.md), each with its reasons.
import type { Architecture } from '../nn/presets.js';
import type { GanConfig } from './config.js';

/**
 * A semi-supervised run's recipe (with labelClasses and labeled), which the CLI and the demo put
 * under the user's own settings: feature matching for G, BCE and, for the MLP, no spectral
 * normalisation and Salimans et al.'s networks. A DCGAN keeps spectral normalisation, without
 * which its D would have batch norms. Measured (QUALITY.md, tests/gan/semiConvergence.test.ts): on
 * two moons from 4 labels, feature matching took 2 of 3 seeds to 99.5–100% where the
 * non-saturating G loss stayed at the labelled-only D's 80–85%, and with the hinge loss and
 * spectral normalisation (which bounds how sharply D's class logits can part) it reached 76–82%.
 * On MNIST from 100 labels the default networks read 78.1% at step 3000 (the default recipe
 * 63.3%); Salimans et al.'s (D 1000-500-250-250-250 with Gaussian noise of σ 0.6 on its input and
 * 0.5 after each hidden layer, G 500-500 with batch norms) with G at Adam 1e-3 read 88.0% at step
 * 2000 and 92.1% at 4000. At G's default rate their G drew one blurred digit and D learnt no more
 * than from the labels alone. With a user's own `lr` for both networks, leave out generatorLr.
 */
export function semiSupervisedRecipe(architecture: Architecture = 'mlp'): Partial<GanConfig> {
  // Said outright, so that a form or flags that left a plain DCGAN's batch-normed D take it back.
  if (architecture === 'dcgan') return { featureMatching: true, loss: 'bce', spectralNorm: true };
  return {
    featureMatching: true,
    loss: 'bce',
    spectralNorm: false,
    discriminatorHidden: [...SALIMANS_DISCRIMINATOR],
    discriminatorInputNoise: 0.6,
    discriminatorHiddenNoise: 0.5,
    generatorHidden: [...SALIMANS_GENERATOR],
    generatorBatchNorm: true,
    generatorLr: 1e-3,
  };
}

/**
 * A conditional MLP's recipe, which the CLI (without --conditioning) and the demo put under the
 * user's own settings: D an auxiliary classifier (K + 1, Salimans et al.'s head) and G of
 * 512-1024 hidden units. Measured (QUALITY.md, MNIST, batch 64, 5000 steps, three seeds): the
 * one-hot input forgets its classes (96–99% class agreement at step 1000, 71–74% at the end); the
 * recipe keeps them (99.7% at the end, never under 98.7% from step 1000) at a smaller distance
 * (25.5 against 30.1 on 10,000 samples). A DCGAN keeps its projection: unmeasured there.
 */
export function conditionalRecipe(architecture: Architecture = 'mlp'): Partial<GanConfig> {
  if (architecture === 'dcgan') return {};
  return { conditioning: 'auxiliary', generatorHidden: [...CONDITIONAL_GENERATOR] };
}

const CONDITIONAL_GENERATOR = [512, 1024] as const;

/** Salimans et al.'s (2016) MNIST networks' hidden widths, which semiSupervisedRecipe takes. */
const SALIMANS_DISCRIMINATOR = [1000, 500, 250, 250, 250] as const;
const SALIMANS_GENERATOR = [500, 500] as const;

/**
 * A DCGAN run that is neither conditional nor semi-supervised: PyTorch's examples/dcgan recipe,
 * which the CLI and the demo put under the user's own settings. BCE, batch norm in D in place of
 * spectral normalisation, Adam 2e-4 for both networks, the moving average without warm-up.
 * Measured (QUALITY.md, seed 1, batch 64, lavapipe): on MNIST it read 63.2 at step 2000 against
 * the spectral-norm recipe's 67.95 (1000 samples each) and 47.83 at step 5000 (10,000 samples;
 * the MLP's default 56.34); on a 32×32 colour folder it drew the pictures' colours by step 500
 * where the spectral-norm recipe drew grey texture to step 1170. A conditional DCGAN (its class
 * projection) and a semi-supervised one (which needs D without batch norm) keep the default's
 * spectral normalisation: unmeasured with batch norm.
 */
export function dcganRecipe(): Partial<GanConfig> {
  return { loss: 'bce', spectralNorm: false, lr: 2e-4, discriminatorLr: null, generatorLr: null, emaWarmup: 0 };
}
