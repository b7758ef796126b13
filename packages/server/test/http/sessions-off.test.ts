import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUser, login, startTestInstance, type TestInstance } from '../support/tessera.js';
import { deprecationOf, exchange, sessionCookieFor, sessionLogin, withSession } from '../support/sessions.js';

describe('LEGACY_SESSIONS=off (the v3.0 behaviour)', () => {
  let t: TestInstance;
  let cookieFromBefore: string;
  let beforeDir: string;

  beforeAll(async () => {
    // A session opened while sessions were on, on the database the "off" server then uses.
    const before = await startTestInstance({ AUTH_RATE_LIMIT: '0' });
    await createUser(before.tessera, 'gus');
    cookieFromBefore = await sessionCookieFor(before.app, 'gus');
    await before.app.close();
    await before.tessera.close();
    beforeDir = before.dir;
    const dbPath = before.config.database.kind === 'sqlite' ? before.config.database.path : '';
    t = await startTestInstance({ AUTH_RATE_LIMIT: '0', LEGACY_SESSIONS: 'off', JWT_ROLLOUT_PERCENT: '0', DATABASE_URL: `sqlite:${dbPath}` });
  });
  afterAll(async () => {
    await t.close();
    rmSync(beforeDir, { recursive: true, force: true });
  });

  it('answers POST /api/login with 410 sessions_disabled pointing to /auth/login, even for good credentials', async () => {
    for (const response of [await sessionLogin(t.app, 'gus'), await t.app.inject({ method: 'POST', url: '/api/login', payload: 'nonsense' })]) {
      expect(response.statusCode).toBe(410);
      expect(response.json()).toEqual({
        error: 'sessions_disabled',
        error_description: 'Session login has been retired: log in with POST /auth/login and send "Authorization: Bearer <access_token>"',
      });
      expect(response.cookies).toEqual([]);
      expect(deprecationOf(response).deprecation).toBeUndefined();
    }
    expect((await t.app.inject({ method: 'POST', url: '/api/logout' })).statusCode).toBe(410);
  });

  it('refuses a session cookie, even one still within its lifetime, with 401 pointing to /auth/login', async () => {
    const response = await withSession(t.app, '/api/users', cookieFromBefore);
    expect(response.statusCode).toBe(401);
    expect(response.json()).toEqual({
      error: 'invalid_session',
      error_description: 'Session cookies are no longer accepted: log in with POST /auth/login and send "Authorization: Bearer <access_token>"',
    });
    expect((await exchange(t.app, cookieFromBefore)).statusCode).toBe(401);
  });

  it('lets every user log in with JWTs, whatever the rollout percentage says', async () => {
    expect(t.tessera.rollout.current().percent).toBe(0);
    expect((await login(t.app, 'gus')).statusCode).toBe(200);
  });
});
