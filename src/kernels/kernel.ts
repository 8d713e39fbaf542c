// What every kernel wrapper shares: validating buffer arguments, and a BoundKernel that holds a
// pipeline, its uniform buffer and its bind group, built once and recorded as often as needed.
import { ArgumentError } from '../base/errors.js';
import { PLACEHOLDER_SLOT_BYTES, WRITABLE_PLACEHOLDER_SLOTS, type GpuContext } from '../gpu/context.js';
import type { CachedPipeline } from '../gpu/pipelines.js';
import {
  entryLayout,
  packUniform,
  shaderConstant,
  threadsPerWorkgroup,
  type EntryLayout,
  type UniformValues,
  type WgslShader,
} from '../gpu/layout.js';

/** A tensor argument: a whole buffer, or a range of one (offset and size in bytes). */
export type TensorRef = GPUBuffer | { buffer: GPUBuffer; offset?: number; size?: number };

/** Where a recorded kernel goes: an open compute pass, or an encoder (a pass is opened for it). */
export type RecordTarget = GPUComputePassEncoder | GPUCommandEncoder;

export const ACTIVATIONS = ['none', 'leaky-relu', 'tanh', 'sigmoid'] as const;
export type Activation = (typeof ACTIVATIONS)[number];

/**
 * The code `shader` gives activation `value`: its ACT_* constant from shaders/activation_math.wgsl
 * (e.g. ACT_LEAKY_RELU), which every shader with an activation requires.
 */
export function activationCode(shader: WgslShader, argument: string, value: unknown): number {
  if (!ACTIVATIONS.includes(value as Activation))
    throw new ArgumentError(argument, `must be one of ${ACTIVATIONS.join(', ')}, got ${String(value)}`);
  return shaderConstant(shader, `ACT_${(value as string).toUpperCase().replace('-', '_')}`);
}

/** A 1-D grid of workgroups of `layout`'s entry point for `items`, `itemsPerThread` per invocation. */
export function gridForItems(
  ctx: GpuContext,
  layout: EntryLayout,
  items: number,
  itemsPerThread = 1,
): [number, number, number] {
  return grid1d(ctx, Math.ceil(items / (threadsPerWorkgroup(layout) * itemsPerThread)));
}

/**
 * Checks that `ref` can hold `elements` 4-byte values and returns the exact binding range.
 * Throws an ArgumentError naming `argument` otherwise.
 */
export function bindTensor(
  ctx: GpuContext,
  argument: string,
  ref: TensorRef | undefined,
  elements: number,
): GPUBufferBinding {
  if (!ref) throw new ArgumentError(argument, 'is required');
  const buffer = 'buffer' in ref ? ref.buffer : ref;
  const offset = 'buffer' in ref ? (ref.offset ?? 0) : 0;
  if (typeof buffer?.size !== 'number' || typeof buffer.usage !== 'number')
    throw new ArgumentError(argument, 'is not a GPUBuffer');
  if ((buffer.usage & GPUBufferUsage.STORAGE) === 0)
    throw new ArgumentError(argument, 'buffer was not created with GPUBufferUsage.STORAGE');
  const alignment = ctx.device.limits.minStorageBufferOffsetAlignment;
  if (!Number.isInteger(offset) || offset < 0 || offset % alignment !== 0) {
    throw new ArgumentError(
      argument,
      `offset ${offset} must be a non-negative multiple of ${alignment} bytes (minStorageBufferOffsetAlignment)`,
    );
  }
  const needed = elements * 4;
  const maxBinding = ctx.device.limits.maxStorageBufferBindingSize;
  if (needed > maxBinding) {
    throw new ArgumentError(
      argument,
      `needs ${needed} bytes in one binding but this device binds at most ${maxBinding} ` +
        `(maxStorageBufferBindingSize); use smaller shapes`,
    );
  }
  const available =
    'buffer' in ref && ref.size !== undefined ? Math.min(ref.size, buffer.size - offset) : buffer.size - offset;
  if (available < needed) {
    throw new ArgumentError(
      argument,
      `needs ${elements} f32 elements (${needed} bytes) but its range holds ${Math.max(0, available)} bytes`,
    );
  }
  return { buffer, offset, size: needed };
}

/**
 * The buffer bindings of one kernel, by WGSL variable name, each checked against the API argument
 * it came from so that errors name what the caller wrote.
 */
