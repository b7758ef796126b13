import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminClient, type AdminClient } from '../support/admin.js';
import { TEST_PASSWORD, createUser, loginTokens, startTestInstance, type TestInstance } from '../support/tessera.js';

describe('email addresses of users', () => {
  let t: TestInstance;
  let root: AdminClient;
  const auditOf = (type: string) => t.tessera.audit.query({ type, limit: 10 });

  beforeAll(async () => {
    t = await startTestInstance({ AUTH_RATE_LIMIT: '0' });
    root = await adminClient(t);
  });
  afterAll(() => t.close());

  describe('through the admin API', () => {
    it('creates a user with an email address, trimmed', async () => {
      const response = await root.call({ method: 'POST', url: '/admin/users', payload: { username: 'erin', password: TEST_PASSWORD, email: ' erin@example.com ' } });
      expect(response.statusCode).toBe(201);
      expect(response.json().email).toBe('erin@example.com');
      expect((await t.tessera.store.users.findByUsername('erin'))?.email).toBe('erin@example.com');
    });

    it('refuses a user whose address is not an email address, creating nothing', async () => {
      const response = await root.call({ method: 'POST', url: '/admin/users', payload: { username: 'fred', password: TEST_PASSWORD, email: 'fred at example' } });
      expect(response.statusCode).toBe(400);
      expect(response.json()).toEqual({ error: 'invalid_request', error_description: expect.stringMatching(/^email must be an email address/) });
      expect(await t.tessera.store.users.findByUsername('fred')).toBeNull();
    });

    it('changes and clears the address with PATCH, auditing it without the address itself', async () => {
      const gina = await createUser(t.tessera, 'gina');
      const { access_token } = await loginTokens(t.app, 'gina');
      const set = await root.call({ method: 'PATCH', url: `/admin/users/${gina.id}`, payload: { email: 'gina@example.org' } });
      expect(set.statusCode).toBe(200);
      expect(set.json().email).toBe('gina@example.org');
      const cleared = await root.call({ method: 'PATCH', url: `/admin/users/${gina.id}`, payload: { email: null } });
      expect(cleared.json().email).toBeNull();
      const events = await auditOf('admin.user.email_change');
      expect(events.map((e) => e.detail)).toEqual([{ set: false }, { set: true }]);
      expect(JSON.stringify(events)).not.toContain('gina@example.org');
      // Nobody is signed out by it.
      expect((await t.app.inject({ url: '/api/users', headers: { authorization: `Bearer ${access_token}` } })).statusCode).toBe(200);
    });

    it('answers 400 for a bad address on PATCH, changing nothing', async () => {
      const hal = await createUser(t.tessera, 'hal');
      const response = await root.call({ method: 'PATCH', url: `/admin/users/${hal.id}`, payload: { email: 'a@b@c', role: 'admin' } });
      expect(response.statusCode).toBe(400);
      expect(response.json().error).toBe('invalid_request');
      expect(await t.tessera.store.users.findById(hal.id)).toMatchObject({ email: null, role: 'user' });
    });
  });

  describe('by the user, on /api/me', () => {
    const as = (token: string) => ({ authorization: `Bearer ${token}` });

    it('shows the address in /api/me/account and changes it with the current password', async () => {
      await createUser(t.tessera, 'ivy');
      const { access_token } = await loginTokens(t.app, 'ivy');
      expect((await t.app.inject({ url: '/api/me/account', headers: as(access_token) })).json().email).toBeNull();
      const response = await t.app.inject({ method: 'PUT', url: '/api/me/email', headers: as(access_token), payload: { password: TEST_PASSWORD, email: 'ivy@example.net' } });
      expect(response.statusCode).toBe(200);
      expect(response.json()).toMatchObject({ username: 'ivy', email: 'ivy@example.net' });
      expect((await t.app.inject({ url: '/api/me/account', headers: as(access_token) })).json().email).toBe('ivy@example.net');
      const [event] = await auditOf('account.email_change');
      expect(event).toMatchObject({ detail: { set: true } });
    });

    it('refuses a change without the right current password: a stolen token alone cannot redirect the mail', async () => {
      const jo = await createUser(t.tessera, 'jo');
      const { access_token } = await loginTokens(t.app, 'jo');
      const wrong = await t.app.inject({ method: 'PUT', url: '/api/me/email', headers: as(access_token), payload: { password: 'not the password', email: 'thief@example.com' } });
      expect(wrong.statusCode).toBe(401);
      expect(wrong.json().error).toBe('invalid_credentials');
      const missing = await t.app.inject({ method: 'PUT', url: '/api/me/email', headers: as(access_token), payload: { email: 'thief@example.com' } });
      expect(missing.statusCode).toBe(400);
      expect((await t.tessera.store.users.findById(jo.id))?.email).toBeNull();
    });

    it('answers 400 for a bad address and removes the address with null', async () => {
      const kim = await createUser(t.tessera, 'kim');
      await t.tessera.store.users.update(kim.id, { email: 'kim@example.com' }, t.clock.now());
      const { access_token } = await loginTokens(t.app, 'kim');
      const bad = await t.app.inject({ method: 'PUT', url: '/api/me/email', headers: as(access_token), payload: { password: TEST_PASSWORD, email: 'kim' } });
      expect(bad.statusCode).toBe(400);
      expect(bad.json().error_description).toMatch(/^email must be an email address/);
      const cleared = await t.app.inject({ method: 'PUT', url: '/api/me/email', headers: as(access_token), payload: { password: TEST_PASSWORD, email: null } });
      expect(cleared.json().email).toBeNull();
      expect((await t.tessera.store.users.findById(kim.id))?.email).toBeNull();
    });
  });
});
