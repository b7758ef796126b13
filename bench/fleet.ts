/**
 * The fleet's figures, in one run, on this machine's PostgreSQL and Redis:
 *  - revocation propagation: a logout on instance A, then instances B and C polled directly until they
 *    answer 401; the time from the logout response to each one's first 401 (Redis pub/sub), and the same
 *    for an instance D without Redis (database polling only);
 *  - key-rotation propagation: a rotation by another fleet member, then each instance's JWKS polled
 *    until it lists the new key (an instance signs with a key from the moment its JWKS lists it; without
 *    Redis the bound is the 5 s reload timer, not measured here);
 *  - throughput of login, refresh and GET /api/users: three instances behind nginx on PostgreSQL + Redis
 *    next to one instance on SQLite, a fixed time each, rate limit off (AUTH_RATE_LIMIT=0).
 *
 *   npx tsx bench/fleet.ts [--logouts 1000] [--polling-logouts 50] [--rotations 10] [--seconds 8] [--concurrency 16]
 *
 * Every instance, nginx and this client share the machine: on a small machine the three instances
 * compete for the same cores, so the throughput columns compare costs, not capacity.
 */
import { cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { loadConfig } from '../packages/server/src/config.js';
import { createLogger } from '../packages/server/src/logger.js';
import { BACKGROUND, createTessera } from '../packages/server/src/tessera.js';
import { testFleet } from '../packages/server/test/support/fleet.js';
import { startNginx } from '../packages/server/test/support/nginx.js';
import { measureThroughput, Target, type Throughput } from './lib/load.js';
import { BENCH_SECRET, startBenchServer, type BenchServer } from './lib/server.js';
import { ms, summarize, type Summary } from './lib/stats.js';

interface Pair {
  access_token: string;
  refresh_token: string;
}

const CREDENTIALS = { username: 'test', password: 'test123' };
const ENDPOINTS = ['POST /auth/login', 'POST /auth/refresh', 'GET /api/users'] as const;

const { values: args } = parseArgs({
  options: {
    logouts: { type: 'string', default: '1000' },
    'polling-logouts': { type: 'string', default: '50' },
    rotations: { type: 'string', default: '10' },
    seconds: { type: 'string', default: '8' },
    concurrency: { type: 'string', default: '16' },
  },
});
const LOGOUTS = Number(args.logouts);
const POLLING_LOGOUTS = Math.min(Number(args['polling-logouts']), LOGOUTS);
const ROTATIONS = Number(args.rotations);
const SECONDS = Number(args.seconds);
const CONCURRENCY = Number(args.concurrency);

const me = (token: string) => ({ method: 'GET' as const, path: '/api/me', token });

/** Polls `target` until it refuses `token`; the time from `since` to that first 401, in ms. */
async function firstRefusal(target: Target, token: string, since: number, timeoutMs: number, pauseMs = 0): Promise<number> {
  const deadline = performance.now() + timeoutMs;
  for (let i = 0; i < 1_000_000 && performance.now() < deadline; i += 1) {
    const { status } = await target.call(me(token));
    if (status === 401) return performance.now() - since;
    if (status !== 200) throw new Error(`GET /api/me answered ${status}`);
    if (pauseMs) await new Promise((resolve) => setTimeout(resolve, pauseMs));
  }
  throw new Error(`${target.url} still accepts a revoked token after ${timeoutMs} ms`);
}

/** Logs in `count` times, spread over `targets`, a few at a time (each login is an argon2 hash). */
async function sessions(targets: Target[], count: number): Promise<Pair[]> {
  const made: Pair[] = [];
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const i = next++;
      const { status, json } = await targets[i % targets.length]!.call({ method: 'POST', path: '/auth/login', body: CREDENTIALS });
      if (status !== 200) throw new Error(`login answered ${status}`);
      made[i] = json as Pair;
    }
  };
  await Promise.all([1, 2, 3, 4].map(worker));
  return made;
}

