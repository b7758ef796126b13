import type { HttpClient, Reply } from './http.js';
import { cpuMeter, type CpuUse } from './process-usage.js';
import { summarize, type Summary } from './stats.js';

export interface LoopResult extends Summary {
  rps: number;
  errors: number;
  /** Server and load-generator CPU, when the server's process id was given. */
  cpu?: CpuUse;
}

/**
 * `concurrency` workers each send one request after another for `seconds` (no think time): the
 * throughput the server sustains at that concurrency, and the latency it costs; with `serverPid`, the
 * CPU the server and the load generator each spent.
 */
export async function closedLoop(
  http: HttpClient,
  concurrency: number,
  seconds: number,
  request: (worker: number, http: HttpClient) => Promise<Reply>,
  serverPid?: number,
): Promise<LoopResult> {
  const meter = serverPid === undefined ? undefined : cpuMeter(serverPid);
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
  const cpu = meter?.(samples.length);
  const result: LoopResult = { ...summarize(samples), rps: samples.length / elapsed, errors };
  if (cpu) result.cpu = cpu;
  return result;
}
