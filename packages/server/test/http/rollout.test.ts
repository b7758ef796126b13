import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { buildApp } from '../../src/http/app.js';
import { createLogger } from '../../src/logger.js';
import { createTessera } from '../../src/tessera.js';
import { tessera as cli } from '../support/cli.js';
import { TestClock, testClockAtRealTime } from '../support/clock.js';
import { cheapHasher, sessionCookieFor } from '../support/sessions.js';
import { TEST_PASSWORD, TEST_SECRET, createUser, getUsers, login, loginTokens, refresh, startTestInstance, type TestInstance } from '../support/tessera.js';

/** The environment of the CLI (and of a second instance) sharing a test instance's database. */
const sharedEnv = (t: TestInstance, extra: Record<string, string> = {}) => ({
  NODE_ENV: 'test',
  DATABASE_URL: `sqlite:${t.config.database.kind === 'sqlite' ? t.config.database.path : ''}`,
  JWT_SECRET: TEST_SECRET,
  LOG_LEVEL: 'silent',
  ...extra,
});

describe('JWT_ROLLOUT_PERCENT=0', () => {
  let t: TestInstance;
  beforeAll(async () => {
    t = await startTestInstance({ AUTH_RATE_LIMIT: '0', JWT_ROLLOUT_PERCENT: '0' });
    await createUser(t.tessera, 'hana');
  });
  afterAll(() => t.close());

  it('answers POST /auth/login with 403 jwt_not_enabled telling the user to keep using /api/login', async () => {
    const response = await login(t.app, 'hana');
    expect(response.statusCode).toBe(403);
    expect(response.json()).toEqual({
      error: 'jwt_not_enabled',
      error_description: 'JWT login is not enabled for this account yet; keep using POST /api/login (session cookie) until it is',
    });
    expect(response.cookies).toEqual([]);
  });

  it('checks the password first, so the 403 tells a stranger nothing', async () => {
    expect((await login(t.app, 'hana', 'wrong password')).json().error).toBe('invalid_credentials');
    expect((await login(t.app, 'nobody', 'wrong password')).json().error).toBe('invalid_credentials');
  });

  it('records the refusal in the audit trail', async () => {
    const user = await t.tessera.store.users.findByUsername('hana');
    await login(t.app, 'hana');
    const [event] = await t.tessera.audit.query({ type: 'login.jwt_not_enabled', limit: 1 });
    expect(event).toMatchObject({ userId: user!.id, detail: { via: 'password' } });
  });

  it('leaves the user on sessions, which keep working', async () => {
    const cookie = await sessionCookieFor(t.app, 'hana');
    const response = await t.app.inject({ url: '/api/users', cookies: { session_id: cookie } });
    expect(response.statusCode).toBe(200);
  });

  it("refuses a session user's password change with 403 jwt_not_enabled, before anything changes: it answers a token pair", async () => {
    const cookie = await sessionCookieFor(t.app, 'hana');
    const response = await t.app.inject({
      method: 'POST',
      url: '/api/me/password',
      cookies: { session_id: cookie },
      payload: { current_password: TEST_PASSWORD, new_password: 'a much better passphrase' },
    });
    expect(response.statusCode).toBe(403);
    expect(response.json().error).toBe('jwt_not_enabled');
    expect(response.cookies).toEqual([]);
    // The password, the session and the user's place outside the rollout are as they were.
    expect((await t.app.inject({ url: '/api/users', cookies: { session_id: cookie } })).statusCode).toBe(200);
    expect(await sessionCookieFor(t.app, 'hana')).toBeTruthy();
    const [event] = await t.tessera.audit.query({ type: 'login.jwt_not_enabled', limit: 1 });
    expect(event).toMatchObject({ detail: { via: 'password_change' } });
  });

  it('lets a user with an "on" override log in with JWTs', async () => {
    const user = await createUser(t.tessera, 'ivo');
    await t.tessera.rollout.setOverride(user.id, true);
    expect((await login(t.app, 'ivo')).statusCode).toBe(200);
    expect((await login(t.app, 'hana')).statusCode).toBe(403);
  });
});

describe('JWT_ROLLOUT_PERCENT=100 (the default)', () => {
  it('lets every user log in with JWTs, except those with an "off" override', async () => {
    const t = await startTestInstance({ AUTH_RATE_LIMIT: '0' }, { passwords: cheapHasher() });
    try {
      for (let i = 0; i < 20; i += 1) await createUser(t.tessera, `full${i}`);
      const statuses = await Promise.all(Array.from({ length: 20 }, (_, i) => login(t.app, `full${i}`).then((r) => r.statusCode)));
      expect(statuses.every((s) => s === 200)).toBe(true);
      const held = await t.tessera.store.users.findByUsername('full7');
      await t.tessera.rollout.setOverride(held!.id, false);
      expect((await login(t.app, 'full7')).statusCode).toBe(403);
    } finally {
      await t.close();
    }
  });
});

