// Checkpoints read defensively: a safetensors header bounded in size (checked from its 8-byte
// length) and in depth (checked before parsing), metadata taken by a whitelist into objects without
// a prototype, and the step read as a strict decimal within the step counter's limit.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { decodeCheckpoint } from '../src/gan/checkpoint.js';
import { CheckpointFormatError, decodeSafetensors, encodeSafetensors } from '../src/io/safetensors.js';
import { cli, TINY } from './support/cli.js';
import { useTempDirs } from './support/temp.js';

const tempDir = useTempDirs();
const tmp = () => tempDir('gan-limits-');

/** A safetensors file whose header is `header` verbatim and that has no data. */
function withHeader(header: string): Uint8Array {
  const json = new TextEncoder().encode(header);
  const bytes = new Uint8Array(8 + json.length);
  new DataView(bytes.buffer).setBigUint64(0, BigInt(json.length), true);
  bytes.set(json, 8);
  return bytes;
}

describe('checkpoints: bounded headers, known metadata, a strict step', { timeout: 300_000 }, () => {
  /** A good run's checkpoint, at step 4 of batch 8. */
  let good: Uint8Array;
  beforeAll(() => {
    const run = tmp();
    const r = cli(['train', '--steps', '4', '--out', run, ...TINY]);
    if (r.status !== 0) throw new Error(r.errors.join('\n'));
    good = readFileSync(join(run, 'checkpoint.safetensors'));
  });

  /** The good checkpoint with its metadata changed. */
  function withMetadata(changes: Record<string, string>): Uint8Array {
    const { tensors, integers, metadata } = decodeSafetensors(good);
    const edited: Record<string, string> = Object.create(null);
    for (const [k, v] of Object.entries({ ...metadata })) edited[k] = v;
    for (const [k, v] of Object.entries(changes)) Object.defineProperty(edited, k, { value: v, enumerable: true });
    return encodeSafetensors(tensors, edited, integers);
  }

  it('the step is a decimal integer within the step counter’s limit, else a named error', () => {
    expect(decodeCheckpoint(withMetadata({ step: '536870911' })).step).toBe(536870911);
    for (const step of ['', '0x10', ' 4', '4.0', '1e1', '-1', '04']) {
      expect(() => decodeCheckpoint(withMetadata({ step }))).toThrow(
        new CheckpointFormatError(
          `metadata step ${JSON.stringify(step)} is not a step count (a decimal integer such as "400")`,
        ),
      );
    }
    // Batch 8: (2^32 − 1) / 8 steps fit the GPU's 32-bit sample counter.
    expect(() => decodeCheckpoint(withMetadata({ step: '536870912' }))).toThrow(
      /metadata step 536870912 is past 536870911, the most steps at batch 8/,
    );
  });

  it('metadata keys __proto__ and constructor are plain entries, never taken by a checkpoint', () => {
    const crafted = withMetadata({ ['__proto__']: 'polluted', constructor: 'forged', prototype: 'x' });
    const { metadata } = decodeSafetensors(crafted);
    expect(Object.getPrototypeOf(metadata)).toBe(null);
    expect(Object.getOwnPropertyDescriptor(metadata, '__proto__')?.value).toBe('polluted');
    expect(metadata.constructor).toBe('forged');
    expect(decodeSafetensors(good).metadata.constructor).toBe(undefined);
    const checkpoint = decodeCheckpoint(crafted);
    expect(checkpoint.step).toBe(4);
    expect(({} as Record<string, unknown>).polluted).toBe(undefined);
  });

  it('a header over 1 MiB is refused from its length, and nested JSON before parsing, in milliseconds', () => {
    const huge = new Uint8Array(8);
    new DataView(huge.buffer).setBigUint64(0, BigInt(100 * 2 ** 20), true);
    const big = withHeader(JSON.stringify({ __metadata__: { note: 'x'.repeat(2 ** 20) } }));
    const nested = withHeader(`{"a":${'['.repeat(500_000)}${']'.repeat(500_000)}}`);
    for (const [bytes, message] of [
      [huge, /header length 104857600 is over the 1048576-byte limit/],
      [big, /header length \d+ is over the 1048576-byte limit/],
      [nested, /header is nested deeper than 3 levels; a safetensors header is flat/],
    ] as const) {
      const started = performance.now();
      expect(() => decodeSafetensors(bytes)).toThrow(message);
      expect(performance.now() - started).toBeLessThan(200);
    }
  });
});
