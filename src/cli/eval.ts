// `webgpu-gan eval`: how good a checkpoint's samples are — the Fréchet classifier distance to
// the test images of the dataset it was trained on (--data: MNIST's test digits by default, or
// Fashion-MNIST's held-out split), class coverage and confidence, from that dataset's committed
// classifier (CLASSIFIER_FILES in src/eval/classifierFile.ts).
import { readCheckpointArgument, SHIPPED_HELP } from './shipped.js';
import { acquireGpu } from '../gpu/device.js';
import { loadGenerator } from '../gan/sampler.js';
import { CLASSIFIER_FILES, type ClassifiedDataset, readDatasetClassifier } from '../eval/classifierFile.js';
import { COVERED_SHARE } from '../eval/classifier.js';
import { createGeneratorEvaluator } from '../eval/evaluate.js';
import type { SampleScore } from '../eval/scorer.js';
import { type FlagTable, parseFlags, withDefaults } from './args.js';
import { classifyPictures, readPictures } from './classify.js';
import type { Checkpoint } from '../gan/checkpoint.js';
import { scoreClassification } from '../gan/ganClassifier.js';
import { classHeadClasses, classifiesBuiltinSet } from '../gan/networks.js';
import type { GpuContext } from '../gpu/context.js';

export const EVAL_FLAGS: FlagTable = {
  checkpoint: { kind: 'string', required: true, help: `checkpoint.safetensors to score${SHIPPED_HELP}` },
  n: { kind: 'integer', min: 2, max: 50000, default: 10000, help: 'samples to score, as many as the test set' },
  seed: { kind: 'integer', setting: 'seed', help: 'noise seed (default: the training seed)' },
  raw: { kind: 'boolean', help: 'score the trained weights instead of their moving average' },
  json: { kind: 'boolean', help: 'print the result as one JSON object' },
  data: {
    kind: 'string',
    choices: Object.keys(CLASSIFIER_FILES),
    help:
      'the built-in dataset whose classifier scores the samples against its test images (default: the one the ' +
      'checkpoint learned, else mnist)',
  },
};

/** How a score names the test images it compares with. */
const TEST_IMAGES: Record<ClassifiedDataset, string> = {
  mnist: 'MNIST test digits',
  'fashion-mnist': 'Fashion-MNIST held-out test images',
};

export async function evalCommand(argv: string[]): Promise<number> {
  const flags = withDefaults(parseFlags(argv, EVAL_FLAGS), EVAL_FLAGS);
  const checkpoint = readCheckpointArgument(flags.checkpoint as string);
  const dataset = scoredDataset(flags.data as ClassifiedDataset | undefined, checkpoint.dataset);
  const { tensors: classifier, reference } = readDatasetClassifier(dataset);
  const count = flags.n as number;
  const ctx = await acquireGpu();
  try {
    const generator = loadGenerator(ctx, checkpoint);
    try {
      const evaluator = await createGeneratorEvaluator(ctx, {
        classifier,
        reference,
        config: checkpoint.config,
        generator,
        count,
        useEma: !flags.raw,
        ...(flags.seed !== undefined ? { seed: flags.seed as number } : {}),
      });
      try {
        const score = await evaluator.evaluate();
        const weights = flags.raw ? 'trained' : 'moving-average';
        // A discriminator with a class head is also a classifier: its test accuracy, where its classes
        // can be the set's (one of fewer classes, from a folder or an IDX file, has no such score).
        const tested = classifiesBuiltinSet(checkpoint.config) ? await testAccuracy(ctx, checkpoint, dataset) : null;
        if (flags.json)
          console.log(
            JSON.stringify({
              step: checkpoint.step,
              weights,
              ...score,
              ...(tested && { testAccuracy: tested.accuracy }),
            }),
          );
        else {
          const what = `${count} samples from step ${checkpoint.step}, ${weights} weights`;
          console.log(describeScore(score, what, reference.count, TEST_IMAGES[dataset]));
          if (tested)
            console.log(
              `classifier accuracy ${(100 * tested.accuracy).toFixed(2)}% on the ${tested.what} (D's classes)`,
            );
        }
      } finally {
        evaluator.destroy();
      }
    } finally {
      generator.destroy();
    }
    return 0;
  } finally {
    ctx.destroy();
  }
}

/**
 * --data, else the built-in dataset the checkpoint records it learned (one without a classifier,
 * or no record, is scored as MNIST, as before checkpoints named their data).
 */
function scoredDataset(given: ClassifiedDataset | undefined, learned: string | undefined): ClassifiedDataset {
  if (given !== undefined) return given;
  return learned !== undefined && Object.hasOwn(CLASSIFIER_FILES, learned) ? (learned as ClassifiedDataset) : 'mnist';
}

/** The score in a few lines: the distance, coverage and confidence, then each class's share. */
export function describeScore(
  score: SampleScore,
  what: string,
  referenceCount: number,
  testImages = TEST_IMAGES.mnist,
): string {
  const shares = score.classShares.map((s, digit) => `${digit}: ${(100 * s).toFixed(1)}%`).join('  ');
  return (
    `Fréchet classifier distance ${score.distance.toFixed(3)} (${what}, against ` +
    `${referenceCount.toLocaleString('en')} ${testImages})\n` +
    `classes with at least ${100 * COVERED_SHARE}% of the samples: ${score.coveredClasses} of 10; ` +
    `mean confidence ${score.meanConfidence.toFixed(3)}\n` +
    `class shares  ${shares}` +
    (score.classAgreement === undefined
      ? ''
      : `\nclass agreement ${(100 * score.classAgreement).toFixed(1)}%: samples drawn as class k that read as k ` +
        '(10% is chance)')
  );
}

/** A semi-supervised checkpoint's accuracy on the dataset's test images. */
async function testAccuracy(ctx: GpuContext, checkpoint: Checkpoint, dataset: ClassifiedDataset) {
  const pictures = readPictures(checkpoint, undefined, dataset, undefined);
  const { classes } = await classifyPictures(ctx, checkpoint, pictures);
  return {
    accuracy: scoreClassification(classes, pictures.labels!, classHeadClasses(checkpoint.config)).accuracy,
    what: pictures.what,
  };
}
