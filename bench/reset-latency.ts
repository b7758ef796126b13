/**
 * How long after `tessera users reset-password` exits a running server refuses the user's old
 * credentials: a cookie session (`POST /api/login`), an access token and a refresh token, each polled
 * (every ~2 ms) from the moment the command exits until its first 401. Median and max over N runs:
 *  - `sqlite`: one server on SQLite, no Redis (the server learns of it by its 500 ms revocation poll);
 *  - `fleet`: two servers on PostgreSQL + Redis, measured on both (the command publishes a fleet event);
 *  - `fleet, admin API on A`: the reset made through the admin API of instance A, measured on B (the
 *    instance that did not take the change), from the moment A answered.
 *
 *   npx tsx bench/reset-latency.ts [--runs 20]
 *
 * Needs the build (`npx tsc -p tsconfig.build.json`), PostgreSQL on 127.0.0.1:5432 and Redis on :6379.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { testFleet } from '../packages/server/test/support/fleet.js';
import { BENCH_SECRET, startBenchServer, type BenchServer } from './lib/server.js';
import { summarize } from './lib/stats.js';

const BIN = resolve(import.meta.dirname, '../packages/server/bin/tessera.js');
const { values } = parseArgs({ options: { runs: { type: 'string', default: '20' } } });
const RUNS = Number(values.runs);

type Kind = 'session' | 'access token' | 'refresh token';
interface Held {
  cookie: string;
  access: string;
  refresh: string;
}

async function post(url: string, body: object, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
}

async function hold(server: BenchServer, password: string): Promise<Held> {
  const tokens = (await (await post(`${server.url}/auth/login`, { username: 'test', password })).json()) as { access_token: string; refresh_token: string };
  const session = await post(`${server.url}/api/login`, { username: 'test', password });
  const cookie = /session_id=([^;]+)/.exec(session.headers.get('set-cookie') ?? '')?.[1];
  if (!tokens.access_token || !cookie) throw new Error('could not log in');
  return { cookie, access: tokens.access_token, refresh: tokens.refresh_token };
}

/** Resolves to the time (performance.now) of the first 401 for this credential. */
async function firstRefusal(server: BenchServer, kind: Kind, held: Held): Promise<number> {
  let refresh = held.refresh;
  for (;;) {
    let status: number;
    if (kind === 'session') status = (await fetch(`${server.url}/api/me`, { headers: { cookie: `session_id=${held.cookie}` } })).status;
    else if (kind === 'access token') status = (await fetch(`${server.url}/api/me`, { headers: { authorization: `Bearer ${held.access}` } })).status;
    else {
      const response = await post(`${server.url}/auth/refresh`, { refresh_token: refresh });
      status = response.status;
      // A refresh that still works hands out the next token of the (old) family: follow it.
      if (status === 200) refresh = ((await response.json()) as { refresh_token: string }).refresh_token;
    }
    if (status === 401) return performance.now();
    await new Promise((r) => setTimeout(r, 2));
  }
}

function runCli(args: string[], env: Record<string, string>): Promise<void> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'ignore', 'inherit'] });
    child.once('exit', (code) => (code === 0 ? done() : fail(new Error(`tessera ${args.join(' ')} exited with ${code}`))));
  });
}

const KINDS: Kind[] = ['session', 'access token', 'refresh token'];

/** One scenario: N resets, each with fresh credentials held on every measured server. */
async function scenario(
  name: string,
  measured: Array<{ label: string; server: BenchServer }>,
  reset: (password: string) => Promise<void>,
  firstPassword = 'test123',
): Promise<string> {
  const samples = new Map<string, number[]>();
  let password = firstPassword;
  for (let run = 0; run < RUNS; run += 1) {
    const held = await Promise.all(measured.map(({ server }) => hold(server, password)));
    password = `bench password ${run}`;
    await reset(password);
    const changedAt = performance.now();
    await Promise.all(
      measured.flatMap(({ label, server }, i) =>
        KINDS.map(async (kind) => {
          const at = await firstRefusal(server, kind, held[i]!);
          const key = `${label} · ${kind}`;
          samples.set(key, [...(samples.get(key) ?? []), Math.max(0, at - changedAt)]);
        }),
      ),
    );
  }
  console.log(`\n${name} (${RUNS} runs): ms from the change until the first 401`);
  for (const [key, list] of samples) {
    const s = summarize(list);
    console.log(`  ${key.padEnd(34)} median ${s.p50.toFixed(1).padStart(6)}   max ${s.max.toFixed(1).padStart(6)}`);
  }
  return password;
}

async function main(): Promise<void> {
  const single = await startBenchServer({ NODE_ENV: 'development' });
  const sqliteEnv = { NODE_ENV: 'development', DATABASE_URL: dbUrlOf(single), JWT_SECRET: BENCH_SECRET, LOG_LEVEL: 'silent' };
  try {
    await scenario('SQLite, one server, no Redis: after `tessera users reset-password` exits', [{ label: 'server', server: single }], (p) =>
      runCli(['users', 'reset-password', 'test', '--password', p], sqliteEnv),
    );
  } finally {
    await single.stop();
  }

  const fleet = testFleet();
  const env = { ...fleet.env(), NODE_ENV: 'development' };
  const a = await startBenchServer(env);
  const b = await startBenchServer(env);
  const cliEnv = { ...env, JWT_SECRET: BENCH_SECRET, LOG_LEVEL: 'silent' };
  try {
    const password = await scenario('PostgreSQL + Redis, two servers: after `tessera users reset-password` exits', [
      { label: 'instance A', server: a },
      { label: 'instance B', server: b },
    ], (p) => runCli(['users', 'reset-password', 'test', '--password', p], cliEnv));

    const admin = (await (await post(`${a.url}/auth/login`, { username: 'admin', password: 'admin123' })).json()) as { access_token: string };
    const users = (await (await fetch(`${a.url}/admin/users?limit=10`, { headers: { authorization: `Bearer ${admin.access_token}` } })).json()) as Array<{
      id: string;
      username: string;
    }>;
    const testId = users.find((u) => u.username === 'test')!.id;
    await scenario('PostgreSQL + Redis, two servers: after the admin API of A answered the reset, measured on B', [{ label: 'instance B', server: b }], async (p) => {
      const response = await post(`${a.url}/admin/users/${testId}/password`, { password: p }, { authorization: `Bearer ${admin.access_token}` });
      if (!response.ok) throw new Error(`reset answered ${response.status}`);
    }, password);
  } finally {
    await Promise.all([a.stop(), b.stop()]);
    await fleet.cleanup();
  }
}

/** The SQLite database a bench server was started on (its own temporary directory). */
function dbUrlOf(server: BenchServer): string {
  const environ = readEnviron(server.pid);
  const url = environ.DATABASE_URL;
  if (!url) throw new Error('no DATABASE_URL');
  return url;
}

function readEnviron(pid: number): Record<string, string> {
  const raw = readFileSync(`/proc/${pid}/environ`, 'utf8');
  return Object.fromEntries(raw.split('\0').filter(Boolean).map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));
}

await main();
