// Small MLP generators and discriminators with known weights, shared by the repair and restore
// tests: their torch-named tensors feed both the GPU networks and the float64 references.
import type { GpuContext } from '../../src/index.js';
import type { MlpSpec } from '../../src/nn/mlp.js';
import type { GanConfig } from '../../src/gan/config.js';
import { discriminatorNetworkSpec, generatorNetworkSpec } from '../../src/gan/networks.js';
import { NetworkWeights } from '../../src/nn/network.js';
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

/** The configuration's network holding `tensors` (a generator's as both weights and moving average). */
export function upload(
  ctx: GpuContext,
  config: GanConfig,
  network: 'generator' | 'discriminator',
  tensors: Tensors,
): NetworkWeights {
  const spec = network === 'generator' ? generatorNetworkSpec(config) : discriminatorNetworkSpec(config);
  const net = new NetworkWeights(ctx, spec, network, network === 'generator');
  const flat = flatFromTensors(net.layout, network, tensors).parameters;
  ctx.write(net.weights, flat);
  if (net.ema) ctx.write(net.ema, flat);
  return net;
}

/**
 * Central differences (step 1e-5) of each row's objective, its known-pixel error plus its realism
 * term, with respect to each of that row's noise values: `at` evaluates every row at once.
 */
export function objectiveGradient(
  z: ArrayLike<number>,
  noiseDim: number,
  at: (values: ArrayLike<number>) => { errors: ArrayLike<number>; realism: ArrayLike<number> },
): Float64Array {
  const h = 1e-5;
  return Float64Array.from(z, (_, i) => {
    const row = Math.floor(i / noiseDim);
    const shifted = (delta: number) => {
      const values = Float64Array.from(z);
      values[i]! += delta;
      const terms = at(values);
      return terms.errors[row]! + terms.realism[row]!;
    };
    return (shifted(h) - shifted(-h)) / (2 * h);
  });
}
