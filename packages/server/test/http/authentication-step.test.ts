import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUser, loginTokens, startTestInstance, type TestInstance } from '../support/tessera.js';
import { deprecationOf, sessionCookieFor, withSession } from '../support/sessions.js';

describe('one authentication step for every protected route', () => {
  let t: TestInstance;
  let cookie: string;
  let accessToken: string;
  beforeAll(async () => {
    t = await startTestInstance({ AUTH_RATE_LIMIT: '0' });
    await createUser(t.tessera, 'mia', 'admin');
    cookie = await sessionCookieFor(t.app, 'mia');
    accessToken = (await loginTokens(t.app, 'mia')).access_token;
  });
  afterAll(() => t.close());

  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

  it('lets a session client and a JWT client of the same user work at the same time, as the same user', async () => {
    const [viaSession, viaToken] = await Promise.all([
      withSession(t.app, '/api/me', cookie),
      t.app.inject({ url: '/api/me', headers: bearer(accessToken) }),
    ]);
    expect(viaSession.statusCode).toBe(200);
    expect(viaToken.statusCode).toBe(200);
    const { auth: sessionAuth, expires_at: _a, ...sessionUser } = viaSession.json();
    const { auth: tokenAuth, expires_at: _b, ...tokenUser } = viaToken.json();
    expect([sessionAuth, tokenAuth]).toEqual(['session', 'jwt']);
    expect(sessionUser).toEqual(tokenUser);
    expect(sessionUser).toMatchObject({ role: 'admin' });
    const lists = await Promise.all([
      withSession(t.app, '/api/users', cookie),
      t.app.inject({ url: '/api/users', headers: bearer(accessToken) }),
    ]);
    expect(lists[0]!.body).toBe(lists[1]!.body);
  });

  it('prefers the Bearer token when both are sent', async () => {
    const response = await withSession(t.app, '/api/me', cookie, bearer(accessToken));
    expect(response.json().auth).toBe('jwt');
    expect(response.headers.deprecation).toBeUndefined();
  });

  it('lets an Authorization header decide alone: a bad token beside a good cookie is 401', async () => {
    const badToken = await withSession(t.app, '/api/users', cookie, bearer('invalid_token'));
    expect(badToken.statusCode).toBe(401);
    expect(badToken.json()).toEqual({ error: 'invalid_token', error_description: 'The access token is malformed' });
    const otherScheme = await withSession(t.app, '/api/users', cookie, { authorization: 'Basic bWlhOnB3' });
    expect(otherScheme.statusCode).toBe(401);
    expect(otherScheme.json().error).toBe('unauthorized');
  });

  it('answers 401 unauthorized with a Bearer challenge when neither is sent', async () => {
    const response = await t.app.inject({ url: '/api/users' });
    expect(response.statusCode).toBe(401);
    expect(response.json().error).toBe('unauthorized');
    expect(response.headers['www-authenticate']).toBe('Bearer realm="tessera"');
  });

  it('authenticates before it reads or checks anything else: an unknown query parameter or a bad body without credentials is a 401, not a 400', async () => {
    const query = await t.app.inject({ url: '/api/users?foo=1' });
    expect(query.statusCode).toBe(401);
    expect(query.headers['www-authenticate']).toBe('Bearer realm="tessera"');
    const body = await t.app.inject({ method: 'POST', url: '/api/me/password', headers: { 'content-type': 'application/json' }, payload: '{"not json' });
    expect(body.statusCode).toBe(401);
    expect(body.json()).toMatchObject({ error: 'unauthorized' });
    // With credentials, the same query is checked.
    expect((await t.app.inject({ url: '/api/users?foo=1', headers: bearer(accessToken) })).statusCode).toBe(400);
  });

  it('announces the deprecation on session-authenticated responses only', async () => {
    const session = await withSession(t.app, '/api/users', cookie);
    expect(deprecationOf(session)).toEqual({
      deprecation: '@1795392000',
      sunset: 'Sun, 21 Feb 2027 00:00:00 GMT',
      link: '</docs/auth-migration-guide.md>; rel="deprecation"; type="text/markdown"',
    });
    const jwt = await t.app.inject({ url: '/api/users', headers: bearer(accessToken) });
    expect(deprecationOf(jwt)).toEqual({ deprecation: undefined, sunset: undefined, link: undefined });
    const jwtLogin = await t.app.inject({ method: 'POST', url: '/auth/login', payload: { username: 'mia', password: 'correct horse battery' } });
    expect(deprecationOf(jwtLogin)).toEqual({ deprecation: undefined, sunset: undefined, link: undefined });
  });
});
