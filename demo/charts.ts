// Loss and discriminator-output charts (uPlot: small, fast, well kept), appended as stats arrive.
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { TrainingStats } from 'webgpu-gan';

/** A uPlot line chart of `series` against the step, sized to its element. */
export function chart(
  element: HTMLElement,
  title: string,
  series: Array<{ label: string; stroke: string }>,
  range?: uPlot.Range.MinMax | uPlot.Range.Function,
): uPlot {
  const options: uPlot.Options = {
    title,
    width: Math.max(200, element.clientWidth),
    height: 200,
    scales: { x: { time: false }, ...(range && { y: { range } }) },
    axes: [
      { stroke: '#9aa0ad', grid: { stroke: '#2a2e3a' } },
      // Wide enough for labels such as "1,334" (uPlot's default 50 px cuts them).
      { stroke: '#9aa0ad', grid: { stroke: '#2a2e3a' }, size: 64 },
    ],
    series: [{ label: 'step' }, ...series.map((s) => ({ ...s, width: 1.5 }))],
  };
  return new uPlot(options, [[], ...series.map(() => [])], element);
}

export class ProgressCharts {
  private readonly loss: uPlot;
  private readonly probability: uPlot;
  private data: number[][] = [[], [], [], [], []]; // step, loss D, loss G, D(x), D(G(z))

  constructor(
    private readonly lossElement: HTMLElement,
    private readonly probabilityElement: HTMLElement,
  ) {
    this.loss = chart(lossElement, 'Losses', [
      { label: 'D', stroke: '#ff9b6a' },
      { label: 'G', stroke: '#6aa6ff' },
    ]);
    this.probability = chart(
      probabilityElement,
      'Discriminator outputs',
      [
        { label: 'D(x)', stroke: '#7ddc8a' },
        { label: 'D(G(z))', stroke: '#d58cff' },
      ],
      [0, 1],
    );
    new ResizeObserver(() => this.resize()).observe(lossElement);
  }

  push(stats: TrainingStats): void {
    const row = [stats.step, stats.lossD, stats.lossG, stats.dReal, stats.dFake];
    row.forEach((v, i) => {
      this.data[i]!.push(v);
    });
    this.redraw();
  }

  reset(): void {
    this.data = [[], [], [], [], []];
    this.redraw();
  }

  private redraw(): void {
    const [step, lossD, lossG, dReal, dFake] = this.data as [number[], number[], number[], number[], number[]];
    this.loss.setData([step, lossD, lossG]);
    this.probability.setData([step, dReal, dFake]);
  }

  private resize(): void {
    const width = Math.max(200, this.lossElement.clientWidth);
    this.loss.setSize({ width, height: 200 });
    this.probability.setSize({ width: Math.max(200, this.probabilityElement.clientWidth), height: 200 });
  }
}
