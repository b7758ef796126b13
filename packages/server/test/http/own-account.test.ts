import { decodeJwt } from 'jose';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { apiStatus } from '../support/admin.js';
import { TEST_PASSWORD, createUser, loginTokens, refresh, startTestInstance, type TestInstance } from '../support/tessera.js';

describe('/api/me: a user manages their own account', () => {
  let t: TestInstance;
  const as = (token: string) => ({ authorization: `Bearer ${token}` });

  beforeEach(async () => {
    t = await startTestInstance();
    await createUser(t.tessera, 'uma');
    await createUser(t.tessera, 'olga');
  });
  afterEach(() => t.close());

  it('tells the signed-in user their name and role', async () => {
    const { access_token } = await loginTokens(t.app, 'uma');
    const response = await t.app.inject({ url: '/api/me/account', headers: as(access_token) });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({ username: 'uma', role: 'user' });
    expect(response.headers['cache-control']).toBe('no-store');
  });

  it('lists the devices, most recently used first, marking the one asking', async () => {
    await t.app.inject({ method: 'POST', url: '/auth/login', payload: { username: 'uma', password: TEST_PASSWORD }, headers: { 'user-agent': 'Phone/1' } });
    t.clock.advanceSeconds(5);
    const laptop = (await t.app.inject({ method: 'POST', url: '/auth/login', payload: { username: 'uma', password: TEST_PASSWORD }, headers: { 'user-agent': 'Laptop/2' } })).json();
    const devices = (await t.app.inject({ url: '/api/me/devices', headers: as(laptop.access_token) })).json();
    expect(devices.map((d: { user_agent: string; current: boolean }) => [d.user_agent, d.current])).toEqual([
      ['Laptop/2', true],
      ['Phone/1', false],
    ]);
    expect(devices[0]).toHaveProperty('ip');
    expect(devices[0]).toHaveProperty('created_at');
  });

  it('signs out one device: its tokens stop working, the others keep going', async () => {
    const phone = await loginTokens(t.app, 'uma');
    const laptop = await loginTokens(t.app, 'uma');
    const devices = (await t.app.inject({ url: '/api/me/devices', headers: as(laptop.access_token) })).json();
    const phoneId = devices.find((d: { current: boolean }) => !d.current).id;
    const response = await t.app.inject({ method: 'DELETE', url: `/api/me/devices/${phoneId}`, headers: as(laptop.access_token) });
    expect(response.json()).toMatchObject({ revoked_families: 1, revoked_access_tokens: 1 });
    expect(await apiStatus(t, phone.access_token)).toBe(401);
    expect((await refresh(t.app, phone.refresh_token)).statusCode).toBe(401);
    expect(await apiStatus(t, laptop.access_token)).toBe(200);
  });

  it("cannot sign out someone else's device", async () => {
    const olga = await loginTokens(t.app, 'olga');
    const uma = await loginTokens(t.app, 'uma');
    const [olgaDevice] = (await t.app.inject({ url: '/api/me/devices', headers: as(olga.access_token) })).json();
    const response = await t.app.inject({ method: 'DELETE', url: `/api/me/devices/${olgaDevice.id}`, headers: as(uma.access_token) });
    expect(response.statusCode).toBe(404);
    expect(await apiStatus(t, olga.access_token)).toBe(200);
  });

  it('signs out everywhere: every device, this one included', async () => {
    const phone = await loginTokens(t.app, 'uma');
    const laptop = await loginTokens(t.app, 'uma');
    const response = await t.app.inject({ method: 'DELETE', url: '/api/me/devices', headers: as(laptop.access_token) });
    expect(response.json()).toMatchObject({ revoked_families: 2 });
    expect(await apiStatus(t, phone.access_token)).toBe(401);
    expect(await apiStatus(t, laptop.access_token)).toBe(401);
  });

  it('changes the password: other devices are signed out, this one gets a new pair, the old password stops working', async () => {
    const phone = await loginTokens(t.app, 'uma');
    const laptop = await loginTokens(t.app, 'uma');
    const response = await t.app.inject({
      method: 'POST',
      url: '/api/me/password',
      headers: as(laptop.access_token),
      payload: { current_password: TEST_PASSWORD, new_password: 'a much better passphrase' },
    });
    expect(response.statusCode).toBe(200);
    expect(response.cookies.find((c) => c.name === '__Secure-refresh_token')).toBeDefined();
    const fresh = response.json();
    // The current password was just typed: the new login's tokens say so (auth_time, for admin changes).
    expect(decodeJwt(fresh.access_token).auth_time).toBe(Math.floor(t.clock.now() / 1000));
    expect(await apiStatus(t, phone.access_token)).toBe(401);
    expect(await apiStatus(t, fresh.access_token)).toBe(200);
    expect((await refresh(t.app, fresh.refresh_token)).statusCode).toBe(200);
    t.clock.advanceSeconds(1);
    expect((await t.app.inject({ method: 'POST', url: '/auth/login', payload: { username: 'uma', password: TEST_PASSWORD } })).statusCode).toBe(401);
    expect((await loginTokens(t.app, 'uma', 'a much better passphrase')).access_token).toBeTruthy();
  });

  it('refuses a password change with the wrong current password, changing nothing', async () => {
    const laptop = await loginTokens(t.app, 'uma');
    const response = await t.app.inject({
      method: 'POST',
      url: '/api/me/password',
      headers: as(laptop.access_token),
      payload: { current_password: 'not it', new_password: 'a much better passphrase' },
    });
    expect(response.statusCode).toBe(401);
    expect(response.json()).toEqual({ error: 'invalid_credentials', error_description: 'The password is wrong' });
    expect(await apiStatus(t, laptop.access_token)).toBe(200);
  });

  it('refuses a new password that breaks the password rule', async () => {
    const laptop = await loginTokens(t.app, 'uma');
    const response = await t.app.inject({
      method: 'POST',
      url: '/api/me/password',
      headers: as(laptop.access_token),
      payload: { current_password: TEST_PASSWORD, new_password: 'short' },
    });
    expect(response.statusCode).toBe(400);
    expect(response.json().error).toBe('invalid_request');
  });

  it('confirms the password again, and says so when it is wrong, naming the password alone (the caller typed no username)', async () => {
    const { access_token } = await loginTokens(t.app, 'uma');
    const ok = await t.app.inject({ method: 'POST', url: '/api/me/reauth', headers: as(access_token), payload: { password: TEST_PASSWORD } });
    expect(ok.json()).toEqual({ status: 'confirmed', reauth_token: expect.any(String), expires_in: 300 });
    const wrong = await t.app.inject({ method: 'POST', url: '/api/me/reauth', headers: as(access_token), payload: { password: 'nope' } });
    expect(wrong.statusCode).toBe(401);
    expect(wrong.json()).toEqual({ error: 'invalid_credentials', error_description: 'The password is wrong' });
  });

  it('refuses a cookie-authenticated change from another site', async () => {
    const login = await t.app.inject({ method: 'POST', url: '/api/login', payload: { username: 'uma', password: TEST_PASSWORD } });
    const cookie = login.cookies.find((c) => c.name === 'session_id')!;
    const response = await t.app.inject({
      method: 'DELETE',
      url: '/api/me/devices',
      cookies: { session_id: cookie.value },
      headers: { origin: 'https://evil.example' },
    });
    expect(response.statusCode).toBe(403);
    expect(response.json().error).toBe('cross_site_request');
  });

  it('asks for credentials', async () => {
    expect((await t.app.inject({ url: '/api/me/devices' })).statusCode).toBe(401);
  });
});
