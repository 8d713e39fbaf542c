// Small MLP generators and discriminators with known weights, shared by the repair and restore
// tests: their torch-named tensors feed both the GPU networks and the float64 references.
import type { GpuContext } from '../../src/index.js';
import type { MlpSpec } from '../../src/nn/mlp.js';
import type { Layer } from '../../src/nn/model.js';
import { NetworkWeights, type NetworkSpec } from '../../src/nn/network.js';
import { flatFromTensors } from '../../src/nn/networkTensors.js';
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

/** The layer list of the MLP `spec` describes, as the engine runs it. */
export function mlpNetworkSpec(spec: MlpSpec): NetworkSpec {
  const layers: Layer[] = [];
  spec.widths.slice(1).forEach((out, l, outs) => {
    layers.push({ kind: 'linear', out });
    const activation = l + 1 < outs.length ? spec.hidden : spec.output;
    if (activation !== 'none') layers.push({ kind: 'activation', fn: activation });
  });
  return { input: [spec.widths[0]!], layers, leakySlope: spec.leakySlope };
}

/** A network holding `tensors` (as both weights and moving average, for a generator). */
export function upload(
  ctx: GpuContext,
  spec: MlpSpec,
  label: string,
  tensors: Tensors,
  withEma: boolean,
): NetworkWeights {
  const net = new NetworkWeights(ctx, mlpNetworkSpec(spec), label, withEma);
  const flat = flatFromTensors(net.layout, label, tensors).parameters;
  ctx.write(net.weights, flat);
  if (net.ema) ctx.write(net.ema, flat);
  return net;
}
