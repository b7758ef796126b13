import { spawnSync } from 'node:child_process';
import { Socket } from 'node:net';

/**
 * Real PostgreSQL and Redis for the tests that need them (never mocks). Where a service is unreachable
 * those tests are skipped with a visible message — unless REQUIRE_SERVICES=1 (CI), where they fail.
 */
export const POSTGRES_URL = process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
export const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

const required = process.env.REQUIRE_SERVICES === '1';

function reachable(url: string, defaultPort: number): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = new Socket();
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1000, () => done(false));
    socket.once('error', () => done(false));
    socket.connect(Number(port || defaultPort), hostname, () => done(true));
  });
}

async function available(name: string, url: string, defaultPort: number): Promise<boolean> {
  if (await reachable(url, defaultPort)) return true;
  if (required) throw new Error(`${name} at ${url} is unreachable and REQUIRE_SERVICES=1`);
  process.stderr.write(`\n  ⚠ SKIPPED: ${name} tests — ${url} is unreachable (set REQUIRE_SERVICES=1 to fail instead)\n\n`);
  return false;
}

export const postgresAvailable = () => available('PostgreSQL', POSTGRES_URL, 5432);
export const redisAvailable = () => available('Redis', REDIS_URL, 6379);

/** Programs some tests run themselves (their own nginx, a Redis they may kill): missing ones skip visibly. */
function installed(name: string, works: boolean): boolean {
  if (works) return true;
  if (required) throw new Error(`${name} is not installed and REQUIRE_SERVICES=1`);
  process.stderr.write(`\n  ⚠ SKIPPED: tests that run ${name} — it is not installed (set REQUIRE_SERVICES=1 to fail instead)\n\n`);
  return false;
}

export const nginxInstalled = () => installed('nginx', spawnSync('nginx', ['-v']).status === 0);
export const redisServerInstalled = () => installed('redis-server', spawnSync('redis-server', ['--version']).status === 0);
/** Debian's Chromium, which the browser tests drive (never a browser a test tool downloads). */
export const CHROMIUM = '/usr/bin/chromium';
export const chromiumInstalled = () => installed('Chromium', spawnSync(CHROMIUM, ['--version']).status === 0);
