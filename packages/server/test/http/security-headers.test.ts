import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sessionCookieFor, withSession } from '../support/sessions.js';
import { createUser, login, startTestInstance, TEST_PASSWORD, type TestInstance } from '../support/tessera.js';

const METRICS_TOKEN = 'Vb3tQ9xZr7LmP2kW8sYd4Hn6Jf1Gc5Ae0Ut';

describe('security headers', () => {
  let t: TestInstance;
  beforeAll(async () => {
    t = await startTestInstance({ AUTH_RATE_LIMIT: '0' });
    await createUser(t.tessera, 'hedy');
  });
  afterAll(() => t.close());

  it('sends nosniff, no-referrer, a deny-all CSP and no framing on every response, errors included', async () => {
    for (const url of ['/healthz', '/api/users', '/no/such/route', '/.well-known/jwks.json']) {
      const response = await t.app.inject({ url });
      expect(response.headers['x-content-type-options'], url).toBe('nosniff');
      expect(response.headers['referrer-policy'], url).toBe('no-referrer');
      expect(response.headers['content-security-policy'], url).toMatch(/default-src 'none'/);
      expect(response.headers['content-security-policy'], url).toMatch(/frame-ancestors 'none'/);
      expect(response.headers['x-frame-options'], url).toBe('DENY');
    }
  });

  it('sends every security header and a request id on answers, refusals, unknown routes, wrong methods and bad input alike', async () => {
    const expected = {
      'content-security-policy': "default-src 'none';base-uri 'none';form-action 'none';frame-ancestors 'none'",
      'cross-origin-opener-policy': 'same-origin',
      'cross-origin-resource-policy': 'same-origin',
      'origin-agent-cluster': '?1',
      'referrer-policy': 'no-referrer',
      'x-content-type-options': 'nosniff',
      'x-dns-prefetch-control': 'off',
      'x-download-options': 'noopen',
      'x-frame-options': 'DENY',
      'x-permitted-cross-domain-policies': 'none',
      'x-xss-protection': '0',
    };
    const responses = [
      await t.app.inject({ url: '/healthz' }),
      await t.app.inject({ url: '/api/users' }),
      await t.app.inject({ url: '/no/such/route' }),
      await t.app.inject({ method: 'DELETE', url: '/healthz' }),
      await t.app.inject({ method: 'POST', url: '/auth/login', payload: { username: 7 } }),
      // An undecodable URL, answered by Fastify itself before any hook runs.
      await t.app.inject({ url: '/api/%zz' }),
    ];
    expect(responses.map((r) => r.statusCode)).toEqual([200, 401, 404, 405, 400, 400]);
    expect(responses[5]!.json()).toEqual({ error: 'invalid_request', error_description: 'The URL is malformed' });
    const ids = new Set<string>();
    for (const response of responses) {
      expect(response.headers, String(response.statusCode)).toMatchObject(expected);
      ids.add(response.headers['x-request-id'] as string);
    }
    expect(ids.size).toBe(responses.length);
  });

  it('sends no HSTS outside production, where plain http://localhost must keep working', async () => {
    expect((await t.app.inject({ url: '/healthz' })).headers['strict-transport-security']).toBeUndefined();
  });

  it('marks every credential response no-store: login, refresh, failed login, session login', async () => {
    const ok = await login(t.app, 'hedy');
    const refreshed = await t.app.inject({ method: 'POST', url: '/auth/refresh', payload: { refresh_token: ok.json().refresh_token } });
    const failed = await login(t.app, 'hedy', 'not the password');
    const session = await t.app.inject({ method: 'POST', url: '/api/login', payload: { username: 'hedy', password: TEST_PASSWORD } });
    for (const response of [ok, refreshed, failed, session]) expect(response.headers['cache-control']).toBe('no-store');
  });

  it("marks every answer to a request carrying credentials no-store, with a token or a session cookie, refusals before any route included: it is that caller's alone", async () => {
    await createUser(t.tessera, 'root', 'admin');
    const user = login(t.app, 'hedy').then((r) => r.json().access_token as string);
    const admin = login(t.app, 'root').then((r) => r.json().access_token as string);
    const cookie = await sessionCookieFor(t.app, 'hedy');
    const responses = [
      await t.app.inject({ url: '/api/me', headers: { authorization: `Bearer ${await user}` } }),
      await t.app.inject({ url: '/api/users', headers: { authorization: `Bearer ${await user}` } }),
      await t.app.inject({ url: '/api/users', headers: { authorization: 'Bearer not.a.token' } }),
      await t.app.inject({ url: '/admin/users', headers: { authorization: `Bearer ${await admin}` } }),
      await t.app.inject({ url: '/admin/users', headers: { authorization: `Bearer ${await user}` } }),
      await withSession(t.app, '/api/me', cookie),
      await withSession(t.app, '/api/users', cookie),
    ];
    // Refused before any route reads them: no route, a wrong method, a path segment too long.
    responses.push(
      await t.app.inject({ url: '/api/nope', headers: { authorization: `Bearer ${await user}` } }),
      await t.app.inject({ method: 'POST', url: '/api/me', headers: { authorization: `Bearer ${await user}` } }),
      await t.app.inject({ method: 'DELETE', url: `/api/me/devices/${'a'.repeat(300)}`, headers: { authorization: `Bearer ${await user}` } }),
      await t.app.inject({ url: '/api/nope', cookies: { session_id: cookie } }),
    );
    expect(responses.map((r) => r.statusCode)).toEqual([200, 200, 401, 200, 403, 200, 200, 404, 405, 414, 404]);
    expect(responses.map((r) => r.headers['cache-control'])).toEqual(Array(responses.length).fill('no-store'));
  });

  it('serves Swagger UI under a CSP that allows its own scripts and styles, framed by no one', async () => {
    const page = await t.app.inject({ url: '/docs' });
    expect(page.statusCode).toBe(200);
    const csp = page.headers['content-security-policy'] as string;
    expect(csp).toMatch(/script-src 'self'/);
    expect(csp).toMatch(/style-src 'self'/);
    expect(csp).toMatch(/frame-ancestors 'none'/);
    expect(csp).not.toMatch(/default-src 'none'/);
    // Every script the page needs comes from this server (what `script-src 'self'` allows) and loads.
    const scripts = [...page.body.matchAll(/<script[^>]*src="([^"]+)"/g)].map((m) => m[1]!);
    expect(scripts).toEqual(expect.arrayContaining(['/docs/static/swagger-ui-bundle.js', '/docs/static/swagger-initializer.js']));
    expect(page.body).not.toMatch(/<script(?![^>]*src=)[^>]*>/); // no inline script, which the CSP would block
    for (const script of scripts) {
      const asset = await t.app.inject({ url: new URL(script, 'http://x/docs').pathname });
      expect(asset.statusCode, script).toBe(200);
    }
    const initializer = await t.app.inject({ url: '/docs/static/swagger-initializer.js' });
    expect(initializer.body).toMatch(/SwaggerUIBundle/);
  });
});

