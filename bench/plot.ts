// Quality along a run as an SVG line chart, for QUALITY.md: the scores `train --eval-every`
// writes to log.jsonl (a conditional run's class agreement, the Fréchet classifier distance, a
// class head's test accuracy), one line per run. Pure functions: bench/plot-cli.ts reads the
// files and writes the picture.

/** The scores of log.jsonl's `quality` objects that a chart can follow. */
export const PLOT_METRICS = ['classAgreement', 'distance', 'testAccuracy'] as const;
export type PlotMetric = (typeof PLOT_METRICS)[number];

export interface Series {
  label: string;
  /** [step, value], in step order; a fraction for the agreement and the accuracy. */
  points: Array<[number, number]>;
}

export interface PlotOptions {
  metric: PlotMetric;
  title?: string;
  /** Horizontal guide lines (a goal), in the axis's units: percent for the fractions. */
  marks?: number[];
  width?: number;
  height?: number;
}

export class PlotError extends Error {
  override name = 'PlotError';
}

const AXIS_NAMES: Record<PlotMetric, string> = {
  classAgreement: 'class agreement (%)',
  distance: 'Fréchet classifier distance (log scale)',
  testAccuracy: 'test accuracy (%)',
};

/** Okabe and Ito's palette: told apart with any of the common colour blindnesses. */
const COLOURS = ['#0072B2', '#D55E00', '#009E73', '#CC79A7', '#E69F00', '#56B4E9', '#000000'];

/** The metric's values of one log.jsonl, by step; a line without it (a progress line) is passed over. */
export function readSeries(text: string, metric: PlotMetric, label: string): Series {
  const points: Array<[number, number]> = [];
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    let entry: Record<string, unknown> & { quality?: Record<string, unknown> };
    try {
      entry = JSON.parse(line);
    } catch {
      throw new PlotError(`${label}: line ${i + 1} is not JSON: is this a log.jsonl that train wrote?`);
    }
    // The test accuracy has a line of its own; the other scores are in a line's `quality`.
    const value = metric === 'testAccuracy' ? entry.testAccuracy : entry.quality?.[metric];
    if (typeof value === 'number' && Number.isFinite(value) && typeof entry.step === 'number') {
      points.push([entry.step, value]);
    }
  });
  if (points.length === 0) {
    throw new PlotError(`${label}: no "${metric}" in any line: was the run trained with --eval-every?`);
  }
  points.sort((a, b) => a[0] - b[0]);
  return { label, points };
}

/** Maps an axis value (percent or distance) to a fraction of the plot's height, and lists its ticks. */
interface Axis {
  at(value: number): number;
  ticks: number[];
  format(value: number): string;
}

function percentAxis(): Axis {
  return { at: (v) => v / 100, ticks: [0, 20, 40, 60, 80, 100], format: (v) => `${v}` };
}

/** A log axis from the 1, 2 or 5 times a power of ten under the smallest value to the one over the largest. */
function logAxis(values: number[]): Axis {
  const positive = values.filter((v) => v > 0);
  if (positive.length === 0) throw new PlotError('a distance axis needs values above 0');
  const [smallest, largest] = [Math.min(...positive), Math.max(...positive)];
  const candidates: number[] = [];
  for (let d = Math.floor(Math.log10(smallest)); d <= Math.ceil(Math.log10(largest)); d++)
    for (const m of [1, 2, 5]) candidates.push(m * 10 ** d);
  const bottom = Math.max(...candidates.filter((c) => c <= smallest));
  const top = Math.min(...candidates.filter((c) => c >= largest));
  const span = Math.log10(top / bottom) || 1;
  return {
    at: (v) => Math.log10(Math.max(v, bottom) / bottom) / span,
    ticks: candidates.filter((c) => c >= bottom && c <= top),
    format: (v) => (v >= 1 ? `${v}` : v.toPrecision(1)),
  };
}

const escapeXml = (text: string) =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

const isPercent = (metric: PlotMetric) => metric !== 'distance';

