import { closedLoop } from '../lib/closed-loop.js';
import { HttpClient } from '../lib/http.js';
import { BENCH_PASSWORD, benchUsername } from '../lib/seed-users.js';
import type { CpuUse } from '../lib/process-usage.js';
import { startBenchServer } from '../lib/server.js';
import type { AuthMode } from '../lib/virtual-user.js';

export interface CapacityOptions {
  mode: AuthMode;
  /** p99 of GET /api/users that counts as still serving well, ms. */
  thresholdMs: number;
  /** The think time of the users scenario, seconds. */
  thinkSeconds: number;
  concurrencies: number[];
  stepSeconds: number;
}

export interface CapacityResult {
  options: CapacityOptions;
  steps: Array<{ concurrency: number; rps: number; avg: number; p99: number; errors: number; cpu?: CpuUse }>;
  /** The best throughput measured with p99 within the threshold. */
  rpsAtThreshold: number;
  /**
   * Users with the scenario's think time that throughput serves (Little's law:
   * users = throughput × (think time + response time)).
   */
  maxUsers: number;
}

/**
 * How many concurrent users one instance serves with p99 within the threshold: the API is driven at
 * rising concurrency with no think time until p99 crosses the threshold, and the best throughput within
 * it is converted to users of the given think time.
 */
export async function runCapacity(options: CapacityOptions): Promise<CapacityResult> {
  const clients = Math.max(...options.concurrencies);
  const server = await startBenchServer({ AUTH_RATE_LIMIT: '0', TRUST_PROXY: 'true', LEGACY_SESSIONS: 'on' }, { users: clients });
  const http = new HttpClient(server.url, clients);
  try {
    const credentials = await Promise.all(
      Array.from({ length: clients }, async (_, i): Promise<Record<string, string>> => {
        const body = { username: benchUsername(i), password: BENCH_PASSWORD };
        if (options.mode === 'jwt') {
          const reply = await http.send('POST', '/auth/login', { body });
          return { authorization: `Bearer ${(reply.body as { access_token: string }).access_token}` };
        }
        const reply = await http.send('POST', '/api/login', { body });
        const cookies = reply.headers['set-cookie'];
        const cookie = (Array.isArray(cookies) ? cookies : [cookies ?? '']).find((c) => c.startsWith('session_id='));
        return { cookie: cookie?.split(';')[0] ?? '' };
      }),
    );
    const steps: CapacityResult['steps'] = [];
    for (const concurrency of options.concurrencies) {
      const result = await closedLoop(http, concurrency, options.stepSeconds, (worker, client) =>
        client.send('GET', '/api/users', { headers: credentials[worker]! }),
        server.pid,
      );
      steps.push({ concurrency, rps: result.rps, avg: result.avg, p99: result.p99, errors: result.errors, cpu: result.cpu });
      if (result.p99 > options.thresholdMs) break;
    }
    const within = steps.filter((s) => s.p99 <= options.thresholdMs && s.errors === 0);
    const best = within.reduce((a, b) => (b.rps > a.rps ? b : a), { concurrency: 0, rps: 0, avg: 0, p99: 0, errors: 0 });
    return {
      options,
      steps,
      rpsAtThreshold: best.rps,
      maxUsers: Math.floor(best.rps * (options.thinkSeconds + best.avg / 1000)),
    };
  } finally {
    await http.close();
    await server.stop();
  }
}
