// The WGSL sources, one file per kernel family in shaders/. WGSL has no include, so the shared
// helpers are prepended: activation_math.wgsl to kernels with an activation, philox.wgsl to the
// kernels that draw random numbers.
import activationMath from '../shaders/activation_math.wgsl?raw';
import matmul from '../shaders/matmul.wgsl?raw';
import activation from '../shaders/activation.wgsl?raw';
import bce from '../shaders/bce.wgsl?raw';
import logitHead from '../shaders/logit_head.wgsl?raw';
import biasGrad from '../shaders/bias_grad.wgsl?raw';
import adam from '../shaders/adam.wgsl?raw';
import counter from '../shaders/counter.wgsl?raw';
import random from '../shaders/random.wgsl?raw';
import philox from '../shaders/philox.wgsl?raw';
import data from '../shaders/data.wgsl?raw';
import renderGrid from '../shaders/render_grid.wgsl?raw';

const withActivations = (source: string) => `${activationMath}\n${source}`;
const withPhilox = (source: string) => `${philox}\n${source}`;

export const SHADERS = {
  matmul: withActivations(matmul),
  activation: withActivations(activation),
  bce: withActivations(bce),
  logit_head: withActivations(logitHead),
  bias_grad: biasGrad,
  adam,
  counter,
  random: withPhilox(random),
  data: withPhilox(data),
  render_grid: renderGrid,
} as const;

export type ShaderName = keyof typeof SHADERS;
