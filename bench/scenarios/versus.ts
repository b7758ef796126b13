/**
 * Two Tessera servers — this checkout and another one (an earlier release, a branch) — raced on
 * `GET /api/users` and `POST /auth/refresh` in alternating rounds of one run, so a drifting machine
 * affects both alike: the ratio this ÷ other is what the change between them gained or cost. Besides
 * req/s it records each server's CPU time per request (user + system, every thread, from /proc), which
 * moves less than req/s on a busy machine.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { closedLoop, type LoopResult } from '../lib/closed-loop.js';
import { HttpClient } from '../lib/http.js';
import { startBenchServer } from '../lib/server.js';

export const VERSUS_ROUTES = ['GET /api/users', 'POST /auth/refresh'] as const;
export type VersusRoute = (typeof VERSUS_ROUTES)[number];

/** A running server to race: its URL, and its process id when its CPU time is to be read. */
export interface Contender {
  name: string;
  url: string;
  pid?: number | undefined;
}

export interface VersusOptions {
  rounds: number;
  seconds: number;
  concurrency: number;
}

export interface VersusRouteResult {
  rps: Record<'first' | 'second', number[]>;
  /** Server CPU per request, µs (0 when the contender's process id is unknown). */
  cpuMicros: Record<'first' | 'second', number[]>;
  /** The load generator's CPU per request, µs. */
  generatorMicros: Record<'first' | 'second', number[]>;
  /** second ÷ first, per round. */
  ratios: number[];
}

export interface VersusResult {
  first: string;
  second: string;
  options: VersusOptions;
  routes: Record<VersusRoute, VersusRouteResult>;
}

const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)] ?? NaN;

/** Logs in as the seeded test user (development mode): one access token, and one refresh chain per worker. */
async function driver(contender: Contender, concurrency: number) {
  const http = new HttpClient(contender.url, concurrency);
  const login = async () => {
    const reply = await http.send('POST', '/auth/login', { body: { username: 'test', password: 'test123' } });
    if (reply.status !== 200) throw new Error(`login on ${contender.url} answered ${reply.status}`);
    return reply.body as { access_token: string; refresh_token: string };
  };
  const headers = { authorization: `Bearer ${(await login()).access_token}` };
  const chains: string[] = [];
  for (let i = 0; i < concurrency; i += 1) chains.push((await login()).refresh_token);
  const round = (route: VersusRoute, seconds: number): Promise<LoopResult> =>
    route === 'GET /api/users'
      ? closedLoop(http, concurrency, seconds, (_, c) => c.send('GET', '/api/users', { headers }), contender.pid)
      : closedLoop(http, concurrency, seconds, async (worker, c) => {
          const reply = await c.send('POST', '/auth/refresh', { body: { refresh_token: chains[worker] } });
          if (reply.status === 200) chains[worker] = (reply.body as { refresh_token: string }).refresh_token;
          return reply;
        }, contender.pid);
  const measured = async (route: VersusRoute, seconds: number) => {
    const result = await round(route, seconds);
    return { ...result, cpuMicros: result.cpu?.serverUsPerRequest ?? 0, generatorMicros: result.cpu?.generatorUsPerRequest ?? 0 };
  };
  return { http, round, measured };
}

/** Races two running servers; both must be in development mode with the rate limits off. */
export async function compareServers(first: Contender, second: Contender, options: VersusOptions): Promise<VersusResult> {
  const a = await driver(first, options.concurrency);
  const b = await driver(second, options.concurrency);
  const routes = {} as Record<VersusRoute, VersusRouteResult>;
  try {
    for (const route of VERSUS_ROUTES) {
      await a.round(route, 1); // warm-up
      await b.round(route, 1);
      const result: VersusRouteResult = { rps: { first: [], second: [] }, cpuMicros: { first: [], second: [] }, generatorMicros: { first: [], second: [] }, ratios: [] };
      for (let i = 0; i < options.rounds; i += 1) {
        const x = await a.measured(route, options.seconds);
        const y = await b.measured(route, options.seconds);
        if (x.errors || y.errors) throw new Error(`${route} round ${i} had errors: ${x.errors} ${first.name}, ${y.errors} ${second.name}`);
        result.rps.first.push(x.rps);
        result.rps.second.push(y.rps);
        result.cpuMicros.first.push(x.cpuMicros);
        result.cpuMicros.second.push(y.cpuMicros);
        result.generatorMicros.first.push(x.generatorMicros);
        result.generatorMicros.second.push(y.generatorMicros);
        result.ratios.push(y.rps / x.rps);
      }
      routes[route] = result;
    }
  } finally {
    await a.http.close();
    await b.http.close();
  }
  return { first: first.name, second: second.name, options, routes };
}

/** Starts `tessera serve` of another checkout (its built entry point) and of this one, then races them. */
export async function runVersus(otherCheckout: string, options: VersusOptions): Promise<VersusResult> {
  const root = resolve(otherCheckout);
  // Releases before the workspaces kept the entry point at the top.
  const bin = ['packages/server/bin/tessera.js', 'bin/tessera.js'].map((path) => resolve(root, path)).find((path) => existsSync(path));
  if (!bin) throw new Error(`${root} has no built tessera entry point (run npm install there)`);
  const other = await startBenchServer({}, { bin });
  const self = await startBenchServer();
  try {
    return await compareServers({ name: root, url: other.url, pid: other.pid }, { name: 'this checkout', url: self.url, pid: self.pid }, options);
  } finally {
    await other.stop();
    await self.stop();
  }
}

export function renderVersus(result: VersusResult): string {
  const lines = [
    `## This checkout against ${result.first}`,
    '',
    `${result.options.concurrency} connections, ${result.options.rounds} alternating rounds of ${result.options.seconds} s.`,
    '',
    '| route | other, req/s | this, req/s | this ÷ other (median of rounds) | rounds | server CPU µs/request, other → this | load generator CPU µs/request, other → this |',
    '|---|---|---|---|---|---|---|',
  ];
  for (const route of VERSUS_ROUTES) {
    const r = result.routes[route];
    lines.push(
      `| ${route} | ${median(r.rps.first).toFixed(0)} | ${median(r.rps.second).toFixed(0)} | ${median(r.ratios).toFixed(2)}× | ${r.ratios.map((x) => x.toFixed(2)).join(', ')} | ${median(r.cpuMicros.first).toFixed(0)} → ${median(r.cpuMicros.second).toFixed(0)} | ${median(r.generatorMicros.first).toFixed(0)} → ${median(r.generatorMicros.second).toFixed(0)} |`,
    );
  }
  return lines.join('\n');
}
