import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminClient, type AdminClient } from '../../support/admin.js';
import { TEST_PASSWORD, createUser, loginTokens, startTestInstance, type TestInstance } from '../../support/tessera.js';

describe('admin changes from a browser need a fresh re-authentication', () => {
  let t: TestInstance;
  let root: AdminClient;
  const browser = { origin: 'http://localhost:5000', 'sec-fetch-mode': 'cors', 'sec-fetch-site': 'same-origin' };

  beforeAll(async () => {
    t = await startTestInstance({ AUTH_RATE_LIMIT: '0' });
    root = await adminClient(t);
  });
  afterAll(() => t.close());

  const reauth = async (token = root.token) => {
    const response = await t.app.inject({ method: 'POST', url: '/api/me/reauth', headers: { authorization: `Bearer ${token}` }, payload: { password: TEST_PASSWORD } });
    expect(response.statusCode).toBe(200);
    return response.json<{ status: string; reauth_token: string; expires_in: number }>();
  };
  const disable = (userId: string, headers: Record<string, string>) =>
    root.call({ method: 'PATCH', url: `/admin/users/${userId}`, headers, payload: { disabled: true } });

  it('refuses a change sent by a browser without a proof with 403 reauth_required, changing nothing', async () => {
    const victim = await createUser(t.tessera, 'vic');
    const response = await disable(victim.id, browser);
    expect(response.statusCode).toBe(403);
    expect(response.json()).toEqual({ error: 'reauth_required', error_description: expect.stringContaining('POST /api/me/reauth') });
    expect((await t.tessera.store.users.findById(victim.id))?.disabledAt).toBeNull();
  });

  it('asks a request carrying only Sec-Fetch-Site (a browser that sent no Origin) too', async () => {
    const victim = await createUser(t.tessera, 'wes');
    expect((await disable(victim.id, { 'sec-fetch-site': 'same-origin' })).json().error).toBe('reauth_required');
  });

  it('accepts the change with the proof /api/me/reauth answered, for five minutes', async () => {
    const proof = await reauth();
    expect(proof).toMatchObject({ status: 'confirmed', expires_in: 300 });
    const first = await createUser(t.tessera, 'xia');
    expect((await disable(first.id, { ...browser, 'tessera-reauth': proof.reauth_token })).statusCode).toBe(200);
    t.clock.advanceSeconds(299);
    const second = await createUser(t.tessera, 'yan');
    expect((await disable(second.id, { ...browser, 'tessera-reauth': proof.reauth_token })).statusCode).toBe(200);
    t.clock.advanceSeconds(2);
    const third = await createUser(t.tessera, 'zed');
    const late = await disable(third.id, { ...browser, 'tessera-reauth': proof.reauth_token });
    expect(late.statusCode).toBe(403);
    expect(late.json().error).toBe('reauth_required');
  });

  it("refuses another admin's proof, a refresh token and garbage as proofs", async () => {
    await createUser(t.tessera, 'other', 'admin');
    const other = await loginTokens(t.app, 'other');
    const victim = await createUser(t.tessera, 'ned');
    const othersProof = (await reauth(other.access_token)).reauth_token;
    for (const proof of [othersProof, other.refresh_token, root.token, 'not.a.jwt']) {
      const response = await disable(victim.id, { ...browser, 'tessera-reauth': proof });
      expect([response.statusCode, response.json().error]).toEqual([403, 'reauth_required']);
    }
    expect((await t.tessera.store.users.findById(victim.id))?.disabledAt).toBeNull();
  });

  it("never asks automation (no browser headers; Node's fetch sends only Sec-Fetch-Mode), nor a browser that only reads", async () => {
    const victim = await createUser(t.tessera, 'ola');
    expect((await disable(victim.id, { 'sec-fetch-mode': 'cors', 'user-agent': 'node' })).statusCode).toBe(200);
    expect((await root.call({ url: '/admin/users', headers: browser })).statusCode).toBe(200);
  });

  it('still checks the admin role first: a user-role token is 403 insufficient_scope, with or without a proof', async () => {
    await createUser(t.tessera, 'pat');
    const pat = await loginTokens(t.app, 'pat');
    const response = await t.app.inject({ method: 'POST', url: '/admin/keys/rotate', headers: { ...browser, authorization: `Bearer ${pat.access_token}` } });
    expect([response.statusCode, response.json().error]).toEqual([403, 'insufficient_scope']);
  });
});
