// The live quality panel: the Fréchet classifier distance over training (a uPlot line), the
// share of samples in each digit class (bars; orange below the 5% that counts as covered), and for
// a semi-supervised run, its discriminator's accuracy on MNIST's test digits.
import type uPlot from 'uplot';
import type { ClassificationScore, SampleScore } from 'webgpu-gan';
import { chart } from './charts.js';

const COVERED_SHARE = 0.05;

export class QualityView {
  private data: number[][] = [[], []];
  private readonly plot: uPlot;
  private readonly bars: HTMLElement[];
  /** The panel's opening words, shown again when scores apply again. */
  private readonly intro: string;
  /** The run's best test accuracy so far, and its step. */
  private bestAccuracy: { accuracy: number; step: number } | null = null;
  /** How many steps apart test accuracies come, null when the run's D does not classify digits. */
  private accuracyEvery: number | null = null;
  /** Whether scores apply (else the text says why not, which a reset keeps). */
  private scoring = true;

  constructor(
    private readonly chartElement: HTMLElement,
    private readonly barsElement: HTMLElement,
    private readonly text: HTMLElement,
    private readonly accuracyText: HTMLElement,
  ) {
    this.intro = (text.textContent ?? '').trim().replace(/\s+/g, ' ');
    // From 0, so that a run's small wobbles do not fill the chart as if they were its progress.
    this.plot = chart(
      chartElement,
      'Fréchet classifier distance (lower is better)',
      [{ label: 'distance', stroke: '#7ddc8a' }],
      (_, __, max) => [0, max > 0 ? max * 1.1 : 1],
    );
    this.bars = Array.from({ length: 10 }, (_, digit) => {
      const bar = document.createElement('div');
      bar.className = 'class-bar';
      bar.dataset.testid = `class-${digit}`;
      bar.innerHTML =
        `<span class="share"></span><span class="fill" style="height: 0%"></span>` +
        `<span class="digit">${digit}</span>`;
      barsElement.append(bar);
      return bar;
    });
    new ResizeObserver(() =>
      this.plot.setSize({ width: Math.max(200, chartElement.clientWidth), height: 200 }),
    ).observe(chartElement);
  }

  push(step: number, score: SampleScore): void {
    this.data[0]!.push(step);
    this.data[1]!.push(score.distance);
    this.plot.setData(this.data as [number[], number[]]);
    const tallest = Math.max(...score.classShares, COVERED_SHARE);
    score.classShares.forEach((share, digit) => {
      const bar = this.bars[digit]!;
      bar.classList.toggle('uncovered', share < COVERED_SHARE);
      bar.title = `${digit}: ${(100 * share).toFixed(1)}% of the samples`;
      bar.querySelector<HTMLElement>('.share')!.textContent = `${Math.round(100 * share)}%`;
      bar.querySelector<HTMLElement>('.fill')!.style.height = `${(100 * share) / tallest}%`;
    });
    this.text.textContent =
      `Step ${step}: distance ${score.distance.toFixed(2)} over ${score.count} samples; ` +
      `${score.coveredClasses} of 10 digits have at least 5% of them; mean confidence ` +
      `${score.meanConfidence.toFixed(2)}.`;
  }

  /**
   * A new run: `every` steps between its test accuracies when its D classifies MNIST's digits
   * (the line says when the first comes), null to hide the line.
   */
  expectAccuracy(every: number | null): void {
    this.accuracyEvery = every;
    this.bestAccuracy = null;
    this.accuracyText.hidden = every === null;
    this.accuracyText.textContent =
      every === null ? '' : `D's accuracy on MNIST's test digits appears here every ${every} steps.`;
  }

  pushAccuracy(step: number, score: ClassificationScore): void {
    const best = this.bestAccuracy;
    if (!best || score.accuracy > best.accuracy) this.bestAccuracy = { accuracy: score.accuracy, step };
    const percent = (a: number) => `${(100 * a).toFixed(1)}%`;
    const shown = this.bestAccuracy!;
    this.accuracyText.hidden = false;
    this.accuracyText.textContent =
      `D's test accuracy at step ${step}: ${percent(score.accuracy)} (${score.right} of ${score.count} ` +
      `MNIST test digits read right)` +
      (shown.step === step ? '.' : `; best ${percent(shown.accuracy)} at step ${shown.step}.`);
  }

  accuracyUnavailable(why: string): void {
    this.accuracyText.hidden = false;
    this.accuracyText.textContent = `No test accuracy: ${why}`;
  }

  /** Says why there are no scores (no classifier file, or images that are not 28×28 digits). */
  unavailable(why: string): void {
    this.scoring = false;
    this.text.textContent = `No quality scores: ${why}`;
  }

  /** Pictures the classifier cannot judge: the chart and bars go, and a note says why. */
  notApplicable(why: string): void {
    this.unavailable(why);
    this.chartElement.hidden = true;
    this.barsElement.hidden = true;
  }

  /** MNIST again: the chart and bars are back, empty until the next score. */
  applicable(): void {
    this.scoring = true;
    this.text.textContent = this.intro;
    this.chartElement.hidden = false;
    this.barsElement.hidden = false;
    for (const bar of this.bars) {
      bar.classList.remove('uncovered');
      bar.querySelector<HTMLElement>('.share')!.textContent = '';
      bar.querySelector<HTMLElement>('.fill')!.style.height = '0%';
    }
  }

  /** The same settings from a new start (a loaded checkpoint): no line, bars, best or distance of the run before. */
  reset(): void {
    this.data = [[], []];
    this.plot.setData(this.data as [number[], number[]]);
    this.expectAccuracy(this.accuracyEvery);
    if (this.scoring) this.applicable();
  }
}
