// The table of random streams (src/kernels/streams.ts): no two uses share a stream in any GAN a
// configuration allows, the checker finds a shared one, the numbers are those checkpoints were
// trained with, and the gather shader's shuffle draws from the table's stream.
import { describe, expect, it } from 'vitest';
import { resolveGanConfig } from '../../src/gan/config.js';
import {
  ganStreamUses,
  initStream,
  MAX_LAYERS,
  sharedStreams,
  spectralNormStream,
  STREAMS,
} from '../../src/kernels/streams.js';
import gatherShader from '../../shaders/gather.wgsl';

describe('random streams', () => {
  it('no two uses share a stream, for every layer count and conditioning a config allows', () => {
    let checked = 0;
    for (let g = 1; g <= MAX_LAYERS; g++)
      for (let d = 1; d <= MAX_LAYERS; d++)
        for (const conditional of [false, true]) {
          expect(sharedStreams(ganStreamUses({ generator: g, discriminator: d }, conditional))).toEqual([]);
          checked++;
        }
    expect(checked).toBe(2 * MAX_LAYERS * MAX_LAYERS);
  });

  it('a configuration with more layers than the table holds is refused', () => {
    const hidden = new Array<number>(MAX_LAYERS - 1).fill(4);
    expect(resolveGanConfig({ generatorHidden: hidden, discriminatorHidden: hidden }).generatorHidden).toHaveLength(
      MAX_LAYERS - 1,
    );
    expect(() => resolveGanConfig({ generatorHidden: [...hidden, 4] })).toThrow(/at most 23 hidden layers/);
    expect(() => initStream('generator', MAX_LAYERS, 'weight')).toThrow(RangeError);
    expect(() => spectralNormStream(-1)).toThrow(RangeError);
  });

  it('the checker names a shared stream', () => {
    const uses = [
      { use: 'noise', stream: 1 },
      { use: 'a made-up use', stream: 7 },
      { use: 'another', stream: 7 },
    ];
    expect(sharedStreams(uses)).toEqual(['a made-up use and another both draw from stream 7']);
  });

  it('keeps the numbers that every checkpoint so far was trained with', () => {
    expect(STREAMS).toEqual({ noise: 1, sampleNoise: 2, repairNoise: 3, shuffle: 0x53485546 });
    expect([initStream('generator', 0, 'weight'), initStream('generator', 2, 'bias')]).toEqual([16, 21]);
    expect([initStream('discriminator', 0, 'weight'), initStream('discriminator', 1, 'bias')]).toEqual([80, 83]);
    expect([initStream('generator', 0, 'classWeight'), initStream('discriminator', 0, 'classWeight')]).toEqual([
      64, 128,
    ]);
    expect([spectralNormStream(0), spectralNormStream(2)]).toEqual([256, 258]);
  });

  it("the gather shader takes the shuffle's stream from the table, not a number of its own", () => {
    expect(gatherShader.overrides).toContain('SHUFFLE_STREAM');
    expect(gatherShader.code).not.toMatch(/0x53485546/i);
    expect(gatherShader.constants).not.toHaveProperty('SHUFFLE_STREAM');
  });
});
