import { once } from 'node:events';
import { rmSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { testFleet, type TestFleet } from '../support/fleet.js';
import { halfSentLogin } from '../support/half-sent-login.js';
import { startServeProcess } from '../support/process.js';
import { DedicatedRedis } from '../support/redis-server.js';
import { postgresAvailable, redisAvailable, redisServerInstalled } from '../support/services.js';
import { startTestServer, testEnv, TEST_PASSWORD, type TestServer } from '../support/tessera.js';
import { PATIENCE_MS, sleep, until } from '../support/wait.js';

const available = (await postgresAvailable()) && (await redisAvailable()) && redisServerInstalled();

interface Pair {
  access_token: string;
  refresh_token: string;
}

/** One device's login as the client saw it: every pair it was given, and what it cannot know. */
interface Session {
  pairs: Pair[];
  /** Refresh tokens the server acknowledged rotating (HTTP 200 received). */
  rotated: string[];
  /** The server acknowledged the logout. */
  loggedOut: boolean;
  /** A request was in flight when the server died: its outcome is unknown. */
  unsettled: boolean;
}

async function call(base: string, path: string, init: { body?: unknown; token?: string } = {}): Promise<{ status: number; json: unknown }> {
  const response = await fetch(`${base}${path}`, {
    method: init.body === undefined ? 'GET' : 'POST',
    headers: {
      ...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
      ...(init.token ? { authorization: `Bearer ${init.token}` } : {}),
    },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
    signal: AbortSignal.timeout(10_000),
  });
  return { status: response.status, json: await response.json() };
}

describe.skipIf(!available)('instances that die: SIGKILL mid-load, SIGTERM with the fleet connected', () => {
  let fleet: TestFleet;
  const cleanups: Array<() => Promise<void> | void> = [];

  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    await fleet.cleanup();
  });

  function processEnv(overrides: Record<string, string> = {}): Record<string, string> {
    const { env, dir } = testEnv({ ...fleet.env(), AUTH_RATE_LIMIT: '0', REFRESH_RATE_LIMIT: '0', LOG_LEVEL: 'info', ...overrides });
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    return env;
  }

  async function survivor(): Promise<TestServer> {
    const server = await startTestServer({ ...fleet.env(), AUTH_RATE_LIMIT: '0', REFRESH_RATE_LIMIT: '0' });
    cleanups.push(() => server.stop());
    return server;
  }

  it('an instance killed with SIGKILL mid-load loses no acknowledged rotation or revocation', async () => {
    fleet = testFleet();
    const b = await survivor();
    await b.tessera.users.create({ username: 'heidi', password: TEST_PASSWORD, role: 'user' });
    const env = processEnv();
    const a = await startServeProcess(env);
    cleanups.push(() => void a.child.kill('SIGKILL'));

    const sessions: Session[] = [];
    let dead = false;
    const worker = async (seed: number) => {
      for (let round = 0; !dead && round < 50; round += 1) {
        const session: Session = { pairs: [], rotated: [], loggedOut: false, unsettled: false };
        sessions.push(session);
        try {
          const login = await call(a.url, '/auth/login', { body: { username: 'heidi', password: TEST_PASSWORD } });
          expect(login.status).toBe(200);
          session.pairs.push(login.json as Pair);
          for (let i = 0; i < 3 + ((seed + round) % 5); i += 1) {
            const current = session.pairs.at(-1)!;
            const refreshed = await call(a.url, '/auth/refresh', { body: { refresh_token: current.refresh_token } });
            expect(refreshed.status).toBe(200);
            session.rotated.push(current.refresh_token);
            session.pairs.push(refreshed.json as Pair);
          }
          if ((seed + round) % 2 === 0) {
            const latest = session.pairs.at(-1)!;
            const logout = await call(a.url, '/auth/logout', { body: { refresh_token: latest.refresh_token }, token: latest.access_token });
            expect(logout.status).toBe(200);
            session.loggedOut = true;
          }
        } catch (error) {
          if (!dead) throw error;
          session.unsettled = true; // the server died with this request in flight
          return;
        }
      }
    };
    const workers = [0, 1, 2, 3, 4, 5].map((seed) => worker(seed));
    // Killed mid-load once enough has been acknowledged (every worker's first login, a logout among it),
    // however fast the machine is today and whichever of logins and refreshes it runs faster.
    await until(
      () =>
        sessions.reduce((n, s) => n + s.rotated.length, 0) > 20 &&
        sessions.some((s) => s.loggedOut) &&
        sessions.filter((s) => s.pairs.length > 0).length > 5,
      PATIENCE_MS,
      'twenty acknowledged rotations, a logout and six logins',
    );
    a.child.kill('SIGKILL');
    dead = true;
    await once(a.child, 'exit');
    await Promise.all(workers);

    const acknowledged = sessions.filter((s) => s.pairs.length > 0);
    expect(acknowledged.length).toBeGreaterThan(5);
    expect(acknowledged.some((s) => s.loggedOut)).toBe(true);
    expect(acknowledged.some((s) => s.unsettled)).toBe(true);
    expect(acknowledged.reduce((n, s) => n + s.rotated.length, 0)).toBeGreaterThan(20);

    const restarted = await startServeProcess(env);
    cleanups.push(() => void restarted.child.kill('SIGKILL'));
    // The survivor learns of the dead instance's logouts from Redis or from its next poll of the database.
    const loggedOutTokens = acknowledged.filter((s) => s.loggedOut).flatMap((s) => s.pairs.map((pair) => pair.access_token));
    const allRefused = async (base: string) => {
      for (const token of loggedOutTokens) if ((await call(base, '/api/me', { token })).status !== 401) return false;
      return true;
    };
    await until(async () => (await allRefused(restarted.url)) && (await allRefused(b.url)), PATIENCE_MS, 'every logged-out device refused');

    for (const base of [restarted.url, b.url]) {
      for (const session of acknowledged) {
        for (const pair of session.pairs) {
          const me = await call(base, '/api/me', { token: pair.access_token });
          // Every access token of a logged-out device is refused; the others stay valid until they expire
          // (an unsettled request may also have been a logout, so those are not asserted).
          if (session.loggedOut) expect(me.status, 'revoked access token').toBe(401);
          else if (!session.unsettled) expect(me.status, 'live access token').toBe(200);
        }
      }
    }
    for (const session of acknowledged) {
      const latest = session.pairs.at(-1)!.refresh_token;
      const refreshed = await call(restarted.url, '/auth/refresh', { body: { refresh_token: latest } });
      if (session.loggedOut) expect(refreshed.status, 'refresh token of a logged-out device').toBe(401);
      else if (!session.unsettled) expect(refreshed.status, 'newest acknowledged refresh token').toBe(200);
    }
    for (const session of acknowledged) {
      for (const rotated of session.rotated) {
        const replayed = await call(restarted.url, '/auth/refresh', { body: { refresh_token: rotated } });
        expect(replayed.status, 'acknowledged-rotated refresh token').toBe(401);
      }
    }
  });

  it('SIGTERM drains a request in flight and exits 0, with or without Redis reachable', async () => {
    fleet = testFleet();
    const redis = await DedicatedRedis.start();
    cleanups.push(() => redis.kill());
    for (const redisUp of [true, false]) {
      if (!redisUp) await redis.kill();
      const server = await startServeProcess(processEnv({ NODE_ENV: 'development', REDIS_URL: redis.url, LOG_LEVEL: 'info' }));
      cleanups.push(() => void server.child.kill('SIGKILL'));
      const inFlight = await halfSentLogin(server.url);
      await sleep(200);
      server.child.kill('SIGTERM');
      await sleep(200);
      expect(await inFlight.finish()).toMatch(/^HTTP\/1.1 200 OK/);
      const [code] = (await once(server.child, 'exit')) as [number];
      expect(code).toBe(0);
      expect(server.output()).toMatch(/draining in-flight requests/);
    }
  });
});
