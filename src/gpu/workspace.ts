// One owner for the GPU memory of a program of several kernels (the sampler, the scorer, the
// accuracy check, repair): its buffers are made here by name, its kernels are handed to it as
// they are built, and one destroy() frees them all, kernels first. A program built through
// Workspace.build that fails part way (a bad argument, a pipeline the device refuses) frees
// what it had made, so a failed construction leaks nothing. The kernels bind what they are given
// from their shaders' reflection (kernels/kernel.ts); the workspace only owns.
import { DestroyedError } from '../base/errors.js';
import type { GpuContext } from './context.js';

/** Anything the workspace can own besides its buffers: a kernel, a network's weights. */
export interface Destroyable {
  destroy(): void;
}

export class Workspace {
  private readonly named = new Map<string, GPUBuffer>();
  private readonly owned: Destroyable[] = [];
  private destroyed = false;

  /** `label` names the program; each buffer's GPU label is `${label} ${name}`. */
  constructor(
    readonly ctx: GpuContext,
    readonly label: string,
  ) {}

  /**
   * Builds a program in a new workspace. When `build` throws, everything made in the workspace
   * so far is freed and the error goes on to the caller.
   */
  static async build<T>(ctx: GpuContext, label: string, build: (ws: Workspace) => Promise<T> | T): Promise<T> {
    const ws = new Workspace(ctx, label);
    try {
      return await build(ws);
    } catch (error) {
      ws.destroy();
      throw error;
    }
  }

  /** A storage buffer of `size` 4-byte values, or holding `contents`. Names are unique within a workspace. */
  storage(name: string, size: number | Float32Array | Uint32Array): GPUBuffer {
    this.checkUsable('storage');
    if (this.named.has(name)) throw new Error(`Workspace "${this.label}": a buffer "${name}" already exists`);
    const buffer = this.ctx.memory.createStorage(`${this.label} ${name}`, size);
    this.named.set(name, buffer);
    return buffer;
  }

  /** A storage buffer of `rows` × `width` floats: a batch of `width`-wide rows. */
  rows(name: string, rows: number, width: number): GPUBuffer {
    return this.storage(name, rows * width);
  }

  /** The buffer made under `name`. */
  buffer(name: string): GPUBuffer {
    const buffer = this.named.get(name);
    if (!buffer) throw new Error(`Workspace "${this.label}" has no buffer "${name}"`);
    return buffer;
  }

  /** Takes `object` (a kernel, weights) into the workspace, to be destroyed with it; returns it. */
  own<T extends Destroyable>(object: T): T {
    this.checkUsable('own');
    this.owned.push(object);
    return object;
  }

  /** Puts `next` in the place of the owned `previous` (a kernel rebuilt for new uniforms) and destroys `previous`. */
  replace<T extends Destroyable>(previous: Destroyable, next: T): T {
    const at = this.owned.indexOf(previous);
    if (at < 0) throw new Error(`Workspace "${this.label}": the object to replace is not owned here`);
    this.owned[at] = next;
    previous.destroy();
    return next;
  }

  /** Bytes of the buffers it holds. */
  get bytes(): number {
    let total = 0;
    for (const buffer of this.named.values()) total += buffer.size;
    return total;
  }

  /** Destroys what it owns (last first), then frees its buffers. Safe to call twice. */
  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    for (const object of [...this.owned].reverse()) object.destroy();
    for (const buffer of this.named.values()) this.ctx.memory.release(buffer);
    this.owned.length = 0;
    this.named.clear();
  }

  private checkUsable(method: string): void {
    if (this.destroyed) throw new DestroyedError('Workspace', method);
  }
}
