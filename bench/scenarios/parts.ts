import { closedLoop } from '../lib/closed-loop.js';
import { HttpClient } from '../lib/http.js';
import type { CpuUse } from '../lib/process-usage.js';
import { BENCH_PASSWORD, benchUsername } from '../lib/seed-users.js';
import { startBenchServer } from '../lib/server.js';
import { cryptoCases } from '../parts-crypto.js';

export interface PartsOptions {
  /** Seconds per cryptographic case. */
  cryptoSeconds: number;
  /** Seconds of login and of refresh load. */
  loadSeconds: number;
  loginConcurrency: number;
  refreshConcurrency: number;
}

export interface PartsResult {
  options: PartsOptions;
  crypto: Array<{ group: string; operation: string; perSecond: number }>;
  login: { rps: number; p99: number; errors: number; cpu?: CpuUse | undefined };
  refresh: { rps: number; p99: number; errors: number; cpu?: CpuUse | undefined };
}

/** Per-core cryptography figures, then login/s and refresh/s of one instance. */
export async function runParts(options: PartsOptions): Promise<PartsResult> {
  const crypto: PartsResult['crypto'] = [];
  for (const { group, cases } of await cryptoCases()) {
    for (const c of cases) {
      const deadline = performance.now() + options.cryptoSeconds * 1000;
      const started = performance.now();
      let n = 0;
      while (performance.now() < deadline) {
        await c.run();
        n += 1;
      }
      crypto.push({ group, operation: c.name, perSecond: n / ((performance.now() - started) / 1000) });
    }
  }

  const accounts = Math.max(options.loginConcurrency, options.refreshConcurrency);
  const server = await startBenchServer({ AUTH_RATE_LIMIT: '0', TRUST_PROXY: 'true' }, { users: accounts });
  const http = new HttpClient(server.url, accounts);
  try {
    const credentials = (i: number) => ({ username: benchUsername(i), password: BENCH_PASSWORD });
    // A short warm-up (JIT, connection pool, SQLite page cache), not counted.
    await closedLoop(http, options.loginConcurrency, Math.min(1, options.loadSeconds), (worker, c) =>
      c.send('POST', '/auth/login', { body: credentials(worker) }),
    );
    const login = await closedLoop(
      http,
      options.loginConcurrency,
      options.loadSeconds,
      (worker, c) => c.send('POST', '/auth/login', { body: credentials(worker) }),
      server.pid,
    );
    const chains = await Promise.all(
      Array.from({ length: options.refreshConcurrency }, async (_, i) => {
        const reply = await http.send('POST', '/auth/login', { body: credentials(i) });
        return (reply.body as { refresh_token: string }).refresh_token;
      }),
    );
    const refresh = await closedLoop(http, options.refreshConcurrency, options.loadSeconds, async (worker, c) => {
      const reply = await c.send('POST', '/auth/refresh', { body: { refresh_token: chains[worker] } });
      if (reply.status === 200) chains[worker] = (reply.body as { refresh_token: string }).refresh_token;
      return reply;
    }, server.pid);
    return {
      options,
      crypto,
      login: { rps: login.rps, p99: login.p99, errors: login.errors, cpu: login.cpu },
      refresh: { rps: refresh.rps, p99: refresh.p99, errors: refresh.errors, cpu: refresh.cpu },
    };
  } finally {
    await http.close();
    await server.stop();
  }
}
