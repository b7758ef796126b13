/**
 * `npm run bench -- peers`: Tessera raced against what its users would pick instead — Express 5 +
 * jsonwebtoken, Fastify 5 + @fastify/jwt (fast-jwt), Better Auth 1.x (its sessions, and its JWT plugin
 * verified with jose), and bare Fastify (no authentication: the ceiling) — on the same data (1,000 users, pages of 50), the same argon2id cost, the same page cache, in
 * interleaved rounds of one run. The peers are installed from npm into a scratch folder at run time
 * (never Tessera dependencies). Server and load-generator CPU are measured for every measurement.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createHash, generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { hash } from '@node-rs/argon2';
import Database from 'better-sqlite3';
import { HttpClient, type Reply } from '../lib/http.js';
import { cpuMeter, generatorDelayMeter, processRssBytes, type GeneratorDelay } from '../lib/process-usage.js';
import { BENCH_PASSWORD, benchUsername } from '../lib/seed-users.js';
import { freePort, startBenchServer, stopProcess, waitReady } from '../lib/server.js';
import { summarize } from '../lib/stats.js';
import { OWASP_ARGON2ID } from '../../packages/server/src/passwords/password-hasher.js';

const ROOT = resolve(import.meta.dirname, '../..');
/** What is installed into the scratch folder: the peers' own packages, pinned to their majors. */
const PEER_PACKAGES = ['express@5', 'jsonwebtoken@9', 'fastify@5', '@fastify/jwt@10', 'better-auth@1', 'jose@6'];
/** The peers' server scripts, copied from bench/peers into each run's own folder beside the packages. */
const PEER_SCRIPTS = ['peer-server.mjs', 'better-auth-peer.mjs'];
export const TARGETS = ['tessera', 'fastify-jwt', 'express-jsonwebtoken', 'better-auth', 'better-auth-jwt', 'fastify', 'tessera-before'] as const;
export type Target = (typeof TARGETS)[number];
export const WORKLOADS = ['warm', 'cold', 'ceiling', 'login', 'refresh', 'flood'] as const;
export type Workload = (typeof WORKLOADS)[number];
/** Bare Fastify authenticates nothing: it only serves the ceiling. */
const SERVES: Record<Target, readonly Workload[]> = {
  tessera: WORKLOADS,
  'fastify-jwt': WORKLOADS,
  'express-jsonwebtoken': WORKLOADS,
  'better-auth': WORKLOADS,
  'better-auth-jwt': WORKLOADS,
  fastify: ['ceiling'],
  'tessera-before': WORKLOADS,
};
const PAGE = '/api/users?limit=50&offset=0';
const USERS = 1_000;

export interface PeersOptions {
  rounds: number;
  /** Seconds of each throughput measurement. */
  seconds: number;
  /** Fresh tokens per cold measurement (a measurement ends early when they run out). */
  coldTokens: number;
  /** Paced API requests per second under the login flood. */
  floodApiRate: number;
  targets: readonly Target[];
  workloads: readonly Workload[];
  /** Another Tessera checkout (say, main) raced as `tessera-before`: what a change gains, in one run. */
  before?: string | undefined;
}

export interface Measurement {
  rps: number;
  ok: number;
  errors: number;
  p50: number;
  p99: number;
  /** Server CPU (all its threads) per successful request, µs. */
  serverCpuUs: number;
  /** The server's main thread (its event loop) alone, µs per successful request: the part that cannot use a second core. */
  eventLoopCpuUs: number;
  /** Load-generator CPU per successful request, µs. */
  generatorCpuUs: number;
  rssBytes: number;
}

export interface FloodMeasurement {
  quiet: Measurement;
  flooded: Measurement;
  logins: Measurement;
  /** API p99 under the flood ÷ API p99 without it. */
  growth: number;
  /** The load generator's own event loop without and with the flood: replies that arrive while it is late are timed late. */
  generatorDelay: { quiet: GeneratorDelay; flooded: GeneratorDelay };
}

