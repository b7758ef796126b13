import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminClient, apiStatus, type AdminClient } from '../../support/admin.js';
import { TEST_PASSWORD, createUser, refresh, startTestInstance, type TestInstance, type TokenPairBody } from '../../support/tessera.js';

describe("admin API: a user's devices (refresh-token families)", () => {
  let t: TestInstance;
  let root: AdminClient;

  beforeAll(async () => {
    t = await startTestInstance({ AUTH_RATE_LIMIT: '0' });
    root = await adminClient(t);
  });
  afterAll(() => t.close());

  async function loginFrom(username: string, remoteAddress: string, userAgent: string): Promise<TokenPairBody> {
    const response = await t.app.inject({
      method: 'POST',
      url: '/auth/login',
      remoteAddress,
      headers: { 'user-agent': userAgent },
      payload: { username, password: TEST_PASSWORD },
    });
    return response.json<TokenPairBody>();
  }

  it('lists one family per logged-in device with its times, address and User-Agent, most recently used first', async () => {
    const user = await createUser(t.tessera, 'mia');
    const loginTime = t.clock.now();
    await loginFrom('mia', '192.0.2.1', 'Laptop/1.0');
    t.clock.advanceSeconds(60);
    const phone = await loginFrom('mia', '198.51.100.2', 'Phone/2.0');
    t.clock.advanceSeconds(60);
    await t.app.inject({
      method: 'POST',
      url: '/auth/refresh',
      remoteAddress: '203.0.113.3',
      headers: { 'user-agent': 'Phone/2.1' },
      payload: { refresh_token: phone.refresh_token },
    });

    const response = await root.call({ url: `/admin/users/${user.id}/families` });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual([
      {
        id: expect.any(String),
        created_at: new Date(loginTime + 60_000).toISOString(),
        last_used_at: new Date(loginTime + 120_000).toISOString(),
        ip: '203.0.113.3',
        user_agent: 'Phone/2.1',
      },
      {
        id: expect.any(String),
        created_at: new Date(loginTime).toISOString(),
        last_used_at: new Date(loginTime).toISOString(),
        ip: '192.0.2.1',
        user_agent: 'Laptop/1.0',
      },
    ]);
  });

  it('answers 404 for the devices of an unknown user', async () => {
    expect((await root.call({ url: '/admin/users/nobody/families' })).statusCode).toBe(404);
  });

  it('signs out one device: its tokens are refused at once, the other device stays logged in', async () => {
    const user = await createUser(t.tessera, 'noah');
    const laptop = await loginFrom('noah', '192.0.2.1', 'Laptop');
    const phone = await loginFrom('noah', '192.0.2.2', 'Phone');
    const families = (await root.call({ url: `/admin/users/${user.id}/families` })).json<Array<{ id: string; user_agent: string }>>();
    const phoneFamily = families.find((f) => f.user_agent === 'Phone')!;

    const response = await root.call({ method: 'DELETE', url: `/admin/users/${user.id}/families/${phoneFamily.id}` });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ revoked_families: 1, revoked_access_tokens: 1, ended_sessions: 0 });
    expect(await apiStatus(t, phone.access_token)).toBe(401);
    expect((await refresh(t.app, phone.refresh_token)).statusCode).toBe(401);
    expect(await apiStatus(t, laptop.access_token)).toBe(200);
    expect((await root.call({ url: `/admin/users/${user.id}/families` })).json()).toHaveLength(1);

    const [event] = await t.tessera.audit.query({ type: 'admin.family.revoke', limit: 1 });
    expect(event).toMatchObject({ userId: user.id, actor: root.admin.id, detail: { familyId: phoneFamily.id, revokedAccessTokens: 1 } });

    const again = await root.call({ method: 'DELETE', url: `/admin/users/${user.id}/families/${phoneFamily.id}` });
    expect(again.json()).toEqual({ revoked_families: 0, revoked_access_tokens: 0, ended_sessions: 0 });
  });

  it("answers 404 for an unknown family, or one that is another user's", async () => {
    const owner = await createUser(t.tessera, 'olga');
    const other = await createUser(t.tessera, 'pete');
    const tokens = await loginFrom('olga', '192.0.2.1', 'Laptop');
    const [family] = (await root.call({ url: `/admin/users/${owner.id}/families` })).json<Array<{ id: string }>>();
    const foreign = await root.call({ method: 'DELETE', url: `/admin/users/${other.id}/families/${family!.id}` });
    expect(foreign.statusCode).toBe(404);
    expect(foreign.json().error_description).toBe(`No session (refresh-token family) with id "${family!.id}" for this user`);
    expect((await root.call({ method: 'DELETE', url: `/admin/users/${owner.id}/families/unknown` })).statusCode).toBe(404);
    expect(await apiStatus(t, tokens.access_token)).toBe(200);
  });

  it('signs the user out everywhere: every device, every access token, at once', async () => {
    const user = await createUser(t.tessera, 'quinn');
    const devices = [await loginFrom('quinn', '192.0.2.1', 'A'), await loginFrom('quinn', '192.0.2.2', 'B')];
    const refreshed = (await refresh(t.app, devices[0]!.refresh_token)).json<TokenPairBody>();
    const bystander = await createUser(t.tessera, 'rosa');
    const theirs = await loginFrom('rosa', '192.0.2.3', 'C');

    const response = await root.call({ method: 'DELETE', url: `/admin/users/${user.id}/families` });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ revoked_families: 2, revoked_access_tokens: 3, ended_sessions: 0 });
    for (const token of [devices[0]!.access_token, devices[1]!.access_token, refreshed.access_token]) {
      expect(await apiStatus(t, token)).toBe(401);
    }
    expect((await refresh(t.app, refreshed.refresh_token)).statusCode).toBe(401);
    expect((await refresh(t.app, devices[1]!.refresh_token)).statusCode).toBe(401);
    expect((await root.call({ url: `/admin/users/${user.id}/families` })).json()).toEqual([]);
    expect(await apiStatus(t, theirs.access_token)).toBe(200);
    expect(bystander.id).not.toBe(user.id);

    const [event] = await t.tessera.audit.query({ type: 'admin.user.sign_out', limit: 1 });
    expect(event).toMatchObject({ userId: user.id, actor: root.admin.id, detail: { families: 2, revokedAccessTokens: 3 } });
    expect((await root.call({ method: 'DELETE', url: '/admin/users/nobody/families' })).statusCode).toBe(404);
  });
});
