// The benchmark's paired comparison (bench/restore/paired.ts): the pictures only one method gets
// read right, and the exact sign test over them, against sums written out and known values; and
// how its restorer rows are named (bench/restore/restorerNames.ts).
import { describe, expect, it } from 'vitest';
import { pairedComparisons, signTest } from '../../bench/restore/paired.js';
import { nameApart } from '../../bench/restore/restorerNames.js';
import type { RestorerFile } from '../../src/restore/restorerFile.js';

describe('the sign test', () => {
  it('is 1 for an even split or none, and the exact two-sided tail otherwise', () => {
    expect(signTest(0, 0)).toBe(1);
    expect(signTest(5, 5)).toBe(1);
    // 0 of 5: 2 · (1/32).
    expect(signTest(0, 5)).toBeCloseTo(2 / 32, 12);
    // 2 of 10 either way: 2 · (1 + 10 + 45) / 1024.
    expect(signTest(2, 8)).toBeCloseTo((2 * 56) / 1024, 12);
    expect(signTest(8, 2)).toBeCloseTo((2 * 56) / 1024, 12);
    // Thousands of pictures neither overflow nor underflow: 140 against 143 is no evidence,
    // 100 against 200 is (its tail, by the normal approximation, is about 1e-8).
    expect(signTest(140, 143)).toBeGreaterThan(0.8);
    expect(signTest(100, 200)).toBeGreaterThan(1e-9);
    expect(signTest(100, 200)).toBeLessThan(1e-7);
  });
});

describe('paired comparisons', () => {
  it('sets each of ours against the baseline read best, counting the pictures only one reads right', () => {
    const row = (method: string, hits: number[]) => ({
      degradation: 'noise',
      method,
      accuracy: hits.reduce((a, b) => a + b, 0) / hits.length,
      hits: Uint8Array.from(hits),
    });
    const rows = [
      row('ours (trained restorer, 10 steps)', [1, 1, 0, 0, 1, 1]),
      row('degraded, as it is', [1, 0, 1, 1, 1, 0]),
      row('median 3×3', [0, 0, 0, 1, 1, 0]),
      { ...row('ours (trained restorer, 10 steps)', [1, 1, 1, 1, 1, 1]), degradation: 'blur' },
    ];
    expect(pairedComparisons(rows)).toEqual([
      {
        degradation: 'noise',
        ours: 'ours (trained restorer, 10 steps)',
        baseline: 'degraded, as it is',
        onlyOurs: 2,
        onlyBaseline: 2,
        p: 1,
      },
    ]);
  });
});

describe("the benchmark's restorer rows", () => {
  it('are named by how they were trained, and by path where that is all that differs', () => {
    const file = (settings: Partial<RestorerFile['settings']>, step = 1000) =>
      ({
        step,
        settings: { residual: false, loss: 'l1', edgeWeight: 0, adversarial: 0, ...settings },
      }) as RestorerFile;
    const named = nameApart([
      { file: file({}), path: 'a/restorer.safetensors', name: '' },
      { file: file({ seed: 2 }), path: 'b/restorer.safetensors', name: '' },
      {
        file: file({ residual: true, loss: 'l2', edgeWeight: 0.5, adversarial: 0.01 }, 300),
        path: 'c.safetensors',
        name: '',
      },
    ]);
    expect(named.map((r) => r.name)).toEqual([
      'ours (trained restorer, 1000 steps) [a/restorer.safetensors]',
      'ours (trained restorer, 1000 steps) [b/restorer.safetensors]',
      'ours (trained restorer, residual, l2, edges 0.5, critic 0.01, 300 steps)',
    ]);
  });
});
