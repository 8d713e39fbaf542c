// src/'s folders are layers (tests/support/layers.ts, docs/architecture.md): imports run downward
// only, without cycles, the demo uses the package by name, and no file of src/ or demo/ outgrows
// 450 lines or holds a dated measurement. The rules are first shown to catch made-up violations,
// then held on the real tree.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { datedLines, demoReachesIntoSrc, importCycles, layerViolations, overlongFiles } from './support/layers.js';

function tree(): Map<string, string> {
  const files = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', 'src', 'demo'], {
    encoding: 'utf8',
  })
    .split('\n')
    .filter((f) => f.endsWith('.ts'));
  return new Map(files.map((f) => [f, readFileSync(f, 'utf8')]));
}

describe('the rules catch what they are for', () => {
  it('an import from a layer above, and one of an entry point', () => {
    const files = new Map([
      ['src/gpu/context.ts', "import { x } from '../gan/trainer.js';"],
      ['src/gan/trainer.ts', "import { y } from '../gpu/context.js';\nexport { z } from '../index.js';"],
      ['src/kernels/adam.ts', "const m = await import('../cli/main.js');"],
      ['src/mystery/thing.ts', ''],
    ]);
    const problems = layerViolations(files);
    expect(problems).toHaveLength(4);
    expect(problems.join('\n')).toMatch(/src\/gpu\/context\.ts \(gpu\) imports src\/gan\/trainer\.ts/);
    expect(problems.join('\n')).toMatch(/entry point src\/index\.ts/);
    expect(problems.join('\n')).toMatch(/src\/kernels\/adam\.ts \(kernels\) imports src\/cli\/main\.ts/);
    expect(problems.join('\n')).toMatch(/src\/mystery is not a layer/);
  });

  it('a cycle, found once with the files around it', () => {
    const files = new Map([
      ['src/gan/a.ts', "import type { B } from './b.js';"],
      ['src/gan/b.ts', "export * from './c.js';"],
      ['src/gan/c.ts', "import { a } from './a.js';"],
      ['src/gan/d.ts', "import { a } from './a.js';"],
    ]);
    expect(importCycles(files)).toEqual([['src/gan/a.ts', 'src/gan/b.ts', 'src/gan/c.ts', 'src/gan/a.ts']]);
  });

  it('the demo reaching into src/, and a file too long', () => {
    const files = new Map([
      ['demo/main.ts', "import { GanTrainer } from '../src/gan/trainer.js';\nimport { x } from 'webgpu-gan';"],
      ['demo/long.ts', 'x\n'.repeat(451)],
      ['demo/fine.ts', 'x\n'.repeat(450)],
    ]);
    expect(demoReachesIntoSrc(files)).toHaveLength(1);
    expect(overlongFiles(files)).toEqual(['demo/long.ts: 451 lines (at most 450); split it by what it does']);
  });

  it('a dated measurement in a comment', () => {
    const files = new Map([['src/gan/config.ts', 'const a = 1;\n// 74% on lavapipe, 2026-12-02\n']]);
    expect(datedLines(files)).toEqual([
      'src/gan/config.ts:2: a dated measurement belongs in QUALITY.md or BENCHMARKS.md',
    ]);
  });

  it('downward imports pass', () => {
    const files = new Map([
      ['src/cli/train.ts', "import { t } from '../gan/trainer.js';\nimport s from '../../shaders/adam.wgsl';"],
      ['src/gan/trainer.ts', "import { a } from '../kernels/adam.js';\nimport { c } from './config.js';"],
      ['src/gan/config.ts', "import { e } from '../base/errors.js';"],
      ['src/index.ts', "export * from './cli/train.js';"],
    ]);
    expect(layerViolations(files)).toEqual([]);
    expect(importCycles(files)).toEqual([]);
  });
});

describe('the tree keeps them', () => {
  const files = tree();

  it('imports run downward', () => {
    expect(layerViolations(files)).toEqual([]);
  });

  it('no import cycles', () => {
    expect(importCycles(files).map((cycle) => cycle.join(' → '))).toEqual([]);
  });

  it('the demo imports the package by name', () => {
    expect(demoReachesIntoSrc(files)).toEqual([]);
  });

  it('no dated measurement sits in the code', () => {
    expect(datedLines(files)).toEqual([]);
  });

  it('no file of src/ or demo/ is over 450 lines', () => {
    expect(overlongFiles(files)).toEqual([]);
  });
});
