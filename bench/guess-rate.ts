/**
 * How many password guesses a minute an attacker with 16 client addresses gets against one account.
 *
 *   npx tsx bench/guess-rate.ts [seconds=60]
 *
 * Starts `tessera serve` on loopback (development mode: the seed's `admin` account, TRUST_PROXY=true so
 * X-Forwarded-For stands for 16 addresses, the default AUTH_RATE_LIMIT of 10), then for the given time
 * 16 "addresses" each keep 4 wrong passwords for `admin` in flight, alternating `/auth/login` and
 * `/api/login` (the attacker's best use of per-endpoint budgets). A guess counts when the server
 * evaluated it (401); 429s are refused guesses. At the end the right password is tried from a 17th
 * address. Prints the figures; bounded by the duration plus the last in-flight requests (≤ 15 s).
 */
import { startBenchServer } from './lib/server.js';

const seconds = Number(process.argv[2] ?? 60);
const ADDRESSES = 16;
const IN_FLIGHT = 4;
const ENDPOINTS = ['/auth/login', '/api/login'];

const server = await startBenchServer({ TRUST_PROXY: 'true', AUTH_RATE_LIMIT: '10' });
const counts = { evaluated: 0, refused: 0, other: 0 };
const deadline = performance.now() + seconds * 1000;
let guess = 0;

/** Gives up on a request held past the slowdown's longest wait (10 s) plus a margin. */
const REQUEST_TIMEOUT_MS = 15_000;

async function attempt(ip: string, password: string, path: string): Promise<number> {
  const response = await fetch(`${server.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-forwarded-for': ip },
    body: JSON.stringify({ username: 'admin', password }),
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
  });
  await response.arrayBuffer();
  return response.status;
}

async function attacker(ip: string, lane: number): Promise<void> {
  for (let n = lane; performance.now() < deadline; n += 1) {
    const status = await attempt(ip, `wrong-${(guess += 1)}`, ENDPOINTS[n % ENDPOINTS.length]!).catch(() => 0);
    if (status === 401) counts.evaluated += 1;
    else if (status === 429) {
      counts.refused += 1;
      // A refused guess costs the attacker nothing; a short pause keeps the loop from spinning.
      await new Promise((resolve) => setTimeout(resolve, 50));
    } else if (status !== 0) counts.other += 1;
  }
}

try {
  const lanes = Array.from({ length: ADDRESSES * IN_FLIGHT }, (_, i) => attacker(`198.51.100.${Math.floor(i / IN_FLIGHT) + 1}`, i));
  // Requests still held by a slowdown when the time is up finish (or time out) first.
  await Promise.all(lanes);
  const started = performance.now();
  const owner = await attempt('203.0.113.200', 'admin123', '/auth/login');
  const ownerMs = Math.round(performance.now() - started);
  const perMinute = Math.round((counts.evaluated / seconds) * 60);
  console.log(`${seconds} s, ${ADDRESSES} addresses × ${IN_FLIGHT} in flight, against one account:`);
  console.log(`  guesses evaluated: ${counts.evaluated} (${perMinute} per minute); refused with 429: ${counts.refused}; other answers: ${counts.other}`);
  console.log(`  the right password afterwards, from a new address: ${owner} after ${ownerMs} ms`);
} finally {
  await server.stop();
}
