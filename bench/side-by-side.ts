/**
 * GET /api/users throughput of two running Tessera servers (say, two builds) in alternating rounds of
 * one run, so a drifting machine affects both alike: the ratio second/first is what the change costs.
 * Both must be in development mode (the seeded test/test123 user logs in).
 *
 *   npx tsx bench/side-by-side.ts --first http://127.0.0.1:5611 --second http://127.0.0.1:5612 --rounds 4 --seconds 2
 */
import { parseArgs } from 'node:util';
import { closedLoop } from './lib/closed-loop.js';
import { HttpClient } from './lib/http.js';

const { values } = parseArgs({
  options: {
    first: { type: 'string' },
    second: { type: 'string' },
    rounds: { type: 'string', default: '4' },
    seconds: { type: 'string', default: '2' },
    concurrency: { type: 'string', default: '16' },
  },
});
const concurrency = Number(values.concurrency);
const rounds = Number(values.rounds);
const seconds = Number(values.seconds);

async function client(url: string) {
  const http = new HttpClient(url, concurrency);
  const login = await http.send('POST', '/auth/login', { body: { username: 'test', password: 'test123' } });
  if (login.status !== 200) throw new Error(`login on ${url} answered ${login.status}`);
  const headers = { authorization: `Bearer ${(login.body as { access_token: string }).access_token}` };
  const round = (s: number) =>
    closedLoop(http, concurrency, s, (_, c) => c.send('GET', '/api/users', { headers }));
  return { http, round };
}

const first = await client(values.first!);
const second = await client(values.second!);
await first.round(1); // warm-up
await second.round(1);
const rps = { first: [] as number[], second: [] as number[] };
for (let i = 0; i < rounds; i += 1) {
  const a = await first.round(seconds);
  const b = await second.round(seconds);
  if (a.errors || b.errors) throw new Error(`round ${i} had errors: ${a.errors} first, ${b.errors} second`);
  rps.first.push(a.rps);
  rps.second.push(b.rps);
}
const ratios = rps.second.map((r, i) => r / rps.first[i]!).sort((x, y) => x - y);
const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;
console.log(`GET /api/users, ${concurrency} connections, ${rounds} alternating rounds of ${seconds} s`);
console.log(`  first  ${values.first}: ${rps.first.map((r) => r.toFixed(0)).join(', ')} req/s (median ${median(rps.first).toFixed(0)})`);
console.log(`  second ${values.second}: ${rps.second.map((r) => r.toFixed(0)).join(', ')} req/s (median ${median(rps.second).toFixed(0)})`);
console.log(`  second/first: median ${median(ratios).toFixed(3)} (rounds ${ratios.map((r) => r.toFixed(3)).join(', ')})`);
await first.http.close();
await second.http.close();
