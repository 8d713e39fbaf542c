// The part of TensorFlow.js's API that bench/tfjs-peer.ts and bench/tfjs-dcgan.ts use. tsconfig.json maps the package
// here for type checking because its own declarations pull in an old @webgpu/types whose global
// types clash with ours; the bundle (scripts/bundle.mjs) still uses the real package.
export interface Tensor {
  data(): Promise<Float32Array>;
  dispose(): void;
}
export type Tensor2D = Tensor;
export type Tensor4D = Tensor;
export type Scalar = Tensor;
export type Variable = Tensor;
export interface Optimizer {
  minimize(f: () => Scalar, returnCost: boolean, varList: Variable[]): Scalar | null;
  dispose(): void;
}
export function variable(initial: Tensor): Variable;
export function randomUniform(shape: number[], min?: number, max?: number): Tensor;
export function randomNormal(shape: number[], mean?: number, stddev?: number): Tensor;
export function zeros(shape: number[]): Tensor;
export function moments(x: Tensor, axes: number[]): { mean: Tensor; variance: Tensor };
export function batchNorm4d(
  x: Tensor,
  mean: Tensor,
  variance: Tensor,
  offset: Tensor,
  scale: Tensor,
  eps: number,
): Tensor;
export function conv2d(x: Tensor, filter: Tensor, strides: number, pad: 'same' | 'valid'): Tensor;
export function conv2dTranspose(
  x: Tensor,
  filter: Tensor,
  outputShape: number[],
  strides: number,
  pad: 'same' | 'valid',
): Tensor;
export function relu(x: Tensor): Tensor;
export function reshape(x: Tensor, shape: number[]): Tensor;
export function add(a: Tensor, b: Tensor): Tensor;
export function sub(a: Tensor, b: Tensor | number): Tensor;
export function mul(a: Tensor, b: Tensor | number): Tensor;
export function matMul(a: Tensor, b: Tensor): Tensor;
export function leakyRelu(x: Tensor, alpha: number): Tensor;
export function tanh(x: Tensor): Tensor;
export function softplus(x: Tensor): Tensor;
export function mean(x: Tensor): Scalar;
export function setBackend(name: string): Promise<boolean>;
export function ready(): Promise<void>;
export function dispose(t: Tensor | Tensor[]): void;
export const train: { adam(lr: number, beta1: number, beta2: number): Optimizer };