export class Bindings {
  readonly resources: Record<string, GPUBufferBinding> = {};
  private readonly argumentOf = new Map<string, string>();
  private writableSlots = 0;

  constructor(private readonly ctx: GpuContext) {}

  tensor(wgslName: string, argument: string, ref: TensorRef | undefined, elements: number): this {
    this.resources[wgslName] = bindTensor(this.ctx, argument, ref, elements);
    this.argumentOf.set(wgslName, argument);
    return this;
  }

  /** Binds the context's placeholder where an optional input or output is unused. */
  unused(wgslName: string, writable = false): this {
    if (!writable) {
      this.resources[wgslName] = { buffer: this.ctx.placeholder, offset: 0, size: 16 };
      return this;
    }
    if (this.writableSlots === WRITABLE_PLACEHOLDER_SLOTS)
      throw new Error(`more than ${WRITABLE_PLACEHOLDER_SLOTS} unused writable bindings`);
    this.resources[wgslName] = {
      buffer: this.ctx.writablePlaceholder,
      offset: this.writableSlots++ * PLACEHOLDER_SLOT_BYTES,
      size: 16,
    };
    return this;
  }

  /** Binds `wgslName` to the same range as `source`, for a second view of one tensor (e.g. as vec4). */
  view(wgslName: string, source: string): this {
    const binding = this.resources[source];
    if (!binding) throw new Error(`view ${wgslName}: nothing is bound to ${source}`);
    this.resources[wgslName] = binding;
    this.argumentOf.set(wgslName, this.argumentOf.get(source) ?? source);
    return this;
  }

  /** A copy to rebind for another dispatch of the same kernel, leaving this one as it is. */
  copy(): Bindings {
    const copy = new Bindings(this.ctx);
    Object.assign(copy.resources, this.resources);
    for (const [name, argument] of this.argumentOf) copy.argumentOf.set(name, argument);
    copy.writableSlots = this.writableSlots;
    return copy;
  }

  /**
   * The bindings that an entry point uses (by reflection, before any GPU work), refused where
   * WebGPU would refuse them in one dispatch, so that the error names the caller's arguments: a
   * written binding (one the WGSL declares read_write) that overlaps any other, or that shares a
   * buffer with a binding the entry only reads. Written bindings may share a buffer in disjoint
   * ranges.
   */
  forEntry(shader: WgslShader, entry: string): Record<string, GPUBufferBinding> {
    const layout = entryLayout(shader, entry);
    const used: Record<string, GPUBufferBinding> = {};
    for (const [name, info] of Object.entries(layout.bindings)) {
      if (info.type === 'uniform') continue;
      const binding = this.resources[name];
      if (!binding) throw new Error(`${layout.entry}: no buffer given for WGSL binding "${name}"`);
      used[name] = binding;
    }
    for (const [written, info] of Object.entries(layout.bindings)) {
      if (info.type === 'storage') this.refuseAliasing(written, used, layout);
    }
    return used;
  }

  private refuseAliasing(written: string, used: Record<string, GPUBufferBinding>, layout: EntryLayout): void {
    const out = used[written]!;
    for (const [name, other] of Object.entries(used)) {
      if (name === written || other.buffer !== out.buffer) continue;
      const [o1, o2] = [out.offset ?? 0, other.offset ?? 0];
      const [writtenArgument, otherArgument] = [
        this.argumentOf.get(written) ?? written,
        this.argumentOf.get(name) ?? name,
      ];
      if (o1 < o2 + other.size! && o2 < o1 + out.size!) {
        throw new ArgumentError(
          writtenArgument,
          `overlaps ${otherArgument} in the same buffer; an output must not alias another argument`,
        );
      }
      if (layout.bindings[name]!.type !== 'storage') {
        throw new ArgumentError(
          writtenArgument,
          `shares a buffer with ${otherArgument}, which this kernel only reads; WebGPU refuses a buffer that one ` +
            `binding of a dispatch writes and another reads, so use separate buffers`,
        );
      }
    }
  }
}

/** Splits a 1-D count of workgroups into x·y ≤ 65535 each (kernels flatten it back). */
export function grid1d(ctx: GpuContext, workgroups: number): [number, number, number] {
  const maxX = ctx.device.limits.maxComputeWorkgroupsPerDimension;
  const x = Math.min(Math.max(workgroups, 1), maxX);
  const y = Math.ceil(workgroups / x);
  if (y > maxX) throw new ArgumentError('n', `is too large for one dispatch (${workgroups} workgroups)`);
  return [x, Math.max(y, 1), 1];
}

