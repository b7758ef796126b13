import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUser, loginTokens, startTestInstance, TEST_PASSWORD, type TestInstance } from '../support/tessera.js';

const APP = 'http://localhost:3000';
const STRANGER = 'https://evil.example';

describe('CORS_ORIGINS', () => {
  let t: TestInstance;
  beforeAll(async () => {
    t = await startTestInstance({ AUTH_RATE_LIMIT: '0', CORS_ORIGINS: `${APP},https://app.example.com` });
    await createUser(t.tessera, 'amy');
  });
  afterAll(() => t.close());

  const preflight = (url: string, origin: string) =>
    t.app.inject({
      method: 'OPTIONS',
      url,
      headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type,authorization' },
    });

  it('answers a listed origin’s preflight for /auth and /api with credentials allowed and that origin echoed, never *', async () => {
    for (const url of ['/auth/login', '/auth/refresh', '/api/users']) {
      const response = await preflight(url, APP);
      expect(response.statusCode, url).toBe(204);
      expect(response.headers['access-control-allow-origin']).toBe(APP);
      expect(response.headers['access-control-allow-credentials']).toBe('true');
      expect(String(response.headers['access-control-allow-headers'])).toMatch(/authorization/);
      expect(String(response.headers.vary)).toMatch(/Origin/);
    }
  });

  it('lets a listed origin read a login answer and send the refresh cookie', async () => {
    const login = await t.app.inject({ method: 'POST', url: '/auth/login', headers: { origin: APP }, payload: { username: 'amy', password: TEST_PASSWORD } });
    expect(login.headers['access-control-allow-origin']).toBe(APP);
    expect(login.headers['access-control-allow-credentials']).toBe('true');
    const cookie = login.cookies.find((c) => c.name === '__Secure-refresh_token')!;
    const refresh = await t.app.inject({ method: 'POST', url: '/auth/refresh', headers: { origin: APP }, cookies: { [cookie.name]: cookie.value } });
    expect(refresh.statusCode).toBe(200);
    expect(refresh.headers['access-control-allow-origin']).toBe(APP);
  });

  it('gives an unlisted origin no CORS headers (its page cannot read the answer) and refuses its cookie', async () => {
    const response = await preflight('/auth/login', STRANGER);
    expect(response.statusCode).toBe(405);
    expect(response.headers['access-control-allow-origin']).toBeUndefined();
    expect(String(response.headers.vary)).toMatch(/Origin/);
    const tokens = await loginTokens(t.app, 'amy');
    const refresh = await t.app.inject({ method: 'POST', url: '/auth/refresh', headers: { origin: STRANGER }, cookies: { '__Secure-refresh_token': tokens.refresh_token } });
    expect(refresh.statusCode).toBe(403);
    expect(refresh.json().error).toBe('cross_site_request');
    expect(refresh.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('never opens the admin API or /metrics to another origin, even a listed one', async () => {
    for (const url of ['/admin/users', '/metrics']) {
      const response = await preflight(url, APP);
      expect(response.headers['access-control-allow-origin'], url).toBeUndefined();
      const get = await t.app.inject({ method: 'GET', url, headers: { origin: APP } });
      expect(get.headers['access-control-allow-origin'], url).toBeUndefined();
    }
  });

  it('lets any page import the browser SDK, without credentials', async () => {
    const response = await t.app.inject({ method: 'GET', url: '/sdk/tessera-client.js', headers: { origin: STRANGER } });
    expect(response.headers['access-control-allow-origin']).toBe('*');
    expect(response.headers['access-control-allow-credentials']).toBeUndefined();
  });
});

describe('without CORS_ORIGINS', () => {
  let t: TestInstance;
  beforeAll(async () => {
    t = await startTestInstance({ AUTH_RATE_LIMIT: '0' });
  });
  afterAll(() => t.close());

  it('answers no origin’s preflight: pages of other origins cannot call Tessera', async () => {
    const response = await t.app.inject({ method: 'OPTIONS', url: '/auth/login', headers: { origin: APP, 'access-control-request-method': 'POST' } });
    expect(response.statusCode).toBe(405);
    expect(response.json().error).toBe('method_not_allowed');
    expect(response.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('answers the preflight of the browser SDK’s files only, not of any path that merely starts with /sdk', async () => {
    const preflight = (url: string) => t.app.inject({ method: 'OPTIONS', url, headers: { origin: STRANGER, 'access-control-request-method': 'GET' } });
    const sdk = await preflight('/sdk/tessera-client.js');
    expect(sdk.statusCode).toBe(204);
    expect(sdk.headers['access-control-allow-origin']).toBe('*');
    for (const url of ['/sdkx', '/sdk-admin/anything', '/sdk']) {
      const other = await preflight(url);
      expect(other.statusCode, url).not.toBe(204);
      expect(other.headers['access-control-allow-origin'], url).toBeUndefined();
    }
  });
});
