/**
 * `npm run bench` — Tessera's load test and benchmark table, measured on this machine.
 *
 *   npm run bench                         # all scenarios at full size (about 9 minutes)
 *   npm run bench -- users --users 50000  # one scenario, other sizes
 *   npm run bench -- --quick              # everything, small (about 2 minutes)
 *   npm run bench -- --ci                 # everything, tiny: proves the harness works (seconds)
 *
 * Scenarios: users (the seed's load test, JWT), table (the same with sessions and with JWT, printed as
 * the seed's table), overhead (one handler with and without authentication), parts (per-core crypto,
 * login/s, refresh/s). Results go to bench/results/<time>/: summary.md, results.json, latency.svg.
 * versus (with --before <checkout>): this checkout against another one — an earlier release, a branch —
 * on GET /api/users and refresh, in alternating rounds; it runs whenever --before is given.
 *
 *   npm run bench -- versus --before ../tessera-0.1.0 --rounds 5 --seconds 3
 *
 * sdk and pages are scripts of their own (bench/sdk.ts, bench/pages.ts: the client SDK and the pages in
 * Chromium), run in a child process at the same size; they print their tables.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { latencyChartSvg } from './lib/chart.js';
import { renderSummary, type BenchResults } from './lib/report.js';
import { runCapacity } from './scenarios/capacity.js';
import { runOverhead } from './scenarios/overhead.js';
import { runParts } from './scenarios/parts.js';
import { peersChartSvg, renderPeers } from './lib/peers-report.js';
import { runPeers, TARGETS, WORKLOADS, type Target, type Workload } from './scenarios/peers.js';
import { runUsers, type UsersOptions } from './scenarios/users.js';
import { renderVersus, runVersus } from './scenarios/versus.js';

const SCENARIOS = ['users', 'table', 'overhead', 'parts', 'peers', 'versus', 'sdk', 'pages'] as const;
type Scenario = (typeof SCENARIOS)[number];

/** Every option, once: its type for parseArgs and its line in the usage text. */
const OPTIONS = {
  quick: { type: 'boolean', default: false, usage: '', doc: 'every scenario, small (about 2 minutes)' },
  ci: { type: 'boolean', default: false, usage: '', doc: 'every scenario, tiny: proves the harness works (seconds)' },
  out: { type: 'string', usage: '<folder>', doc: 'where results go (default bench/results/<time>)' },
  users: { type: 'string', usage: '<n>', doc: 'users: how many virtual users (default 10000)' },
  'spawn-rate': { type: 'string', usage: '<n>', doc: 'users: users started a second' },
  steady: { type: 'string', usage: '<seconds>', doc: "users: the steady state's length" },
  think: { type: 'string', usage: '<seconds>', doc: "users: each user's pause between requests" },
  'token-expiry': { type: 'string', usage: '<seconds>', doc: "users: the access tokens' lifetime" },
  only: { type: 'string', usage: '<list>', doc: 'peers: targets and workloads, comma-separated' },
  rounds: { type: 'string', usage: '<n>', doc: 'peers, versus: interleaved rounds' },
  seconds: { type: 'string', usage: '<n>', doc: "peers, versus: each round's length" },
  before: { type: 'string', usage: '<folder>', doc: 'versus (and peers): another checkout to race against' },
  help: { type: 'boolean', short: 'h', default: false, usage: '', doc: 'this text' },
} as const;

const optionLine = ([name, option]: [string, { usage: string; doc: string; short?: string }]) =>
  `  ${`${option.short ? `-${option.short}, ` : ''}--${name}${option.usage ? ` ${option.usage}` : ''}`.padEnd(25)}${option.doc}`;

const USAGE = `Usage: npm run bench -- [scenario ...] [options]

Scenarios (default: all but versus): ${SCENARIOS.join(', ')}

Options:
${Object.entries(OPTIONS).map(optionLine).join('\n')}`;

function parseArguments() {
  try {
    return parseArgs({ allowPositionals: true, options: OPTIONS });
  } catch (error) {
    // An unknown or malformed option: say which, and how to ask for the rest, without a stack trace.
    console.error(`${(error as Error).message}\n\n${USAGE}`);
    process.exit(2);
  }
}

const { values, positionals } = parseArguments();
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}

const unknown = positionals.filter((p) => !(SCENARIOS as readonly string[]).includes(p));
if (unknown.length) {
  console.error(`unknown scenario ${unknown.join(', ')}; choose from ${SCENARIOS.join(', ')}`);
  process.exit(2);
}
const selected = new Set<Scenario>(positionals.length ? (positionals as Scenario[]) : SCENARIOS.filter((s) => s !== 'versus' || values.before));
if (selected.has('versus') && !values.before) {
  console.error('versus races this checkout against another one: give its folder with --before');
  process.exit(2);
}
const size = values.ci ? 'ci' : values.quick ? 'quick' : 'full';
const number = (value: string | undefined, fallback: number) => (value === undefined ? fallback : Number(value));

const defaults = {
  full: { users: 10_000, spawnRate: 100, steady: 30, think: 5, tokenExpiry: 60, capacity: [8, 16, 32, 64, 128, 256, 512], step: 4, rounds: 5, round: 3, crypto: 1, load: 8, peerRounds: 3, peerSeconds: 3, coldTokens: 15_000, floodRate: 300 },
  quick: { users: 1_000, spawnRate: 100, steady: 10, think: 2, tokenExpiry: 15, capacity: [16, 64, 256], step: 2, rounds: 3, round: 2, crypto: 0.3, load: 3, peerRounds: 2, peerSeconds: 1.5, coldTokens: 5_000, floodRate: 200 },
  ci: { users: 40, spawnRate: 40, steady: 3, think: 0.5, tokenExpiry: 4, capacity: [2, 4], step: 0.5, rounds: 1, round: 0.5, crypto: 0.02, load: 0.5, peerRounds: 1, peerSeconds: 0.3, coldTokens: 100, floodRate: 50 },
}[size];

