// The charts of QUALITY.md (bench/plot.ts, `npm run plot`): which log lines become points, where
// a point lands on the picture, the axes, and one-line refusals of files and flags that cannot make
// a chart.
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { PlotError, plotSvg, readSeries, type Series } from '../bench/plot.js';
import { useTempDirs } from './support/temp.js';

const tempDir = useTempDirs();

const log = (...lines: object[]) => lines.map((l) => JSON.stringify(l)).join('\n');
const scored = (step: number, quality: object) => ({ step, quality, time: '2026-12-06T00:00:00Z' });
const progress = (step: number) => ({ step, lossD: 1.2, lossG: 0.7 });

/** The centres of the chart's dots, in drawing order. */
const dots = (svg: string) =>
  [...svg.matchAll(/<circle cx="([\d.]+)" cy="([\d.]+)"/g)].map((m) => [Number(m[1]), Number(m[2])]);
/** The numbers written beside the vertical axis. */
const yTicks = (svg: string) => [...svg.matchAll(/text-anchor="end">([\d.]+)</g)].map((m) => Number(m[1]));

describe('readSeries', () => {
  it('takes the scored lines in step order and passes over progress lines', () => {
    const text = log(
      progress(100),
      scored(1000, { classAgreement: 0.9, distance: 50 }),
      scored(500, { classAgreement: 0.3, distance: 500 }),
      progress(1100),
    );
    expect(readSeries(`${text}\n\n`, 'classAgreement', 'a').points).toEqual([
      [500, 0.3],
      [1000, 0.9],
    ]);
    expect(readSeries(text, 'distance', 'a').points).toEqual([
      [500, 500],
      [1000, 50],
    ]);
  });

  it('reads the test accuracy from its own lines, as train writes it', () => {
    const text = log(scored(500, { distance: 40, testAccuracy: 0.1 }), {
      step: 500,
      testAccuracy: 0.8,
      testRight: 8000,
      testCount: 10000,
    });
    expect(readSeries(text, 'testAccuracy', 'a').points).toEqual([[500, 0.8]]);
  });

  it('passes over a score that is not a finite number', () => {
    const text = log(scored(1, { distance: null }), scored(2, { distance: 'NaN' }), scored(3, { distance: 7 }));
    expect(readSeries(text, 'distance', 'a').points).toEqual([[3, 7]]);
  });

  it('names the run and the line that is not JSON', () => {
    expect(() => readSeries(`${log(progress(1))}\nnot json`, 'distance', 'run x')).toThrow(/run x: line 2 is not JSON/);
  });

  it('says when no line has the score, and what gives it', () => {
    expect(() => readSeries(log(progress(1), scored(2, { distance: 3 })), 'classAgreement', 'b')).toThrow(
      /b: no "classAgreement" in any line: was the run trained with --eval-every\?/,
    );
  });
});

