import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { buildApp } from '../../src/http/app.js';
import { createLogger } from '../../src/logger.js';
import { createTessera, type Tessera } from '../../src/tessera.js';
import { TestClock } from '../support/clock.js';
import { TEST_PASSWORD, TEST_SECRET, testEnv, type TokenPairBody } from '../support/tessera.js';
import { HASHES } from '../passwords/imported-hash-fixtures.js';

const METRICS_TOKEN = 'metrics-scrape-token-5e2d8c';
const ADMIN_PASSWORD = 'admin passphrase 3141';
const CREATED_PASSWORD = 'created by the admin 2718';
const RESET_PASSWORD = 'reset by the admin 1618';
const WRONG_PASSWORD = 'a wrong guess 1414';
const CHANGED_PASSWORD = 'changed by its owner 1732';

describe('logs, driven through every endpoint', () => {
  const lines: string[] = [];
  const secrets: string[] = [TEST_SECRET, METRICS_TOKEN, ADMIN_PASSWORD, CREATED_PASSWORD, RESET_PASSWORD, WRONG_PASSWORD, TEST_PASSWORD, CHANGED_PASSWORD];
  const sent: Array<{ id: string; path: string; status: number }> = [];
  let tessera: Tessera;
  let app: Awaited<ReturnType<typeof buildApp>>;
  let requestCount = 0;
  const clock = new TestClock();

  /** Sends a request with its own request id, and keeps every token in the answer as a secret. */
  async function send(options: InjectOptions): Promise<LightMyRequestResponse> {
    const id = `req-${++requestCount}`;
    const response = await app.inject({ ...options, headers: { ...options.headers, 'x-request-id': id } });
    sent.push({ id, path: String(options.url).split('?')[0]!, status: response.statusCode });
    const body = response.headers['content-type']?.toString().startsWith('application/json') ? response.json<Partial<TokenPairBody>>() : {};
    for (const token of [body.access_token, body.refresh_token]) {
      if (token) secrets.push(token, token.split('.')[2]!);
    }
    return response;
  }

  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

  beforeAll(async () => {
    // Behind trusted proxies (inject's loopback address, 10.1.1.1, and 10.2.2.2 for the session logins, which
    // have a login budget of their own), whose request ids the log lines carry.
    const config = loadConfig(testEnv({ AUTH_RATE_LIMIT: '3', LOG_LEVEL: 'trace', METRICS_TOKEN, TRUST_PROXY: 'loopback,10.1.1.1,10.2.2.2' }).env);
    tessera = await createTessera(config, { logger: createLogger('trace', { write: (line: string) => lines.push(line) }), clock });
    await tessera.start();
    app = await buildApp(tessera);
    await app.ready();
    await tessera.admin.accounts.create({ username: 'boss', password: ADMIN_PASSWORD, role: 'admin' }, { id: 'setup' });
    await tessera.users.create({ username: 'worker', password: TEST_PASSWORD, role: 'user' });
  });
  afterAll(async () => {
    await app.close();
    await tessera.close();
  });

  it('calls every documented operation, then finds no secret in any log line', async () => {
    const called = new Set<string>();
    const call = async (operation: string, options: InjectOptions) => {
      called.add(operation);
      return send(options);
    };

    const admin = (await call('POST /auth/login', { method: 'POST', url: '/auth/login', payload: { username: 'boss', password: ADMIN_PASSWORD } })).json<TokenPairBody>();
    const worker = (await send({ method: 'POST', url: '/auth/login', payload: { username: 'worker', password: TEST_PASSWORD } })).json<TokenPairBody>();
    await send({ method: 'POST', url: '/auth/login', payload: { username: 'worker', password: WRONG_PASSWORD } });
    await send({ method: 'POST', url: '/auth/login', payload: { username: 'worker', password: WRONG_PASSWORD } }); // rate limited
    const refreshed = (await call('POST /auth/refresh', { method: 'POST', url: '/auth/refresh', payload: { refresh_token: worker.refresh_token } })).json<TokenPairBody>();
    await send({ method: 'POST', url: '/auth/refresh', payload: { refresh_token: worker.refresh_token } }); // reuse: family revoked
    await call('GET /api/users', { url: `/api/users?access_token=${admin.access_token}`, headers: bearer(admin.access_token) });
    await call('GET /api/me', { url: '/api/me', headers: bearer(refreshed.access_token) });
    await send({ url: '/api/me', headers: bearer(`${admin.access_token}x`) });
    await call('GET /healthz', { url: '/healthz' });
    await call('GET /readyz', { url: '/readyz' });
    await call('GET /.well-known/jwks.json', { url: '/.well-known/jwks.json' });
    await call('GET /openapi.json', { url: '/openapi.json' });
    await call('GET /docs', { url: '/docs' });
    await call('GET /metrics', { url: '/metrics', headers: bearer(METRICS_TOKEN) });
    await send({ url: '/metrics', headers: bearer(`${METRICS_TOKEN}-wrong`) });

    const h = bearer(admin.access_token);
    const created = (
      await call('POST /admin/users', { method: 'POST', url: '/admin/users', headers: h, payload: { username: 'temp', password: CREATED_PASSWORD } })
    ).json<{ id: string }>();
    const temp = (await send({ method: 'POST', url: '/auth/login', remoteAddress: '10.1.1.1', payload: { username: 'temp', password: CREATED_PASSWORD } })).json<TokenPairBody>();
    await call('POST /admin/users/import', { method: 'POST', url: '/admin/users/import', headers: h, payload: { users: [{ username: 'imported', password_hash: HASHES.bcrypt2b }] } });
    secrets.push(HASHES.bcrypt2b);
    await call('GET /admin/users', { url: '/admin/users', headers: h });
    await call('GET /admin/users/{id}', { url: `/admin/users/${created.id}`, headers: h });
    await call('PATCH /admin/users/{id}', { method: 'PATCH', url: `/admin/users/${created.id}`, headers: h, payload: { role: 'auditor' } });
    const [family] = (await call('GET /admin/users/{id}/families', { url: `/admin/users/${created.id}/families`, headers: h })).json<Array<{ id: string }>>();
    await call('DELETE /admin/users/{id}/families/{familyId}', { method: 'DELETE', url: `/admin/users/${created.id}/families/${family!.id}`, headers: h });
    await call('POST /admin/users/{id}/password', { method: 'POST', url: `/admin/users/${created.id}/password`, headers: h, payload: { password: RESET_PASSWORD } });
    await send({ method: 'POST', url: `/admin/users/${created.id}/password`, headers: h, payload: { password: 'short' } });
    await call('DELETE /admin/users/{id}/families', { method: 'DELETE', url: `/admin/users/${created.id}/families`, headers: h });
    await call('GET /admin/users/{id}/login-throttle', { url: `/admin/users/${created.id}/login-throttle`, headers: h });
    await call('DELETE /admin/users/{id}/login-throttle', { method: 'DELETE', url: `/admin/users/${created.id}/login-throttle`, headers: h });
    // Their own account, from an address of its own behind the proxy (the password checks spend the login budget).
    const away = { remoteAddress: '10.1.1.1', headers: { 'x-forwarded-for': '10.9.9.9' } };
    clock.advanceSeconds(1); // after the sign-out everywhere above
    const again = (await send({ method: 'POST', url: '/auth/login', ...away, payload: { username: 'temp', password: RESET_PASSWORD } })).json<TokenPairBody>();
    const own = bearer(again.access_token);
    await call('GET /api/me/account', { url: '/api/me/account', headers: own });
    const [device] = (await call('GET /api/me/devices', { url: '/api/me/devices', headers: own })).json<Array<{ id: string }>>();
    await call('POST /api/me/reauth', { method: 'POST', url: '/api/me/reauth', remoteAddress: '10.1.1.1', headers: { ...own, ...away.headers }, payload: { password: CREATED_PASSWORD } });
    const changed = (
      await call('POST /api/me/password', {
        method: 'POST',
        url: '/api/me/password',
        remoteAddress: '10.1.1.1',
        headers: { ...own, ...away.headers },
        payload: { current_password: CREATED_PASSWORD, new_password: CHANGED_PASSWORD },
      })
    ).json<TokenPairBody>();
    await call('PUT /api/me/email', {
      method: 'PUT',
      url: '/api/me/email',
      remoteAddress: '10.1.1.1',
      headers: { ...bearer(changed.access_token), ...away.headers },
      payload: { password: CHANGED_PASSWORD, email: 'temp@example.com' },
    });
    await call('POST /api/me/email/confirmation', { method: 'POST', url: '/api/me/email/confirmation', headers: bearer(changed.access_token) });
    // A token such as a confirmation link carries (never one issued: this server sends no mail) stays out of the log too.
    const linkToken = 'confirm-token-never-logged-0123456789';
    secrets.push(linkToken);
    await call('POST /api/me/email/confirm', { method: 'POST', url: '/api/me/email/confirm', headers: bearer(changed.access_token), payload: { token: linkToken } });
    await call('DELETE /api/me/devices/{id}', { method: 'DELETE', url: `/api/me/devices/${device!.id}`, headers: bearer(changed.access_token) });
    await call('DELETE /api/me/devices', { method: 'DELETE', url: '/api/me/devices', headers: bearer(changed.access_token) });
    await call('GET /admin/stats/authenticated-requests', { url: '/admin/stats/authenticated-requests', headers: h });
    await call('GET /admin/stats/moved-users', { url: '/admin/stats/moved-users', headers: h });
    await call('GET /admin/keys', { url: '/admin/keys', headers: h });
    await call('POST /admin/keys/rotate', { method: 'POST', url: '/admin/keys/rotate', headers: h });
    // The key that now signs, not the one that signed the admin's token: the admin keeps working.
    const keys = (await send({ url: '/admin/keys', headers: h })).json<Array<{ kid: string; use: string; state: string }>>();
    const signing = keys.find((k) => k.use === 'access' && k.state === 'active')!.kid;
    await call('POST /admin/keys/{kid}/revoke', { method: 'POST', url: `/admin/keys/${encodeURIComponent(signing)}/revoke`, headers: h });
    await call('GET /admin/audit', { url: '/admin/audit?limit=1000', headers: h });
    // Without `Accept: text/event-stream` the feed answers at once (an open stream would never end here).
    await call('GET /auth/revocations', { url: '/auth/revocations', headers: h });
    await call('GET /auth/verify', { url: '/auth/verify', headers: h });
    // From an address of their own: /auth/login, /api/login and the exchange share one per-IP budget.
    const sessionLogin = await call('POST /api/login', { method: 'POST', url: '/api/login', remoteAddress: '10.2.2.2', payload: { username: 'worker', password: TEST_PASSWORD } });
    const cookie = sessionLogin.cookies.find((c) => c.name === 'session_id')!.value;
    secrets.push(cookie);
    await send({ url: '/api/me', cookies: { session_id: cookie } });
    await call('POST /auth/session/exchange', { method: 'POST', url: '/auth/session/exchange', remoteAddress: '10.2.2.2', cookies: { session_id: cookie } });
    const second = await send({ method: 'POST', url: '/api/login', remoteAddress: '10.2.2.2', payload: { username: 'worker', password: TEST_PASSWORD } });
    const secondCookie = second.cookies.find((c) => c.name === 'session_id')!.value;
    secrets.push(secondCookie);
    await call('POST /api/logout', { method: 'POST', url: '/api/logout', cookies: { session_id: secondCookie } });
    await call('GET /docs/auth-migration-guide.md', { url: '/docs/auth-migration-guide.md' });
    await call('GET /sdk/tessera-client.js', { url: '/sdk/tessera-client.js' });
    await call('GET /sdk/tessera-client.js.map', { url: '/sdk/tessera-client.js.map' });
    await call('GET /admin/rollout', { url: '/admin/rollout', headers: h });
    await call('PUT /admin/rollout/overrides/{username}', { method: 'PUT', url: '/admin/rollout/overrides/worker', headers: h, payload: { enabled: true } });
    await call('PUT /admin/rollout', { method: 'PUT', url: '/admin/rollout', headers: h, payload: { percent: 50 } });
    await call('DELETE /admin/rollout', { method: 'DELETE', url: '/admin/rollout', headers: h });
    await call('GET /admin/legacy-usage', { url: '/admin/legacy-usage?days=7', headers: h });
    await send({ url: '/admin/users', headers: bearer(temp.access_token) });
    await call('GET /.well-known/oauth-authorization-server', { url: '/.well-known/oauth-authorization-server' });
    await call('GET /.well-known/openid-configuration', { url: '/.well-known/openid-configuration' });
    const service = (
      await call('POST /admin/services', { method: 'POST', url: '/admin/services', headers: h, payload: { name: 'billing', audience: 'orders-api' } })
    ).json<{ client_id: string; client_secret: string }>();
    secrets.push(service.client_secret);
    await call('GET /admin/services', { url: '/admin/services', headers: h });
    const basic = { authorization: `Basic ${Buffer.from(`${service.client_id}:${service.client_secret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' };
    const serviceToken = (await call('POST /oauth/token', { method: 'POST', url: '/oauth/token', headers: basic, payload: 'grant_type=client_credentials' })).json<{ access_token: string }>();
    secrets.push(serviceToken.access_token, serviceToken.access_token.split('.')[2]!);
    await call('POST /oauth/introspect', { method: 'POST', url: '/oauth/introspect', headers: basic, payload: `token=${serviceToken.access_token}` });
    await call('POST /oauth/revoke', { method: 'POST', url: '/oauth/revoke', headers: basic, payload: `token=${serviceToken.access_token}` });
    await send({ method: 'POST', url: '/oauth/token', headers: { ...basic, authorization: `Basic ${Buffer.from(`${service.client_id}:${service.client_secret}x`).toString('base64')}` }, payload: 'grant_type=client_credentials' });
    await call('PUT /admin/services/{name}/token-exchange', { method: 'PUT', url: '/admin/services/billing/token-exchange', headers: h, payload: { enabled: true } });
    const handedOver = (
      await send({
        method: 'POST',
        url: '/oauth/token',
        headers: basic,
        payload: 'grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Atoken-exchange&subject_token=worker&subject_token_type=urn%3Atessera%3Aparams%3Aoauth%3Atoken-type%3Ausername',
      })
    ).json<TokenPairBody>();
    secrets.push(handedOver.access_token, handedOver.refresh_token);
    await call('POST /admin/services/{name}/revoke', { method: 'POST', url: '/admin/services/billing/revoke', headers: h });
    await call('POST /auth/logout', { method: 'POST', url: '/auth/logout', headers: h, payload: { refresh_token: admin.refresh_token } });
    await tessera.audit.flush();

    const { paths } = (await app.inject({ url: '/openapi.json' })).json<{ paths: Record<string, object> }>();
    const documented = Object.entries(paths).flatMap(([path, operations]) => Object.keys(operations).map((m) => `${m.toUpperCase()} ${path}`));
    expect([...called].filter((op) => op !== 'GET /openapi.json' && op !== 'GET /docs').sort()).toEqual(documented.sort());

    const user = await tessera.store.users.findByUsername('temp');
    secrets.push(user!.passwordHash, ...(await tessera.store.keys.list()).map((k) => k.sealedKey));
    const log = lines.join('');
    expect(lines.length).toBeGreaterThan(sent.length);
    for (const secret of secrets) expect(log).not.toContain(secret);
    expect(log).not.toContain('$argon2id$');
  });

  it('writes exactly one line per request, carrying its request id, path without query, and status', () => {
    for (const { id, path, status } of sent) {
      const requestLines = lines.map((l) => JSON.parse(l) as { msg: string; req?: { id: string; path: string }; res?: { statusCode: number } }).filter((l) => l.req?.id === id);
      expect(requestLines).toHaveLength(1);
      expect(requestLines[0]).toMatchObject({ msg: 'request', req: { path }, res: { statusCode: status } });
    }
  });
});
