// The WGSL sources, one file per kernel family in shaders/. Kernels with an activation epilogue
// get shaders/activation_math.wgsl prepended, since WGSL has no include of its own.
import activationMath from '../shaders/activation_math.wgsl?raw';
import matmul from '../shaders/matmul.wgsl?raw';
import activation from '../shaders/activation.wgsl?raw';
import bce from '../shaders/bce.wgsl?raw';
import biasGrad from '../shaders/bias_grad.wgsl?raw';
import adam from '../shaders/adam.wgsl?raw';
import counter from '../shaders/counter.wgsl?raw';
import random from '../shaders/random.wgsl?raw';

const withActivations = (source: string) => `${activationMath}\n${source}`;

export const SHADERS = {
  matmul: withActivations(matmul),
  activation: withActivations(activation),
  bce: withActivations(bce),
  bias_grad: biasGrad,
  adam,
  counter,
  random,
} as const;

export type ShaderName = keyof typeof SHADERS;
