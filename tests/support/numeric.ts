// Test data and comparisons shared by the Node tests and the in-browser checks (no test-runner imports).

/** Deterministic test data (mulberry32), so a failure reproduces. */
export function seededRandom(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function randomArray(n: number, seed: number, low = -1, high = 1): Float32Array {
  const next = seededRandom(seed);
  return Float32Array.from({ length: n }, () => low + (high - low) * next());
}

export interface Comparison {
  /** Largest |actual − expected| / tolerance; ≤ 1 means within tolerance everywhere. */
  ratio: number;
  /** Where the worst ratio is, with the values; empty when everything matched. */
  detail: string;
}

export function compare(actual: ArrayLike<number>, expected: ArrayLike<number>, tolerance: (i: number) => number): Comparison {
  if (actual.length !== expected.length) return { ratio: Infinity, detail: `length ${actual.length}, want ${expected.length}` };
  let ratio = 0;
  let index = -1;
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i]!;
    const r = Number.isFinite(a) ? Math.abs(a - expected[i]!) / tolerance(i) : Infinity;
    if (!(r <= ratio)) {
      ratio = r;
      index = i;
    }
  }
  const detail = index < 0 ? '' : `worst at ${index}: got ${actual[index]}, want ${expected[index]}, tolerance ${tolerance(index)}`;
  return { ratio, detail };
}
