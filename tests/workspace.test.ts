// The workspace: one owner of a program's buffers and kernels. What it makes it frees, in one
// destroy() or when the program's construction fails part way; the leak fixture (useGpu) fails
// any test here that leaves a buffer alive.
import { describe, expect, it } from 'vitest';
import { DestroyedError } from '../src/base/errors.js';
import { Workspace } from '../src/gpu/workspace.js';
import { useGpu } from './support/gpu.js';

const gpu = useGpu();

/** Stands in for a kernel: records whether it was destroyed, and in which order. */
function fakeKernel(name: string, log: string[]) {
  return { destroy: () => log.push(name) };
}

describe('Workspace', () => {
  it('makes named buffers, holds kernels, and frees all of it in one destroy (kernels last made, first freed)', () => {
    const ctx = gpu.ctx;
    const before = ctx.memory.bytesInUse;
    const log: string[] = [];
    const ws = new Workspace(ctx, 'demo');
    const a = ws.rows('a', 3, 5);
    const b = ws.storage('b', Float32Array.of(1, 2, 3));
    ws.own(fakeKernel('first', log));
    ws.own(fakeKernel('second', log));
    expect(ws.buffer('a')).toBe(a);
    expect(ws.buffer('b')).toBe(b);
    expect(a.size).toBe(60);
    expect(ws.bytes).toBe(72);
    expect(ctx.memory.liveBuffers().map((x) => x.label)).toEqual(expect.arrayContaining(['demo a', 'demo b']));
    ws.destroy();
    ws.destroy();
    expect(log).toEqual(['second', 'first']);
    expect(ctx.memory.bytesInUse).toBe(before);
  });

  it('refuses a name twice, a name it does not have, and any use after destroy', () => {
    const ws = new Workspace(gpu.ctx, 'names');
    ws.storage('x', 4);
    expect(() => ws.storage('x', 4)).toThrow(/a buffer "x" already exists/);
    expect(() => ws.buffer('y')).toThrow(/has no buffer "y"/);
    ws.destroy();
    expect(() => ws.storage('z', 4)).toThrow(DestroyedError);
    expect(() => ws.own({ destroy() {} })).toThrow(DestroyedError);
  });

  it('replace destroys the old kernel and keeps the new one for destroy()', () => {
    const log: string[] = [];
    const ws = new Workspace(gpu.ctx, 'replace');
    const old = ws.own(fakeKernel('old', log));
    ws.replace(old, fakeKernel('new', log));
    expect(log).toEqual(['old']);
    expect(() => ws.replace(old, fakeKernel('again', log))).toThrow(/not owned here/);
    ws.destroy();
    expect(log).toEqual(['old', 'new']);
  });

  it('a build that throws part way frees what it had made, and the error reaches the caller', async () => {
    const ctx = gpu.ctx;
    const before = ctx.memory.liveBuffers().length;
    const log: string[] = [];
    const failing = Workspace.build(ctx, 'broken', async (ws) => {
      ws.rows('made', 4, 4);
      ws.own(fakeKernel('made kernel', log));
      await Promise.resolve();
      throw new Error('the second kernel could not be built');
    });
    await expect(failing).rejects.toThrow('the second kernel could not be built');
    expect(log).toEqual(['made kernel']);
    expect(ctx.memory.liveBuffers().length).toBe(before);
  });
});
