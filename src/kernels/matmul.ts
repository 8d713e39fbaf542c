// C = op(A)·op(B) (+ bias), then an activation or an activation-derivative gate, in one dispatch.
import { ArgumentError, requireFinite, requirePositiveInteger } from '../gpu/errors.js';
import type { GpuContext } from '../gpu/context.js';
import { getPipeline } from '../gpu/pipelines.js';
import { activationCode, bindTensor, BoundKernel, requireNoAliasing, type Activation, type TensorRef } from './kernel.js';

export interface MatmulSpec {
  /** Rows of C (and of op(A)). */
  m: number;
  /** Columns of C (and of op(B)). */
  n: number;
  /** Inner dimension: columns of op(A), rows of op(B). */
  k: number;
  /** M×K, or K×M when transposeA. */
  a: TensorRef;
  /** K×N, or N×K when transposeB. */
  b: TensorRef;
  /** M×N output. */
  c: TensorRef;
  transposeA?: boolean;
  transposeB?: boolean;
  /** N values added to every row. */
  bias?: TensorRef;
  /** Applied to the result (forward layers). */
  activation?: Activation;
  /**
   * Multiplies the result by f'(y) for activation `kind`, where y (M×N) holds f's output:
   * the backward step dZ = (dY·Wᵀ) ⊙ f'(y) in one pass.
   */
  gate?: { kind: Exclude<Activation, 'none'>; output: TensorRef };
  /** Leaky-ReLU slope for the activation or the gate. Default 0.2. */
  leakySlope?: number;
  label?: string;
}

const TILE = 64;

export async function createMatmul(ctx: GpuContext, spec: MatmulSpec): Promise<BoundKernel> {
  const m = requirePositiveInteger('m', spec.m);
  const n = requirePositiveInteger('n', spec.n);
  const k = requirePositiveInteger('k', spec.k);
  const alpha = requireFinite('leakySlope', spec.leakySlope ?? 0.2);
  const activation = activationCode('activation', spec.activation ?? 'none');
  const gate = spec.gate ? activationCode('gate.kind', spec.gate.kind) : 0;
  if (spec.gate && gate === 0) throw new ArgumentError('gate.kind', 'must name an activation, not none');
  const resources: Record<string, GPUBufferBinding> = {
    matrix_a: bindTensor(ctx, 'a', spec.a, m * k),
    matrix_b: bindTensor(ctx, 'b', spec.b, k * n),
    matrix_c: bindTensor(ctx, 'c', spec.c, m * n),
    bias: spec.bias ? bindTensor(ctx, 'bias', spec.bias, n) : { buffer: ctx.placeholder, size: 16 },
    gate: spec.gate ? bindTensor(ctx, 'gate.output', spec.gate.output, m * n) : { buffer: ctx.placeholder, size: 16 },
  };
  requireNoAliasing(resources, ['matrix_c']);
  const compiled = await getPipeline(ctx.device, 'matmul', 'matmul_bias_act', {
    TRANSPOSE_A: spec.transposeA ?? false,
    TRANSPOSE_B: spec.transposeB ?? false,
    HAS_BIAS: spec.bias !== undefined,
    ACTIVATION: activation,
    GATE: gate,
  });
  const workgroups: [number, number, number] = [Math.ceil(n / TILE), Math.ceil(m / TILE), 1];
  return new BoundKernel(ctx, compiled, spec.label ?? `matmul ${m}x${k}x${n}`, resources, { m, n, k, alpha }, workgroups);
}
