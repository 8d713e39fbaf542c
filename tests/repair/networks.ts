// Small MLP generators and discriminators with known weights, shared by the repair and restore
// tests: their torch-named tensors feed both the GPU networks and the float64 references.
import type { GpuContext } from '../../src/index.js';
import { MlpWeights, type MlpSpec } from '../../src/nn/mlp.js';
import { flattenMlpTensors } from '../../src/nn/tensors.js';
import { randomArray } from '../support/gpu.js';

export type Tensors = Map<string, { shape: number[]; data: Float32Array }>;

/** Random torch-named tensors for `spec` (weights scaled by 1/√fan-in, as an initialised layer). */
export function randomTensors(spec: MlpSpec, prefix: string, seed: number, scale = 1): Tensors {
  const tensors: Tensors = new Map();
  for (let l = 0; l + 1 < spec.widths.length; l++) {
    const [inF, outF] = [spec.widths[l]!, spec.widths[l + 1]!];
    const w = randomArray(inF * outF, seed + 2 * l, -scale / Math.sqrt(inF), scale / Math.sqrt(inF));
    tensors.set(`${prefix}.${2 * l}.weight`, { shape: [outF, inF], data: w });
    tensors.set(`${prefix}.${2 * l}.bias`, { shape: [outF], data: randomArray(outF, seed + 2 * l + 1, -0.1, 0.1) });
  }
  return tensors;
}

/** A network holding `tensors` (as both weights and moving average, for a generator). */
export function upload(ctx: GpuContext, spec: MlpSpec, label: string, tensors: Tensors, withEma: boolean): MlpWeights {
  const mlp = new MlpWeights(ctx, spec, label, withEma);
  const flat = flattenMlpTensors(mlp.layout, label, tensors);
  ctx.write(mlp.weights, flat);
  if (mlp.ema) ctx.write(mlp.ema, flat);
  return mlp;
}