export interface PeersResult {
  options: PeersOptions;
  /** workload → target → one measurement per round. */
  rounds: Partial<Record<Workload, Partial<Record<Target, Measurement[]>>>>;
  flood: Partial<Record<Target, FloodMeasurement[]>>;
  peerVersions: Record<string, string>;
}

/**
 * Installs the peers into a scratch folder of the system temporary directory, named for the package list
 * and reused while the list is the same (once per machine). Each install is made in a folder of its own and
 * renamed into place, so runs at the same time never share a half-made install (the first rename wins, the
 * others drop theirs). Each run then gets its own folder inside it for the server scripts (`run`), removed
 * when the run ends; the scripts there find the packages in the folder above.
 */
function installPeers(): { dir: string; run: string } {
  const dir = join(tmpdir(), `tessera-bench-peers-${createHash('sha256').update(JSON.stringify(PEER_PACKAGES)).digest('hex').slice(0, 12)}`);
  if (!existsSync(dir)) {
    const staging = mkdtempSync(`${dir}.installing-`);
    try {
      writeFileSync(join(staging, 'package.json'), JSON.stringify({ private: true, type: 'module' }));
      console.error(`installing ${PEER_PACKAGES.join(', ')} into ${dir} …`);
      execFileSync('npm', ['install', '--no-audit', '--no-fund', '--ignore-scripts', '--no-package-lock', '--loglevel=error', ...PEER_PACKAGES], {
        cwd: staging,
        stdio: ['ignore', 'ignore', 'inherit'],
      });
      renameSync(staging, dir);
    } catch (error) {
      rmSync(staging, { recursive: true, force: true });
      // Another run renamed its install into place first: use that one.
      if (!existsSync(dir)) throw error;
    }
  }
  const run = mkdtempSync(join(dir, 'run-'));
  for (const script of PEER_SCRIPTS) copyFileSync(join(ROOT, 'bench/peers', script), join(run, script));
  return { dir, run };
}

