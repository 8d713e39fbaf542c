// Paired accuracy: two methods restored the same pictures, so where they differ in accuracy the
// pictures that only one of them gets read right are what the difference is made of. A handful
// of pictures in 10,000 is no evidence either way; the exact sign test over those pictures says
// how likely a split at least this uneven is if neither method were the better one.

/** A method's row with, picture by picture, whether the classifier read it right. */
export interface HitsRow {
  degradation: string;
  method: string;
  accuracy: number;
  hits: Uint8Array;
}

export interface PairedComparison {
  degradation: string;
  ours: string;
  baseline: string;
  /** Pictures read right after ours and wrong after the baseline, and the other way round. */
  onlyOurs: number;
  onlyBaseline: number;
  /** Two-sided exact sign test of onlyOurs against onlyBaseline. */
  p: number;
}

/** Each of our rows against the best baseline (by accuracy) of its degradation. */
export function pairedComparisons(rows: readonly HitsRow[]): PairedComparison[] {
  const result: PairedComparison[] = [];
  for (const degradation of new Set(rows.map((r) => r.degradation))) {
    const here = rows.filter((r) => r.degradation === degradation);
    const baselines = here.filter((r) => !r.method.startsWith('ours'));
    if (baselines.length === 0) continue;
    const best = baselines.reduce((a, b) => (b.accuracy > a.accuracy ? b : a));
    for (const ours of here.filter((r) => r.method.startsWith('ours'))) {
      const [onlyOurs, onlyBaseline] = discordant(ours.hits, best.hits);
      const p = signTest(onlyOurs, onlyBaseline);
      result.push({ degradation, ours: ours.method, baseline: best.method, onlyOurs, onlyBaseline, p });
    }
  }
  return result;
}

function discordant(a: Uint8Array, b: Uint8Array): [number, number] {
  if (a.length !== b.length) throw new Error(`paired rows hold ${a.length} and ${b.length} pictures`);
  let [onlyA, onlyB] = [0, 0];
  for (let i = 0; i < a.length; i++) {
    if (a[i] && !b[i]) onlyA++;
    if (b[i] && !a[i]) onlyB++;
  }
  return [onlyA, onlyB];
}

/** P(a split at least as uneven as a : b) when each picture goes either way with probability ½. */
export function signTest(a: number, b: number): number {
  const n = a + b;
  if (n === 0) return 1;
  const k = Math.min(a, b);
  // Σ_{i ≤ k} C(n, i) / 2^n, in logs so that n of thousands neither overflows nor underflows.
  let logChoose = 0;
  let tail = 0;
  for (let i = 0; i <= k; i++) {
    if (i > 0) logChoose += Math.log(n - i + 1) - Math.log(i);
    tail += Math.exp(logChoose - n * Math.LN2);
  }
  return Math.min(1, 2 * tail);
}

/** A line for each comparison, as the benchmark prints them under its table. */
export function pairedLines(comparisons: readonly PairedComparison[]): string[] {
  return comparisons.map(
    (c) =>
      `${c.degradation}: ${c.ours} against ${c.baseline}: read right by ours alone ${c.onlyOurs}, ` +
      `by it alone ${c.onlyBaseline} (sign test p = ${c.p < 0.001 ? c.p.toExponential(1) : c.p.toFixed(3)})`,
  );
}
