import type { Registry } from 'prom-client';

type RequestLabels = { method: string; route: string; status: string };

/** One (method, route pattern, status) series: its count, sum and latency buckets, as plain numbers. */
interface RequestSeries {
  labels: RequestLabels;
  count: number;
  sum: number;
  /** Requests per bucket (not cumulative): index i is (bounds[i - 1], bounds[i]]; the last, above every bound. */
  buckets: number[];
}

/** One value of a metric as the registry renders it (prom-client's `MetricValue` with its series name). */
interface RenderedValue {
  labels: Record<string, string | number>;
  value: number;
  metricName?: string;
}

/**
 * `tessera_http_requests_total` and `tessera_http_request_duration_seconds`, counted per request in plain
 * numbers and handed to the registry as metrics of their own when scraped. prom-client's Counter and
 * Histogram hash and validate the labels on every `inc` and `observe`, even through a series from
 * `labels()`, and the histogram makes a closure per observation: about 4% of the CPU of a cached GET
 * (issue 18). The exposition is the same: names, help, labels, buckets, and the order of the series.
 */
export class RequestMetrics {
  /** Every series, in the order they were first seen (the order they are rendered in). */
  private readonly series: RequestSeries[] = [];
  /** The same series by route, method and status: found without building a key string per request. */
  private readonly byRoute = new Map<string, Map<string, Map<number, RequestSeries>>>();

  constructor(
    registry: Registry,
    private readonly bounds: readonly number[],
  ) {
    registry.registerMetric(
      this.metric('tessera_http_requests_total', 'HTTP requests answered, by method, route pattern and status', 'counter', () =>
        this.series.map((s) => ({ labels: s.labels, value: s.count })),
      ),
    );
    registry.registerMetric(
      this.metric(
        'tessera_http_request_duration_seconds',
        'Time to answer an HTTP request, by method, route pattern and status',
        'histogram',
        () => this.series.flatMap((s) => this.histogramValues(s)),
      ),
    );
  }

  /** Counts one answered request. */
  observe(method: string, route: string, status: number, seconds: number): void {
    const series = this.byRoute.get(route)?.get(method)?.get(status) ?? this.newSeries(method, route, status);
    series.count += 1;
    series.sum += seconds;
    let bucket = 0;
    while (bucket < this.bounds.length && seconds > this.bounds[bucket]!) bucket += 1;
    series.buckets[bucket]! += 1;
  }

  private newSeries(method: string, route: string, status: number): RequestSeries {
    const series = { labels: { method, route, status: String(status) }, count: 0, sum: 0, buckets: new Array<number>(this.bounds.length + 1).fill(0) };
    this.series.push(series);
    let methods = this.byRoute.get(route);
    if (methods === undefined) this.byRoute.set(route, (methods = new Map()));
    let statuses = methods.get(method);
    if (statuses === undefined) methods.set(method, (statuses = new Map()));
    statuses.set(status, series);
    return series;
  }

  private histogramValues(series: RequestSeries): RenderedValue[] {
    const name = 'tessera_http_request_duration_seconds';
    let cumulative = 0;
    const values: RenderedValue[] = this.bounds.map((le, i) => {
      cumulative += series.buckets[i]!;
      return { labels: { le, ...series.labels }, value: cumulative, metricName: `${name}_bucket` };
    });
    values.push(
      { labels: { le: '+Inf', ...series.labels }, value: series.count, metricName: `${name}_bucket` },
      { labels: series.labels, value: series.sum, metricName: `${name}_sum` },
      { labels: series.labels, value: series.count, metricName: `${name}_count` },
    );
    return values;
  }

  /** A metric as the registry takes it: what it renders comes from `values` when scraped. */
  private metric(name: string, help: string, type: 'counter' | 'histogram', values: () => RenderedValue[]) {
    const { series, byRoute } = this;
    const metric = {
      name,
      help,
      type,
      aggregator: 'sum' as const,
      get: async () => ({ name, help, type, aggregator: 'sum' as const, values: values() }),
      reset: () => {
        series.length = 0;
        byRoute.clear();
      },
    };
    return metric as unknown as Parameters<Registry['registerMetric']>[0];
  }
}
