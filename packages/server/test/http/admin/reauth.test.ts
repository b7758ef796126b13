import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_PASSWORD, createUser, loginTokens, refresh, startTestInstance, type TestInstance, type TokenPairBody } from '../../support/tessera.js';

describe('admin changes need a password typed within REAUTH_MAX_AGE, or a re-authentication of the same login', () => {
  let t: TestInstance;
  const browser = { origin: 'http://localhost:5000', 'sec-fetch-mode': 'cors', 'sec-fetch-site': 'same-origin' };
  /** What curl or a script sends: no Origin, no Sec-Fetch-* headers. */
  const curl = { 'user-agent': 'curl/8.5.0' };

  beforeAll(async () => {
    t = await startTestInstance({ AUTH_RATE_LIMIT: '0', REFRESH_RATE_LIMIT: '0' });
    await createUser(t.tessera, 'root', 'admin');
    await createUser(t.tessera, 'other', 'admin');
  });
  afterAll(() => t.close());

  const reauth = async (token: string) => {
    const response = await t.app.inject({ method: 'POST', url: '/api/me/reauth', headers: { authorization: `Bearer ${token}` }, payload: { password: TEST_PASSWORD } });
    expect(response.statusCode).toBe(200);
    return response.json<{ status: string; reauth_token: string; expires_in: number }>();
  };
  const disable = async (token: string, headers: Record<string, string>) => {
    const victim = await createUser(t.tessera, `victim-${crypto.randomUUID().slice(0, 8)}`);
    const response = await t.app.inject({
      method: 'PATCH',
      url: `/admin/users/${victim.id}`,
      headers: { ...headers, authorization: `Bearer ${token}` },
      payload: { disabled: true },
    });
    const disabled = (await t.tessera.store.users.findById(victim.id))?.disabledAt !== null;
    return { status: response.statusCode, error: response.json<{ error?: string }>().error, disabled };
  };
  const refreshed = async (tokens: TokenPairBody): Promise<TokenPairBody> => {
    const response = await refresh(t.app, tokens.refresh_token);
    expect(response.statusCode).toBe(200);
    return response.json<TokenPairBody>();
  };
  const REFUSED = { status: 403, error: 'reauth_required', disabled: false };
  const ACCEPTED = { status: 200, error: undefined, disabled: true };

  it('refuses a change sent from curl, without Origin, with a token refreshed from an old login: 403 reauth_required, nothing changed', async () => {
    const login = await loginTokens(t.app, 'root');
    t.clock.advanceSeconds(600);
    const later = await refreshed(login);
    expect(await disable(later.access_token, curl)).toEqual(REFUSED);
    expect(await disable(later.access_token, browser)).toEqual(REFUSED);
  });

  it('accepts a change right after a password login, from curl or a browser, until REAUTH_MAX_AGE (300 s) has passed', async () => {
    const { access_token } = await loginTokens(t.app, 'root');
    expect(await disable(access_token, curl)).toEqual(ACCEPTED);
    t.clock.advanceSeconds(300);
    expect(await disable(access_token, browser)).toEqual(ACCEPTED);
    t.clock.advanceSeconds(1);
    expect(await disable(access_token, curl)).toEqual(REFUSED);
  });

  it("carries the login's auth_time over refreshes: a refresh proves no password", async () => {
    const login = await loginTokens(t.app, 'root');
    const loginTime = decodeJwt(login.access_token).auth_time;
    expect(loginTime).toBe(Math.floor(t.clock.now() / 1000));
    t.clock.advanceSeconds(200);
    const next = await refreshed(login);
    expect(decodeJwt(next.access_token)).toMatchObject({ auth_time: loginTime, iat: (loginTime as number) + 200 });
    expect(await disable(next.access_token, curl)).toEqual(ACCEPTED);
    t.clock.advanceSeconds(101);
    expect(await disable((await refreshed(next)).access_token, curl)).toEqual(REFUSED);
  });

  it('accepts an aged token with the proof /api/me/reauth answered to it, for five minutes, refreshed tokens of the same login included', async () => {
    const login = await loginTokens(t.app, 'root');
    t.clock.advanceSeconds(3600);
    const aged = await refreshed(login);
    const proof = await reauth(aged.access_token);
    expect(proof).toMatchObject({ status: 'confirmed', expires_in: 300 });
    expect(await disable(aged.access_token, { ...curl, 'tessera-reauth': proof.reauth_token })).toEqual(ACCEPTED);
    t.clock.advanceSeconds(299);
    const next = await refreshed(aged);
    expect(await disable(next.access_token, { ...browser, 'tessera-reauth': proof.reauth_token })).toEqual(ACCEPTED);
    t.clock.advanceSeconds(2);
    expect(await disable(next.access_token, { ...browser, 'tessera-reauth': proof.reauth_token })).toEqual(REFUSED);
  });

  it('refuses a proof made with another login of the same admin: after logout and a new login, the old proof is void', async () => {
    const first = await loginTokens(t.app, 'root');
    t.clock.advanceSeconds(600);
    const proof = (await reauth(first.access_token)).reauth_token;
    const logout = await t.app.inject({
      method: 'POST',
      url: '/auth/logout',
      headers: { authorization: `Bearer ${first.access_token}` },
      payload: { refresh_token: first.refresh_token },
    });
    expect(logout.statusCode).toBe(200);
    const second = await loginTokens(t.app, 'root');
    t.clock.advanceSeconds(301);
    expect(await disable(second.access_token, { ...curl, 'tessera-reauth': proof })).toEqual(REFUSED);
    // Two logins at once (two devices): each proof holds for its own login only.
    const third = await loginTokens(t.app, 'root');
    t.clock.advanceSeconds(301);
    const thirdsProof = (await reauth(third.access_token)).reauth_token;
    expect(await disable(second.access_token, { ...curl, 'tessera-reauth': thirdsProof })).toEqual(REFUSED);
    expect(await disable(third.access_token, { ...curl, 'tessera-reauth': thirdsProof })).toEqual(ACCEPTED);
  });

  it("refuses another admin's proof, a refresh token, an access token and garbage as proofs", async () => {
    const root = await loginTokens(t.app, 'root');
    const other = await loginTokens(t.app, 'other');
    t.clock.advanceSeconds(301);
    const othersProof = (await reauth(other.access_token)).reauth_token;
    for (const proof of [othersProof, other.refresh_token, root.access_token, 'not.a.jwt']) {
      expect(await disable(root.access_token, { ...browser, 'tessera-reauth': proof })).toEqual(REFUSED);
    }
  });

  it('never asks for reads', async () => {
    const { access_token } = await loginTokens(t.app, 'root');
    t.clock.advanceSeconds(600);
    const response = await t.app.inject({ url: '/admin/users', headers: { ...curl, authorization: `Bearer ${access_token}` } });
    expect(response.statusCode).toBe(200);
  });

  it('still checks the admin role first: a user-role token is 403 insufficient_scope, fresh or not', async () => {
    await createUser(t.tessera, 'pat');
    const pat = await loginTokens(t.app, 'pat');
    const response = await t.app.inject({ method: 'POST', url: '/admin/keys/rotate', headers: { ...browser, authorization: `Bearer ${pat.access_token}` } });
    expect([response.statusCode, response.json().error]).toEqual([403, 'insufficient_scope']);
  });
});

describe('REAUTH_MAX_AGE=0', () => {
  let t: TestInstance;
  beforeAll(async () => {
    t = await startTestInstance({ REAUTH_MAX_AGE: '0' });
    await createUser(t.tessera, 'root', 'admin');
  });
  afterAll(() => t.close());

  it('asks for a proof even right after a login', async () => {
    const { access_token } = await loginTokens(t.app, 'root');
    const response = await t.app.inject({ method: 'POST', url: '/admin/keys/rotate', headers: { authorization: `Bearer ${access_token}` } });
    expect([response.statusCode, response.json().error]).toEqual([403, 'reauth_required']);
  });
});
