import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminClient, apiStatus, type AdminClient } from '../../support/admin.js';
import { TEST_PASSWORD, createUser, login, loginTokens, refresh, startTestInstance, type TestInstance } from '../../support/tessera.js';

const NEW_PASSWORD = 'a brand new passphrase';


const ROLE_RULE = 'role must be 1–32 lowercase letters, digits, _ or -, starting with a letter, and not "service" (the role of services\' own tokens)';
describe('admin API: users', () => {
  let t: TestInstance;
  let root: AdminClient;
  const auditOf = async (type: string) => t.tessera.audit.query({ type, limit: 10 });

  beforeAll(async () => {
    t = await startTestInstance({ AUTH_RATE_LIMIT: '0' });
    root = await adminClient(t);
  });
  afterAll(() => t.close());

  describe('POST /admin/users', () => {
    it('creates a user who can log in at once, answering 201 with its location', async () => {
      const response = await root.call({
        method: 'POST',
        url: '/admin/users',
        headers: { 'user-agent': 'admin-console/2' },
        payload: { username: 'Carol', password: TEST_PASSWORD, role: 'auditor' },
      });
      expect(response.statusCode).toBe(201);
      const body = response.json();
      expect(body).toEqual({
        id: expect.stringMatching(/^[0-9a-f-]{36}$/),
        username: 'carol',
        role: 'auditor',
        email: null,
        email_verified: false,
        created_at: new Date(t.clock.now()).toISOString(),
        updated_at: new Date(t.clock.now()).toISOString(),
        disabled_at: null,
      });
      expect(response.headers.location).toBe(`/admin/users/${body.id}`);
      expect((await login(t.app, 'carol')).statusCode).toBe(200);
      const [event] = await auditOf('admin.user.create');
      expect(event).toMatchObject({ userId: body.id, actor: root.admin.id, userAgent: 'admin-console/2', detail: { username: 'carol', role: 'auditor' } });
    });

    it('gives the role user when none is named', async () => {
      const response = await root.call({ method: 'POST', url: '/admin/users', payload: { username: 'dan', password: TEST_PASSWORD } });
      expect(response.json().role).toBe('user');
    });

    it('refuses a taken username with 409 conflict', async () => {
      const response = await root.call({ method: 'POST', url: '/admin/users', payload: { username: 'CAROL', password: TEST_PASSWORD } });
      expect(response.statusCode).toBe(409);
      expect(response.json()).toEqual({ error: 'conflict', error_description: 'A user named "carol" already exists' });
    });

    it.each([
      [{ username: 'eve' }, 'body.password is required'],
      [{ username: 'eve', password: 'short' }, 'password must be 8–1024 characters'],
      [{ username: 'eve', password: TEST_PASSWORD, role: 'Super User' }, ROLE_RULE],
      // A user holding the services' role would pass for a service wherever the role alone is read.
      [{ username: 'eve', password: TEST_PASSWORD, role: 'service' }, ROLE_RULE],
      [{ username: '-eve', password: TEST_PASSWORD }, expect.stringMatching(/^username must be/)],
      [{ username: 'eve', password: TEST_PASSWORD, admin: true }, 'body.admin is not a known parameter'],
      [{ username: 'eve', password: 12345678 }, 'body.password must be string'],
    ])('refuses %j with 400 naming the problem', async (payload, description) => {
      const response = await root.call({ method: 'POST', url: '/admin/users', payload });
      expect(response.statusCode).toBe(400);
      expect(response.json()).toEqual({ error: 'invalid_request', error_description: description });
    });
  });

  describe('GET /admin/users', () => {
    it('lists users oldest first with paging, the total in X-Total-Count, and never a hash', async () => {
      const all = await root.call({ url: '/admin/users' });
      expect(all.statusCode).toBe(200);
      expect(all.body).not.toContain('argon2');
      const total = Number(all.headers['x-total-count']);
      expect(total).toBe(all.json().length);
      const page = await root.call({ url: '/admin/users?limit=1&offset=1' });
      expect(page.json()).toEqual([all.json()[1]]);
      expect(page.headers['x-total-count']).toBe(String(total));
    });

    it('refuses an offset beyond what a database can page with 400, and pages to the end at the largest it takes', async () => {
      const beyond = await root.call({ url: '/admin/users?offset=100000000000000000000' });
      expect(beyond.statusCode).toBe(400);
      expect(beyond.json()).toEqual({ error: 'invalid_request', error_description: 'querystring.offset must be <= 9007199254740991' });
      const last = await root.call({ url: '/admin/users?offset=9007199254740991' });
      expect(last.statusCode).toBe(200);
      expect(last.json()).toEqual([]);
    });

    it('finds one user by name, case-insensitively, or none', async () => {
      const found = await root.call({ url: '/admin/users?username=CaRoL' });
      expect(found.json()).toEqual([expect.objectContaining({ username: 'carol' })]);
      expect(found.headers['x-total-count']).toBe('1');
      const none = await root.call({ url: '/admin/users?username=nobody' });
      expect(none.json()).toEqual([]);
      expect(none.headers['x-total-count']).toBe('0');
    });

    it('refuses bad paging and unknown parameters with 400', async () => {
      expect((await root.call({ url: '/admin/users?limit=0' })).json().error_description).toBe('querystring.limit must be >= 1');
      expect((await root.call({ url: '/admin/users?sort=name' })).json().error_description).toBe('querystring.sort is not a known parameter');
    });
  });

  describe('GET /admin/users/:id', () => {
    it('shows a user', async () => {
      const user = await createUser(t.tessera, 'frank');
      const response = await root.call({ url: `/admin/users/${user.id}` });
      expect(response.json()).toMatchObject({ id: user.id, username: 'frank', role: 'user', disabled_at: null });
    });

    it('answers 404 not_found for an unknown id', async () => {
      const response = await root.call({ url: '/admin/users/00000000-0000-0000-0000-000000000000' });
      expect(response.statusCode).toBe(404);
      expect(response.json()).toEqual({ error: 'not_found', error_description: 'No user with id "00000000-0000-0000-0000-000000000000"' });
    });
  });

  describe('PATCH /admin/users/:id', () => {
    it('disabling revokes every token of the user at once and refuses logins; enabling lets them log in again', async () => {
      const user = await createUser(t.tessera, 'gina');
      const laptop = await loginTokens(t.app, 'gina');
      const phone = await loginTokens(t.app, 'gina');

      const response = await root.call({ method: 'PATCH', url: `/admin/users/${user.id}`, payload: { disabled: true } });
      expect(response.statusCode).toBe(200);
      expect(response.json().disabled_at).toBe(new Date(t.clock.now()).toISOString());
      expect(await apiStatus(t, laptop.access_token)).toBe(401);
      expect(await apiStatus(t, phone.access_token)).toBe(401);
      expect((await refresh(t.app, phone.refresh_token)).statusCode).toBe(401);
      expect((await login(t.app, 'gina')).json().error).toBe('invalid_credentials');
      expect((await auditOf('admin.user.disable'))[0]).toMatchObject({ userId: user.id, actor: root.admin.id, detail: { revokedAccessTokens: 2 } });

      t.clock.advance(1); // a login must start after the disable: one in the same millisecond is refused
      const enabled = await root.call({ method: 'PATCH', url: `/admin/users/${user.id}`, payload: { disabled: false } });
      expect(enabled.json().disabled_at).toBeNull();
      expect((await login(t.app, 'gina')).statusCode).toBe(200);
      // Enabling does not bring the old tokens back.
      expect(await apiStatus(t, laptop.access_token)).toBe(401);
      expect((await auditOf('admin.user.enable'))[0]).toMatchObject({ userId: user.id, actor: root.admin.id });
    });

    it('changing the role revokes the access tokens at once; a refresh then carries the new role', async () => {
      const user = await createUser(t.tessera, 'hank');
      const tokens = await loginTokens(t.app, 'hank');
      const response = await root.call({ method: 'PATCH', url: `/admin/users/${user.id}`, payload: { role: 'admin' } });
      expect(response.json().role).toBe('admin');
      expect(await apiStatus(t, tokens.access_token)).toBe(401);

      const refreshed = await refresh(t.app, tokens.refresh_token);
      expect(refreshed.statusCode).toBe(200);
      const promoted = refreshed.json<{ access_token: string }>().access_token;
      expect(JSON.parse(Buffer.from(promoted.split('.')[1]!, 'base64url').toString()).role).toBe('admin');
      expect((await t.app.inject({ url: '/admin/keys', headers: { authorization: `Bearer ${promoted}` } })).statusCode).toBe(200);
      expect((await auditOf('admin.user.role_change'))[0]).toMatchObject({
        userId: user.id,
        detail: { from: 'user', to: 'admin', revokedAccessTokens: 1 },
      });
    });

    it('changes nothing, and revokes nothing, when the role is already the one asked for', async () => {
      const user = await createUser(t.tessera, 'ivy');
      const tokens = await loginTokens(t.app, 'ivy');
      const response = await root.call({ method: 'PATCH', url: `/admin/users/${user.id}`, payload: { role: 'user', disabled: false } });
      expect(response.json()).toMatchObject({ role: 'user', disabled_at: null });
      expect(await apiStatus(t, tokens.access_token)).toBe(200);
    });

    it('will not let an admin disable or demote their own account (409)', async () => {
      for (const payload of [{ disabled: true }, { role: 'user' }]) {
        const response = await root.call({ method: 'PATCH', url: `/admin/users/${root.admin.id}`, payload });
        expect(response.statusCode).toBe(409);
        expect(response.json().error_description).toMatch(/^You cannot (disable your own account|change your own role)/);
      }
      expect(await apiStatus(t, root.token)).toBe(200);
    });

    it('refuses an empty change, a bad role, or an unknown user', async () => {
      const user = await createUser(t.tessera, 'jack');
      const empty = await root.call({ method: 'PATCH', url: `/admin/users/${user.id}`, payload: {} });
      expect(empty.json()).toEqual({ error: 'invalid_request', error_description: 'body must set role, disabled or email' });
      const bad = await root.call({ method: 'PATCH', url: `/admin/users/${user.id}`, payload: { role: 'ROOT!' } });
      expect(bad.statusCode).toBe(400);
      const typo = await root.call({ method: 'PATCH', url: `/admin/users/${user.id}`, payload: { disabled: 'yes' } });
      expect(typo.json().error_description).toBe('body.disabled must be boolean');
      const unknown = await root.call({ method: 'PATCH', url: '/admin/users/nobody', payload: { disabled: true } });
      expect(unknown.statusCode).toBe(404);
    });
  });

  describe('POST /admin/users/:id/password', () => {
    it('sets a new password and signs the user out everywhere', async () => {
      const user = await createUser(t.tessera, 'kate');
      const tokens = await loginTokens(t.app, 'kate');
      const response = await root.call({ method: 'POST', url: `/admin/users/${user.id}/password`, payload: { password: NEW_PASSWORD } });
      expect(response.statusCode).toBe(200);
      expect(response.json()).toEqual({ revoked_families: 1, revoked_access_tokens: 1, ended_sessions: 0 });
      t.clock.advance(1); // a login must start after the reset: one in the same millisecond is refused
      expect(await apiStatus(t, tokens.access_token)).toBe(401);
      expect((await refresh(t.app, tokens.refresh_token)).statusCode).toBe(401);
      expect((await login(t.app, 'kate')).statusCode).toBe(401);
      expect((await login(t.app, 'kate', NEW_PASSWORD)).statusCode).toBe(200);
      const [event] = await auditOf('admin.user.password_reset');
      expect(event).toMatchObject({ userId: user.id, actor: root.admin.id });
      expect(JSON.stringify(event)).not.toContain(NEW_PASSWORD);
    });

    it('refuses a short password and an unknown user', async () => {
      const user = await createUser(t.tessera, 'liam');
      const short = await root.call({ method: 'POST', url: `/admin/users/${user.id}/password`, payload: { password: 'short' } });
      expect(short.json()).toEqual({ error: 'invalid_request', error_description: 'password must be 8–1024 characters' });
      const missing = await root.call({ method: 'POST', url: `/admin/users/${user.id}/password`, payload: {} });
      expect(missing.json().error_description).toBe('body.password is required');
      const unknown = await root.call({ method: 'POST', url: '/admin/users/nobody/password', payload: { password: NEW_PASSWORD } });
      expect(unknown.statusCode).toBe(404);
    });
  });
});