describe('plotSvg', () => {
  const runs: Series[] = [
    {
      label: 'a',
      points: [
        [0, 0],
        [500, 0.5],
        [1000, 1],
      ],
    },
    { label: 'b <&>', points: [[250, 0.25]] },
  ];

  it('puts a fraction on a 0–100 axis and the last step at the right end', () => {
    const svg = plotSvg(runs, { metric: 'classAgreement' });
    const [origin, middle, corner, lone] = dots(svg) as [number[], number[], number[], number[]];
    expect(yTicks(svg)).toEqual([0, 20, 40, 60, 80, 100]);
    expect(middle[0]).toBeCloseTo((origin[0]! + corner[0]!) / 2, 0);
    expect(middle[1]).toBeCloseTo((origin[1]! + corner[1]!) / 2, 0);
    expect(corner[1]).toBeLessThan(origin[1]!);
    // 250 steps and 25% are a quarter of the way along each axis.
    expect(lone[0]).toBeCloseTo(origin[0]! + (corner[0]! - origin[0]!) / 4, 0);
    expect(lone[1]).toBeCloseTo(origin[1]! + (corner[1]! - origin[1]!) / 4, 0);
  });

  it('writes labels and the title as text, not markup', () => {
    const svg = plotSvg(runs, { metric: 'testAccuracy', title: 'x < y' });
    expect(svg).toContain('>b &lt;&amp;&gt;</text>');
    expect(svg).toContain('>x &lt; y</text>');
    expect(svg).not.toContain('<&>');
  });

  it('draws a guide line at each mark, at the height of that value', () => {
    const svg = plotSvg(runs, { metric: 'classAgreement', marks: [50] });
    const guide = svg.match(/<line x1="[\d.]+" x2="[\d.]+" y1="([\d.]+)" y2="[\d.]+" stroke="#888"/);
    expect(Number(guide?.[1])).toBeCloseTo(dots(svg)[1]![1]!, 0);
  });

  it('spans the distances on a log axis ticked at 1, 2 and 5', () => {
    const svg = plotSvg(
      [
        {
          label: 'd',
          points: [
            [1, 31.4],
            [2, 171],
            [3, 1056],
          ],
        },
      ],
      { metric: 'distance' },
    );
    expect(yTicks(svg)).toEqual([20, 50, 100, 200, 500, 1000, 2000]);
    const [high, middle, low] = dots(svg) as [number[], number[], number[]];
    // Equal ratios are equal heights: 31.4 → 171 and 171 → 1056 differ by 5.45 and 6.18 times.
    const ratio = (middle[1]! - low[1]!) / (high[1]! - middle[1]!);
    expect(ratio).toBeCloseTo(Math.log(1056 / 171) / Math.log(171 / 31.4), 2);
  });

  it('places a run scored only at step 0 at the axis, not at NaN', () => {
    const svg = plotSvg([{ label: 'start', points: [[0, 0.5]] }], { metric: 'classAgreement' });
    expect(dots(svg).flat().every(Number.isFinite)).toBe(true);
    expect(svg).not.toContain('NaN');
  });

  it('refuses no runs, more runs than colours, and a distance axis with nothing above 0', () => {
    expect(() => plotSvg([], { metric: 'distance' })).toThrow(PlotError);
    const many = Array.from({ length: 8 }, (_, i) => ({ label: `${i}`, points: [[1, 1]] as Array<[number, number]> }));
    expect(() => plotSvg(many, { metric: 'distance' })).toThrow(/at most 7 runs/);
    expect(() => plotSvg([{ label: 'z', points: [[1, 0]] }], { metric: 'distance' })).toThrow(/above 0/);
  });
});

describe('npm run plot', { timeout: 60_000 }, () => {
  const ROOT = fileURLToPath(new URL('..', import.meta.url));
  const BUNDLE = join(ROOT, 'node_modules', '.cache', 'webgpu-gan', 'plot-test.mjs');
  const plot = (args: string[]) => spawnSync(process.execPath, [BUNDLE, ...args], { encoding: 'utf8' });

  beforeAll(() => {
    execFileSync(process.execPath, [join(ROOT, 'scripts', 'bundle.mjs'), join(ROOT, 'bench', 'plot-cli.ts'), BUNDLE]);
  });

  it('charts a run folder and a log file into one SVG', () => {
    const dir = tempDir('plot-');
    writeFileSync(
      join(dir, 'log.jsonl'),
      log(scored(500, { classAgreement: 0.5 }), scored(1000, { classAgreement: 1 })),
    );
    writeFileSync(join(dir, 'other.jsonl'), log(scored(1000, { classAgreement: 0.7 })));
    const out = join(dir, 'chart.svg');
    const run = plot(['--metric', 'classAgreement', '--out', out, `one=${dir}`, `two=${join(dir, 'other.jsonl')}`]);
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toContain('one (2 points), two (1 points)');
    expect(dots(readFileSync(out, 'utf8'))).toHaveLength(3);
  });

  it('answers a bad flag with the usage, and a missing run in one line', () => {
    const badMetric = plot(['--metric', 'loss', '--out', 'x.svg', 'a=b']);
    expect(badMetric.status).toBe(2);
    expect(badMetric.stderr).toMatch(/--metric must be one of classAgreement, distance, testAccuracy/);
    expect(badMetric.stderr).toContain('usage: npm run plot --');
    const notAPair = plot(['--metric', 'distance', '--out', 'x.svg', 'runs/a']);
    expect(notAPair.status).toBe(2);
    expect(notAPair.stderr).toContain('"runs/a" is not LABEL=RUN');
    const missing = plot(['--metric', 'distance', '--out', 'x.svg', 'a=/no/such/run']);
    expect(missing.status).toBe(1);
    expect(missing.stderr.trim()).toBe('plot: a: /no/such/run does not exist');
    const emptyDir = plot(['--metric', 'distance', '--out', 'x.svg', `a=${tempDir('plot-empty-')}`]);
    expect(emptyDir.stderr).toMatch(/has no log\.jsonl: is it a train --out folder\?/);
    const badMarks = plot(['--metric', 'distance', '--out', 'x.svg', '--marks', '95,x', 'a=b']);
    expect(badMarks.stderr).toContain('--marks: "95,x" is not a list of numbers');
  });
});
