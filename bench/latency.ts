/**
 * Latency of the seed's three calls, one request at a time (no queueing): N logins, N refreshes
 * (each with a fresh token) and N GET /api/users, against a server in its own process.
 *
 *   npx tsx bench/latency.ts [N]     (default 1000)
 */
import { Pool } from 'undici';
import { startBenchServer } from './lib/server.js';
import { ms, summarize, type Summary } from './lib/stats.js';

interface Tokens {
  access_token: string;
  refresh_token: string;
}

export async function measureLatency(n: number, env: Record<string, string> = {}): Promise<Record<string, Summary>> {
  const server = await startBenchServer(env);
  const pool = new Pool(server.url, { connections: 1 });
  const call = async (method: 'GET' | 'POST', path: string, body?: unknown, token?: string) => {
    const started = performance.now();
    const response = await pool.request({
      method,
      path,
      headers: {
        ...(body ? { 'content-type': 'application/json' } : {}),
        ...(token ? { authorization: `Bearer ${token}` } : {}),
      },
      body: body ? JSON.stringify(body) : undefined,
    });
    const json = (await response.body.json()) as unknown;
    const elapsed = performance.now() - started;
    if (response.statusCode !== 200) throw new Error(`${method} ${path} → ${response.statusCode} ${JSON.stringify(json)}`);
    return { elapsed, json };
  };
  try {
    const samples = { login: [] as number[], refresh: [] as number[], users: [] as number[] };
    const sessions: Tokens[] = [];
    for (let i = 0; i < n; i += 1) {
      const { elapsed, json } = await call('POST', '/auth/login', { username: 'test', password: 'test123' });
      samples.login.push(elapsed);
      sessions.push(json as Tokens);
    }
    for (const session of sessions) {
      const { elapsed } = await call('POST', '/auth/refresh', { refresh_token: session.refresh_token });
      samples.refresh.push(elapsed);
    }
    const { access_token } = sessions.at(-1)!;
    const fresh = (await call('POST', '/auth/login', { username: 'test', password: 'test123' })).json as Tokens;
    for (let i = 0; i < n; i += 1) samples.users.push((await call('GET', '/api/users', undefined, fresh.access_token ?? access_token)).elapsed);
    return { login: summarize(samples.login), refresh: summarize(samples.refresh), 'GET /api/users': summarize(samples.users) };
  } finally {
    await pool.close();
    await server.stop();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const n = Number(process.argv[2] ?? 1000);
  const results = await measureLatency(n);
  console.log(`| endpoint | requests | median | p99 | max |\n|---|---|---|---|---|`);
  for (const [name, s] of Object.entries(results)) {
    console.log(`| ${name} | ${s.count} | ${ms(s.p50)} | ${ms(s.p99)} | ${ms(s.max)} |`);
  }
}
