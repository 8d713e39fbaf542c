// The matmul tuner under a time limit (`npm run bench -- --tune … --tune-limit S`): a device run
// is short, so the tuner measures the heaviest shapes first, starts none after the limit, and
// hands over the table after every shape so that a run stopped from outside keeps its work.
// A clock that counts its calls stands in for time, so the limit falls at the same place on
// any machine.
import { describe, expect, it } from 'vitest';
import { stepMatmulShapes, tuneStepMatmuls } from '../bench/tune.js';
import { shapeKey, type MatmulShape, type MatmulTuning } from '../src/kernels/matmulTuning.js';
import { useGpu } from './support/gpu.js';

const gpu = useGpu();

describe('matmul tuning with a time limit', () => {
  it('measures the heaviest shapes until the limit and keeps each table it reached', { timeout: 120_000 }, async () => {
    const { ctx } = gpu;
    let ticks = 0;
    const lines: string[] = [];
    const tables: MatmulTuning[] = [];
    const { table, shapes } = await tuneStepMatmuls(ctx, [2], {
      reps: 1,
      log: (line) => lines.push(line),
      deadline: 2,
      now: () => ticks++,
      onTable: (t) => tables.push(t),
      rampUpMs: 0,
    });

    const all = [...(await stepMatmulShapes(ctx, [2])).values()].map((s) => s.shape);
    expect(all.length).toBe(17);
    expect(shapes.length).toBe(2);
    const work = ({ m, n, k }: MatmulShape) => m * n * k;
    const measured = new Set(shapes.map((s) => s.key));
    const lightestMeasured = Math.min(...all.filter((a) => measured.has(shapeKey(a))).map(work));
    for (const shape of all.filter((a) => !measured.has(shapeKey(a))))
      expect(work(shape)).toBeLessThanOrEqual(lightestMeasured);

    expect(Object.keys(table.choices).sort()).toEqual([...measured].sort());
    expect(table.measured).toContain('(2 of 17 shapes)');
    expect(tables.map((t) => Object.keys(t.choices).length)).toEqual([1, 2]);
    expect(lines.at(-1)).toBe("  time limit reached: 2 of 17 shapes measured; the other 15 keep the rules' choice");
  });
});
