/** Latency summary of a list of samples in milliseconds. */
export interface Summary {
  count: number;
  avg: number;
  p50: number;
  p99: number;
  max: number;
}

export function summarize(samples: number[]): Summary {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? 0;
  const total = sorted.reduce((sum, x) => sum + x, 0);
  return {
    count: sorted.length,
    avg: sorted.length ? total / sorted.length : 0,
    p50: at(0.5),
    p99: at(0.99),
    max: sorted.at(-1) ?? 0,
  };
}

/** Latency at each of the percentiles a latency chart plots. */
export const CURVE_PERCENTILES = [50, 75, 90, 95, 99, 99.9] as const;

export function curve(samples: number[]): Array<{ percentile: number; ms: number }> {
  const sorted = [...samples].sort((a, b) => a - b);
  return CURVE_PERCENTILES.map((p) => ({
    percentile: p,
    ms: sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? 0,
  }));
}

export const ms = (x: number) => `${x.toFixed(x < 10 ? 2 : 1)} ms`;
