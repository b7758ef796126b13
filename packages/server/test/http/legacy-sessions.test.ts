import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_PASSWORD, createUser, login, startTestInstance, type TestInstance } from '../support/tessera.js';
import { sessionCookieFor, sessionLogin, withSession } from '../support/sessions.js';

const MINUTE = 60;

describe('POST /api/login (legacy sessions)', () => {
  let t: TestInstance;
  beforeAll(async () => {
    t = await startTestInstance({ AUTH_RATE_LIMIT: '0' });
    await createUser(t.tessera, 'sam');
  });
  afterAll(() => t.close());

  it('answers 200 with the user and sets an HttpOnly, Secure, SameSite=Lax session_id cookie for the whole site', async () => {
    const response = await sessionLogin(t.app, 'Sam');
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({
      user: { id: expect.any(String), username: 'sam', role: 'user' },
      expires_at: new Date(t.clock.now() + 86_400_000).toISOString(),
    });
    const cookie = response.cookies.find((c) => c.name === 'session_id')!;
    expect(cookie.value).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(cookie).toMatchObject({ httpOnly: true, secure: true, sameSite: 'Lax', path: '/', maxAge: 86_400 });
    expect(response.headers['cache-control']).toBe('no-store');
  });

  it('gives every login a new session and stores only the SHA-256 of the cookie value', async () => {
    const first = await sessionCookieFor(t.app, 'sam');
    const second = await sessionCookieFor(t.app, 'sam');
    expect(first).not.toBe(second);
    const hash = createHash('sha256').update(first).digest('base64url');
    expect(await t.tessera.store.sessions.find(hash)).toMatchObject({ session: { id: hash } });
    expect(await t.tessera.store.sessions.find(first)).toBeNull();
  });

  it('gives a wrong password and an unknown user the same 401 as /auth/login, and sets no cookie', async () => {
    const wrong = await sessionLogin(t.app, 'sam', 'not the password');
    const unknown = await sessionLogin(t.app, 'nobody-here', 'not the password');
    const jwt = await login(t.app, 'sam', 'not the password');
    expect(wrong.statusCode).toBe(401);
    expect(wrong.body).toBe(unknown.body);
    expect(wrong.body).toBe(jwt.body);
    expect(wrong.cookies).toEqual([]);
  });

  it('records session logins and failed session logins in the audit trail', async () => {
    const user = await t.tessera.store.users.findByUsername('sam');
    await sessionLogin(t.app, 'sam', TEST_PASSWORD, { 'user-agent': 'legacy-app/1.0' });
    await sessionLogin(t.app, 'sam', 'not the password');
    const [success] = await t.tessera.audit.query({ type: 'session.login', limit: 1 });
    expect(success).toMatchObject({ userId: user!.id, userAgent: 'legacy-app/1.0', detail: { sessionId: expect.any(String) } });
    const [failure] = await t.tessera.audit.query({ type: 'login.failure', limit: 1 });
    expect(failure!.detail).toEqual({ username: 'sam', reason: 'bad_password', via: 'session' });
  });

  it('refuses a disabled account with the same 401 body', async () => {
    const user = await createUser(t.tessera, 'dora');
    await t.tessera.store.users.update(user.id, { disabledAt: t.clock.now() }, t.clock.now());
    const response = await sessionLogin(t.app, 'dora');
    expect(response.statusCode).toBe(401);
    expect(response.json().error).toBe('invalid_credentials');
  });

  it.each([
    ['a missing password', { username: 'sam' }, 400, 'body.password is required'],
    ['a number for a username', { username: 42, password: 'x' }, 400, 'body.username must be string'],
    ['an empty password', { username: 'sam', password: '' }, 400, 'body.password must NOT have fewer than 1 characters'],
  ])('refuses %s with 400 naming the field', async (_case, payload, status, description) => {
    const response = await t.app.inject({ method: 'POST', url: '/api/login', payload });
    expect(response.statusCode).toBe(status);
    expect(response.json()).toEqual({ error: 'invalid_request', error_description: description });
  });

  it('refuses a body that is not JSON, or too large, as /auth/login does', async () => {
    const form = await t.app.inject({ method: 'POST', url: '/api/login', headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: 'username=sam' });
    expect(form.statusCode).toBe(415);
    const huge = await t.app.inject({ method: 'POST', url: '/api/login', payload: { username: 'sam', password: 'x'.repeat(5000) } });
    expect(huge.statusCode).toBe(413);
  });
});

