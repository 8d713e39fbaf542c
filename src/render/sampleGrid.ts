// Shows samples on a WebGPU canvas straight from their GPU buffer (shaders/render_grid.wgsl): the
// demo's live grid costs one render pass a frame and no readback.
import type { GpuContext } from '../gpu/context.js';
import { ArgumentError, requirePositiveInteger } from '../gpu/errors.js';
import { entryLayout, packUniform } from '../gpu/layout.js';
import renderGridShader from '../../shaders/render_grid.wgsl';
import { imageSide } from '../gan/grid.js';

export interface SampleGridOptions {
  /** count × dim floats in [−1, 1]. */
  samples: GPUBuffer;
  count: number;
  dim: number;
  columns?: number;
  padding?: number;
  /** Canvas pixels per sample pixel. */
  scale?: number;
}

export class SampleGridRenderer {
  private readonly context: GPUCanvasContext;
  private readonly pipeline: GPURenderPipeline;
  private readonly uniform: GPUBuffer;
  private readonly bindGroup: GPUBindGroup;
  private destroyed = false;

  constructor(
    private readonly ctx: GpuContext,
    canvas: HTMLCanvasElement,
    options: SampleGridOptions,
  ) {
    const count = requirePositiveInteger('count', options.count);
    const side = imageSide(options.dim);
    const columns = options.columns ?? Math.ceil(Math.sqrt(count));
    const padding = options.padding ?? 1;
    const scale = options.scale ?? 2;
    if (!(scale > 0)) throw new ArgumentError('scale', 'must be positive');
    const rows = Math.ceil(count / columns);
    canvas.width = Math.round((columns * (side + padding) + padding) * scale);
    canvas.height = Math.round((rows * (side + padding) + padding) * scale);
    const context = canvas.getContext('webgpu');
    if (!context) throw new ArgumentError('canvas', 'has no WebGPU context');
    this.context = context;
    const format = navigator.gpu.getPreferredCanvasFormat();
    context.configure({ device: ctx.device, format, alphaMode: 'opaque' });

    const layout = entryLayout(renderGridShader, 'grid_fragment');
    const module = ctx.device.createShaderModule({ label: 'render_grid.wgsl', code: renderGridShader.code });
    this.pipeline = ctx.device.createRenderPipeline({
      label: 'sample grid',
      layout: 'auto',
      vertex: { module, entryPoint: 'grid_vertex' },
      fragment: { module, entryPoint: 'grid_fragment', targets: [{ format }] },
      primitive: { topology: 'triangle-list' },
    });
    const values = { count, columns, side, padding, scale, _pad0: 0, _pad1: 0, _pad2: 0 };
    const bytes = packUniform(layout.uniform!, values);
    this.uniform = ctx.memory.createBuffer({
      label: 'sample grid params',
      size: bytes.byteLength,
      usage: GPUBufferUsage.UNIFORM,
      contents: new Uint8Array(bytes),
    });
    this.bindGroup = ctx.device.createBindGroup({
      label: 'sample grid',
      layout: this.pipeline.getBindGroupLayout(0),
      entries: [
        { binding: layout.bindings.params!.binding, resource: { buffer: this.uniform } },
        {
          binding: layout.bindings.samples!.binding,
          resource: { buffer: options.samples, size: count * options.dim * 4 },
        },
      ],
    });
  }

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