async function revocationPropagation(a: Target, others: Target[], pollingOnly: Target) {
  const made = await sessions([a, ...others], LOGOUTS);
  const viaRedis: number[] = [];
  const viaPolling: number[] = [];
  for (const [i, session] of made.entries()) {
    const watchers = i < POLLING_LOGOUTS ? [...others, pollingOnly] : others;
    for (const watcher of watchers) {
      const { status } = await watcher.call(me(session.access_token));
      if (status !== 200) throw new Error(`a live token was refused (${status})`);
    }
    // Each wait for D ends just after its poll; a random pause keeps the next logout from always
    // landing at the same point of D's poll cycle.
    if (i < POLLING_LOGOUTS) await new Promise((resolve) => setTimeout(resolve, Math.random() * BACKGROUND.revocationPollMs));
    const logout = await a.call({ method: 'POST', path: '/auth/logout', token: session.access_token, body: { refresh_token: session.refresh_token } });
    if (logout.status !== 200) throw new Error(`logout answered ${logout.status}`);
    const answered = performance.now();
    const [redisTimes, pollingTime] = await Promise.all([
      Promise.all(others.map((watcher) => firstRefusal(watcher, session.access_token, answered, 5_000))),
      i < POLLING_LOGOUTS ? firstRefusal(pollingOnly, session.access_token, answered, 5_000, 2) : Promise.resolve(undefined),
    ]);
    viaRedis.push(...redisTimes);
    if (pollingTime !== undefined) viaPolling.push(pollingTime);
  }
  return { viaRedis: summarize(viaRedis), viaPolling: summarize(viaPolling) };
}

async function keyRotationPropagation(env: Record<string, string>, withRedis: Target[]) {
  const operator = await createTessera(loadConfig({ ...env, NODE_ENV: 'development', JWT_SECRET: BENCH_SECRET, LOG_LEVEL: 'silent' }), {
    logger: createLogger('silent'),
  });
  const viaRedis: number[] = [];
  const listed = async (target: Target, kid: string, since: number, pauseMs: number) => {
    const deadline = performance.now() + 10_000;
    while (performance.now() < deadline) {
      const { json } = await target.call({ method: 'GET', path: '/.well-known/jwks.json' });
      if ((json as { keys: Array<{ kid: string }> }).keys.some((key) => key.kid === kid)) return performance.now() - since;
      await new Promise((resolve) => setTimeout(resolve, pauseMs));
    }
    throw new Error(`${target.url} does not list key ${kid} after 10 s`);
  };
  try {
    for (let i = 0; i < ROTATIONS; i += 1) {
      const kid = await operator.keyRing.rotate();
      const rotated = performance.now();
      viaRedis.push(...(await Promise.all(withRedis.map((target) => listed(target, kid, rotated, 1)))));
    }
  } finally {
    await operator.close();
  }
  return summarize(viaRedis);
}

async function throughput(url: string): Promise<Record<(typeof ENDPOINTS)[number], Throughput>> {
  const target = new Target(url, CONCURRENCY);
  try {
    const made = await sessions([target], CONCURRENCY);
    const refreshTokens = made.map((s) => s.refresh_token);
    const options = { seconds: SECONDS, concurrency: CONCURRENCY };
    const warmUp = { seconds: 1, concurrency: CONCURRENCY };
    const login = () => ({ method: 'POST' as const, path: '/auth/login', body: CREDENTIALS });
    const refresh = (w: number) => ({ method: 'POST' as const, path: '/auth/refresh', body: { refresh_token: refreshTokens[w] } });
    const rotated = (w: number, json: unknown) => (refreshTokens[w] = (json as Pair).refresh_token);
    const users = () => ({ method: 'GET' as const, path: '/api/users', token: made[0]!.access_token });
    const results = {} as Record<(typeof ENDPOINTS)[number], Throughput>;
    await measureThroughput(target, warmUp, login);
    results['POST /auth/login'] = await measureThroughput(target, options, login);
    await measureThroughput(target, warmUp, refresh, rotated);
    results['POST /auth/refresh'] = await measureThroughput(target, options, refresh, rotated);
    await measureThroughput(target, warmUp, users);
    results['GET /api/users'] = await measureThroughput(target, options, users);
    return results;
  } finally {
    await target.close();
  }
}

