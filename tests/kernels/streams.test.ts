// The table of random streams (src/kernels/streams.ts): no two uses share a stream in any GAN a
// configuration allows, the checker finds a shared one, the numbers are those checkpoints were
// trained with, and the gather shader's shuffle draws from the table's stream.
import { describe, expect, it } from 'vitest';
import { ArgumentError } from '../../src/base/errors.js';
import { discriminatorSpec, generatorSpec, resolveGanConfig, type GanConfig } from '../../src/gan/config.js';
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
    // Hidden-layer counts to well past the table's room, each as resolveGanConfig takes or refuses it.
    const allowed = (partial: Partial<GanConfig>): GanConfig | undefined => {
      try {
        return resolveGanConfig(partial);
      } catch (e) {
        if (e instanceof ArgumentError) return undefined;
        throw e;
      }
    };
    const hidden = (n: number) => new Array<number>(n).fill(3);
    let checked = 0;
    let mostLayers = 0;
    for (let g = 0; g <= 2 * MAX_LAYERS; g++)
      for (let d = 0; d <= 2 * MAX_LAYERS; d++)
        for (const classes of [0, 10]) {
          const config = allowed({ generatorHidden: hidden(g), discriminatorHidden: hidden(d), classes });
          if (!config) continue;
          const layers = {
            generator: generatorSpec(config).widths.length - 1,
            discriminator: discriminatorSpec(config).widths.length - 1,
          };
          // Spectral normalisation's streams are counted whether or not this config turns it on.
          expect(sharedStreams(ganStreamUses(layers, classes > 0))).toEqual([]);
          mostLayers = Math.max(mostLayers, layers.generator, layers.discriminator);
          checked++;
        }
    // 0 to 23 hidden layers in each network; conditional ones need a hidden discriminator layer.
    expect(checked).toBe(MAX_LAYERS * MAX_LAYERS + MAX_LAYERS * (MAX_LAYERS - 1));
    expect(mostLayers).toBe(MAX_LAYERS);
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
    // A made-up clash in a real GAN's uses: D's first weight moved onto G's class columns' stream.
    const real = ganStreamUses({ generator: 3, discriminator: 3 }, true);
    expect(sharedStreams(real)).toEqual([]);
    const clash = real.map((u) => (u.use === 'discriminator layer 0 weight' ? { ...u, stream: 64 } : u));
    expect(sharedStreams(clash)).toEqual([
      'generator class weight and discriminator layer 0 weight both draw from stream 64',
    ]);
  });

  it('keeps the numbers that every checkpoint so far was trained with', () => {
    expect(STREAMS).toEqual({
      noise: 1,
      sampleNoise: 2,
      repairNoise: 3,
      degradeNoise: 4,
      degradeSalt: 5,
      shuffle: 0x53485546,
    });
    // The formulas the trainer used before the table (STREAM.init + 64 · network + 2 · layer, + 1
    // for the bias; the class columns at 48 in the network's block; STREAM.spectralNorm + layer),
    // for every layer the table has room for: the table must give exactly these.
    for (const [n, network] of (['generator', 'discriminator'] as const).entries()) {
      expect(initStream(network, 0, 'classWeight')).toBe(16 + 64 * n + 48);
      for (let l = 0; l < MAX_LAYERS; l++) {
        expect(initStream(network, l, 'weight')).toBe(16 + 64 * n + 2 * l);
        expect(initStream(network, l, 'bias')).toBe(16 + 64 * n + 2 * l + 1);
      }
    }
    for (let l = 0; l < MAX_LAYERS; l++) expect(spectralNormStream(l)).toBe(256 + l);
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
