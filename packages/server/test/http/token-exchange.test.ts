import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_PASSWORD, legacyServiceRoleUser, startTestServer, type TestServer } from '../support/tessera.js';

const GRANT = 'urn:ietf:params:oauth:grant-type:token-exchange';
const BY_USERNAME = 'urn:tessera:params:oauth:token-type:username';
const BY_ID = 'urn:tessera:params:oauth:token-type:user-id';

interface Credentials {
  client_id: string;
  client_secret: string;
}

describe('POST /oauth/token, RFC 8693 token exchange: the team\'s own app hands its signed-in user over', () => {
  let server: TestServer;
  let adminToken: string;
  let webapp: Credentials;
  let reports: Credentials;
  let aliceId: string;

  const admin = (method: string, path: string, body?: unknown) =>
    fetch(`${server.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${adminToken}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  const exchange = (credentials: Credentials, params: Record<string, string>) =>
    fetch(`${server.url}/oauth/token`, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${credentials.client_id}:${credentials.client_secret}`).toString('base64')}`,
        'user-agent': 'team-app/1.0',
      },
      body: new URLSearchParams({ grant_type: GRANT, ...params }),
    });
  const handOver = (credentials: Credentials, username: string) => exchange(credentials, { subject_token: username, subject_token_type: BY_USERNAME });
  const addService = async (name: string): Promise<Credentials> => (await admin('POST', '/admin/services', { name })).json() as Promise<Credentials>;
  const apiUsers = (accessToken: string) => fetch(`${server.url}/api/users`, { headers: { authorization: `Bearer ${accessToken}` } });
  const errorOf = async (response: Response) => [response.status, ((await response.json()) as { error: string }).error];

  beforeAll(async () => {
    server = await startTestServer({ AUTH_RATE_LIMIT: '0' });
    const { users } = server.tessera;
    await users.create({ username: 'root', password: TEST_PASSWORD, role: 'admin' });
    aliceId = (await users.create({ username: 'alice', password: TEST_PASSWORD, role: 'user' })).id;
    await users.create({ username: 'bob', password: TEST_PASSWORD, role: 'user' });
    const login = await fetch(`${server.url}/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'root', password: TEST_PASSWORD }),
    });
    adminToken = ((await login.json()) as { access_token: string }).access_token;
    webapp = await addService('webapp');
    reports = await addService('reports');
    const allowed = await admin('PUT', '/admin/services/webapp/token-exchange', { enabled: true });
    expect(allowed.status).toBe(200);
    expect(await allowed.json()).toMatchObject({ name: 'webapp', token_exchange: true });
  });
  afterAll(() => server.stop());

  it('gives an allowed service a token pair for the user, with which the user calls the API and refreshes', async () => {
    const response = await handOver(webapp, 'Alice');
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
    const pair = (await response.json()) as Record<string, unknown>;
    expect(Object.keys(pair).sort()).toEqual(['access_token', 'expires_in', 'issued_token_type', 'refresh_token', 'token_type']);
    expect(pair).toMatchObject({ issued_token_type: 'urn:ietf:params:oauth:token-type:access_token', token_type: 'Bearer', expires_in: 900 });
    expect(decodeJwt(pair.access_token as string)).toMatchObject({ sub: aliceId, role: 'user', aud: server.tessera.config.audience });
    // The exchange proves no password: without auth_time, an admin change would ask for one (docs/api/admin.md).
    expect(decodeJwt(pair.access_token as string)).not.toHaveProperty('auth_time');

    expect((await apiUsers(pair.access_token as string)).status).toBe(200);
    const refreshed = await fetch(`${server.url}/auth/refresh`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ refresh_token: pair.refresh_token }),
    });
    expect(refreshed.status).toBe(200);
  });

  it('names the user by id as well, and records the hand-off with the service\'s name as a login of its own', async () => {
    const response = await exchange(webapp, { subject_token: aliceId, subject_token_type: BY_ID });
    expect(response.status).toBe(200);
    await server.tessera.audit.flush();
    const [event] = await server.tessera.audit.query({ type: 'token.exchange', limit: 1 });
    expect(event).toMatchObject({
      userId: aliceId,
      actor: webapp.client_id,
      userAgent: 'team-app/1.0',
      detail: { service: 'webapp', subjectTokenType: 'user-id', familyId: expect.any(String) },
    });
    const families = await server.tessera.store.families.list(aliceId, Date.now());
    expect(families.map((f) => f.id)).toContain((event!.detail as { familyId: string }).familyId);
  });

  it('is listed in the discovery document', async () => {
    const metadata = (await (await fetch(`${server.url}/.well-known/oauth-authorization-server`)).json()) as { grant_types_supported: string[] };
    expect(metadata.grant_types_supported).toEqual(['client_credentials', GRANT]);
  });

  it('refuses a service an operator has not allowed with unauthorized_client, and one allowed then forbidden too', async () => {
    expect(await errorOf(await handOver(reports, 'alice'))).toEqual([400, 'unauthorized_client']);
    await admin('PUT', '/admin/services/reports/token-exchange', { enabled: true });
    expect((await handOver(reports, 'alice')).status).toBe(200);
    await admin('PUT', '/admin/services/reports/token-exchange', { enabled: false });
    expect(await errorOf(await handOver(reports, 'alice'))).toEqual([400, 'unauthorized_client']);
  });

  it('answers 401 invalid_client to a wrong secret or a revoked service', async () => {
    expect(await errorOf(await handOver({ ...webapp, client_secret: 'wrong' }, 'alice'))).toEqual([401, 'invalid_client']);
    const doomed = await addService('doomed');
    await admin('PUT', '/admin/services/doomed/token-exchange', { enabled: true });
    expect((await handOver(doomed, 'alice')).status).toBe(200);
    await admin('POST', '/admin/services/doomed/revoke');
    expect(await errorOf(await handOver(doomed, 'alice'))).toEqual([401, 'invalid_client']);
  });

  it('refuses an unknown user, by name or id, with invalid_request', async () => {
    const byName = await handOver(webapp, 'nobody');
    expect(await byName.json()).toEqual({ error: 'invalid_request', error_description: 'No user with this username' });
    expect(await errorOf(await exchange(webapp, { subject_token: 'no-such-id', subject_token_type: BY_ID }))).toEqual([400, 'invalid_request']);
  });

  it('never hands over an admin: a service must not be able to mint an operator\'s tokens', async () => {
    const before = await server.tessera.store.families.countActive(Date.now());
    const response = await handOver(webapp, 'root');
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error_description: string }).error_description).toMatch(/An admin cannot be handed over/);
    expect(await server.tessera.store.families.countActive(Date.now())).toBe(before);
  });

  it('never hands over a user whose role is a service\'s (service): a user must never hold what a service holds', async () => {
    await legacyServiceRoleUser(server.tessera, 'mimic');
    const response = await handOver(webapp, 'mimic');
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error_description: string }).error_description).toMatch(/role service cannot be handed over/);
  });

  it('records every refused exchange with the service\'s name and the reason: no permission, admin or service subject, unknown or disabled user', async () => {
    await server.tessera.users.create({ username: 'dave', password: TEST_PASSWORD, role: 'user' });
    await admin('PATCH', `/admin/users/${(await server.tessera.store.users.findByUsername('dave'))!.id}`, { disabled: true });
    await legacyServiceRoleUser(server.tessera, 'robot');
    await server.tessera.audit.flush();
    const [latest] = await server.tessera.audit.query({ limit: 1 });
    for (const [credentials, username] of [[reports, 'alice'], [webapp, 'root'], [webapp, 'robot'], [webapp, 'nobody'], [webapp, 'dave']] as const) {
      expect((await handOver(credentials, username)).status, username).toBe(400);
    }
    await server.tessera.audit.flush();
    const refused = (await server.tessera.audit.query({ type: 'token.exchange_refused', limit: 50 })).filter((e) => e.id > latest!.id).reverse();
    const root = await server.tessera.store.users.findByUsername('root');
    const robot = await server.tessera.store.users.findByUsername('robot');
    const dave = await server.tessera.store.users.findByUsername('dave');
    expect(refused.map((e) => [e.actor, e.userId, e.detail])).toEqual([
      [reports.client_id, null, { service: 'reports', reason: 'not_allowed', subjectTokenType: 'username' }],
      [webapp.client_id, root!.id, { service: 'webapp', reason: 'role', role: 'admin', subjectTokenType: 'username' }],
      [webapp.client_id, robot!.id, { service: 'webapp', reason: 'role', role: 'service', subjectTokenType: 'username' }],
      [webapp.client_id, null, { service: 'webapp', reason: 'unknown_user', subjectTokenType: 'username' }],
      [webapp.client_id, dave!.id, { service: 'webapp', reason: 'disabled', subjectTokenType: 'username' }],
    ]);
  });

  it('refuses a disabled user', async () => {
    const carol = await server.tessera.users.create({ username: 'carol', password: TEST_PASSWORD, role: 'user' });
    await admin('PATCH', `/admin/users/${carol.id}`, { disabled: true });
    const response = await handOver(webapp, 'carol');
    expect(await response.json()).toEqual({ error: 'invalid_request', error_description: 'The account is disabled' });
  });

  it('follows the JWT rollout exactly as a login does: a user outside it gets 403 jwt_not_enabled, audited', async () => {
    expect((await admin('PUT', '/admin/rollout', { percent: 0 })).status).toBe(200);
    try {
      expect(await errorOf(await handOver(webapp, 'bob'))).toEqual([403, 'jwt_not_enabled']);
      await server.tessera.audit.flush();
      const [event] = await server.tessera.audit.query({ type: 'login.jwt_not_enabled', limit: 1 });
      expect(event?.detail).toEqual({ via: 'token_exchange' });
    } finally {
      await admin('PUT', '/admin/rollout', { percent: 100 });
    }
    expect((await handOver(webapp, 'bob')).status).toBe(200);
  });

  it('refuses what it does not offer: another token type, delegation, another audience, a missing subject', async () => {
    const cases: Array<[Record<string, string>, string]> = [
      [{ subject_token_type: BY_USERNAME }, 'invalid_request'],
      [{ subject_token: 'alice', subject_token_type: 'urn:ietf:params:oauth:token-type:jwt' }, 'invalid_request'],
      [{ subject_token: 'alice', subject_token_type: BY_USERNAME, requested_token_type: 'urn:ietf:params:oauth:token-type:id_token' }, 'invalid_request'],
      [{ subject_token: 'alice', subject_token_type: BY_USERNAME, actor_token: 'x', actor_token_type: BY_USERNAME }, 'invalid_request'],
      [{ subject_token: 'alice', subject_token_type: BY_USERNAME, audience: 'https://elsewhere.example.com' }, 'invalid_target'],
    ];
    for (const [params, error] of cases) expect(await errorOf(await exchange(webapp, params)), JSON.stringify(params)).toEqual([400, error]);
    const sameApi = await exchange(webapp, { subject_token: 'alice', subject_token_type: BY_USERNAME, resource: server.tessera.config.audience });
    expect(sameApi.status).toBe(200);
  });

  const refresh = (refreshToken: string) =>
    fetch(`${server.url}/auth/refresh`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ refresh_token: refreshToken }),
    });

  /** A token pair the service got for alice, then refreshed once (the family's newest access token). */
  const exchangedPair = async (credentials: Credentials) => {
    const first = (await (await handOver(credentials, 'alice')).json()) as { access_token: string; refresh_token: string };
    const refreshed = await refresh(first.refresh_token);
    expect(refreshed.status).toBe(200);
    return { first, second: (await refreshed.json()) as { access_token: string; refresh_token: string } };
  };

  const expectSignedOut = async ({ first, second }: Awaited<ReturnType<typeof exchangedPair>>) => {
    expect(await errorOf(await refresh(second.refresh_token))).toEqual([401, 'invalid_grant']);
    expect(await errorOf(await apiUsers(first.access_token))).toEqual([401, 'invalid_token']);
    expect(await errorOf(await apiUsers(second.access_token))).toEqual([401, 'invalid_token']);
  };

  it('signs out the users a service signed in when the service is revoked: their refresh tokens and access tokens stop working', async () => {
    const leaving = await addService('leaving');
    await admin('PUT', '/admin/services/leaving/token-exchange', { enabled: true });
    const handedOver = await exchangedPair(leaving);
    const ownLogin = await (await fetch(`${server.url}/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'alice', password: TEST_PASSWORD }),
    })).json() as { access_token: string; refresh_token: string };
    const otherService = await exchangedPair(webapp);

    expect((await admin('POST', '/admin/services/leaving/revoke')).status).toBe(200);
    await expectSignedOut(handedOver);
    // Only that service's logins: alice's own, and another service's hand-off, go on.
    expect((await apiUsers(ownLogin.access_token)).status).toBe(200);
    expect((await refresh(ownLogin.refresh_token)).status).toBe(200);
    expect((await apiUsers(otherService.second.access_token)).status).toBe(200);
    expect((await refresh(otherService.second.refresh_token)).status).toBe(200);
    const signedOut = await server.tessera.store.revocations.isRevoked(decodeJwt(handedOver.second.access_token).jti!);
    expect(signedOut).toBe(true);
  });

  it("ends a service's login of a user who later becomes an admin or a service: the next refresh is refused", async () => {
    // Tessera no longer lets anyone make a user a service; an account from before the rule is changed in the store.
    const promote = {
      admin: async (id: string) => expect((await admin('PATCH', `/admin/users/${id}`, { role: 'admin' })).status).toBe(200),
      service: async (id: string) => void (await server.tessera.store.users.update(id, { role: 'service' }, Date.now())),
    };
    for (const [username, role] of [['promoted-admin', 'admin'], ['promoted-service', 'service']] as const) {
      const user = await server.tessera.users.create({ username, password: TEST_PASSWORD, role: 'user' });
      const handedOver = (await (await handOver(webapp, username)).json()) as { refresh_token: string };
      const before = await refresh(handedOver.refresh_token);
      expect(before.status, role).toBe(200);
      const { refresh_token } = (await before.json()) as { refresh_token: string };
      await promote[role](user.id);
      const after = await refresh(refresh_token);
      expect(await errorOf(after), role).toEqual([401, 'invalid_grant']);
      // The user's own password login is theirs, with the new role.
      const own = await fetch(`${server.url}/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username, password: TEST_PASSWORD }),
      });
      expect(decodeJwt(((await own.json()) as { access_token: string }).access_token).role, role).toBe(role);
    }
  });

  it('signs out the users a service signed in when its token exchange is turned off', async () => {
    const pausing = await addService('pausing');
    await admin('PUT', '/admin/services/pausing/token-exchange', { enabled: true });
    const handedOver = await exchangedPair(pausing);
    expect((await admin('PUT', '/admin/services/pausing/token-exchange', { enabled: false })).status).toBe(200);
    await expectSignedOut(handedOver);
    // Turned on again, the service signs users in anew; what it signed in before stays signed out.
    await admin('PUT', '/admin/services/pausing/token-exchange', { enabled: true });
    expect((await handOver(pausing, 'alice')).status).toBe(200);
    expect(await errorOf(await refresh(handedOver.second.refresh_token))).toEqual([401, 'invalid_grant']);
  });

  it('answers 404 to the admin API for a service that is not active', async () => {
    expect(await errorOf(await admin('PUT', '/admin/services/doomed/token-exchange', { enabled: true }))).toEqual([404, 'not_found']);
  });
});