/** The chart: steps across, the metric up, a line and dots per series, a legend, guide lines. */
export function plotSvg(series: Series[], options: PlotOptions): string {
  if (series.length === 0) throw new PlotError('nothing to plot: give at least one run');
  if (series.length > COLOURS.length) throw new PlotError(`at most ${COLOURS.length} runs fit one chart`);
  const width = options.width ?? 760;
  const height = options.height ?? 400;
  // The legend's width: about 7 pixels a character at this font size, beside a 26-pixel swatch.
  const legendWidth = 40 + 26 + 7 * Math.max(...series.map((s) => s.label.length));
  const box = { left: 64, right: width - legendWidth, top: 36, bottom: height - 48 };
  const scale = isPercent(options.metric) ? 100 : 1;
  const values = series.flatMap((s) => s.points.map(([, v]) => v * scale));
  const axis = isPercent(options.metric) ? percentAxis() : logAxis(values);
  // At least 1, so that a log scored only at step 0 still has an axis.
  const lastStep = Math.max(1, ...series.flatMap((s) => s.points.map(([step]) => step)));
  const x = (step: number) => box.left + (step / lastStep) * (box.right - box.left);
  const y = (value: number) => box.bottom - axis.at(value) * (box.bottom - box.top);
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" ` +
      `viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
  ];
  if (options.title) {
    parts.push(`<text x="${box.left}" y="20" font-size="14">${escapeXml(options.title)}</text>`);
  }
  for (const tick of axis.ticks) {
    parts.push(
      `<line x1="${box.left}" x2="${box.right}" y1="${y(tick)}" y2="${y(tick)}" stroke="#ddd"/>`,
      `<text x="${box.left - 6}" y="${y(tick) + 4}" text-anchor="end">${axis.format(tick)}</text>`,
    );
  }
  for (const step of stepTicks(lastStep)) {
    parts.push(`<text x="${x(step)}" y="${box.bottom + 16}" text-anchor="middle">${step}</text>`);
  }
  // Each guide's number at its right end, moved down where it would overlap the one above.
  let lowestLabel = -Infinity;
  for (const mark of [...(options.marks ?? [])].sort((a, b) => y(a) - y(b))) {
    const labelY = Math.max(y(mark) + 4, lowestLabel + 12);
    lowestLabel = labelY;
    parts.push(
      `<line x1="${box.left}" x2="${box.right}" y1="${y(mark)}" y2="${y(mark)}" stroke="#888" stroke-dasharray="4 3"/>`,
      `<text x="${box.right + 4}" y="${labelY}" fill="#888">${mark}</text>`,
    );
  }
  parts.push(
    `<line x1="${box.left}" x2="${box.left}" y1="${box.top}" y2="${box.bottom}" stroke="black"/>`,
    `<line x1="${box.left}" x2="${box.right}" y1="${box.bottom}" y2="${box.bottom}" stroke="black"/>`,
    `<text x="${(box.left + box.right) / 2}" y="${height - 10}" text-anchor="middle">step</text>`,
    `<text transform="translate(16 ${(box.top + box.bottom) / 2}) rotate(-90)" text-anchor="middle">` +
      `${AXIS_NAMES[options.metric]}</text>`,
  );
  series.forEach((s, i) => {
    const colour = COLOURS[i]!;
    const path = s.points.map(([step, v]) => `${x(step).toFixed(1)},${y(v * scale).toFixed(1)}`).join(' ');
    parts.push(`<polyline points="${path}" fill="none" stroke="${colour}" stroke-width="2"/>`);
    for (const [step, v] of s.points) {
      parts.push(`<circle cx="${x(step).toFixed(1)}" cy="${y(v * scale).toFixed(1)}" r="3" fill="${colour}"/>`);
    }
    const legendY = box.top + 8 + i * 20;
    parts.push(
      `<line x1="${box.right + 40}" x2="${box.right + 60}" y1="${legendY}" y2="${legendY}" ` +
        `stroke="${colour}" stroke-width="2"/>`,
      `<text x="${box.right + 66}" y="${legendY + 4}">${escapeXml(s.label)}</text>`,
    );
  });
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}

/** Round steps across the axis: about five, at 1, 2 or 5 times a power of ten. */
function stepTicks(lastStep: number): number[] {
  const rough = lastStep / 5;
  const power = 10 ** Math.floor(Math.log10(Math.max(rough, 1)));
  const spacing = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= rough) ?? 10 * power;
  const ticks: number[] = [];
  for (let step = 0; step <= lastStep; step += spacing) ticks.push(step);
  return ticks;
}
