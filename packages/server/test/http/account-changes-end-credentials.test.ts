import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminClient, apiStatus, type AdminClient } from '../support/admin.js';
import { dropSchema, freshSchemaName } from '../support/postgres-schema.js';
import { postgresUrl } from '../support/fleet.js';
import { postgresAvailable } from '../support/services.js';
import { exchange, sessionCookieFor, withSession } from '../support/sessions.js';
import { createUser, login, loginTokens, refresh, startTestInstance, type TestInstance } from '../support/tessera.js';

const pgAvailable = await postgresAvailable();
const NEW_PASSWORD = 'a brand new passphrase';

/**
 * Finding 1 of issue 11: a password reset, a disable or "sign out everywhere" ends every credential the
 * user holds — refresh families, live access tokens and legacy cookie sessions — and re-enabling revives
 * none of them. Over HTTP, on SQLite and on PostgreSQL.
 */
describe.each([
  ['SQLite', 'sqlite'],
  ['PostgreSQL', 'postgres'],
] as const)('on %s, an account change ends every credential', (_name, database) => {
  let t: TestInstance;
  let root: AdminClient;
  let schema: string | undefined;

  beforeAll(async () => {
    if (database === 'postgres' && !pgAvailable) return;
    schema = database === 'postgres' ? freshSchemaName() : undefined;
    t = await startTestInstance({ AUTH_RATE_LIMIT: '0', ...(schema ? { DATABASE_URL: postgresUrl(schema) } : {}) });
    root = await adminClient(t);
  });
  afterAll(async () => {
    await t?.close();
    if (schema) await dropSchema(schema);
  });

  /** Everything a user can hold at once: a session cookie and a token pair. */
  async function everyCredential(username: string) {
    const user = await createUser(t.tessera, username);
    const cookie = await sessionCookieFor(t.app, username);
    const tokens = await loginTokens(t.app, username);
    expect((await withSession(t.app, '/api/me', cookie)).statusCode).toBe(200);
    return { user, cookie, tokens };
  }

  async function expectAllRefused({ cookie, tokens }: Awaited<ReturnType<typeof everyCredential>>) {
    const me = await withSession(t.app, '/api/me', cookie);
    expect(me.statusCode).toBe(401);
    expect(me.json().error).toBe('invalid_session');
    const traded = await exchange(t.app, cookie);
    expect(traded.statusCode).toBe(401);
    expect(traded.json().error).toBe('invalid_session');
    expect(await apiStatus(t, tokens.access_token)).toBe(401);
    expect((await refresh(t.app, tokens.refresh_token)).statusCode).toBe(401);
  }

  it('a password reset ends the cookie session too: /api/me answers 401 and the session cannot be traded for tokens', async ({ skip }) => {
    if (!t) skip('PostgreSQL is unreachable');
    const held = await everyCredential('reset-me');
    const response = await root.call({ method: 'POST', url: `/admin/users/${held.user.id}/password`, payload: { password: NEW_PASSWORD } });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ revoked_families: 1, revoked_access_tokens: 1, ended_sessions: 1 });
    await expectAllRefused(held);
  });

  it('signing a user out everywhere ends their sessions, families and access tokens, and says how many of each', async ({ skip }) => {
    if (!t) skip('PostgreSQL is unreachable');
    const held = await everyCredential('sign-me-out');
    const response = await root.call({ method: 'DELETE', url: `/admin/users/${held.user.id}/families` });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ revoked_families: 1, revoked_access_tokens: 1, ended_sessions: 1 });
    await expectAllRefused(held);
  });

  it('a device signed out everywhere can still log out: 200 logged_out, and its refresh cookie is cleared', async ({ skip }) => {
    if (!t) skip('PostgreSQL is unreachable');
    const held = await everyCredential('log-me-out-after');
    // Signed out more than a second after the login, so the refresh token is refused from memory (valid-after).
    t.clock.advanceSeconds(2);
    expect((await root.call({ method: 'DELETE', url: `/admin/users/${held.user.id}/families` })).statusCode).toBe(200);
    const logout = await t.app.inject({ method: 'POST', url: '/auth/logout', cookies: { '__Secure-refresh_token': held.tokens.refresh_token } });
    expect(logout.statusCode).toBe(200);
    expect(logout.json()).toEqual({ status: 'logged_out' });
    expect(logout.cookies.find((c) => c.name === '__Secure-refresh_token')).toMatchObject({ value: '' });
  });

  it('re-enabling a disabled account revives none of its sessions, refresh tokens or access tokens', async ({ skip }) => {
    if (!t) skip('PostgreSQL is unreachable');
    const held = await everyCredential('disable-me');
    const disabled = await root.call({ method: 'PATCH', url: `/admin/users/${held.user.id}`, payload: { disabled: true } });
    expect(disabled.statusCode).toBe(200);
    expect(disabled.json().ended).toEqual({ revoked_families: 1, revoked_access_tokens: 1, ended_sessions: 1 });
    t.clock.advance(1);
    const enabled = await root.call({ method: 'PATCH', url: `/admin/users/${held.user.id}`, payload: { disabled: false } });
    expect(enabled.json().disabled_at).toBeNull();
    await expectAllRefused(held);
    // The user logs in anew, and that works.
    expect((await login(t.app, 'disable-me')).statusCode).toBe(200);
  });
});
