// The README's kernel example is real code: it must appear verbatim in README.md and produce
// the values its comment promises.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { leakyLinearLayer } from '../examples/single-kernel.js';

describe('README example', () => {
  it('appears in README.md exactly as in examples/single-kernel.ts', () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    const example = readFileSync(new URL('../examples/single-kernel.ts', import.meta.url), 'utf8');
    const code = example.slice(example.indexOf('import '));
    expect(readme).toContain(code);
  });

  it('runs and computes leakyReLU(x·W + b)', async () => {
    const y = await leakyLinearLayer();
    // Row 1: [1−3, 2+3] + [0.5, −10] = [−1.5, −5] → ×0.1; row 2: [4−6, 5+6] + b = [−1.5, 1].
    const expected = [-0.15, -0.5, -0.15, 1];
    y.forEach((v, i) => {
      expect(v).toBeCloseTo(expected[i]!, 6);
    });
  });
});
