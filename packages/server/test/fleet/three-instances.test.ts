import { once } from 'node:events';
import { rmSync } from 'node:fs';
import { decodeProtectedHeader } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';
import { createTessera } from '../../src/tessera.js';
import { testFleet, type TestFleet } from '../support/fleet.js';
import { httpClient, type HttpClient, type HttpResponse } from '../support/http-client.js';
import { startNginx, type RunningNginx } from '../support/nginx.js';
import { runCli, startServeProcess } from '../support/process.js';
import { nginxInstalled, postgresAvailable, redisAvailable } from '../support/services.js';
import { testEnv, TEST_PASSWORD } from '../support/tessera.js';
import { PATIENCE_MS, until } from '../support/wait.js';

const available = (await postgresAvailable()) && (await redisAvailable()) && nginxInstalled();

interface Pair {
  access_token: string;
  refresh_token: string;
}

/**
 * The deployment the seed is for: three `tessera serve` processes on one PostgreSQL and one Redis, behind
 * nginx doing plain round robin (docs/nginx.conf), no sticky sessions. Each response says which instance
 * answered (X-Upstream, added by the test's nginx).
 */
describe.skipIf(!available)('three instances behind nginx, round robin, shared PostgreSQL and Redis', () => {
  let fleet: TestFleet;
  let env: Record<string, string>;
  let envDir: string;
  let nginx: RunningNginx;
  const instances: Array<Awaited<ReturnType<typeof startServeProcess>>> = [];
  const clients: HttpClient[] = [];
  /** Instance base URLs by their "127.0.0.1:port" address, as nginx reports it. */
  const direct = new Map<string, string>();

  function client(localAddress: string): HttpClient {
    const created = httpClient(localAddress);
    clients.push(created);
    return created;
  }
  const upstream = (response: HttpResponse) => String(response.headers['x-upstream']);

  beforeAll(async () => {
    fleet = testFleet();
    ({ env, dir: envDir } = testEnv({
      ...fleet.env(),
      NODE_ENV: 'test',
      LOG_LEVEL: 'info',
      TRUST_PROXY: '127.0.0.1',
      AUTH_RATE_LIMIT: '10',
      // This fleet is about the per-address budget; the per-account slowdown and lock, which would hold
      // the wrong passwords below for seconds, have tests of their own (test/http/brute-force.test.ts).
      LOGIN_SLOWDOWN_AFTER: '0',
      LOGIN_LOCKOUT_THRESHOLD: '0',
      // No database polling for revocations or keys: what reaches the other instances, Redis brought.
      REVOCATION_POLL_MS: '3600000',
      KEY_RELOAD_MS: '3600000',
    }));
    expect((await runCli(['migrate'], env)).code).toBe(0);
    const created = await runCli(['users', 'add', 'ivan'], env, TEST_PASSWORD);
    expect(created.code, created.stderr).toBe(0);
    // Each instance is kept as soon as it runs, so one that fails to start leaves none behind unstopped.
    await Promise.all([1, 2, 3].map(async () => instances.push(await startServeProcess(env))));
    for (const instance of instances) direct.set(new URL(instance.url).host, instance.url);
    nginx = await startNginx(instances.map((instance) => Number(new URL(instance.url).port)));
  });

  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await nginx?.stop();
    await Promise.all(
      instances.map(async ({ child }) => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        const exited = once(child, 'exit');
        child.kill('SIGTERM');
        await exited;
      }),
    );
    rmSync(envDir, { recursive: true, force: true });
    await fleet.cleanup();
  });

  it("runs a user's whole life across the instances: login on one, API on another, refresh on a third, logout on the first", async () => {
    const alice = client('127.0.0.2');
    const login = await alice.call('POST', `${nginx.url}/auth/login`, { body: { username: 'ivan', password: TEST_PASSWORD } });
    expect(login.status).toBe(200);
    const first = login.json as Pair;

    const api = await alice.call('GET', `${nginx.url}/api/me`, { token: first.access_token });
    expect(api.status).toBe(200);
    expect(api.json).toMatchObject({ role: 'user', auth: 'jwt' });

    const refreshed = await alice.call('POST', `${nginx.url}/auth/refresh`, { body: { refresh_token: first.refresh_token } });
    expect(refreshed.status).toBe(200);
    const second = refreshed.json as Pair;

    const logout = await alice.call('POST', `${nginx.url}/auth/logout`, {
      token: second.access_token,
      body: { refresh_token: second.refresh_token },
    });
    expect(logout.status).toBe(200);

    const [onLogin, onApi, onRefresh, onLogout] = [login, api, refreshed, logout].map(upstream);
    expect(new Set([onLogin, onApi, onRefresh]).size).toBe(3);
    expect(onLogout).toBe(onLogin);
    expect([...direct.keys()].sort()).toEqual([onLogin, onApi, onRefresh].sort());

    // Every instance refuses the access token: database polling is off, so Redis told them.
    await Promise.all(
      [...direct.values()].map((base) =>
        until(async () => (await alice.call('GET', `${base}/api/me`, { token: second.access_token })).status === 401, PATIENCE_MS, `refusal on ${base}`),
      ),
    );
    for (const base of direct.values()) {
      for (const token of [first.access_token, second.access_token]) {
        const refused = await alice.call('GET', `${base}/api/users`, { token });
        expect(refused.status).toBe(401);
        expect(refused.json).toEqual({ error: 'invalid_token', error_description: 'The access token has been revoked' });
      }
    }
    const throughNginx = [];
    for (let i = 0; i < 3; i += 1) throughNginx.push(await alice.call('GET', `${nginx.url}/api/me`, { token: second.access_token }));
    expect(throughNginx.map((r) => r.status)).toEqual([401, 401, 401]);
    expect(new Set(throughNginx.map(upstream)).size).toBe(3);
    const again = await alice.call('POST', `${nginx.url}/auth/refresh`, { body: { refresh_token: second.refresh_token } });
    expect(again.status).toBe(401);
  });

  it('counts the rate limit across the fleet: the 11th login attempt from one client is refused, whichever instance gets it', async () => {
    const mallory = client('127.0.0.3');
    const attempt = (headers: Record<string, string> = {}) =>
      mallory.call('POST', `${nginx.url}/auth/login`, { body: { username: 'ivan', password: 'wrong' }, headers });
    const allowed = [];
    for (let i = 0; i < 10; i += 1) allowed.push(await attempt());
    expect(allowed.map((r) => r.status)).toEqual(Array(10).fill(401));
    expect(new Set(allowed.map(upstream)).size).toBe(3);

    const refused = [];
    // A forged X-Forwarded-For changes nothing: nginx replaces it with the address it saw.
    for (let i = 0; i < 3; i += 1) refused.push(await attempt({ 'x-forwarded-for': `198.51.100.${i}` }));
    expect(refused.map((r) => r.status)).toEqual([429, 429, 429]);
    expect(new Set(refused.map(upstream)).size).toBe(3);
    for (const response of refused) {
      expect(response.json).toEqual({ error: 'rate_limited', error_description: expect.stringMatching(/^Too many requests; retry in \d+ seconds?$/) });
      expect(Number(response.headers['retry-after'])).toBeGreaterThan(0);
    }
    // The instances see each client's own address (from nginx's X-Forwarded-For), not nginx's.
    const other = client('127.0.0.4');
    const elsewhere = await other.call('POST', `${nginx.url}/auth/login`, { body: { username: 'ivan', password: 'wrong' } });
    expect(elsewhere.status).toBe(401);
  });

  it('a key rotated by one member of the fleet is used by every instance, told through Redis', async () => {
    const { env: operatorEnv, dir } = testEnv({ ...env, LOG_LEVEL: 'silent' });
    const operator = await createTessera(loadConfig(operatorEnv), { logger: createLogger('silent') });
    const watcher = client('127.0.0.5');
    let newKid = '';
    try {
      newKid = await operator.keyRing.rotate();
      // The JWKS changes in the same step as the signing key: when it lists the new key, it signs with it.
      // Key reloads are off (KEY_RELOAD_MS): only the fleet's event can bring it.
      await Promise.all(
        [...direct.values()].map((base) =>
          until(
            async () => {
              const jwks = await watcher.call('GET', `${base}/.well-known/jwks.json`);
              return (jwks.json as { keys: Array<{ kid: string }> }).keys.some((key) => key.kid === newKid);
            },
            PATIENCE_MS,
            `the new key on ${base}`,
          ),
        ),
      );
    } finally {
      await operator.close();
      rmSync(dir, { recursive: true, force: true });
    }
    // Each instance now signs with it.
    for (const [i, base] of [...direct.values()].entries()) {
      const login = await client(`127.0.0.${10 + i}`).call('POST', `${base}/auth/login`, { body: { username: 'ivan', password: TEST_PASSWORD } });
      expect(login.status).toBe(200);
      expect(decodeProtectedHeader((login.json as Pair).access_token).kid).toBe(newKid);
    }
  });

  // Last: it leaves the fleet one instance short.
  it('when an instance is killed (SIGKILL), nginx sends every request to the others and none fails', async () => {
    const bob = client('127.0.0.20');
    const { access_token } = (await bob.call('POST', `${nginx.url}/auth/login`, { body: { username: 'ivan', password: TEST_PASSWORD } }))
      .json as Pair;
    const victim = instances[0]!;
    const exited = once(victim.child, 'exit');
    victim.child.kill('SIGKILL');
    await exited;
    const dead = new URL(victim.url).host;

    const answers = [];
    for (let i = 0; i < 4; i += 1) {
      answers.push(await bob.call('GET', `${nginx.url}/api/me`, { token: access_token }));
      answers.push(await bob.call('POST', `${nginx.url}/auth/login`, { body: { username: 'ivan', password: TEST_PASSWORD } }));
    }
    expect(answers.map((r) => r.status)).toEqual(Array(8).fill(200));
    // X-Upstream lists every instance nginx tried; the last one answered.
    const answeredBy = new Set(answers.map((r) => upstream(r).split(', ').at(-1)));
    expect([...answeredBy].sort()).toEqual([...direct.keys()].filter((host) => host !== dead).sort());
  });
});