const line = (s: Summary) => `| ${s.count} | ${ms(s.p50)} | ${ms(s.p99)} | ${ms(s.max)} |`;
const rate = (t: Throughput) =>
  `${t.rps.toFixed(0)} req/s (p50 ${ms(t.latency.p50)}, p99 ${ms(t.latency.p99)}${t.failed ? `, ${t.failed} failed` : ''})`;

async function main(): Promise<void> {
  const began = performance.now();
  const loadBefore = loadavg();
  const fleet = testFleet();
  const fleetEnv: Record<string, string> = { ...fleet.env(), LOG_LEVEL: 'warn' };
  const servers: BenchServer[] = [];
  const targets: Target[] = [];
  let stopNginx: () => Promise<void> = async () => undefined;
  try {
    for (let i = 0; i < 3; i += 1) servers.push(await startBenchServer(fleetEnv));
    const pollingOnlyServer = await startBenchServer({ DATABASE_URL: fleetEnv.DATABASE_URL!, LOG_LEVEL: 'warn' });
    const sqliteServer = await startBenchServer();
    servers.push(pollingOnlyServer, sqliteServer);
    const nginx = await startNginx(servers.slice(0, 3).map((s) => Number(new URL(s.url).port)));
    stopNginx = nginx.stop;

    const [a, b, c] = servers.slice(0, 3).map((s) => new Target(s.url, 1)) as [Target, Target, Target];
    const d = new Target(pollingOnlyServer.url, 1);
    targets.push(a, b, c, d);

    const fleetThroughput = await throughput(nginx.url);
    const sqliteThroughput = await throughput(sqliteServer.url);
    const revocations = await revocationPropagation(a, [b, c], d);
    const rotations = await keyRotationPropagation(fleetEnv, [a, b, c]);
    const loadAfter = loadavg();

    const cpu = cpus();
    console.log(`## Fleet benchmark (${new Date().toISOString()})\n`);
    console.log(
      `${cpu.length} × ${cpu[0]?.model ?? 'CPU'}, Node ${process.version}; load average ${loadBefore.map((x) => x.toFixed(2)).join(' ')} before, ` +
        `${loadAfter.map((x) => x.toFixed(2)).join(' ')} after; whole run ${((performance.now() - began) / 1000).toFixed(0)} s.\n`,
    );
    console.log(`### Revocation propagation: logout on A → first 401 on the other instances, from the logout response\n`);
    console.log('| path | samples | median | p99 | max |\n|---|---|---|---|---|');
    console.log(`| Redis pub/sub (B and C, ${LOGOUTS} logouts) ${line(revocations.viaRedis)}`);
    console.log(`| database polling only (D, no Redis, ${POLLING_LOGOUTS} logouts) ${line(revocations.viaPolling)}`);
    console.log(`\n### Key-rotation propagation: rotation by another fleet member → the instance's JWKS lists the new key\n`);
    console.log('| path | samples | median | p99 | max |\n|---|---|---|---|---|');
    console.log(`| Redis pub/sub (A, B and C, ${ROTATIONS} rotations) ${line(rotations)}`);
    console.log(`| key reload timer only (no Redis) | — | bound: ${BACKGROUND.keyReloadMs} ms + one reload | | |`);
    console.log(`\n### Throughput: ${SECONDS} s per endpoint, ${CONCURRENCY} requests in flight, AUTH_RATE_LIMIT=0\n`);
    console.log('| endpoint | 3 instances behind nginx, PostgreSQL + Redis | 1 instance, SQLite |\n|---|---|---|');
    for (const endpoint of ENDPOINTS) {
      console.log(`| ${endpoint} | ${rate(fleetThroughput[endpoint])} | ${rate(sqliteThroughput[endpoint])} |`);
    }
  } finally {
    await Promise.all(targets.map((t) => t.close()));
    await stopNginx();
    await Promise.all(servers.map((s) => s.stop()));
    await fleet.cleanup();
  }
}

await main();
