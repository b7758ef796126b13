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

export const ms = (x: number) => `${x.toFixed(x < 10 ? 2 : 1)} ms`;
