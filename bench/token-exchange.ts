/**
 * Time of one RFC 8693 token exchange (`POST /oauth/token`, the session hand-off of bring-your-users.md):
 * N sequential requests from one service for the development seed's `test` user, after 10 unmeasured
 * ones, against `tessera serve` on SQLite in its own process. A password login's time is printed beside
 * it for scale (it pays argon2id; the exchange checks no password).
 *
 *   npx tsx bench/token-exchange.ts [--requests 100]
 *
 * Needs the build (`npm run build`).
 */
import { parseArgs } from 'node:util';
import { startBenchServer } from './lib/server.js';
import { summarize } from './lib/stats.js';

const { values } = parseArgs({ options: { requests: { type: 'string', default: '100' } } });
const REQUESTS = Number(values.requests);

const json = (body: unknown) => ({ method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

async function timed(n: number, request: () => Promise<Response>): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i < n + 10; i += 1) {
    const started = performance.now();
    const response = await request();
    await response.arrayBuffer();
    if (response.status !== 200) throw new Error(`answered ${response.status}`);
    if (i >= 10) samples.push(performance.now() - started);
  }
  return samples;
}

const server = await startBenchServer();
try {
  const { access_token: admin } = (await (await fetch(`${server.url}/auth/login`, json({ username: 'admin', password: 'admin123' }))).json()) as { access_token: string };
  const asAdmin = (method: string, path: string, body: unknown) =>
    fetch(`${server.url}${path}`, { method, headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const service = (await (await asAdmin('POST', '/admin/services', { name: 'webapp' })).json()) as { client_id: string; client_secret: string };
  await asAdmin('PUT', '/admin/services/webapp/token-exchange', { enabled: true });
  const basic = `Basic ${Buffer.from(`${service.client_id}:${service.client_secret}`).toString('base64')}`;
  const form = new URLSearchParams({
    grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange',
    subject_token: 'test',
    subject_token_type: 'urn:tessera:params:oauth:token-type:username',
  }).toString();

  const exchange = summarize(await timed(REQUESTS, () => fetch(`${server.url}/oauth/token`, { method: 'POST', headers: { authorization: basic, 'content-type': 'application/x-www-form-urlencoded' }, body: form })));
  const login = summarize(await timed(Math.min(REQUESTS, 30), () => fetch(`${server.url}/auth/login`, json({ username: 'test', password: 'test123' }))));
  const ms = (x: number) => `${x.toFixed(2)} ms`;
  console.log(`token exchange (${exchange.count} sequential): median ${ms(exchange.p50)}, p99 ${ms(exchange.p99)}, max ${ms(exchange.max)}`);
  console.log(`password login (${login.count} sequential), for scale: median ${ms(login.p50)}`);
} finally {
  await server.stop();
}
