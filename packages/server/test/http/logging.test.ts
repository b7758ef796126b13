import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { buildApp } from '../../src/http/app.js';
import { createLogger } from '../../src/logger.js';
import { createTessera, type Tessera } from '../../src/tessera.js';
import { TestClock } from '../support/clock.js';
import { TEST_PASSWORD, createUser, testEnv, type TokenPairBody } from '../support/tessera.js';

describe('request logs and unexpected failures', () => {
  const lines: string[] = [];
  let tessera: Tessera;
  let app: Awaited<ReturnType<typeof buildApp>>;

  beforeAll(async () => {
    // Behind a trusted proxy (the loopback address inject uses), whose request ids are kept.
    const config = loadConfig(testEnv({ AUTH_RATE_LIMIT: '0', LOG_LEVEL: 'info', TRUST_PROXY: 'loopback' }).env);
    tessera = await createTessera(config, { logger: createLogger('info', { write: (line: string) => lines.push(line) }), clock: new TestClock() });
    app = await buildApp(tessera);
    app.get('/boom', async () => {
      throw new Error('connection string postgres://admin:hunter2@db');
    });
    await app.ready();
    await createUser(tessera, 'logged');
  });
  afterAll(async () => {
    await app.close();
    await tessera.close();
  });

  it('writes one line per request with method, path (no query), status and duration, echoing a trusted proxy’s request id', async () => {
    const response = await app.inject({ url: '/healthz?token=abc', headers: { 'x-request-id': 'req-123' } });
    expect(response.headers['x-request-id']).toBe('req-123');
    const line = JSON.parse(lines.findLast((l) => l.includes('req-123'))!);
    expect(line.req).toEqual({ id: 'req-123', method: 'GET', path: '/healthz', ip: '127.0.0.1' });
    expect(line.res).toEqual({ statusCode: 200 });
    expect(typeof line.ms).toBe('number');
  });

  it('logs the path of a request without a query string as it was asked for, with its status', async () => {
    await app.inject({ url: '/no/such/page', headers: { 'x-request-id': 'req-404' } });
    const line = JSON.parse(lines.findLast((l) => l.includes('req-404'))!);
    expect(line).toMatchObject({ level: 30, service: 'tessera', reqId: 'req-404', msg: 'request' });
    expect(line.req).toEqual({ id: 'req-404', method: 'GET', path: '/no/such/page', ip: '127.0.0.1' });
    expect(line.res).toEqual({ statusCode: 404 });
  });

  it('replaces an unusable request id with its own', async () => {
    const response = await app.inject({ url: '/healthz', headers: { 'x-request-id': 'bad id\nwith newline' } });
    expect(response.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('never logs a password, token, cookie or hash from any auth endpoint', async () => {
    const login = await app.inject({ method: 'POST', url: '/auth/login', payload: { username: 'logged', password: TEST_PASSWORD } });
    const tokens = login.json<TokenPairBody>();
    await app.inject({ url: `/api/users?access_token=${tokens.access_token}`, headers: { authorization: `Bearer ${tokens.access_token}` } });
    await app.inject({ method: 'POST', url: '/auth/refresh', cookies: { refresh_token: tokens.refresh_token } });
    await app.inject({ method: 'POST', url: '/auth/login', payload: { username: 'logged', password: 'wrong-password-1' } });
    await app.inject({ method: 'POST', url: '/auth/logout', payload: { refresh_token: tokens.refresh_token } });
    const log = lines.join('\n');
    for (const secret of [TEST_PASSWORD, 'wrong-password-1', tokens.access_token, tokens.refresh_token, 'argon2id']) {
      expect(log).not.toContain(secret);
    }
  });

  it('answers an unexpected failure with a bare 500 and logs the detail', async () => {
    const response = await app.inject({ url: '/boom' });
    expect(response.statusCode).toBe(500);
    expect(response.json()).toEqual({ error: 'server_error', error_description: 'Internal server error' });
    expect(response.body).not.toContain('hunter2');
    expect(lines.some((l) => l.includes('"level":50') && l.includes('request failed'))).toBe(true);
  });
});
