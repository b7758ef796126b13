import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUser, getUsers, loginTokens, refresh, startTestInstance, type TestInstance, type TokenPairBody } from '../support/tessera.js';

/** The seed's "Edge Cases Tested" list, each as a client would meet it. */
describe("the seed's edge cases", () => {
  let t: TestInstance;
  beforeAll(async () => {
    t = await startTestInstance({ AUTH_RATE_LIMIT: '0' });
    await createUser(t.tessera, 'alice');
  });
  afterAll(() => t.close());

  it('an expired access token gets 401, and the client refreshes successfully', async () => {
    const tokens = await loginTokens(t.app, 'alice');
    t.clock.advanceSeconds(901);
    const expired = await getUsers(t.app, tokens.access_token);
    expect(expired.statusCode).toBe(401);
    expect(expired.json()).toEqual({ error: 'invalid_token', error_description: 'The access token has expired' });
    expect(expired.headers['www-authenticate']).toBe(
      'Bearer realm="tessera", error="invalid_token", error_description="The access token has expired"',
    );
    const refreshed = await refresh(t.app, tokens.refresh_token);
    expect(refreshed.statusCode).toBe(200);
    expect((await getUsers(t.app, refreshed.json<TokenPairBody>().access_token)).statusCode).toBe(200);
  });

  it('an expired refresh token gets 401, and the client must log in again', async () => {
    const tokens = await loginTokens(t.app, 'alice');
    t.clock.advanceSeconds(604_801);
    const response = await refresh(t.app, tokens.refresh_token);
    expect(response.statusCode).toBe(401);
    expect(response.json()).toEqual({ error: 'invalid_grant', error_description: 'The refresh token has expired; log in again', reason: 'expired' });
    expect((await loginTokens(t.app, 'alice')).access_token).toBeTruthy();
  });

  it('a malformed JWT gets 401 with a clear message', async () => {
    for (const token of ['eyJhbGciOiJSUzI1NiJ9.e30', 'a.b.c', 'eyJ.eyJ.sig', '....']) {
      const response = await getUsers(t.app, token);
      expect(response.statusCode).toBe(401);
      expect(response.json().error).toBe('invalid_token');
      expect(response.json().error_description).toMatch(/malformed|unknown key/);
    }
  });

  it('a missing Authorization header gets 401 and a challenge without an error code (RFC 6750 §3.1)', async () => {
    const response = await getUsers(t.app, undefined);
    expect(response.statusCode).toBe(401);
    expect(response.headers['www-authenticate']).toBe('Bearer realm="tessera"');
    expect(response.json()).toEqual({
      error: 'unauthorized',
      error_description: 'Missing Authorization header: send "Authorization: Bearer <access_token>"',
    });
  });

  it('another scheme or an empty Bearer credential gets 401 saying so', async () => {
    const basic = await t.app.inject({ url: '/api/users', headers: { authorization: 'Basic dGVzdDp0ZXN0MTIz' } });
    expect(basic.statusCode).toBe(401);
    expect(basic.json().error_description).toMatch(/Bearer scheme/);
    const empty = await t.app.inject({ url: '/api/users', headers: { authorization: 'Bearer ' } });
    expect(empty.statusCode).toBe(401);
    expect(empty.json().error).toBe('invalid_token');
  });

  it('the Bearer scheme name is case-insensitive (RFC 7235)', async () => {
    const { access_token } = await loginTokens(t.app, 'alice');
    const response = await t.app.inject({ url: '/api/users', headers: { authorization: `bearer ${access_token}` } });
    expect(response.statusCode).toBe(200);
  });

  it('a token revoked by logout fails every later request with 401', async () => {
    const tokens = await loginTokens(t.app, 'alice');
    const logout = await t.app.inject({
      method: 'POST',
      url: '/auth/logout',
      headers: { authorization: `Bearer ${tokens.access_token}` },
      payload: { refresh_token: tokens.refresh_token },
    });
    expect(logout.statusCode).toBe(200);
    const after = await getUsers(t.app, tokens.access_token);
    expect(after.statusCode).toBe(401);
    expect(after.json().error_description).toBe('The access token has been revoked');
    expect((await refresh(t.app, tokens.refresh_token)).statusCode).toBe(401);
  });

  it('concurrent requests with the same token all succeed', async () => {
    const { access_token } = await loginTokens(t.app, 'alice');
    const responses = await Promise.all(Array.from({ length: 50 }, () => getUsers(t.app, access_token)));
    expect(responses.map((r) => r.statusCode)).toEqual(Array(50).fill(200));
  });
});
