/** Summary statistics of nanosecond samples, as `bench.json` reports them. */
export interface Summary {
  median: number;
  p75: number;
  p99: number;
  /** Relative margin of error of the mean, in percent (95% confidence). */
  rme: number;
}

function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

/** Median, p75, p99 and the relative margin of error of a sample set. */
export function summarize(samples: readonly number[]): Summary {
  const s = [...samples].sort((a, b) => a - b);
  const n = s.length;
  const mean = s.reduce((a, b) => a + b, 0) / Math.max(n, 1);
  const variance = n > 1 ? s.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1) : 0;
  const sem = Math.sqrt(variance / Math.max(n, 1));
  return {
    median: quantile(s, 0.5),
    p75: quantile(s, 0.75),
    p99: quantile(s, 0.99),
    rme: mean > 0 ? ((1.96 * sem) / mean) * 100 : 0,
  };
}