describe('production posture', () => {
  let t: TestInstance;
  beforeAll(async () => {
    t = await startTestInstance({ NODE_ENV: 'production', PUBLIC_URL: 'https://auth.example.com' });
  });
  afterAll(() => t.close());

  it('sends HSTS for a year, subdomains included', async () => {
    const response = await t.app.inject({ url: '/healthz' });
    expect(response.headers['strict-transport-security']).toBe('max-age=31536000; includeSubDomains');
  });

  it('refuses /metrics without METRICS_TOKEN, saying how to enable it', async () => {
    const response = await t.app.inject({ url: '/metrics' });
    expect(response.statusCode).toBe(401);
    expect(response.json()).toEqual({
      error: 'unauthorized',
      error_description: expect.stringMatching(/METRICS_TOKEN/),
    });
    expect(response.body).not.toMatch(/nodejs_version_info|process_open_fds/);
  });
});

describe('production /metrics with METRICS_TOKEN', () => {
  let t: TestInstance;
  beforeAll(async () => {
    t = await startTestInstance({ NODE_ENV: 'production', PUBLIC_URL: 'https://auth.example.com', METRICS_TOKEN });
  });
  afterAll(() => t.close());

  it('answers a scrape that sends the token, and only that one', async () => {
    expect((await t.app.inject({ url: '/metrics' })).statusCode).toBe(401);
    const scrape = await t.app.inject({ url: '/metrics', headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
    expect(scrape.statusCode).toBe(200);
    expect(scrape.body).toContain('tessera_http_requests_total');
  });
});
