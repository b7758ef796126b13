/**
 * GET /api/users and POST /auth/refresh throughput of two running Tessera servers (say, two builds) in
 * alternating rounds of one run, so a drifting machine affects both alike: the ratio second/first is
 * what the change costs. Both must be in development mode (the seeded test/test123 user logs in) with
 * the refresh ceilings off (REFRESH_RATE_LIMIT=0, REFRESH_IP_RATE_LIMIT=0, AUTH_RATE_LIMIT=0). Given the
 * servers' process ids, it also prints each server's CPU time per request (user + system, every thread,
 * from /proc), which moves less than req/s on a busy machine.
 *
 *   npx tsx bench/side-by-side.ts --first http://127.0.0.1:5611 --second http://127.0.0.1:5612 --rounds 4 --seconds 2
 *   npx tsx bench/side-by-side.ts --first http://127.0.0.1:5611 --first-pid 1234 --second http://127.0.0.1:5612 --second-pid 1240
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { closedLoop, type LoopResult } from './lib/closed-loop.js';
import { HttpClient } from './lib/http.js';

const { values } = parseArgs({
  options: {
    first: { type: 'string' },
    second: { type: 'string' },
    'first-pid': { type: 'string' },
    'second-pid': { type: 'string' },
    rounds: { type: 'string', default: '4' },
    seconds: { type: 'string', default: '2' },
    concurrency: { type: 'string', default: '16' },
  },
});
const concurrency = Number(values.concurrency);
const rounds = Number(values.rounds);
const seconds = Number(values.seconds);

type Route = 'GET /api/users' | 'POST /auth/refresh';
const ROUTES: Route[] = ['GET /api/users', 'POST /auth/refresh'];

async function client(url: string) {
  const http = new HttpClient(url, concurrency);
  const login = async () => {
    const reply = await http.send('POST', '/auth/login', { body: { username: 'test', password: 'test123' } });
    if (reply.status !== 200) throw new Error(`login on ${url} answered ${reply.status}`);
    return reply.body as { access_token: string; refresh_token: string };
  };
  const headers = { authorization: `Bearer ${(await login()).access_token}` };
  // One refresh-token chain per worker, as one device each.
  const chains: string[] = [];
  for (let i = 0; i < concurrency; i += 1) chains.push((await login()).refresh_token);
  const round = (route: Route, s: number): Promise<LoopResult> =>
    route === 'GET /api/users'
      ? closedLoop(http, concurrency, s, (_, c) => c.send('GET', '/api/users', { headers }))
      : closedLoop(http, concurrency, s, async (worker, c) => {
          const reply = await c.send('POST', '/auth/refresh', { body: { refresh_token: chains[worker] } });
          if (reply.status === 200) chains[worker] = (reply.body as { refresh_token: string }).refresh_token;
          return reply;
        });
  return { http, round };
}

/** CPU seconds (user + system, every thread) a process has used so far; 0 without a pid. */
function processCpu(pid: string | undefined): number {
  if (pid === undefined) return 0;
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}
const cpuPerRequest = (pid: string | undefined, round: () => Promise<LoopResult>) => async () => {
  const before = processCpu(pid);
  const result = await round();
  return { ...result, cpuMicros: ((processCpu(pid) - before) * 1e6) / Math.max(1, result.rps * seconds) };
};

const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;
const first = await client(values.first!);
const second = await client(values.second!);
for (const route of ROUTES) {
  await first.round(route, 1); // warm-up
  await second.round(route, 1);
  const rps = { first: [] as number[], second: [] as number[] };
  const cpu = { first: [] as number[], second: [] as number[] };
  for (let i = 0; i < rounds; i += 1) {
    const a = await cpuPerRequest(values['first-pid'], () => first.round(route, seconds))();
    const b = await cpuPerRequest(values['second-pid'], () => second.round(route, seconds))();
    if (a.errors || b.errors) throw new Error(`${route} round ${i} had errors: ${a.errors} first, ${b.errors} second`);
    rps.first.push(a.rps);
    rps.second.push(b.rps);
    cpu.first.push(a.cpuMicros);
    cpu.second.push(b.cpuMicros);
  }
  const ratios = rps.second.map((r, i) => r / rps.first[i]!);
  console.log(`${route}, ${concurrency} connections, ${rounds} alternating rounds of ${seconds} s`);
  console.log(`  first  ${values.first}: ${rps.first.map((r) => r.toFixed(0)).join(', ')} req/s (median ${median(rps.first).toFixed(0)})`);
  console.log(`  second ${values.second}: ${rps.second.map((r) => r.toFixed(0)).join(', ')} req/s (median ${median(rps.second).toFixed(0)})`);
  console.log(`  second/first: median ${median(ratios).toFixed(3)} (rounds ${ratios.map((r) => r.toFixed(3)).join(', ')})`);
  if (values['first-pid'] && values['second-pid']) {
    console.log(`  server CPU per request: first ${median(cpu.first).toFixed(0)} µs, second ${median(cpu.second).toFixed(0)} µs (second/first ${(median(cpu.second) / median(cpu.first)).toFixed(3)})`);
  }
}
await first.http.close();
await second.http.close();
