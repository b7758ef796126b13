import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exchange, sessionCookieFor, withSession } from '../support/sessions.js';
import { createUser, loginTokens, startTestInstance, type TestInstance } from '../support/tessera.js';

const OWN = 'https://auth.example.com';
const APP = 'https://app.example.com';
const EVIL = 'https://evil.example';
const REFRESH_COOKIE = '__Secure-refresh_token';

describe('cookie-authenticated requests from other sites', () => {
  let t: TestInstance;
  beforeAll(async () => {
    t = await startTestInstance({ AUTH_RATE_LIMIT: '0', PUBLIC_URL: `${OWN}/`, ALLOWED_ORIGINS: APP });
    await createUser(t.tessera, 'victim');
  });
  afterAll(() => t.close());

  const post = (url: string, cookies: Record<string, string>, headers: Record<string, string> = {}, payload?: string) =>
    t.app.inject({ method: 'POST', url, cookies, headers, ...(payload === undefined ? {} : { payload }) });

  it('refuses a text/plain session exchange from another site, and the session lives on', async () => {
    const session = await sessionCookieFor(t.app, 'victim');
    const response = await exchange(t.app, session, { origin: EVIL, 'content-type': 'text/plain' });
    expect(response.statusCode).toBe(403);
    expect(response.json()).toMatchObject({ error: 'cross_site_request', error_description: expect.stringMatching(/ALLOWED_ORIGINS/) });
    expect(response.cookies).toEqual([]);
    expect((await withSession(t.app, '/api/users', session)).statusCode).toBe(200);
  });

  it('refuses a cookie refresh, logout or session logout from another site, a sibling site or an opaque origin', async () => {
    const session = await sessionCookieFor(t.app, 'victim');
    const { refresh_token } = await loginTokens(t.app, 'victim');
    const foreign: Record<string, string>[] = [{ origin: EVIL }, { origin: 'https://sub.example.com' }, { origin: 'null' }, { 'sec-fetch-site': 'cross-site' }, { 'sec-fetch-site': 'same-site' }];
    for (const headers of foreign) {
      for (const url of ['/auth/refresh', '/auth/logout']) {
        const response = await post(url, { [REFRESH_COOKIE]: refresh_token }, headers);
        expect(response.statusCode, `${url} ${JSON.stringify(headers)}`).toBe(403);
        expect(response.json().error).toBe('cross_site_request');
      }
      expect((await post('/api/logout', { session_id: session }, headers)).statusCode).toBe(403);
    }
    expect((await withSession(t.app, '/api/users', session)).statusCode).toBe(200);
    expect((await t.app.inject({ method: 'POST', url: '/auth/refresh', payload: { refresh_token } })).statusCode).toBe(200);
  });

  it('accepts cookie requests from its own origin, from ALLOWED_ORIGINS and from its own pages by Fetch Metadata', async () => {
    let { refresh_token } = await loginTokens(t.app, 'victim');
    const own: Record<string, string>[] = [{ origin: OWN }, { origin: APP }, { 'sec-fetch-site': 'same-origin' }, { 'sec-fetch-site': 'none' }];
    for (const headers of own) {
      const response = await post('/auth/refresh', { [REFRESH_COOKIE]: refresh_token }, headers);
      expect(response.statusCode, JSON.stringify(headers)).toBe(200);
      // The successor of a cookie refresh is in the cookie only: a page's scripts never see one.
      expect(response.json().refresh_token, JSON.stringify(headers)).toBeUndefined();
      refresh_token = response.cookies.find((c) => c.name === REFRESH_COOKIE)!.value;
    }
    const session = await sessionCookieFor(t.app, 'victim');
    expect((await exchange(t.app, session, { origin: APP })).statusCode).toBe(200);
  });

  it('accepts cookie requests that carry neither Origin nor Sec-Fetch-Site, as curl and Python clients send them', async () => {
    const session = await sessionCookieFor(t.app, 'victim');
    expect((await post('/api/logout', { session_id: session })).json()).toEqual({ status: 'logged_out' });
    const { refresh_token } = await loginTokens(t.app, 'victim');
    expect((await post('/auth/refresh', { [REFRESH_COOKIE]: refresh_token })).statusCode).toBe(200);
  });

  it('does not hold Bearer-authenticated requests or bodies without cookies to the origin rule', async () => {
    const { access_token, refresh_token } = await loginTokens(t.app, 'victim');
    const refreshed = await t.app.inject({ method: 'POST', url: '/auth/refresh', headers: { origin: EVIL }, payload: { refresh_token } });
    expect(refreshed.statusCode).toBe(200);
    const logout = await post('/auth/logout', { [REFRESH_COOKIE]: refreshed.json().refresh_token }, { origin: EVIL, authorization: `Bearer ${access_token}` });
    expect(logout.json()).toEqual({ status: 'logged_out' });
  });

  it('checks a cookie request behind forward auth by the method its proxy names: X-Original-Method (nginx) or X-Forwarded-Method (Traefik)', async () => {
    const session = await sessionCookieFor(t.app, 'victim');
    for (const header of ['x-original-method', 'x-forwarded-method']) {
      const write = await withSession(t.app, '/auth/verify', session, { origin: EVIL, [header]: 'POST' });
      expect(write.statusCode, header).toBe(403);
      expect(write.json().error, header).toBe('cross_site_request');
      const read = await withSession(t.app, '/auth/verify', session, { origin: EVIL, [header]: 'GET' });
      expect(read.statusCode, header).toBe(200);
      expect(read.headers['x-auth-request-via'], header).toBe('session');
    }
    // nginx's header wins where both arrive: our configuration sets it from the request nginx received.
    const both = await withSession(t.app, '/auth/verify', session, { origin: EVIL, 'x-original-method': 'POST', 'x-forwarded-method': 'GET' });
    expect(both.statusCode).toBe(403);
  });

  it("lets no other site spend an address's login or refresh budget with forged simple requests", async () => {
    const limited = await startTestInstance({ AUTH_RATE_LIMIT: '2', REFRESH_IP_RATE_LIMIT: '2', PUBLIC_URL: `${OWN}/` });
    try {
      await createUser(limited.tessera, 'neighbour');
      const forged = { origin: EVIL, 'content-type': 'text/plain' };
      for (let i = 0; i < 5; i += 1) {
        for (const url of ['/auth/login', '/api/login', '/auth/refresh']) {
          expect((await limited.app.inject({ method: 'POST', url, headers: forged, payload: '{}' })).statusCode).toBe(415);
        }
        // No body and no cookie at all (fetch with mode "no-cors"): refused, and charged to nobody.
        expect((await limited.app.inject({ method: 'POST', url: '/auth/session/exchange', headers: { origin: EVIL } })).statusCode).toBe(401);
      }
      const tokens = await loginTokens(limited.app, 'neighbour');
      expect((await limited.app.inject({ method: 'POST', url: '/auth/refresh', payload: { refresh_token: tokens.refresh_token } })).statusCode).toBe(200);
    } finally {
      await limited.close();
    }
  });

  it("lets no other site spend an address's logouts with forged simple requests", async () => {
    const limited = await startTestInstance({ AUTH_RATE_LIMIT: '2', PUBLIC_URL: `${OWN}/` });
    try {
      await createUser(limited.tessera, 'neighbour');
      const forged = { origin: EVIL, 'sec-fetch-site': 'cross-site', 'content-type': 'text/plain' };
      for (let i = 0; i < 5; i += 1) {
        for (const url of ['/auth/logout', '/api/logout']) {
          const response = await limited.app.inject({ method: 'POST', url, headers: forged, payload: 'x' });
          expect(response.statusCode, url).toBe(415);
        }
      }
      const tokens = await loginTokens(limited.app, 'neighbour');
      const logout = await limited.app.inject({
        method: 'POST',
        url: '/auth/logout',
        headers: { authorization: `Bearer ${tokens.access_token}` },
        payload: { refresh_token: tokens.refresh_token },
      });
      expect(logout.statusCode).toBe(200);
      const after = await limited.app.inject({ url: '/api/me', headers: { authorization: `Bearer ${tokens.access_token}` } });
      expect(after.statusCode).toBe(401);
      // Requests that can log out still count: the budget is spent by the third within the minute.
      const again = () => limited.app.inject({ method: 'POST', url: '/auth/logout', payload: { refresh_token: tokens.refresh_token } });
      expect((await again()).statusCode).not.toBe(429);
      expect((await again()).statusCode).toBe(429);
    } finally {
      await limited.close();
    }
  });

  it('answers 415 to a text/plain body on the cookie routes, even without an Origin', async () => {
    const session = await sessionCookieFor(t.app, 'victim');
    const { refresh_token } = await loginTokens(t.app, 'victim');
    const plain = { 'content-type': 'text/plain' };
    const answers = [
      await post('/auth/session/exchange', { session_id: session }, plain, ''),
      await post('/api/logout', { session_id: session }, plain, 'x'),
      await post('/auth/refresh', { [REFRESH_COOKIE]: refresh_token }, plain, 'x'),
      await post('/auth/logout', { [REFRESH_COOKIE]: refresh_token }, plain, 'x'),
    ];
    for (const response of answers) {
      expect(response.statusCode).toBe(415);
      expect(response.json().error).toBe('unsupported_media_type');
    }
    expect((await withSession(t.app, '/api/users', session)).statusCode).toBe(200);
  });
});
