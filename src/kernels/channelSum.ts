// Per-channel sums of an NCHW tensor, the bias gradient of a convolution or a transposed one: an
// entry of the convolution shader (shaders/conv2d.wgsl), one workgroup per channel.
import convShader from '../../shaders/conv2d.wgsl';
import { requireCreatorArguments } from '../base/arguments.js';
import { ArgumentError, requirePositiveInteger } from '../base/errors.js';
import type { GpuContext } from '../gpu/context.js';
import { guardedCreator } from '../gpu/creation.js';
import { getPipeline } from '../gpu/pipelines.js';
import { Bindings, BoundKernel, type Kernel, type TensorRef } from './kernel.js';

export interface ChannelSumSpec {
  batch: number;
  channels: number;
  /** Pixels per channel (height × width; 1 for a [batch, channels] tensor). */
  pixels: number;
  /** [batch, channels, pixels]. */
  input: TensorRef;
  /** [channels]: Σ over batch and pixels, overwritten. */
  output: TensorRef;
  label?: string;
}

/** Per-channel sums of an NCHW tensor: the bias gradient of a convolution or transposed one. */
export const createChannelSum = /* @__PURE__ */ guardedCreator('createChannelSum', makeChannelSum);

async function makeChannelSum(ctx: GpuContext, spec: ChannelSumSpec): Promise<Kernel> {
  requireCreatorArguments(ctx, spec);
  const batch = requirePositiveInteger('batch', spec.batch);
  const channels = requirePositiveInteger('channels', spec.channels);
  const pixels = requirePositiveInteger('pixels', spec.pixels);
  if (channels > ctx.device.limits.maxComputeWorkgroupsPerDimension)
    throw new ArgumentError('channels', `is too many for one dispatch (${channels})`);
  const resources = new Bindings(ctx)
    .tensor('grad', 'input', spec.input, batch * channels * pixels)
    .tensor('output', 'output', spec.output, channels)
    .unused('image')
    .unused('weight')
    .unused('bias')
    .unused('gate')
    .unused('partials')
    .forEntry(convShader, 'conv_channel_sum');
  // The sum reads the output gradient's layout: C_OUT channels of H_OUT × W_OUT = pixels × 1.
  const constants = { BATCH: batch, C_OUT: channels, H_OUT: pixels, W_OUT: 1 };
  const compiled = await getPipeline(ctx.device, convShader, 'conv_channel_sum', constants);
  return new BoundKernel(ctx, compiled, spec.label ?? `channel sum ${batch}x${channels}x${pixels}`, resources, null, [
    channels,
    1,
    1,
  ]);
}