const usersOptions = (mode: 'jwt' | 'session'): UsersOptions => ({
  mode,
  users: number(values.users, defaults.users),
  spawnRate: number(values['spawn-rate'], defaults.spawnRate),
  steadySeconds: number(values.steady, defaults.steady),
  thinkSeconds: number(values.think, defaults.think),
  tokenExpirySeconds: number(values['token-expiry'], defaults.tokenExpiry),
  connections: 1024,
});

const results: BenchResults = {
  machine: { cpus: cpus().length, model: cpus()[0]?.model ?? 'unknown', memoryGiB: Math.round(totalmem() / 2 ** 30), node: process.version },
  size,
  startedAt: new Date().toISOString(),
};

if (selected.has('users') || selected.has('table')) results.jwt = await runUsers(usersOptions('jwt'));
if (selected.has('table')) {
  results.session = await runUsers(usersOptions('session'));
  const capacity = (mode: 'jwt' | 'session') =>
    runCapacity({ mode, thresholdMs: 100, thinkSeconds: number(values.think, defaults.think), concurrencies: defaults.capacity, stepSeconds: defaults.step });
  results.capacity = { jwt: await capacity('jwt'), session: await capacity('session') };
}
if (selected.has('overhead')) {
  results.overhead = await runOverhead({ concurrency: 64, roundSeconds: defaults.round, rounds: defaults.rounds });
}
if (selected.has('parts')) {
  results.parts = await runParts({ cryptoSeconds: defaults.crypto, loadSeconds: defaults.load, loginConcurrency: 8, refreshConcurrency: 32 });
}

if (selected.has('peers')) {
  // --only tessera,fastify-jwt,cold,refresh: the targets and workloads named (each list defaults to all).
  const only = values.only?.split(',').map((x) => x.trim()) ?? [];
  const pick = <T extends string>(all: readonly T[]) => (only.some((x) => (all as readonly string[]).includes(x)) ? all.filter((x) => only.includes(x)) : all);
  const targets = pick<Target>(TARGETS.filter((t) => t !== 'tessera-before'));
  const workloads = pick<Workload>(WORKLOADS);
  const bad = only.filter((x) => !(TARGETS as readonly string[]).includes(x) && !(WORKLOADS as readonly string[]).includes(x));
  if (bad.length) {
    console.error(`--only: unknown ${bad.join(', ')}; choose from ${[...TARGETS, ...WORKLOADS].join(', ')}`);
    process.exit(2);
  }
  results.peers = await runPeers({
    rounds: number(values.rounds, defaults.peerRounds),
    seconds: number(values.seconds, defaults.peerSeconds),
    coldTokens: defaults.coldTokens,
    floodApiRate: defaults.floodRate,
    targets,
    workloads,
    before: values.before,
  });
}

if (selected.has('versus')) {
  results.versus = await runVersus(values.before!, {
    rounds: number(values.rounds, defaults.rounds),
    seconds: number(values.seconds, defaults.round),
    concurrency: 16,
  });
}

/** The arguments of the scripts run as their own process, by size (full: their defaults). */
const SCRIPT_ARGS = {
  sdk: { full: [], quick: ['--expiries', '5', '--loads', '5', '--seconds', '5'], ci: ['--expiries', '1', '--loads', '1', '--seconds', '1'] },
  pages: { full: [], quick: ['--runs', '3', '--rounds', '2', '--seconds', '2'], ci: ['--ci'] },
} as const;
for (const script of ['sdk', 'pages'] as const) {
  if (!selected.has(script)) continue;
  const run = spawnSync(process.execPath, ['--import', 'tsx', join(import.meta.dirname, `${script}.ts`), ...SCRIPT_ARGS[script][size]], { stdio: 'inherit' });
  if (run.status !== 0) {
    console.error(`bench/${script}.ts exited with ${run.status ?? run.signal}`);
    process.exit(1);
  }
}

const out = resolve(values.out ?? join(import.meta.dirname, 'results', results.startedAt.replace(/[:.]/g, '-')));
mkdirSync(out, { recursive: true });
const summary = renderSummary(results);
writeFileSync(join(out, 'summary.md'), summary);
writeFileSync(join(out, 'results.json'), JSON.stringify(results, null, 2));
const series = [
  ['JWT', results.jwt],
  ['sessions', results.session],
] as const;
const points = series.flatMap(([name, run]) =>
  (run?.endpoints['GET /api/users']?.curve ?? []).map((p) => ({ series: `${name}: GET /api/users`, ...p })),
);
if (points.length) {
  writeFileSync(join(out, 'latency.svg'), await latencyChartSvg(`GET /api/users latency by percentile, ${number(values.users, defaults.users).toLocaleString('en-US')} users`, points));
}
if (results.peers) {
  const peers = renderPeers(results.peers);
  writeFileSync(join(out, 'peers.md'), peers + '\n');
  writeFileSync(join(out, 'peers.json'), JSON.stringify(results.peers, null, 2));
  writeFileSync(join(out, 'peers.svg'), await peersChartSvg(results.peers));
  console.log(peers);
}
if (results.versus) {
  const versus = renderVersus(results.versus);
  writeFileSync(join(out, 'versus.md'), versus + '\n');
  console.log(versus);
}
console.log(summary);
console.log(`results: ${out}`);
