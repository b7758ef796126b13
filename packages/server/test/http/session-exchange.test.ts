import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUser, getUsers, refresh, startTestInstance, type TestInstance, type TokenPairBody } from '../support/tessera.js';
import { deprecationOf, exchange, sessionCookieFor, withSession } from '../support/sessions.js';

describe('POST /auth/session/exchange', () => {
  let t: TestInstance;
  let userId: string;
  beforeAll(async () => {
    t = await startTestInstance({ AUTH_RATE_LIMIT: '0' });
    userId = (await createUser(t.tessera, 'eve', 'admin')).id;
  });
  afterAll(() => t.close());

  it("gives the tokens the session's login as auth_time (no password is typed for the exchange)", async () => {
    const loggedIn = Math.floor(t.clock.now() / 1000);
    const cookie = await sessionCookieFor(t.app, 'eve');
    t.clock.advanceSeconds(120);
    const tokens = (await exchange(t.app, cookie)).json<TokenPairBody>();
    expect(decodeJwt(tokens.access_token)).toMatchObject({ auth_time: loggedIn, iat: loggedIn + 120 });
  });

  it('trades a live session for a token pair, answered exactly like a login, and ends the session', async () => {
    const cookie = await sessionCookieFor(t.app, 'eve');
    const response = await exchange(t.app, cookie, { 'user-agent': 'migrating-app/2.0' });
    expect(response.statusCode).toBe(200);
    const tokens = response.json<TokenPairBody>();
    expect(Object.keys(tokens).sort()).toEqual(['access_token', 'expires_in', 'refresh_token', 'token_type']);
    expect(tokens).toMatchObject({ token_type: 'Bearer', expires_in: 900 });
    expect(decodeJwt(tokens.access_token)).toMatchObject({ sub: userId, role: 'admin' });
    expect(response.headers['cache-control']).toBe('no-store');
    expect(response.cookies.find((c) => c.name === '__Secure-refresh_token')).toMatchObject({ value: tokens.refresh_token, path: '/auth', httpOnly: true });
    expect(response.cookies.find((c) => c.name === 'session_id')).toMatchObject({ value: '' });

    expect((await getUsers(t.app, tokens.access_token)).statusCode).toBe(200);
    expect((await refresh(t.app, tokens.refresh_token)).statusCode).toBe(200);
    const ended = await withSession(t.app, '/api/users', cookie);
    expect(ended.statusCode).toBe(401);
    expect(ended.json().error).toBe('invalid_session');

    const [event] = await t.tessera.audit.query({ type: 'session.exchange', limit: 1 });
    expect(event).toMatchObject({ userId, userAgent: 'migrating-app/2.0', detail: { sessionId: expect.any(String), familyId: expect.any(String) } });
  });

  it('carries the deprecation headers, as every session-authenticated answer does', async () => {
    const cookie = await sessionCookieFor(t.app, 'eve');
    expect(deprecationOf(await exchange(t.app, cookie)).deprecation).toBe('@1795392000');
  });

  it('exchanges a session once, even when two exchanges race', async () => {
    const cookie = await sessionCookieFor(t.app, 'eve');
    const results = await Promise.all([exchange(t.app, cookie), exchange(t.app, cookie), exchange(t.app, cookie)]);
    expect(results.map((r) => r.statusCode).sort()).toEqual([200, 401, 401]);
  });

  it('answers 401 without a session cookie, or with one that is forged, logged out or expired', async () => {
    const none = await exchange(t.app, undefined);
    expect(none.statusCode).toBe(401);
    expect(none.json()).toEqual({
      error: 'unauthorized',
      error_description: 'Send the session_id cookie of a logged-in session (from POST /api/login)',
    });
    expect((await exchange(t.app, 'B'.repeat(43))).json().error).toBe('invalid_session');

    const loggedOut = await sessionCookieFor(t.app, 'eve');
    await t.app.inject({ method: 'POST', url: '/api/logout', cookies: { session_id: loggedOut } });
    expect((await exchange(t.app, loggedOut)).statusCode).toBe(401);

    const expired = await sessionCookieFor(t.app, 'eve');
    t.clock.advanceSeconds(86_400);
    expect((await exchange(t.app, expired)).json()).toEqual({ error: 'invalid_session', error_description: 'The session has expired; log in again' });
  });

  it('ignores an Authorization header: only the session is exchanged', async () => {
    const cookie = await sessionCookieFor(t.app, 'eve');
    expect((await exchange(t.app, cookie, { authorization: 'Bearer invalid_token' })).statusCode).toBe(200);
  });
});

describe('POST /auth/session/exchange outside the rollout', () => {
  it('answers 403 jwt_not_enabled, records it, and leaves the session working', async () => {
    const t = await startTestInstance({ AUTH_RATE_LIMIT: '0', JWT_ROLLOUT_PERCENT: '0' });
    try {
      const user = await createUser(t.tessera, 'finn');
      const cookie = await sessionCookieFor(t.app, 'finn');
      const response = await exchange(t.app, cookie);
      expect(response.statusCode).toBe(403);
      expect(response.json()).toEqual({ error: 'jwt_not_enabled', error_description: expect.stringContaining('POST /api/login') });
      expect((await withSession(t.app, '/api/me', cookie)).statusCode).toBe(200);
      const [event] = await t.tessera.audit.query({ type: 'login.jwt_not_enabled', limit: 1 });
      expect(event).toMatchObject({ userId: user.id, detail: { via: 'exchange' } });
    } finally {
      await t.close();
    }
  });
});

describe('POST /auth/session/exchange rate limit', () => {
  it('counts attempts with a session cookie (guessed ones too) against AUTH_RATE_LIMIT per minute per client IP, like logins', async () => {
    const t = await startTestInstance({ AUTH_RATE_LIMIT: '2' });
    try {
      const attempt = () =>
        t.app.inject({ method: 'POST', url: '/auth/session/exchange', remoteAddress: '10.8.0.1', cookies: { session_id: 'G'.repeat(43) } });
      expect((await attempt()).statusCode).toBe(401);
      expect((await attempt()).statusCode).toBe(401);
      expect((await attempt()).statusCode).toBe(429);
    } finally {
      await t.close();
    }
  });
});
