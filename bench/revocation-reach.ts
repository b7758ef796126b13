/**
 * How long after a logout another service refuses the token: an Express API protected by
 * `@tessera/verify` (revocations from the feed, `GET /auth/revocations`), polled from the moment
 * Tessera answered `POST /auth/logout` until its first 401. Median and p99 over N logouts:
 *  - `SQLite, no Redis`: one Tessera; the API follows its feed and the logout is made there;
 *  - `PostgreSQL + Redis`: two instances; the API follows B's feed, the logout is made on A;
 *  - `PostgreSQL, no Redis`: the same without Redis (B learns of A's logout by its 500 ms database poll).
 *
 *   npx tsx bench/revocation-reach.ts [--runs 200]
 *
 * Needs the build (`npm run build`), PostgreSQL on 127.0.0.1:5432 and Redis on :6379 for the fleets.
 */
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { parseArgs } from 'node:util';
import { createVerifier } from '@tessera/verify';
import { requireAccessToken } from '@tessera/verify/express';
import express from 'express';
import { testFleet } from '../packages/server/test/support/fleet.js';
import { startBenchServer, type BenchServer } from './lib/server.js';
import { summarize } from './lib/stats.js';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '200' } } });
const RUNS = Number(values.runs);

async function post(url: string, body: object, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
}

async function login(server: BenchServer, username: string, password: string): Promise<string> {
  const response = await post(`${server.url}/auth/login`, { username, password });
  if (!response.ok) throw new Error(`login answered ${response.status}`);
  return ((await response.json()) as { access_token: string }).access_token;
}

/** The team's API: one route behind @tessera/verify, following `feedFrom`'s revocation feed. */
async function protectedApi(feedFrom: BenchServer): Promise<{ url: string; close(): Promise<void> }> {
  const verifier = createVerifier({
    issuer: 'http://127.0.0.1',
    audience: 'tessera-api',
    jwksUri: `${feedFrom.url}/.well-known/jwks.json`,
    feedCredentials: () => login(feedFrom, 'admin', 'admin123'),
  });
  await verifier.ready();
  if (verifier.feedStatus !== 'live') throw new Error(`the feed is ${verifier.feedStatus}`);
  const app = express();
  app.get('/orders', requireAccessToken(verifier), (_req, res) => void res.json([]));
  const server: Server = await new Promise((done) => {
    const s = app.listen(0, '127.0.0.1', () => done(s));
  });
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/orders`,
    async close() {
      verifier.close();
      await new Promise((done) => server.close(done));
    },
  };
}

/** Milliseconds from each logout's answer (taken on `logoutOn`) to the API's first 401. */
async function measure(name: string, logoutOn: BenchServer, api: { url: string }): Promise<void> {
  const samples: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const token = await login(logoutOn, 'test', 'test123');
    const auth = { authorization: `Bearer ${token}` };
    if ((await fetch(api.url, { headers: auth })).status !== 200) throw new Error('the API refused a fresh token');
    const response = await post(`${logoutOn.url}/auth/logout`, {}, auth);
    const answered = performance.now();
    if (!response.ok) throw new Error(`logout answered ${response.status}`);
    for (;;) {
      const status = (await fetch(api.url, { headers: auth })).status;
      if (status === 401) break;
      if (performance.now() - answered > 10_000) throw new Error('the API still accepts the token 10 s after the logout');
    }
    samples.push(performance.now() - answered);
  }
  const s = summarize(samples);
  console.log(`${name.padEnd(58)} median ${s.p50.toFixed(1).padStart(6)} ms   p99 ${s.p99.toFixed(1).padStart(6)} ms   max ${s.max.toFixed(1).padStart(6)} ms`);
}

async function fleetScenario(name: string, withRedis: boolean): Promise<void> {
  const fleet = testFleet();
  const { REDIS_URL, ...withoutRedis } = fleet.env();
  const env = { ...withoutRedis, ...(withRedis ? { REDIS_URL } : {}), NODE_ENV: 'development' };
  const a = await startBenchServer(env);
  const b = await startBenchServer(env);
  const api = await protectedApi(b);
  try {
    await measure(name, a, api);
  } finally {
    await api.close();
    await Promise.all([a.stop(), b.stop()]);
    await fleet.cleanup();
  }
}

async function main(): Promise<void> {
  console.log(`Logout → first 401 from an Express API using @tessera/verify with the feed (${RUNS} logouts each)`);
  const single = await startBenchServer({ NODE_ENV: 'development' });
  const api = await protectedApi(single);
  try {
    await measure('SQLite, no Redis (logout on the feed\'s instance)', single, api);
  } finally {
    await api.close();
    await single.stop();
  }
  await fleetScenario('PostgreSQL + Redis (logout on A, feed from B)', true);
  await fleetScenario('PostgreSQL, no Redis (logout on A, feed from B)', false);
}

await main();