describe('a session cookie on protected routes', () => {
  let t: TestInstance;
  let userId: string;
  beforeAll(async () => {
    t = await startTestInstance({ AUTH_RATE_LIMIT: '0' });
    userId = (await createUser(t.tessera, 'carla', 'admin')).id;
  });
  afterAll(() => t.close());

  it("opens GET /api/users, as the seed's \"Before\" client uses it", async () => {
    const cookie = await sessionCookieFor(t.app, 'carla');
    const response = await withSession(t.app, '/api/users', cookie);
    expect(response.statusCode).toBe(200);
    expect(response.json<Array<{ username: string }>>().map((u) => u.username)).toContain('carla');
  });

  it('gives the route the same user as a token would, marked as a session', async () => {
    const cookie = await sessionCookieFor(t.app, 'carla');
    const response = await withSession(t.app, '/api/me', cookie);
    expect(response.json()).toEqual({
      id: userId,
      role: 'admin',
      auth: 'session',
      expires_at: new Date(t.clock.now() + 1800_000).toISOString(),
    });
  });

  it.each([
    ['a forged cookie of the right shape', 'A'.repeat(43)],
    ['garbage', 'not-a-session'],
    ['a very long value', 'x'.repeat(3000)],
  ])('refuses %s with 401 invalid_session', async (_case, value) => {
    const response = await withSession(t.app, '/api/users', value);
    expect(response.statusCode).toBe(401);
    expect(response.json()).toEqual({ error: 'invalid_session', error_description: 'The session cookie is not recognised; log in again' });
    expect(response.headers['www-authenticate']).toBe('Bearer realm="tessera"');
    expect(response.headers.deprecation).toBeUndefined();
  });

  it('ends the session on POST /api/logout, clears the cookie, and answers the same when repeated', async () => {
    const cookie = await sessionCookieFor(t.app, 'carla');
    const logout = () => t.app.inject({ method: 'POST', url: '/api/logout', cookies: { session_id: cookie } });
    const first = await logout();
    expect(first.statusCode).toBe(200);
    expect(first.json()).toEqual({ status: 'logged_out' });
    expect(first.cookies.find((c) => c.name === 'session_id')).toMatchObject({ value: '', path: '/' });
    const after = await withSession(t.app, '/api/users', cookie);
    expect(after.statusCode).toBe(401);
    expect(after.json().error_description).toMatch(/^The session has ended/);
    expect((await logout()).json()).toEqual({ status: 'logged_out' });
    expect((await t.app.inject({ method: 'POST', url: '/api/logout' })).statusCode).toBe(200);
    const [event] = await t.tessera.audit.query({ type: 'session.logout', limit: 5 });
    expect(event).toMatchObject({ userId, detail: { sessionId: expect.any(String) } });
    expect(await t.tessera.audit.query({ type: 'session.logout', limit: 5 })).toHaveLength(1);
  });

  it('ends a session SESSION_MAX_AGE after login, however active it is', async () => {
    const cookie = await sessionCookieFor(t.app, 'carla');
    for (let elapsed = 0; elapsed < 86_400 - 20 * MINUTE; elapsed += 20 * MINUTE) {
      t.clock.advanceSeconds(20 * MINUTE);
      expect((await withSession(t.app, '/api/me', cookie)).statusCode).toBe(200);
    }
    t.clock.advanceSeconds(20 * MINUTE);
    const expired = await withSession(t.app, '/api/me', cookie);
    expect(expired.statusCode).toBe(401);
    expect(expired.json().error_description).toBe('The session has expired; log in again');
  });

  it('keeps a session open through SESSION_IDLE_TIMEOUT of silence and ends it within a minute after', async () => {
    const cookie = await sessionCookieFor(t.app, 'carla');
    t.clock.advanceSeconds(1800);
    expect((await withSession(t.app, '/api/me', cookie)).statusCode).toBe(200);
    t.clock.advanceSeconds(1800 + 59);
    expect((await withSession(t.app, '/api/me', cookie)).statusCode).toBe(200);
    t.clock.advanceSeconds(1800 + 60);
    const idle = await withSession(t.app, '/api/me', cookie);
    expect(idle.statusCode).toBe(401);
    expect(idle.json().error_description).toBe('The session expired after a period of inactivity; log in again');
  });

  it('records the last use at most once a minute, not on every request', async () => {
    const cookie = await sessionCookieFor(t.app, 'carla');
    const id = createHash('sha256').update(cookie).digest('base64url');
    const loggedInAt = t.clock.now();
    const lastSeen = async () => (await t.tessera.store.sessions.find(id))!.session.lastSeenAt;
    t.clock.advanceSeconds(30);
    await withSession(t.app, '/api/me', cookie);
    expect(await lastSeen()).toBe(loggedInAt);
    t.clock.advanceSeconds(30);
    await withSession(t.app, '/api/me', cookie);
    expect(await lastSeen()).toBe(t.clock.now());
  });

  it('refuses the session of an account disabled after it logged in', async () => {
    const user = await createUser(t.tessera, 'dan');
    const cookie = await sessionCookieFor(t.app, 'dan');
    await t.tessera.store.users.update(user.id, { disabledAt: t.clock.now() }, t.clock.now());
    const response = await withSession(t.app, '/api/users', cookie);
    expect(response.statusCode).toBe(401);
    expect(response.json()).toEqual({ error: 'invalid_session', error_description: 'The account is disabled' });
  });
});

describe('rate limiting on /api/login and /api/logout', () => {
  it('limits each to AUTH_RATE_LIMIT per minute per client IP, as on /auth/*', async () => {
    const t = await startTestInstance({ AUTH_RATE_LIMIT: '2' });
    try {
      const attempt = (url: string, remoteAddress: string) =>
        t.app.inject({ method: 'POST', url, remoteAddress, payload: { username: 'nobody', password: 'wrong' } });
      expect((await attempt('/api/login', '10.9.0.1')).statusCode).toBe(401);
      expect((await attempt('/api/login', '10.9.0.1')).statusCode).toBe(401);
      const limited = await attempt('/api/login', '10.9.0.1');
      expect(limited.statusCode).toBe(429);
      expect(limited.json().error).toBe('rate_limited');
      expect((await attempt('/api/login', '10.9.0.2')).statusCode).toBe(401);
      for (let i = 0; i < 2; i += 1) expect((await attempt('/api/logout', '10.9.0.1')).statusCode).toBe(200);
      expect((await attempt('/api/logout', '10.9.0.1')).statusCode).toBe(429);
    } finally {
      await t.close();
    }
  });
});
