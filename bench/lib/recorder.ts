import { curve, summarize, type Summary } from './stats.js';

export interface EndpointResult extends Summary {
  errors: number;
  /** Answers that said "retry after" (503 shed, 429), which the client waited out and sent again. */
  retried: number;
  /** Requests per second over the measured span. */
  rps: number;
  curve: Array<{ percentile: number; ms: number }>;
}

/** Collects per-endpoint latencies and errors while a scenario runs. */
export class Recorder {
  private readonly samples = new Map<string, number[]>();
  private readonly errors = new Map<string, number>();
  private readonly retries = new Map<string, number>();
  readonly errorExamples: string[] = [];
  private readonly started = performance.now();
  total = 0;

  ok(endpoint: string, ms: number): void {
    this.total += 1;
    this.sample(endpoint, ms);
  }

  /**
   * Files the latency of a request already counted (`ok`) under a second name as well — a window of
   * its endpoint, such as the steady state — without counting the request again.
   */
  alsoAs(name: string, ms: number): void {
    this.sample(name, ms);
  }

  error(endpoint: string, detail: string): void {
    this.total += 1;
    this.errors.set(endpoint, (this.errors.get(endpoint) ?? 0) + 1);
    if (this.errorExamples.length < 10) this.errorExamples.push(`${endpoint}: ${detail}`);
  }

  /** A request answered "retry after", to be sent again once that time has passed. */
  retried(endpoint: string): void {
    this.retries.set(endpoint, (this.retries.get(endpoint) ?? 0) + 1);
  }

  get errorCount(): number {
    return [...this.errors.values()].reduce((a, b) => a + b, 0);
  }

  /** Per endpoint; its req/s over the whole recording, or over `spanSeconds[name]` for a window. */
  results(spanSeconds: Record<string, number> = {}): Record<string, EndpointResult> {
    const seconds = (performance.now() - this.started) / 1000;
    const names = new Set([...this.samples.keys(), ...this.errors.keys(), ...this.retries.keys()]);
    return Object.fromEntries(
      [...names].map((name) => {
        const list = this.samples.get(name) ?? [];
        const errors = this.errors.get(name) ?? 0;
        const rps = (list.length + errors) / (spanSeconds[name] ?? seconds);
        return [name, { ...summarize(list), errors, retried: this.retries.get(name) ?? 0, rps, curve: curve(list) }];
      }),
    );
  }

  private sample(name: string, ms: number): void {
    let list = this.samples.get(name);
    if (!list) this.samples.set(name, (list = []));
    list.push(ms);
  }
}
