// webgpu-gan's public API: the GPU runtime and the kernels.
export { acquireGpu, formatAdapter, INSTALL_HINT, type AdapterDescription, type AcquireOptions } from './gpu/device.js';
export { GpuContext } from './gpu/context.js';
export { GpuMemory, type BufferSpec, type LiveBuffer } from './gpu/memory.js';
export { getPipeline, type CachedPipeline, type OverrideConstants } from './gpu/pipelines.js';
export { ArgumentError, GpuDeviceError, WebGpuUnavailableError } from './gpu/errors.js';
export { BoundKernel, type TensorRef, type RecordTarget, type Activation } from './kernels/kernel.js';
export { createMatmul, type MatmulSpec } from './kernels/matmul.js';
export { createActivationForward, createActivationBackward, type ActivationForwardSpec, type ActivationBackwardSpec } from './kernels/activation.js';
export { createBceWithLogits, type BceSpec } from './kernels/bce.js';
export { createBiasGrad, type BiasGradSpec } from './kernels/biasGrad.js';
export { AdamKernel, ADAM_DEFAULTS, type AdamSpec, type AdamHyperparameters } from './kernels/adam.js';
export { StepCounter } from './kernels/counter.js';
export { createRandomFill, seedWords, type RandomFillSpec, type RandomDistribution } from './kernels/random.js';