describe('JWT_ROLLOUT_PERCENT=50 over 1,000 users', () => {
  const USERS = 1000;
  let first: TestInstance;
  let enabledOnFirst: Set<string>;

  beforeAll(async () => {
    first = await startTestInstance({ AUTH_RATE_LIMIT: '0', JWT_ROLLOUT_PERCENT: '50' }, { passwords: cheapHasher() });
    // Created through the store with one precomputed (cheap) hash: 1,000 OWASP argon2id hashes would take a minute.
    const passwordHash = await first.tessera.passwords.hash(TEST_PASSWORD);
    // Fixed UUIDs, so the figure is the same on every run (random ones would make the split a dice roll).
    for (let i = 0; i < USERS; i += 1) {
      const id = `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`;
      await first.tessera.store.users.create({ id, username: `split${i}`, role: 'user', passwordHash, createdAt: first.clock.now() });
    }
    enabledOnFirst = await jwtLogins(first.app);
  });
  afterAll(() => first.close());

  /** Logs every user in with POST /auth/login; the usernames that got tokens. */
  async function jwtLogins(app: FastifyInstance): Promise<Set<string>> {
    const enabled = new Set<string>();
    for (let i = 0; i < USERS; i += 10) {
      const batch = Array.from({ length: 10 }, (_, j) => `split${i + j}`);
      const responses = await Promise.all(batch.map((username) => login(app, username)));
      responses.forEach((response, j) => {
        expect([200, 403]).toContain(response.statusCode);
        if (response.statusCode === 200) enabled.add(batch[j]!);
      });
    }
    return enabled;
  }

  it('gives JWTs to between 45% and 55% of them; the others get 403 jwt_not_enabled', () => {
    process.stdout.write(`\n  JWT_ROLLOUT_PERCENT=50: ${enabledOnFirst.size} of ${USERS} users got JWTs\n`);
    expect(enabledOnFirst.size).toBeGreaterThanOrEqual(450);
    expect(enabledOnFirst.size).toBeLessThanOrEqual(550);
  });

  it('gives exactly the same users JWTs on a second instance sharing the database', async () => {
    const config = loadConfig(sharedEnv(first, { JWT_ROLLOUT_PERCENT: '50', AUTH_RATE_LIMIT: '0' }));
    const second = await createTessera(config, { logger: createLogger('silent'), clock: new TestClock(), passwords: cheapHasher() });
    await second.start();
    const app = await buildApp(second);
    try {
      const enabledOnSecond = await jwtLogins(app);
      expect(enabledOnSecond).toEqual(enabledOnFirst);
    } finally {
      await app.close();
      await second.close();
    }
  });
});

describe('changing the rollout at run time', () => {
  let t: TestInstance;
  beforeAll(async () => {
    t = await startTestInstance({ AUTH_RATE_LIMIT: '0' }, { clock: testClockAtRealTime() });
    await createUser(t.tessera, 'jon');
  });
  afterAll(() => t.close());

  it('applies `tessera rollout set` to a running server without a restart', async () => {
    expect((await login(t.app, 'jon')).statusCode).toBe(200);
    expect((await cli(['rollout', 'set', '0'], sharedEnv(t))).code).toBe(0);
    // What the 2-second poll does; called directly so the test need not wait for it.
    await t.tessera.rollout.reload();
    expect((await login(t.app, 'jon')).statusCode).toBe(403);
    expect((await cli(['rollout', 'override', 'jon', 'on'], sharedEnv(t))).code).toBe(0);
    await t.tessera.rollout.reload();
    expect((await login(t.app, 'jon')).statusCode).toBe(200);
    expect((await cli(['rollout', 'override', 'jon', 'clear'], sharedEnv(t))).code).toBe(0);
    expect((await cli(['rollout', 'set', '100'], sharedEnv(t))).code).toBe(0);
    await t.tessera.rollout.reload();
    expect((await login(t.app, 'jon')).statusCode).toBe(200);
  });

  it('keeps tokens issued before a rollback working until they expire: access and refresh alike', async () => {
    const tokens = await loginTokens(t.app, 'jon');
    await cli(['rollout', 'set', '0'], sharedEnv(t));
    await t.tessera.rollout.reload();
    expect((await login(t.app, 'jon')).statusCode).toBe(403);
    expect((await getUsers(t.app, tokens.access_token)).statusCode).toBe(200);
    const refreshed = await refresh(t.app, tokens.refresh_token);
    expect(refreshed.statusCode).toBe(200);
    await cli(['rollout', 'set', '100'], sharedEnv(t));
    await t.tessera.rollout.reload();
  });

  it('revokes tokens already issued to users outside the rollout with `rollout set 0 --revoke`', async () => {
    const kept = await createUser(t.tessera, 'kira');
    await t.tessera.rollout.setOverride(kept.id, true);
    const jon = await loginTokens(t.app, 'jon');
    const kira = await loginTokens(t.app, 'kira');
    const result = await cli(['rollout', 'set', '0', '--revoke'], sharedEnv(t));
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/revoked the tokens of 1 user\(s\) outside the rollout \(\d+ live access token\(s\)\)/);
    // What the revocation poll (every 500 ms) does.
    await t.tessera.revocationFeed.poll();
    expect((await getUsers(t.app, jon.access_token)).statusCode).toBe(401);
    expect((await refresh(t.app, jon.refresh_token)).json().error).toBe('invalid_grant');
    expect((await getUsers(t.app, kira.access_token)).statusCode).toBe(200);
    expect((await t.app.inject({ method: 'POST', url: '/api/login', payload: { username: 'jon', password: TEST_PASSWORD } })).statusCode).toBe(200);
  });
});

describe('the rollout on a fleet', () => {
  it('reaches every instance through the database', async () => {
    const a = await startTestInstance({ AUTH_RATE_LIMIT: '0' });
    const config = loadConfig(sharedEnv(a, { AUTH_RATE_LIMIT: '0' }));
    const b = await createTessera(config, { logger: createLogger('silent'), clock: new TestClock() });
    await b.start();
    const bApp = await buildApp(b);
    try {
      await createUser(a.tessera, 'lena');
      await a.tessera.rollout.setPercent(0);
      await b.rollout.reload();
      expect((await login(bApp, 'lena')).statusCode).toBe(403);
    } finally {
      await bApp.close();
      await b.close();
      await a.close();
    }
  });
});
