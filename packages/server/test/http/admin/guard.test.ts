import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminClient, type AdminClient } from '../../support/admin.js';
import { createUser, loginTokens, startTestInstance, type TestInstance } from '../../support/tessera.js';

/** One request to every admin route, with a body where the route takes one. */
const ADMIN_REQUESTS = [
  { method: 'GET', url: '/admin/users' },
  { method: 'POST', url: '/admin/users', payload: { username: 'made', password: 'long enough password' } },
  { method: 'POST', url: '/admin/users/import', payload: { users: [] } },
  { method: 'GET', url: '/admin/users/some-id' },
  { method: 'PATCH', url: '/admin/users/some-id', payload: { role: 'admin' } },
  { method: 'POST', url: '/admin/users/some-id/password', payload: { password: 'long enough password' } },
  { method: 'GET', url: '/admin/users/some-id/families' },
  { method: 'DELETE', url: '/admin/users/some-id/families' },
  { method: 'DELETE', url: '/admin/users/some-id/families/some-family' },
  { method: 'GET', url: '/admin/users/some-id/login-throttle' },
  { method: 'DELETE', url: '/admin/users/some-id/login-throttle' },
  { method: 'GET', url: '/admin/keys' },
  { method: 'POST', url: '/admin/keys/rotate' },
  { method: 'POST', url: '/admin/keys/some-kid/revoke' },
  { method: 'GET', url: '/admin/audit' },
  { method: 'GET', url: '/admin/rollout' },
  { method: 'PUT', url: '/admin/rollout', payload: { percent: 50 } },
  { method: 'DELETE', url: '/admin/rollout' },
  { method: 'PUT', url: '/admin/rollout/overrides/some-name', payload: { enabled: true } },
  { method: 'GET', url: '/admin/legacy-usage' },
  { method: 'GET', url: '/admin/stats/authenticated-requests' },
  { method: 'GET', url: '/admin/stats/moved-users' },
  { method: 'GET', url: '/admin/services' },
  { method: 'POST', url: '/admin/services', payload: { name: 'billing' } },
  { method: 'POST', url: '/admin/services/some-service/revoke' },
  { method: 'PUT', url: '/admin/services/some-service/token-exchange', payload: { enabled: true } },
] as const;

describe('who may use the admin API', () => {
  let t: TestInstance;
  let root: AdminClient;
  let userToken: string;

  beforeAll(async () => {
    t = await startTestInstance({ AUTH_RATE_LIMIT: '0' });
    root = await adminClient(t);
    await createUser(t.tessera, 'plain');
    userToken = (await loginTokens(t.app, 'plain')).access_token;
  });
  afterAll(() => t.close());

  it('covers every /admin route the OpenAPI document lists', async () => {
    const { paths } = (await t.app.inject({ url: '/openapi.json' })).json<{ paths: Record<string, Record<string, unknown>> }>();
    const documented = Object.entries(paths)
      .filter(([path]) => path.startsWith('/admin'))
      .flatMap(([path, operations]) => Object.keys(operations).map((method) => `${method.toUpperCase()} ${path}`));
    const covered = ADMIN_REQUESTS.map((r) => `${r.method} ${r.url.replace('some-id', '{id}').replace('some-family', '{familyId}').replace('some-name', '{username}').replace('some-kid', '{kid}').replace('some-service', '{name}')}`);
    expect(covered.sort()).toEqual(documented.sort());
  });

  it.each(ADMIN_REQUESTS)('$method $url without a token → 401 with a Bearer challenge', async (request) => {
    const response = await t.app.inject(request);
    expect(response.statusCode).toBe(401);
    expect(response.headers['www-authenticate']).toBe('Bearer realm="tessera"');
    expect(response.json().error).toBe('unauthorized');
  });

  it.each(ADMIN_REQUESTS)('$method $url with a user-role token → 403 insufficient_scope (RFC 6750)', async (request) => {
    const response = await t.app.inject({ ...request, headers: { authorization: `Bearer ${userToken}` } });
    expect(response.statusCode).toBe(403);
    expect(response.json()).toEqual({
      error: 'insufficient_scope',
      error_description: 'This endpoint requires an access token with the admin role',
    });
    expect(response.headers['www-authenticate']).toBe(
      'Bearer realm="tessera", error="insufficient_scope", error_description="This endpoint requires an access token with the admin role"',
    );
  });

  it('refuses a non-admin before looking at the body', async () => {
    const response = await t.app.inject({
      method: 'POST',
      url: '/admin/users',
      headers: { authorization: `Bearer ${userToken}` },
      payload: { nonsense: true },
    });
    expect(response.statusCode).toBe(403);
  });

  it('refuses a malformed or forged token with 401 invalid_token', async () => {
    const forged = root.token.slice(0, -4) + 'AAAA';
    const response = await t.app.inject({ url: '/admin/users', headers: { authorization: `Bearer ${forged}` } });
    expect(response.statusCode).toBe(401);
    expect(response.json().error).toBe('invalid_token');
  });

  it('lets an admin token through', async () => {
    expect((await root.call({ url: '/admin/users' })).statusCode).toBe(200);
  });

  it('answers 404 for an unknown admin path, and 405 for a known path with the wrong method', async () => {
    expect((await root.call({ url: '/admin/nothing-here' })).statusCode).toBe(404);
    const wrong = await root.call({ method: 'PUT', url: '/admin/keys' });
    expect(wrong.statusCode).toBe(405);
  });
});
