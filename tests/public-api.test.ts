// The public API is a decision, not an accident: adding or removing a name means changing this
// list. Benchmark switches (forceAutoVariant), shader reflection and the trainer's building blocks
// are importable inside the repository by their modules but are not part of the package's API.
import { expect, it } from 'vitest';
import * as api from '../src/index.js';

const PUBLIC_VALUES = [
  'ADAM_DEFAULTS',
  'ArgumentError',
  'CheckpointFormatError',
  'DEFAULT_GAN_CONFIG',
  'DatasetError',
  'DestroyedError',
  'GanSampler',
  'GanTrainer',
  'GpuContext',
  'GpuDataset',
  'GpuDeviceError',
  'GpuFailureError',
  'TrainingDivergedError',
  'WebGpuUnavailableError',
  'acquireGpu',
  'configMismatches',
  'createActivationBackward',
  'createActivationForward',
  'createAdam',
  'createBatchGather',
  'createBceWithLogits',
  'createBiasGrad',
  'createLogitHead',
  'createMatmul',
  'createRandomFill',
  'createSampleGridRenderer',
  'createStepCounter',
  'decodeCheckpoint',
  'decodeSafetensors',
  'divergence',
  'encodeCheckpoint',
  'encodeSafetensors',
  'formatAdapter',
  'gaussianVector',
  'imageSide',
  'interpolationNoise',
  'loadGenerator',
  'parseIdxImages',
  'registerMatmulTuning',
  'resolveGanConfig',
  'restoreCheckpoint',
  'sampleGrid',
  'seededRandom',
  'slerp',
  'unregisterMatmulTuning',
];

it('exports exactly these values; kernels come only from their createX(ctx, spec), never a class', () => {
  expect(Object.keys(api).sort()).toEqual([...PUBLIC_VALUES].sort());
});
