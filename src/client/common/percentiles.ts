/**
 * Exact nearest-rank percentiles over stored samples. An interactive session holds at most a few
 * thousand round trips, so keeping every value is cheap and gives exact figures (no histogram
 * bucketing error) for small counts where p99 is one or two samples.
 */
export function percentile(sortedAscending: readonly number[], p: number): number | undefined {
  if (sortedAscending.length === 0) return undefined;
  if (p <= 0) return sortedAscending[0];
  if (p >= 100) return sortedAscending[sortedAscending.length - 1];
  const rank = Math.ceil((p / 100) * sortedAscending.length);
  return sortedAscending[Math.max(0, rank - 1)];
}

export interface LatencySummary {
  count: number;
  p50Ms: number | null;
  p99Ms: number | null;
  maxMs: number | null;
}

export function summarizeLatencies(samples: readonly number[]): LatencySummary {
  const sorted = [...samples].sort((a, b) => a - b);
  const round = (value: number | undefined) => (value === undefined ? null : Math.round(value * 10) / 10);
  return { count: sorted.length, p50Ms: round(percentile(sorted, 50)), p99Ms: round(percentile(sorted, 99)), maxMs: round(sorted[sorted.length - 1]) };
}
