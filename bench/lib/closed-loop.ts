import type { HttpClient, Reply } from './http.js';
import { summarize, type Summary } from './stats.js';

export interface LoopResult extends Summary {
  rps: number;
  errors: number;
}

/**
 * `concurrency` workers each send one request after another for `seconds` (no think time): the
 * throughput the server sustains at that concurrency, and the latency it costs.
 */
export async function closedLoop(
  http: HttpClient,
  concurrency: number,
  seconds: number,
  request: (worker: number, http: HttpClient) => Promise<Reply>,
): Promise<LoopResult> {
  const samples: number[] = [];
  let errors = 0;
  const started = performance.now();
  const end = started + seconds * 1000;
  await Promise.all(
    Array.from({ length: concurrency }, async (_, worker) => {
      while (performance.now() < end) {
        try {
          const reply = await request(worker, http);
          if (reply.status >= 200 && reply.status < 300) samples.push(reply.ms);
          else errors += 1;
        } catch {
          errors += 1;
        }
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  return { ...summarize(samples), rps: samples.length / elapsed, errors };
}
