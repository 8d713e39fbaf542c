// A layer-list network's first weights, drawn on the GPU from the seed, one Philox stream per
// tensor (kernels/streams.ts, by the block's place among the compute layers, as the MLP draws):
//   'pytorch-default'  what PyTorch's layers start from: W and b ~ U(±1/√fan_in), fan_in =
//                      in·kh·kw (a transposed convolution's is out·kh·kw, PyTorch reading its
//                      [in, out, kh, kw] weight's second dimension); batch norm γ = 1, β = 0
//   'dcgan'            examples/dcgan's weights_init: convolution weights ~ N(0, 0.02), batch-norm
//                      γ ~ N(1, 0.02), β = 0; linear layers and biases as PyTorch's default
// A projection discriminator's class embedding draws from N(0, 0.02) under 'dcgan', as the
// convolutions whose features it weighs, and under 'pytorch-default' from nn.Embedding's N(0, 1).
// Running statistics start as PyTorch's: mean 0, variance 1.
import { ArgumentError } from '../base/errors.js';
import type { GpuContext } from '../gpu/context.js';
import type { Kernel } from '../kernels/kernel.js';
import { createRandomFill, type RandomDistribution } from '../kernels/random.js';
import { initStream, type InitTensor, type Network } from '../kernels/streams.js';
import { viewRef, type TensorView } from './mlp.js';
import type { PlacedLayer } from './model.js';
import type { NetworkParameters } from './network.js';

export const INIT_SCHEMES = ['pytorch-default', 'dcgan'] as const;
export type InitScheme = (typeof INIT_SCHEMES)[number];

export interface InitSpec {
  seed: number;
  /** Which block of init streams the network draws from. */
  network: Network;
  scheme: InitScheme;
}

/** PyTorch's fan_in of a layer's weight (a linear layer's class columns included, as one nn.Linear holds them). */
function fanIn(p: PlacedLayer): number {
  const w = p.weight!.shape;
  if (p.layer.kind === 'conv-transpose2d') return w[1]! * w[2]! * w[3]!;
  return w.slice(1).reduce((a, b) => a * b, 1) + (p.classWeight?.shape[1] ?? 0);
}

/** How each of a block's tensors starts: a distribution to draw from, or a constant. */
function distributions(p: PlacedLayer, scheme: InitScheme): Array<[TensorView, RandomDistribution | number]> {
  const out: Array<[TensorView, RandomDistribution | number]> = [];
  if (!p.weight) return out; // a Gaussian-noise layer holds nothing
  if (p.layer.kind === 'batch-norm') {
    out.push([p.weight!, scheme === 'dcgan' ? { kind: 'normal', mean: 1, stddev: 0.02 } : 1]);
    out.push([p.bias!, 0]);
    return out;
  }
  const bound = 1 / Math.sqrt(fanIn(p));
  const uniform: RandomDistribution = { kind: 'uniform', low: -bound, high: bound };
  const convolution = p.layer.kind === 'conv2d' || p.layer.kind === 'conv-transpose2d';
  out.push([p.weight!, scheme === 'dcgan' && convolution ? { kind: 'normal', mean: 0, stddev: 0.02 } : uniform]);
  if (p.bias) out.push([p.bias, uniform]);
  if (p.classWeight) out.push([p.classWeight, uniform]);
  // Weight normalisation's g starts at 1, each row at unit length (a constant: no stream drawn).
  if (p.weightScale) out.push([p.weightScale, 1]);
  return out;
}

/** Which of a block's tensors a view is, for its init stream. */
function tensorOf(p: PlacedLayer, view: TensorView): InitTensor {
  return view === p.bias ? 'bias' : view === p.classWeight ? 'classWeight' : 'weight';
}

/** Draws the network's weights and resets its running statistics; waits until the GPU is done. */
export async function initialiseNetwork(ctx: GpuContext, net: NetworkParameters, spec: InitSpec): Promise<void> {
  if (!(INIT_SCHEMES as readonly string[]).includes(spec.scheme))
    throw new ArgumentError('scheme', `must be ${INIT_SCHEMES.join(' or ')}, got ${String(spec.scheme)}`);
  const constants = new Float32Array(net.layout.parameterFloats);
  const drawn: Array<[TensorView, RandomDistribution, number]> = [];
  for (const [b, block] of net.blocks.entries()) {
    for (const [view, how] of distributions(block.layer, spec.scheme)) {
      if (typeof how === 'number') constants.fill(how, view.offset, view.offset + view.count);
      else drawn.push([view, how, initStream(spec.network, b, tensorOf(block.layer, view))]);
    }
  }
  const projection = net.layout.projection;
  if (projection) {
    const stddev = spec.scheme === 'dcgan' ? 0.02 : 1;
    drawn.push([projection, { kind: 'normal', mean: 0, stddev }, initStream(spec.network, 0, 'classWeight')]);
  }
  // Constants first (a whole-buffer write; drawn tensors are overwritten after it).
  ctx.write(net.weights, constants);
  const state = new Float32Array(Math.max(net.layout.stateFloats, 1));
  for (const p of net.layout.layers)
    if (p.runningVar) state.fill(1, p.runningVar.offset, p.runningVar.offset + p.runningVar.count);
  ctx.write(net.state, state);
  const kernels: Kernel[] = [];
  try {
    for (const [view, distribution, stream] of drawn) {
      kernels.push(
        await createRandomFill(ctx, {
          n: view.count,
          output: viewRef(net.weights, view),
          seed: spec.seed,
          stream,
          distribution,
        }),
      );
    }
    const encoder = ctx.device.createCommandEncoder({ label: `${net.label} init` });
    const pass = encoder.beginComputePass();
    for (const k of kernels) k.record(pass);
    pass.end();
    ctx.submit([encoder.finish()]);
    await ctx.sync();
  } finally {
    for (const k of kernels) k.destroy();
  }
}
