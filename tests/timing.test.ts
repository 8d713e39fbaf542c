// The bench's stopping rule for a measurement (bench/timing.ts): keep timing while the best time
// still improves, as it does while a GPU's clocks rise after an idle gap, and stop once it has not
// improved by more than 2% for three runs. Pure logic, driven here by made-up times.
import { describe, expect, it } from 'vitest';
import { median, SETTLED, untilSettled } from '../bench/timing.js';

function sequence(times: number[]): () => Promise<number> {
  let i = 0;
  return async () => {
    if (i >= times.length) throw new Error('asked for more runs than the test has times');
    return times[i++]!;
  };
}

describe('untilSettled', () => {
  it('runs on while the best improves by more than 2%, and stops after three runs that do not', async () => {
    // 10 → 8 → 6 improve; 5.99 and 5.95 are within 2% of 6; so is 6.1: settled after six runs.
    const times = await untilSettled(sequence([10, 8, 6, 5.99, 5.95, 6.1, 1]), 60_000);
    expect(times).toEqual([10, 8, 6, 5.99, 5.95, 6.1]);
  });

  it('a run that improves the best by more than 2% starts the count again', async () => {
    const times = await untilSettled(sequence([5, 5, 5, 4, 4, 4, 4, 1]), 60_000);
    expect(times).toEqual([5, 5, 5, 4, 4, 4, 4]);
  });

  it('stops at the time limit when the times never settle, after at least four runs', async () => {
    const falling = Array.from({ length: 100 }, (_, i) => 100 * 0.9 ** i);
    const times = await untilSettled(sequence(falling), 0);
    expect(times).toHaveLength(SETTLED.runs + 1);
  });

  it('median: the middle value, or the mean of the two middle ones', () => {
    expect(median([10, 8, 6, 5.99, 5.95, 6.1].slice(-3))).toBe(5.99);
    expect(median([4, 1, 3, 2])).toBe(2.5);
  });
});
