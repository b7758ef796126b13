import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sessionCookieFor, withSession } from '../support/sessions.js';
import { createUser, login, loginTokens, startTestInstance, type TestInstance } from '../support/tessera.js';

const REFRESH_COOKIE = '__Secure-refresh_token';

describe('cookies planted by another site beside the user\'s own', () => {
  let t: TestInstance;
  beforeAll(async () => {
    t = await startTestInstance({ AUTH_RATE_LIMIT: '0' });
    await createUser(t.tessera, 'admin', 'admin');
    await createUser(t.tessera, 'tester');
  });
  afterAll(() => t.close());

  const withCookieHeader = (method: 'GET' | 'POST', url: string, cookie: string) => t.app.inject({ method, url, headers: { cookie } });

  it('refuses two session_id cookies instead of authenticating as the first', async () => {
    const admin = await sessionCookieFor(t.app, 'admin');
    const tester = await sessionCookieFor(t.app, 'tester');
    const response = await withCookieHeader('GET', '/api/me', `session_id=${admin}; session_id=${tester}`);
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({ error: 'invalid_request', error_description: expect.stringMatching(/planted/) });
  });

  it('refuses two session_id cookies on a session exchange or logout, and ends neither session', async () => {
    const admin = await sessionCookieFor(t.app, 'admin');
    const tester = await sessionCookieFor(t.app, 'tester');
    for (const url of ['/auth/session/exchange', '/api/logout']) {
      expect((await withCookieHeader('POST', url, `session_id=${tester}; session_id=${admin}`)).statusCode).toBe(400);
    }
    expect((await withSession(t.app, '/api/me', admin)).json().role).toBe('admin');
    expect((await withSession(t.app, '/api/me', tester)).json().role).toBe('user');
  });

  it('refuses a planted refresh cookie ahead of the user\'s own, under either name', async () => {
    const planted = (await loginTokens(t.app, 'tester')).refresh_token;
    const own = (await loginTokens(t.app, 'admin')).refresh_token;
    const headers = [
      `refresh_token=${planted}; refresh_token=${own}`,
      `${REFRESH_COOKIE}=${planted}; ${REFRESH_COOKIE}=${own}`,
      `refresh_token=${planted}; ${REFRESH_COOKIE}=${own}`,
    ];
    for (const cookie of headers) {
      for (const url of ['/auth/refresh', '/auth/logout']) {
        const response = await withCookieHeader('POST', url, cookie);
        expect(response.statusCode, `${url} ${cookie.slice(0, 20)}`).toBe(400);
        expect(response.json().error).toBe('invalid_request');
      }
    }
    // Neither token was used or ended.
    for (const token of [planted, own]) {
      expect((await t.app.inject({ method: 'POST', url: '/auth/refresh', payload: { refresh_token: token } })).statusCode).toBe(200);
    }
  });

  it('issues the refresh token as a __Secure- cookie for /auth only', async () => {
    const response = await login(t.app, 'tester');
    const cookie = response.cookies.find((c) => c.name === REFRESH_COOKIE);
    expect(cookie).toMatchObject({ value: response.json().refresh_token, path: '/auth', secure: true, httpOnly: true, sameSite: 'Strict' });
    expect(response.cookies.map((c) => c.name)).toEqual([REFRESH_COOKIE]);
  });

  it('still accepts the old refresh_token cookie during the transition, and moves the browser to the new name', async () => {
    const { refresh_token } = await loginTokens(t.app, 'tester');
    const response = await withCookieHeader('POST', '/auth/refresh', `refresh_token=${refresh_token}`);
    expect(response.statusCode).toBe(200);
    const set = Object.fromEntries(response.cookies.map((c) => [c.name, c]));
    expect(set[REFRESH_COOKIE]?.value).toMatch(/^eyJ/);
    expect(response.json().refresh_token).toBeUndefined();
    expect(set.refresh_token).toMatchObject({ value: '', path: '/auth' });
    expect(set.refresh_token!.expires!.getTime()).toBeLessThanOrEqual(Date.now());
  });

  it('accepts the same token under the old and the new name', async () => {
    const { refresh_token } = await loginTokens(t.app, 'tester');
    const response = await withCookieHeader('POST', '/auth/refresh', `refresh_token=${refresh_token}; ${REFRESH_COOKIE}=${refresh_token}`);
    expect(response.statusCode).toBe(200);
  });

  it('clears the refresh cookie under both names on logout', async () => {
    const { refresh_token } = await loginTokens(t.app, 'tester');
    const response = await withCookieHeader('POST', '/auth/logout', `${REFRESH_COOKIE}=${refresh_token}`);
    expect(response.json()).toEqual({ status: 'logged_out' });
    expect(response.cookies.map((c) => [c.name, c.value]).sort()).toEqual([
      [REFRESH_COOKIE, ''],
      ['refresh_token', ''],
    ]);
  });
});
