// C = op(A)·op(B) (+ bias), then an activation or an activation-derivative gate, in one dispatch.
import { ArgumentError, requireFinite, requirePositiveInteger } from '../gpu/errors.js';
import type { GpuContext } from '../gpu/context.js';
import { getPipeline } from '../gpu/pipelines.js';
import { activationCode, Bindings, BoundKernel, type Activation, type TensorRef } from './kernel.js';

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
  const bindings = new Bindings(ctx)
    .tensor('matrix_a', 'a', spec.a, m * k)
    .tensor('matrix_b', 'b', spec.b, k * n)
    .tensor('matrix_c', 'c', spec.c, m * n);
  if (spec.bias) bindings.tensor('bias', 'bias', spec.bias, n);
  else bindings.unused('bias');
  if (spec.gate) bindings.tensor('gate', 'gate.output', spec.gate.output, m * n);
  else bindings.unused('gate');
  const { resources } = bindings.forbidAliasing('matrix_c');
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
