// The training progress line: a bar with step, speed, losses, D outputs and time left. On a
// terminal it redraws in place; in a log (not a TTY) it prints one line per update.
import type { TrainingStats } from '../gan/stats.js';

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '--:--';
  const s = Math.round(seconds);
  const [h, m, r] = [Math.floor(s / 3600), Math.floor((s % 3600) / 60), s % 60];
  return h > 0
    ? `${h}:${String(m).padStart(2, '0')}:${String(r).padStart(2, '0')}`
    : `${m}:${String(r).padStart(2, '0')}`;
}

export function progressLine(
  step: number,
  total: number,
  stepsPerSec: number,
  stats: TrainingStats | null,
  width = 24,
  quality?: { distance: number; coveredClasses: number },
  /** A class-head run's D on the test split, at the last evaluation. */
  testAccuracy?: number,
): string {
  const fraction = total > 0 ? Math.min(1, step / total) : 1;
  const filled = Math.round(fraction * width);
  const bar = `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`;
  const numbers = stats
    ? ` · loss D ${stats.lossD.toFixed(3)} G ${stats.lossG.toFixed(3)}` +
      ` · D(x) ${stats.dReal.toFixed(3)} D(G(z)) ${stats.dFake.toFixed(3)}` +
      // A semi-supervised D's accuracy on its labelled batches (before each update).
      (stats.labeledAccuracy !== undefined ? ` · labelled ${(100 * stats.labeledAccuracy).toFixed(1)}% right` : '') +
      (stats.fakeClassAccuracy !== undefined
        ? ` · D reads ${(100 * stats.realClassAccuracy!).toFixed(1)}% of real, ` +
          `${(100 * stats.fakeClassAccuracy).toFixed(1)}% of G's as their class`
        : '')
    : '';
  const eta = stepsPerSec > 0 ? (total - step) / stepsPerSec : NaN;
  const done = `${step}/${total} ${(fraction * 100).toFixed(0)}%`;
  const scored =
    (quality ? ` · FCD ${quality.distance.toFixed(2)} (${quality.coveredClasses}/10 classes)` : '') +
    (testAccuracy !== undefined ? ` · test ${(100 * testAccuracy).toFixed(1)}% right` : '');
  return `${bar} ${done} · ${stepsPerSec.toFixed(1)} steps/s${numbers}${scored} · ETA ${formatDuration(eta)}`;
}

export class Progress {
  private lastLength = 0;

  constructor(private readonly stream: NodeJS.WriteStream = process.stderr) {}

  update(line: string): void {
    if (this.stream.isTTY) {
      this.stream.write(`\r${line.padEnd(this.lastLength)}`);
      this.lastLength = line.length;
    } else {
      this.stream.write(`${line}\n`);
    }
  }

  /** Ends the in-place line so later output starts on its own line. */
  done(): void {
    if (this.stream.isTTY && this.lastLength > 0) this.stream.write('\n');
    this.lastLength = 0;
  }
}