/** Anything recorded as part of a step: one dispatch or a few (e.g. a split-K matmul). */
export interface Kernel {
  readonly label: string;
  record(target: RecordTarget): void;
  destroy(): void;
}

export class BoundKernel implements Kernel {
  private readonly uniformBuffer: GPUBuffer | null = null;
  private readonly bindGroup: GPUBindGroup;
  private destroyed = false;

  constructor(
    private readonly ctx: GpuContext,
    private readonly compiled: CachedPipeline,
    readonly label: string,
    resources: Record<string, GPUBufferBinding>,
    uniformValues: UniformValues | null,
    readonly workgroups: [number, number, number],
    /** Buffers this kernel made for itself (e.g. a zero counter), destroyed with it. */
    private readonly ownedBuffers: GPUBuffer[] = [],
  ) {
    const layout = compiled.layout;
    const entries: GPUBindGroupEntry[] = [];
    if (layout.uniform) {
      if (!uniformValues) throw new Error(`${label}: uniform values are required`);
      const bytes = packUniform(layout.uniform, uniformValues);
      this.uniformBuffer = ctx.memory.createBuffer({
        label: `${label}.${layout.uniform.variable}`,
        size: bytes.byteLength,
        usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST,
        contents: new Uint8Array(bytes),
      });
    }
    for (const [name, info] of Object.entries(layout.bindings)) {
      if (info.type === 'uniform') {
        entries.push({ binding: info.binding, resource: { buffer: this.uniformBuffer! } });
        continue;
      }
      const resource = resources[name];
      if (!resource) throw new Error(`${label}: no buffer given for WGSL binding "${name}"`);
      entries.push({ binding: info.binding, resource });
    }
    for (const name of Object.keys(resources)) {
      if (!Object.hasOwn(layout.bindings, name))
        throw new Error(`${label}: entry point ${layout.entry} has no binding "${name}"`);
    }
    this.bindGroup = ctx.device.createBindGroup({ label, layout: compiled.bindGroupLayout, entries });
  }

  /** Records the dispatch into an open compute pass, or into its own pass on an encoder. */
  record(target: RecordTarget): void {
    if (this.destroyed) throw new Error(`${this.label}: record() after destroy()`);
    if ('dispatchWorkgroups' in target) {
      this.dispatch(target);
      return;
    }
    const pass = target.beginComputePass({ label: this.label });
    this.dispatch(pass);
    pass.end();
  }

  private dispatch(pass: GPUComputePassEncoder): void {
    pass.setPipeline(this.compiled.pipeline);
    pass.setBindGroup(0, this.bindGroup);
    pass.dispatchWorkgroups(...this.workgroups);
  }

  /** Rewrites the uniform (e.g. a new learning rate). Takes effect for work submitted afterwards. */
  setUniforms(values: UniformValues): void {
    if (!this.uniformBuffer || !this.compiled.layout.uniform) throw new Error(`${this.label} has no uniforms`);
    this.ctx.write(this.uniformBuffer, new Uint8Array(packUniform(this.compiled.layout.uniform, values)));
  }

  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    if (this.uniformBuffer) this.ctx.memory.release(this.uniformBuffer);
    for (const buffer of this.ownedBuffers) this.ctx.memory.release(buffer);
  }
}

/**
 * A kernel recorded as one dispatch, or as a main dispatch that writes partial results into a
 * workspace it owns and a fixed-order reduction of them (in the same pass, so the reduce sees
 * the partials).
 */
export class StagedKernel implements Kernel {
  constructor(
    private readonly ctx: GpuContext,
    readonly label: string,
    private readonly main: BoundKernel,
    private readonly reduce: BoundKernel | null,
    private readonly workspace: GPUBuffer | null,
  ) {}

  record(target: RecordTarget): void {
    if (!('dispatchWorkgroups' in target)) {
      const pass = target.beginComputePass({ label: this.label });
      this.record(pass);
      pass.end();
      return;
    }
    this.main.record(target);
    this.reduce?.record(target);
  }

  get dispatches(): number {
    return this.reduce ? 2 : 1;
  }

  destroy(): void {
    this.main.destroy();
    this.reduce?.destroy();
    if (this.workspace) this.ctx.memory.release(this.workspace);
  }
}