function peerVersions(dir: string): Record<string, string> {
  const version = (name: string, from = dir) => (JSON.parse(readFileSync(join(from, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;
  return {
    express: version('express'),
    jsonwebtoken: version('jsonwebtoken'),
    fastify: version('fastify'),
    '@fastify/jwt': version('@fastify/jwt'),
    'fast-jwt': version('fast-jwt'),
    'better-auth': version('better-auth'),
    'jose (Better Auth)': version('jose'),
    'tessera fastify': version('fastify', ROOT),
    jose: version('jose', ROOT),
    node: process.version,
  };
}

/** The peers' database: the same 1,000 users as Tessera's, sharing one real argon2id hash. */
async function seedPeerDatabase(path: string): Promise<void> {
  const db = new Database(path);
  db.exec(`CREATE TABLE users (id TEXT PRIMARY KEY, username TEXT UNIQUE NOT NULL, role TEXT NOT NULL, password_hash TEXT NOT NULL, created_at INTEGER NOT NULL);
    CREATE TABLE refresh_tokens (hash TEXT PRIMARY KEY, user_id TEXT NOT NULL, family TEXT NOT NULL, used INTEGER NOT NULL DEFAULT 0, expires_at INTEGER NOT NULL);
    CREATE INDEX users_created ON users (created_at, id);`);
  const passwordHash = await hash(BENCH_PASSWORD, { algorithm: 2 as never, ...OWASP_ARGON2ID });
  const insert = db.prepare('INSERT INTO users VALUES (?, ?, ?, ?, ?)');
  const now = Date.now();
  db.transaction(() => {
    for (let i = 0; i < USERS; i += 1) insert.run(randomUUID(), benchUsername(i), 'user', passwordHash, now + i);
  })();
  db.close();
}

interface Running {
  target: Target;
  url: string;
  pid: number;
  http: HttpClient;
  stop(): Promise<void>;
}

async function startPeer(target: Exclude<Target, 'tessera'>, run: string, keys: { privateKey: string; publicKey: string }): Promise<Running> {
  const data = mkdtempSync(join(tmpdir(), `tessera-bench-${target}-`));
  const database = join(data, 'peer.db');
  await seedPeerDatabase(database);
  const port = await freePort();
  // BENCH_SERVER_NODE_OPTIONS (a profiler, say) applies to the peers as to Tessera, so their profiles compare.
  const nodeOptions = process.env.BENCH_SERVER_NODE_OPTIONS?.split(' ').filter(Boolean) ?? [];
  const child: ChildProcess = spawn(process.execPath, [...nodeOptions, join(run, 'peer-server.mjs')], {
    cwd: run,
    env: {
      PATH: process.env.PATH ?? '',
      NODE_ENV: 'production',
      PEER: target,
      PORT: String(port),
      DATABASE: database,
      PRIVATE_KEY: keys.privateKey,
      PUBLIC_KEY: keys.publicKey,
      TESSERA_ROOT: ROOT,
      ARGON2_OPTIONS: JSON.stringify({ algorithm: 2, ...OWASP_ARGON2ID }),
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    await stopProcess(child);
    rmSync(data, { recursive: true, force: true });
  };
  try {
    await waitReady(url, child);
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    target,
    url,
    pid: child.pid!,
    http: new HttpClient(url, 64),
    stop,
  };
}

async function startTessera(root = ROOT, target: Target = 'tessera'): Promise<Running> {
  // In production mode, as the peers run: request logs on (LOG_LEVEL=info, written to /dev/null), metrics
  // on, a random secret and an https:// public URL (production refuses a guessable secret and plain http).
  // A checkout from before the script became plain JavaScript still has its TypeScript version.
  const script = ['bench/peers/tessera-server.mjs', 'bench/lib/peer-tessera-server.ts'].map((path) => resolve(root, path)).find((path) => existsSync(path))!;
  const production = { NODE_ENV: 'production', JWT_SECRET: randomBytes(32).toString('base64url'), PUBLIC_URL: 'https://auth.bench.example' };
  const server = await startBenchServer({ ...production, LOG_LEVEL: 'info' }, { users: USERS, script });
  return { target, url: server.url, pid: server.pid, http: new HttpClient(server.url, 64), stop: () => server.stop() };
}

/** Runs `work` and says how late the load generator's own event loop was meanwhile (the meter stops either way). */
async function withGeneratorDelay<T>(work: () => Promise<T>): Promise<[T, GeneratorDelay]> {
  const delay = generatorDelayMeter();
  try {
    return [await work(), delay()];
  } finally {
    delay();
  }
}

type Send = (worker: number, http: HttpClient) => Promise<Reply> | undefined;

/**
 * `connections` workers, each sending its next request as soon as the last is answered, for `seconds`
 * or until `next` returns undefined. `pacePerSecond` (all workers together) spaces the requests out
 * instead, for latency under a fixed load.
 */
async function drive(server: Running, options: { connections: number; seconds: number; pacePerSecond?: number }, next: Send): Promise<Measurement> {
  const latencies: number[] = [];
  let errors = 0;
  let rss = processRssBytes(server.pid);
  const rssTimer = setInterval(() => (rss = Math.max(rss, processRssBytes(server.pid))), 250);
  const cpuUse = cpuMeter(server.pid);
  const started = performance.now();
  const end = started + options.seconds * 1000;
  const interval = options.pacePerSecond ? (options.connections / options.pacePerSecond) * 1000 : 0;
  await Promise.all(
    Array.from({ length: options.connections }, async (_, worker) => {
      let due = started + (interval * worker) / options.connections;
      while (performance.now() < end) {
        if (interval) {
          const wait = due - performance.now();
          if (wait > 0) await new Promise((r) => setTimeout(r, wait));
          due += interval;
        }
        const sent = performance.now();
        const request = next(worker, server.http);
        if (!request) return;
        try {
          const reply = await request;
          // Latency from when the request was due, so a paced request that had to wait counts its wait.
          if (reply.status === 200) latencies.push(performance.now() - (interval ? Math.min(sent, due - interval) : sent));
          else errors += 1;
        } catch {
          errors += 1;
        }
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  clearInterval(rssTimer);
  const ok = latencies.length;
  // Read before the latencies are sorted: that is the report's work, not the load's.
  const cpu = cpuUse(ok);
  const { p50, p99 } = summarize(latencies);
  return {
    rps: ok / seconds,
    ok,
    errors,
    p50,
    p99,
    serverCpuUs: cpu.serverUsPerRequest,
    eventLoopCpuUs: cpu.eventLoopUsPerRequest,
    generatorCpuUs: cpu.generatorUsPerRequest,
    rssBytes: Math.max(rss, processRssBytes(server.pid)),
  };
}

const credentials = (i: number) => ({ body: { username: benchUsername(i % USERS), password: BENCH_PASSWORD } });
const bearer = (token: string) => ({ headers: { authorization: `Bearer ${token}` } });

/**
 * A login that starts a refresh chain, retried as a client would when told to (503 with Retry-After: a
 * server shedding logins on a busy machine), so no chain starts without a token.
 */
async function logIn(server: Running, i: number): Promise<{ refresh_token: string }> {
  for (let attempt = 1; ; attempt += 1) {
    const reply = await server.http.send('POST', '/auth/login', credentials(i));
    if (reply.status === 200) return reply.body as { refresh_token: string };
    if (reply.status !== 503 || attempt === 10) throw new Error(`${server.target}: login for a refresh chain answered ${reply.status}`);
    await new Promise((r) => setTimeout(r, 1000 * Number(reply.headers['retry-after'] ?? 1)));
  }
}

async function mintTokens(server: Running, count: number): Promise<string[]> {
  const tokens: string[] = [];
  while (tokens.length < count) {
    const reply = await server.http.send('POST', '/bench/tokens', { body: { count: Math.min(5_000, count - tokens.length) } });
    if (reply.status !== 200) throw new Error(`${server.target} minted no tokens: ${reply.status}`);
    tokens.push(...(reply.body as string[]));
  }
  return tokens;
}

export async function runPeers(options: PeersOptions): Promise<PeersResult> {
  const { dir, run } = installPeers();
  const keys = generateKeyPairSync('rsa', { modulusLength: 2048, publicKeyEncoding: { type: 'spki', format: 'pem' }, privateKeyEncoding: { type: 'pkcs8', format: 'pem' } });
  const servers: Running[] = [];
  const result: PeersResult = { options, rounds: {}, flood: {}, peerVersions: peerVersions(dir) };
  try {
    const targets = options.before ? [...options.targets.filter((t) => t !== 'tessera-before'), 'tessera-before' as const] : options.targets.filter((t) => t !== 'tessera-before');
    for (const target of targets) {
      if (target === 'tessera') servers.push(await startTessera());
      else if (target === 'tessera-before') servers.push(await startTessera(resolve(options.before!), target));
      else servers.push(await startPeer(target, run, keys));
    }
    const serving = (w: Workload) => servers.filter((s) => SERVES[s.target].includes(w));
    const warmTokens = new Map<Target, string[]>();
    const coldTokens = new Map<Target, string[]>();
    for (const server of serving('warm')) warmTokens.set(server.target, await mintTokens(server, 50));
    if (options.workloads.includes('cold')) {
      for (const server of serving('cold')) coldTokens.set(server.target, await mintTokens(server, options.coldTokens * options.rounds));
    }
    const record = (w: Workload, target: Target, m: Measurement) => (((result.rounds[w] ??= {})[target] ??= []) as Measurement[]).push(m);
    const warm = (server: Running, seconds: number, connections = 50) => {
      const tokens = warmTokens.get(server.target)!;
      return drive(server, { connections, seconds }, (worker, http) => http.send('GET', PAGE, bearer(tokens[worker % tokens.length]!)));
    };
    // Warm-up, not counted: JIT, connections, page cache, and each warm token verified once.
    for (const server of servers) {
      if (SERVES[server.target].includes('warm')) await warm(server, Math.min(1, options.seconds));
      await drive(server, { connections: 50, seconds: Math.min(1, options.seconds) }, (_, http) => http.send('GET', '/public/users?limit=50&offset=0'));
    }

    for (let round = 0; round < options.rounds; round += 1) {
      // Each round starts with a different target, so none is always first after a pause.
      const order = <T>(xs: T[]) => xs.map((_, i) => xs[(i + round) % xs.length]!);
      for (const workload of options.workloads) {
        for (const server of order(serving(workload))) {
          const t = server.target;
          if (workload === 'warm') record(workload, t, await warm(server, options.seconds));
          if (workload === 'cold') {
            const tokens = coldTokens.get(t)!.slice(round * options.coldTokens, (round + 1) * options.coldTokens);
            let i = 0;
            record(workload, t, await drive(server, { connections: 50, seconds: options.seconds }, (_, http) => (i < tokens.length ? http.send('GET', PAGE, bearer(tokens[i++]!)) : undefined)));
          }
          if (workload === 'ceiling') {
            record(workload, t, await drive(server, { connections: 50, seconds: options.seconds }, (_, http) => http.send('GET', '/public/users?limit=50&offset=0')));
          }
          if (workload === 'login') {
            let n = round * 7_919;
            record(workload, t, await drive(server, { connections: 8, seconds: options.seconds }, (_, http) => http.send('POST', '/auth/login', credentials(n++))));
          }
          if (workload === 'refresh') {
            const chains = await Promise.all(Array.from({ length: 16 }, async (_, i) => (await logIn(server, i)).refresh_token));
            record(
              workload,
              t,
              await drive(server, { connections: 16, seconds: options.seconds }, async (worker, http) => {
                const reply = await http.send('POST', '/auth/refresh', { body: { refresh_token: chains[worker] } });
                if (reply.status === 200) chains[worker] = (reply.body as { refresh_token: string }).refresh_token;
                return reply;
              }),
            );
          }
          if (workload === 'flood') {
            const api = () => warmTokens.get(t)!;
            const paced = () =>
              drive(server, { connections: 16, seconds: options.seconds, pacePerSecond: options.floodApiRate }, (worker, http) => http.send('GET', PAGE, bearer(api()[worker]!)));
            const [quiet, quietLate] = await withGeneratorDelay(paced);
            const loginHttp = new HttpClient(server.url, 8);
            let n = round * 104_729;
            const loginServer = { ...server, http: loginHttp };
            let flooded: Measurement;
            let logins: Measurement;
            let floodedLate: GeneratorDelay;
            try {
              [[flooded, logins], floodedLate] = await withGeneratorDelay(() =>
                Promise.all([
                  paced(),
                  drive(loginServer, { connections: 8, seconds: options.seconds }, (_, http) => http.send('POST', '/auth/login', credentials(n++))),
                ]),
              );
            } finally {
              await loginHttp.close();
            }
            ((result.flood[t] ??= []) as FloodMeasurement[]).push({
              quiet,
              flooded,
              logins,
              growth: flooded.p99 / quiet.p99,
              generatorDelay: { quiet: quietLate, flooded: floodedLate },
            });
          }
          console.error(`round ${round + 1}/${options.rounds} ${workload} ${t} done`);
        }
      }
    }
    return result;
  } finally {
    for (const server of servers) {
      await server.http.close();
      await server.stop();
    }
    rmSync(run, { recursive: true, force: true });
  }
}
