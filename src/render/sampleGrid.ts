// Shows samples on a WebGPU canvas straight from their GPU buffer (shaders/sample_grid.wgsl): the
// demo's live grid costs one render pass a frame and no readback.
import { guardedCreator } from '../gpu/creation.js';
import type { GpuContext } from '../gpu/context.js';
import { ArgumentError, requirePositiveInteger } from '../base/errors.js';
import { entryLayout, packUniform } from '../gpu/layout.js';
import { getRenderPipeline } from '../gpu/pipelines.js';
import sampleGridShader from '../../shaders/sample_grid.wgsl';
import { imageSide } from './grid.js';
import { requireContext, requireObject } from '../base/arguments.js';

export interface SampleGridOptions {
  /** count × dim floats in [−1, 1]. */
  samples: GPUBuffer;
  count: number;
  dim: number;
  columns?: number;
  padding?: number;
  /** Canvas pixels per sample pixel. */
  scale?: number;
  /** Colour planes per sample: 1 (grey, the default) or 3 (planar RGB). */
  channels?: 1 | 3;
}

/** Builds a renderer for `canvas` (sized to fit the grid); its pipeline comes from the shared cache. */
export const createSampleGridRenderer = /* @__PURE__ */ guardedCreator(
  'createSampleGridRenderer',
  makeSampleGridRenderer,
);

async function makeSampleGridRenderer(
  ctx: GpuContext,
  canvas: HTMLCanvasElement,
  options: SampleGridOptions,
): Promise<SampleGridRenderer> {
  requireContext(ctx);
  requireObject('canvas', canvas, 'a canvas');
  requireObject('options', options, 'an object of options (count, dim)');
  const count = requirePositiveInteger('count', options.count);
  const channels = options.channels ?? 1;
  if (channels !== 1 && channels !== 3) throw new ArgumentError('channels', `must be 1 or 3, got ${String(channels)}`);
  const side = imageSide(options.dim, channels);
  const columns = options.columns ?? Math.ceil(Math.sqrt(count));
  const padding = options.padding ?? 1;
  const scale = options.scale ?? 2;
  if (!(scale > 0)) throw new ArgumentError('scale', 'must be positive');
  const context = canvas.getContext('webgpu');
  if (!context) throw new ArgumentError('canvas', 'has no WebGPU context');
  const format = navigator.gpu.getPreferredCanvasFormat();
  const compiled = await getRenderPipeline(ctx.device, sampleGridShader, {
    vertex: 'grid_vertex',
    fragment: 'grid_fragment',
    format,
  });
  const rows = Math.ceil(count / columns);
  canvas.width = Math.round((columns * (side + padding) + padding) * scale);
  canvas.height = Math.round((rows * (side + padding) + padding) * scale);
  context.configure({ device: ctx.device, format, alphaMode: 'opaque' });
  const values = { count, columns, side, padding, scale, channels, _pad1: 0, _pad2: 0 };
  const bytes = packUniform(entryLayout(sampleGridShader, 'grid_fragment').uniform!, values);
  const uniform = ctx.memory.createBuffer({
    label: 'sample grid params',
    size: bytes.byteLength,
    usage: GPUBufferUsage.UNIFORM,
    contents: new Uint8Array(bytes),
  });
  const bindGroup = ctx.device.createBindGroup({
    label: 'sample grid',
    layout: compiled.bindGroupLayout,
    entries: [
      { binding: compiled.bindings.params!.binding, resource: { buffer: uniform } },
      {
        binding: compiled.bindings.samples!.binding,
        resource: { buffer: options.samples, size: count * options.dim * 4 },
      },
    ],
  });
  return new SampleGridRenderer(ctx, context, compiled.pipeline, uniform, bindGroup);
}

/** Draws the grid; made by createSampleGridRenderer, owns its uniform buffer and the canvas configuration. */
export class SampleGridRenderer {
  private destroyed = false;

  constructor(
    private readonly ctx: GpuContext,
    private readonly context: GPUCanvasContext,
    private readonly pipeline: GPURenderPipeline,
    private readonly uniform: GPUBuffer,
    private readonly bindGroup: GPUBindGroup,
  ) {}

  /** Records the draw into `encoder` (after whatever filled the samples buffer). */
  record(encoder: GPUCommandEncoder): void {
    if (this.destroyed) return;
    const pass = encoder.beginRenderPass({
      colorAttachments: [
        {
          view: this.context.getCurrentTexture().createView(),
          loadOp: 'clear',
          storeOp: 'store',
          clearValue: { r: 0, g: 0, b: 0, a: 1 },
        },
      ],
    });
    pass.setPipeline(this.pipeline);
    pass.setBindGroup(0, this.bindGroup);
    pass.draw(3);
    pass.end();
  }

  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.ctx.memory.release(this.uniform);
    this.context.unconfigure();
  }
}
