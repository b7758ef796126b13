import { Pool } from 'undici';
import { summarize, type Summary } from './stats.js';

export interface Throughput {
  /** Successful (HTTP 200) requests per second. */
  rps: number;
  ok: number;
  failed: number;
  seconds: number;
  latency: Summary;
}

export interface Call {
  method: 'GET' | 'POST';
  path: string;
  body?: unknown;
  token?: string;
}

/** One keep-alive connection pool to a server, returning status and parsed JSON. */
export class Target {
  readonly pool: Pool;

  constructor(
    readonly url: string,
    connections: number,
  ) {
    this.pool = new Pool(url, { connections, pipelining: 1 });
  }

  async call({ method, path, body, token }: Call): Promise<{ status: number; json: unknown }> {
    const response = await this.pool.request({
      method,
      path,
      headers: {
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...(token ? { authorization: `Bearer ${token}` } : {}),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.body.text();
    return { status: response.statusCode, json: text ? (JSON.parse(text) as unknown) : undefined };
  }

  close(): Promise<void> {
    return this.pool.close();
  }
}

/**
 * Keeps `concurrency` requests in flight for `seconds` (and at most `maxRequests` in all); each worker
 * asks `next(worker)` for its next request. Counts HTTP 200 answers per second.
 */
export async function measureThroughput(
  target: Target,
  options: { seconds: number; concurrency: number; maxRequests?: number },
  next: (worker: number) => Call,
  onOk: (worker: number, json: unknown) => void = () => undefined,
): Promise<Throughput> {
  const deadline = performance.now() + options.seconds * 1000;
  const maxRequests = options.maxRequests ?? 1_000_000;
  const latencies: number[] = [];
  let sent = 0;
  let failed = 0;
  const started = performance.now();
  const worker = async (id: number) => {
    while (performance.now() < deadline && sent < maxRequests) {
      sent += 1;
      const begun = performance.now();
      try {
        const { status, json } = await target.call(next(id));
        if (status !== 200) {
          failed += 1;
          continue;
        }
        latencies.push(performance.now() - begun);
        onOk(id, json);
      } catch {
        failed += 1;
      }
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, (_, id) => worker(id)));
  const seconds = (performance.now() - started) / 1000;
  return { rps: latencies.length / seconds, ok: latencies.length, failed, seconds, latency: summarize(latencies) };
}
