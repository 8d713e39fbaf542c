// The README's examples are real code: they appear verbatim in README.md, the kernel one gives
// the values its comment promises (tests/package-examples.test.ts runs the training one), and its
// install line works for root, who has no sudo in a container.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { leakyLinearLayer } from '../examples/single-kernel.js';
import { installCommand } from './support/preflight.js';

describe('README example', () => {
  it('appears in README.md exactly as in examples/single-kernel.ts', () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    const example = readFileSync(new URL('../examples/single-kernel.ts', import.meta.url), 'utf8');
    const code = example.slice(example.indexOf('import '));
    expect(readme).toContain(code);
  });

  it('the training example appears in README.md exactly as in examples/train-and-sample.mjs', () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    const example = readFileSync(new URL('../examples/train-and-sample.mjs', import.meta.url), 'utf8');
    expect(readme).toContain(example.slice(example.indexOf('import ')));
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

describe('README install line', () => {
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');

  it('runs the install script as root, with sudo only where you are not root (a root container has none)', () => {
    const commands = [...readme.matchAll(/`([^`]*install-headless\.sh)`/g)].map((m) => m[1]!);
    expect(commands.length).toBeGreaterThanOrEqual(2);
    // Each sudo form sits beside the plain one it is the alternative to.
    for (const command of commands.filter((c) => c.startsWith('sudo ')))
      expect(commands).toContain(command.replace(/^sudo /, ''));
    expect(commands.some((c) => c.startsWith('bash '))).toBe(true);
  });

  it("the tests' preflight names the command this user can run", () => {
    expect(installCommand(0)).toBe('bash scripts/install-headless.sh');
    expect(installCommand(1000)).toBe('sudo bash scripts/install-headless.sh');
  });
});
