import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUser, refresh, startTestInstance, TEST_PASSWORD, type TestInstance } from '../support/tessera.js';
import { sessionCookieFor } from '../support/sessions.js';

/** What a browser page gets from a route that starts a login, when it asks for the refresh token in the cookie only. */
const COOKIE_ONLY = { refresh_token_delivery: 'cookie' } as const;

describe('refresh_token_delivery: a browser page can keep the refresh token out of every body', () => {
  let t: TestInstance;
  beforeAll(async () => {
    t = await startTestInstance({ AUTH_RATE_LIMIT: '0' });
    await createUser(t.tessera, 'pia');
    await createUser(t.tessera, 'quinn');
  });
  afterAll(() => t.close());

  const refreshCookieOf = (response: { cookies: { name: string; value: string; httpOnly?: boolean }[] }) =>
    response.cookies.find((cookie) => cookie.name === '__Secure-refresh_token');

  /** The answer holds no refresh token, the HttpOnly cookie does, and the cookie refreshes. */
  async function expectCookieOnly(response: Awaited<ReturnType<TestInstance['app']['inject']>>) {
    expect(response.statusCode).toBe(200);
    expect(Object.keys(response.json()).sort()).toEqual(['access_token', 'expires_in', 'token_type']);
    expect(response.body).not.toContain('refresh_token');
    const cookie = refreshCookieOf(response)!;
    expect(cookie.httpOnly).toBe(true);
    const next = await t.app.inject({ method: 'POST', url: '/auth/refresh', cookies: { '__Secure-refresh_token': cookie.value } });
    expect(next.statusCode).toBe(200);
  }

  it('a login asking for the cookie only answers no refresh token in its body', async () => {
    const response = await t.app.inject({ method: 'POST', url: '/auth/login', payload: { username: 'pia', password: TEST_PASSWORD, ...COOKIE_ONLY } });
    await expectCookieOnly(response);
  });

  it('a login that does not ask still answers the refresh token in the body and the cookie, for mobile and server clients', async () => {
    for (const payload of [{}, { refresh_token_delivery: 'body_and_cookie' }]) {
      const response = await t.app.inject({ method: 'POST', url: '/auth/login', payload: { username: 'pia', password: TEST_PASSWORD, ...payload } });
      const body = response.json<{ refresh_token: string }>();
      expect(body.refresh_token).toBe(refreshCookieOf(response)!.value);
      expect((await refresh(t.app, body.refresh_token)).statusCode).toBe(200);
    }
  });

  it('an unknown delivery is a 400 naming the field, and no login happens', async () => {
    const response = await t.app.inject({
      method: 'POST',
      url: '/auth/login',
      payload: { username: 'pia', password: TEST_PASSWORD, refresh_token_delivery: 'header' },
    });
    expect(response.statusCode).toBe(400);
    expect(response.json().error).toBe('invalid_request');
    expect(response.json().error_description).toContain('refresh_token_delivery');
    expect(refreshCookieOf(response)).toBeUndefined();
  });

  it('a session exchange asking for the cookie only answers no refresh token in its body', async () => {
    const session = await sessionCookieFor(t.app, 'quinn');
    const response = await t.app.inject({ method: 'POST', url: '/auth/session/exchange', cookies: { session_id: session }, payload: COOKIE_ONLY });
    await expectCookieOnly(response);
  });

  it('a password change asking for the cookie only answers no refresh token in its body', async () => {
    const login = await t.app.inject({ method: 'POST', url: '/auth/login', payload: { username: 'quinn', password: TEST_PASSWORD, ...COOKIE_ONLY } });
    const response = await t.app.inject({
      method: 'POST',
      url: '/api/me/password',
      headers: { authorization: `Bearer ${login.json().access_token}` },
      payload: { current_password: TEST_PASSWORD, new_password: 'a much better passphrase', ...COOKIE_ONLY },
    });
    await expectCookieOnly(response);
  });
});
