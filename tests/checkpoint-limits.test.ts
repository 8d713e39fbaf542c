// Checkpoints read defensively: a safetensors header bounded in size (checked from its 8-byte
// length) and in depth (checked before parsing), metadata taken by a whitelist into objects without
// a prototype, and the step read as a strict decimal within the step counter's limit.
import { readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { decodeCheckpoint } from '../src/gan/checkpoint.js';
import { readCheckpointFile } from '../src/gan/checkpointFile.js';
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

  /** A checkpoint file of `header`, then `data`, made `size` bytes long by a sparse extension. */
  function sparseFile(header: object, data: Uint8Array, size: number): string {
    const path = join(tmp(), 'huge.safetensors');
    const head = withHeader(JSON.stringify(header));
    writeFileSync(path, Buffer.concat([head, data]));
    truncateSync(path, size);
    return path;
  }

  it('a huge sparse file is refused from its header, checked against the file size and the model', () => {
    const headerBytes = Number(new DataView(good.buffer, good.byteOffset).getBigUint64(0, true));
    const header = JSON.parse(new TextDecoder().decode(good.subarray(8, 8 + headerBytes)));
    const data = good.subarray(8 + headerBytes);
    const huge = 1.9e9;
    // The good header, in a file of 1.9 GB: the sizes it declares are not the file's.
    const padded = sparseFile(header, data, huge);
    expect(() => readCheckpointFile(padded)).toThrow(CheckpointFormatError);
    const unclaimed = huge - withHeader(JSON.stringify(header)).length - data.length;
    expect(() => readCheckpointFile(padded)).toThrow(
      new RegExp(
        `data section has ${unclaimed} bytes that belong to no tensor \\(the header declares ${data.length} bytes ` +
          'of tensors\\)',
      ),
    );
    // A header that declares 1.9 GB, as the file holds: the model its configuration describes needs less.
    const floats = (huge - 8 - 4096) / 4;
    const one = {
      __metadata__: header.__metadata__,
      'generator.0.weight': { dtype: 'F32', shape: [floats], data_offsets: [0, floats * 4] },
    };
    const oneHeader = withHeader(JSON.stringify(one)).length;
    const declared = sparseFile(one, new Uint8Array(0), oneHeader + floats * 4);
    expect(() => readCheckpointFile(declared)).toThrow(
      new RegExp(`tensor "generator\\.0\\.weight" has shape \\[${floats}\\] but this model needs \\[\\d+,\\d+\\]`),
    );
    // The model's tensors, and 1.6 GB of one it does not have.
    const extra = {
      ...header,
      padding: { dtype: 'F32', shape: [4e8], data_offsets: [data.length, data.length + 1.6e9] },
    };
    const extraFile = sparseFile(extra, data, withHeader(JSON.stringify(extra)).length + data.length + 1.6e9);
    expect(() => readCheckpointFile(extraFile)).toThrow(
      /tensor "padding" is not part of the model its configuration describes/,
    );
    // The CLI says so in one line, before any GPU work.
    const r = cli(['sample', '--checkpoint', declared, '--out', join(tmp(), 'grid.png')]);
    expect(r.status).toBe(2);
    expect(r.errors).toEqual([expect.stringMatching(/huge\.safetensors: tensor "generator\.0\.weight" has shape/)]);
    expect(r.stdout).not.toMatch(/adapter:/);
  });
});
