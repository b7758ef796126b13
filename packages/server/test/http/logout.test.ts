import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUser, getUsers, loginTokens, refresh, startTestInstance, type TestInstance } from '../support/tessera.js';

describe('POST /auth/logout', () => {
  let t: TestInstance;
  beforeAll(async () => {
    t = await startTestInstance({ AUTH_RATE_LIMIT: '0' });
    await createUser(t.tessera, 'frank');
  });
  afterAll(() => t.close());

  const logout = (opts: { access?: string; refresh?: string; cookie?: string }) =>
    t.app.inject({
      method: 'POST',
      url: '/auth/logout',
      headers: opts.access ? { authorization: `Bearer ${opts.access}` } : {},
      ...(opts.refresh ? { payload: { refresh_token: opts.refresh } } : {}),
      ...(opts.cookie ? { cookies: { refresh_token: opts.cookie } } : {}),
    });

  it('with both tokens, revokes the access token and the refresh family, and clears the cookie', async () => {
    const tokens = await loginTokens(t.app, 'frank');
    const response = await logout({ access: tokens.access_token, refresh: tokens.refresh_token });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ status: 'logged_out' });
    const cleared = response.cookies.find((c) => c.name === '__Secure-refresh_token')!;
    expect(cleared.value).toBe('');
    expect((await getUsers(t.app, tokens.access_token)).statusCode).toBe(401);
    expect((await refresh(t.app, tokens.refresh_token)).statusCode).toBe(401);
  });

  it('with only the access token, also ends that device’s refresh token', async () => {
    const tokens = await loginTokens(t.app, 'frank');
    expect((await logout({ access: tokens.access_token })).statusCode).toBe(200);
    expect((await getUsers(t.app, tokens.access_token)).statusCode).toBe(401);
    expect((await refresh(t.app, tokens.refresh_token)).statusCode).toBe(401);
  });

  it('with only the refresh token (body or cookie), also ends the access tokens issued with it', async () => {
    const viaBody = await loginTokens(t.app, 'frank');
    expect((await logout({ refresh: viaBody.refresh_token })).statusCode).toBe(200);
    expect((await getUsers(t.app, viaBody.access_token)).statusCode).toBe(401);

    const viaCookie = await loginTokens(t.app, 'frank');
    expect((await logout({ cookie: viaCookie.refresh_token })).statusCode).toBe(200);
    expect((await getUsers(t.app, viaCookie.access_token)).statusCode).toBe(401);
  });

  it('keeps the user’s other devices logged in', async () => {
    const laptop = await loginTokens(t.app, 'frank');
    const phone = await loginTokens(t.app, 'frank');
    await logout({ access: laptop.access_token, refresh: laptop.refresh_token });
    expect((await getUsers(t.app, phone.access_token)).statusCode).toBe(200);
    expect((await refresh(t.app, phone.refresh_token)).statusCode).toBe(200);
  });

  it('is idempotent: logging out again with the same tokens answers 200', async () => {
    const tokens = await loginTokens(t.app, 'frank');
    for (let i = 0; i < 3; i += 1) {
      expect((await logout({ access: tokens.access_token, refresh: tokens.refresh_token })).statusCode).toBe(200);
    }
  });

  it('accepts an expired access token, which still identifies the device', async () => {
    const tokens = await loginTokens(t.app, 'frank');
    t.clock.advanceSeconds(1000);
    expect((await logout({ access: tokens.access_token })).statusCode).toBe(200);
    expect((await refresh(t.app, tokens.refresh_token)).statusCode).toBe(401);
  });

  it('without any token answers 400 saying what to send', async () => {
    const response = await logout({});
    expect(response.statusCode).toBe(400);
    expect(response.json().error).toBe('invalid_request');
  });

  it('refuses forged tokens with 401', async () => {
    expect((await logout({ access: 'not.a.jwt' })).statusCode).toBe(401);
    expect((await logout({ refresh: 'not.a.jwt' })).statusCode).toBe(401);
  });
});

describe('POST /auth/logout under its limit (AUTH_RATE_LIMIT a minute)', () => {
  let t: TestInstance;
  beforeAll(async () => {
    t = await startTestInstance({ AUTH_RATE_LIMIT: '3' });
    await createUser(t.tessera, 'gina');
  });
  afterAll(() => t.close());

  const logout = (remoteAddress: string, opts: { access?: string; cookie?: string; refresh?: string }) =>
    t.app.inject({
      method: 'POST',
      url: '/auth/logout',
      remoteAddress,
      headers: opts.access ? { authorization: `Bearer ${opts.access}` } : {},
      ...(opts.refresh ? { payload: { refresh_token: opts.refresh } } : {}),
      ...(opts.cookie ? { cookies: { '__Secure-refresh_token': opts.cookie } } : {}),
    });

  it("signs a user out even after others behind the same address spent its limit with junk logouts, and counts one login's own logouts on their own", async () => {
    const office = '10.7.0.1';
    const junk = [];
    for (let i = 0; i < 4; i += 1) junk.push((await logout(office, { access: `junk.${i}.token` })).statusCode);
    expect(junk).toEqual([401, 401, 401, 429]);

    const browser = await loginTokens(t.app, 'gina');
    const signedOut = await logout(office, { cookie: browser.refresh_token });
    expect(signedOut.statusCode).toBe(200);
    expect(signedOut.cookies.find((c) => c.name === '__Secure-refresh_token')).toMatchObject({ value: '' });
    expect((await refresh(t.app, browser.refresh_token)).statusCode).toBe(401);
    const phone = await loginTokens(t.app, 'gina');
    expect((await logout(office, { access: phone.access_token })).statusCode).toBe(200);
    expect((await getUsers(t.app, phone.access_token)).statusCode).toBe(401);

    // One login's own logouts have a limit of their own, wherever they come from.
    const repeated = [];
    for (let i = 0; i < 3; i += 1) repeated.push((await logout(`10.8.0.${i}`, { refresh: browser.refresh_token })).statusCode);
    expect(repeated).toEqual([200, 200, 429]);
  });

  it('clears the refresh cookie even when the token in it is refused', async () => {
    const refused = await logout('10.7.1.1', { cookie: 'not.a.token' });
    expect(refused.statusCode).toBe(401);
    expect(refused.cookies.find((c) => c.name === '__Secure-refresh_token')).toMatchObject({ value: '' });
  });
});
