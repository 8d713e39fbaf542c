// The MNIST classifier that scores generated digits: an MLP trained by this project's own kernels
// (scripts/train-classifier.ts) whose weights are committed (models/mnist-classifier.safetensors),
// so every machine scores with the same network. Its last hidden layer gives the features that
// the Fréchet distance compares; its logits give class coverage and confidence.
import { ArgumentError } from '../base/errors.js';
import type { GpuContext } from '../gpu/context.js';
import { decodeSafetensors, type TensorMap } from '../io/safetensors.js';
import { MlpWeights, mlpLayout, type MlpSpec } from '../nn/mlp.js';
import { flattenMlpTensors, mlpTensorProblem } from '../nn/tensors.js';
import type { FeatureStatistics } from './frechet.js';
import { requireBytes } from '../base/arguments.js';

/** 784 pixels in [−1, 1] (as the generator's tanh gives them) → 256 → 128 → 10 logits, ReLU between. */
export const CLASSIFIER_SPEC: MlpSpec = {
  widths: [784, 256, 128, 10],
  hidden: 'leaky-relu',
  output: 'none',
  leakySlope: 0,
};

/** The tensors' names start with this (e.g. "classifier.0.weight"). */
export const CLASSIFIER_PREFIX = 'classifier';

/** The layer whose outputs are the features: the last hidden layer. */
export const FEATURE_LAYER = CLASSIFIER_SPEC.widths.length - 3;
export const FEATURE_DIM = CLASSIFIER_SPEC.widths[FEATURE_LAYER + 1]!;
export const CLASS_COUNT = CLASSIFIER_SPEC.widths.at(-1)!;

/** A class counts as covered when at least this share of the samples falls in it. */
export const COVERED_SHARE = 0.05;

/**
 * The file also holds the features' mean and covariance over MNIST's 10,000 test digits (computed
 * by the GPU when the classifier was trained): the reference every score is measured against.
 */
export const REFERENCE_MEAN = 'reference.mean';
export const REFERENCE_COVARIANCE = 'reference.covariance';

export function referenceFromTensors(tensors: TensorMap, count: number): FeatureStatistics {
  const mean = tensors.get(REFERENCE_MEAN);
  const covariance = tensors.get(REFERENCE_COVARIANCE);
  if (!mean || !covariance || mean.data.length !== FEATURE_DIM || covariance.data.length !== FEATURE_DIM ** 2)
    throw new ArgumentError(
      'classifier',
      `has no reference statistics ("${REFERENCE_MEAN}" of ${FEATURE_DIM} and "${REFERENCE_COVARIANCE}" of ` +
        `${FEATURE_DIM}×${FEATURE_DIM} values)`,
    );
  return {
    dim: FEATURE_DIM,
    mean: Float64Array.from(mean.data),
    covariance: Float64Array.from(covariance.data),
    count,
  };
}

export function referenceToTensors(reference: FeatureStatistics, tensors: TensorMap): void {
  tensors.set(REFERENCE_MEAN, { shape: [reference.dim], data: Float32Array.from(reference.mean) });
  tensors.set(REFERENCE_COVARIANCE, {
    shape: [reference.dim, reference.dim],
    data: Float32Array.from(reference.covariance),
  });
}

export interface ClassifierFile {
  tensors: TensorMap;
  reference: FeatureStatistics;
  metadata: Record<string, string>;
}

/** The classifier file's tensors, checked, and its reference statistics. */
export function decodeClassifierFile(bytes: Uint8Array, source = 'classifier file'): ClassifierFile {
  bytes = requireBytes('bytes', bytes);
  const { tensors, metadata } = decodeSafetensors(bytes);
  const problem = mlpTensorProblem(mlpLayout(CLASSIFIER_SPEC), CLASSIFIER_PREFIX, tensors);
  if (problem) throw new ArgumentError('classifier', `${source} ${problem}`);
  const count = Number(metadata.reference_count);
  if (!Number.isInteger(count) || count < 2)
    throw new ArgumentError('classifier', `${source} does not say how many images its reference statistics cover`);
  return { tensors, reference: referenceFromTensors(tensors, count), metadata };
}

/** The classifier's weights on the GPU, checked first: a foreign or damaged file is refused by name. */
export function loadClassifier(ctx: GpuContext, tensors: TensorMap): MlpWeights {
  const layout = mlpLayout(CLASSIFIER_SPEC);
  const problem = mlpTensorProblem(layout, CLASSIFIER_PREFIX, tensors);
  if (problem) throw new ArgumentError('classifier', problem);
  const classifier = new MlpWeights(ctx, CLASSIFIER_SPEC, 'classifier', false);
  ctx.write(classifier.weights, flattenMlpTensors(layout, CLASSIFIER_PREFIX, tensors));
  return classifier;
}

/** Pixels in [−1, 1] from bytes, rounded exactly as the GPU's batch gather rounds them. */
export function pixelsFromBytes(bytes: Uint8Array): Float32Array {
  const scale = Math.fround(1 / 255);
  return Float32Array.from(bytes, (b) => Math.fround((2 * b - 255) * scale));
}
