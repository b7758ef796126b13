import { resolve } from 'node:path';
import { closedLoop } from '../lib/closed-loop.js';
import { HttpClient } from '../lib/http.js';
import type { CpuUse } from '../lib/process-usage.js';
import { startBenchServer } from '../lib/server.js';

export interface OverheadOptions {
  concurrency: number;
  roundSeconds: number;
  rounds: number;
}

export interface OverheadResult {
  options: OverheadOptions;
  publicRps: number[];
  protectedRps: number[];
  /** Median protected/public throughput ratio over the paired rounds. */
  ratio: number;
  publicP99: number;
  protectedP99: number;
  /** Server and load-generator CPU of each round. */
  publicCpu: CpuUse[];
  protectedCpu: CpuUse[];
}

/**
 * The price of authentication: the same handler with and without the JWT check, driven in alternating
 * rounds (public, protected, public, …) in one run, so a drifting machine affects both alike.
 */
export async function runOverhead(options: OverheadOptions): Promise<OverheadResult> {
  const server = await startBenchServer({ AUTH_RATE_LIMIT: '0' }, { script: resolve(import.meta.dirname, '../lib/overhead-server.ts') });
  const http = new HttpClient(server.url, options.concurrency);
  try {
    // One access token per connection, as many clients would hold: each is verified once, then found in
    // the verified-token cache (expiry and revocation are still checked on every request).
    const tokens = await accessTokens(http, options.concurrency);
    const bearer = (worker: number) => ({ headers: { authorization: `Bearer ${tokens[worker]!}` } });
    const publicRps: number[] = [];
    const protectedRps: number[] = [];
    const p99 = { public: [] as number[], protected: [] as number[] };
    const cpu = { public: [] as CpuUse[], protected: [] as CpuUse[] };
    await closedLoop(http, options.concurrency, 1, (_, c) => c.send('GET', '/bench/public')); // warm-up
    await closedLoop(http, options.concurrency, 1, (worker, c) => c.send('GET', '/bench/protected', bearer(worker)));
    for (let round = 0; round < options.rounds; round += 1) {
      const open = await closedLoop(http, options.concurrency, options.roundSeconds, (_, c) => c.send('GET', '/bench/public'), server.pid);
      const guarded = await closedLoop(
        http,
        options.concurrency,
        options.roundSeconds,
        (worker, c) => c.send('GET', '/bench/protected', bearer(worker)),
        server.pid,
      );
      if (open.errors || guarded.errors) throw new Error(`overhead round had errors: ${open.errors} public, ${guarded.errors} protected`);
      publicRps.push(open.rps);
      protectedRps.push(guarded.rps);
      p99.public.push(open.p99);
      p99.protected.push(guarded.p99);
      cpu.public.push(open.cpu!);
      cpu.protected.push(guarded.cpu!);
    }
    const ratios = protectedRps.map((r, i) => r / publicRps[i]!).sort((a, b) => a - b);
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    return {
      options,
      publicRps,
      protectedRps,
      ratio: median(ratios),
      publicP99: median(p99.public),
      protectedP99: median(p99.protected),
      publicCpu: cpu.public,
      protectedCpu: cpu.protected,
    };
  } finally {
    await http.close();
    await server.stop();
  }
}

/** `count` distinct access tokens of the seed's test user: one login, then a chain of refreshes. */
async function accessTokens(http: HttpClient, count: number): Promise<string[]> {
  const login = await http.send('POST', '/auth/login', { body: { username: 'test', password: 'test123' } });
  let pair = login.body as { access_token: string; refresh_token: string };
  const tokens = [pair.access_token];
  while (tokens.length < count) {
    pair = (await http.send('POST', '/auth/refresh', { body: { refresh_token: pair.refresh_token } })).body as typeof pair;
    tokens.push(pair.access_token);
  }
  return tokens;
}
