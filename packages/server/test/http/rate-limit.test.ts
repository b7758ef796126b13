import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestInstance, type TestInstance } from '../support/tessera.js';

const attempt = (t: TestInstance, remoteAddress: string, headers: Record<string, string> = {}, url = '/auth/login') =>
  t.app.inject({ method: 'POST', url, remoteAddress, headers, payload: { username: 'nobody', password: 'wrong' } });

describe('rate limiting of password checks and credential trades (AUTH_RATE_LIMIT per minute per client IP)', () => {
  let t: TestInstance;
  beforeAll(async () => {
    // Per-account throttling (test/http/brute-force.test.ts) off: these tests are about per-IP budgets.
    t = await startTestInstance({ AUTH_RATE_LIMIT: '5', LOGIN_LOCKOUT_THRESHOLD: '0', LOGIN_SLOWDOWN_AFTER: '0' });
  });
  afterAll(() => t.close());

  it('answers 429 with Retry-After and a JSON error once the limit is spent', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 5; i += 1) statuses.push((await attempt(t, '10.0.0.1')).statusCode);
    expect(statuses).toEqual([401, 401, 401, 401, 401]);
    const limited = await attempt(t, '10.0.0.1');
    expect(limited.statusCode).toBe(429);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expect(Number(limited.headers['retry-after'])).toBeLessThanOrEqual(60);
    expect(limited.json()).toEqual({ error: 'rate_limited', error_description: expect.stringMatching(/^Too many requests; retry in \d+ seconds?$/) });
  });

  it('counts a burst of parallel guesses as it arrives: no more checks than the same guesses one after another', async () => {
    const burst = await Promise.all(Array.from({ length: 9 }, () => attempt(t, '10.0.0.8')));
    expect(burst.map((response) => response.statusCode).sort()).toEqual([401, 401, 401, 401, 401, 429, 429, 429, 429]);
  });

  it('leaves other clients unaffected', async () => {
    for (let i = 0; i < 6; i += 1) await attempt(t, '10.0.0.2');
    expect((await attempt(t, '10.0.0.3')).statusCode).toBe(401);
  });

  it('cannot be dodged with a spoofed X-Forwarded-For when TRUST_PROXY is off', async () => {
    for (let i = 0; i < 5; i += 1) await attempt(t, '10.0.0.4', { 'x-forwarded-for': `198.51.100.${i}` });
    expect((await attempt(t, '10.0.0.4', { 'x-forwarded-for': '198.51.100.99' })).statusCode).toBe(429);
  });

  it('leaves protected API routes and health checks unlimited', async () => {
    for (let i = 0; i < 8; i += 1) {
      expect((await t.app.inject({ url: '/healthz', remoteAddress: '10.0.0.1' })).statusCode).toBe(200);
      expect((await t.app.inject({ url: '/api/users', remoteAddress: '10.0.0.1' })).statusCode).toBe(401);
    }
  });

  it('a refresh does not spend the login budget', async () => {
    for (let i = 0; i < 6; i += 1) await attempt(t, '10.0.0.5');
    const refresh = await t.app.inject({ method: 'POST', url: '/auth/refresh', remoteAddress: '10.0.0.5', payload: { refresh_token: 'x' } });
    expect(refresh.statusCode).toBe(401);
  });

  it('/auth/login, /api/login and /auth/session/exchange share one budget per client IP', async () => {
    const statuses: number[] = [];
    for (const url of ['/auth/login', '/api/login', '/auth/login', '/api/login', '/auth/login']) statuses.push((await attempt(t, '10.0.0.6', {}, url)).statusCode);
    expect(statuses).toEqual([401, 401, 401, 401, 401]);
    expect((await attempt(t, '10.0.0.6', {}, '/api/login')).statusCode).toBe(429);
    const exchange = await t.app.inject({ method: 'POST', url: '/auth/session/exchange', remoteAddress: '10.0.0.6', cookies: { session_id: 'x' } });
    expect(exchange.statusCode).toBe(429);
    expect(exchange.json()).toMatchObject({ error: 'rate_limited' });
  });
});

describe('rate limiting behind a trusted proxy (TRUST_PROXY=true)', () => {
  let t: TestInstance;
  beforeAll(async () => {
    t = await startTestInstance({ AUTH_RATE_LIMIT: '2', TRUST_PROXY: 'true', LOGIN_LOCKOUT_THRESHOLD: '0' });
  });
  afterAll(() => t.close());

  it('limits each client named by X-Forwarded-For separately', async () => {
    const proxy = '10.1.0.1';
    for (let i = 0; i < 2; i += 1) await attempt(t, proxy, { 'x-forwarded-for': '203.0.113.7' });
    expect((await attempt(t, proxy, { 'x-forwarded-for': '203.0.113.7' })).statusCode).toBe(429);
    expect((await attempt(t, proxy, { 'x-forwarded-for': '203.0.113.8' })).statusCode).toBe(401);
  });
});

describe('AUTH_RATE_LIMIT=0', () => {
  it('turns the limit off', async () => {
    const t = await startTestInstance({ AUTH_RATE_LIMIT: '0', LOGIN_LOCKOUT_THRESHOLD: '0' });
    try {
      for (let i = 0; i < 15; i += 1) expect((await attempt(t, '10.2.0.1')).statusCode).toBe(401);
    } finally {
      await t.close();
    }
  });
});

/** Security review of 2026-12-04: one IPv6 subscriber holds a /64, so every per-client limit counts a /64 as one client. */
describe('per-client limits count an IPv6 /64 as one client', () => {
  let t: TestInstance;
  // AUTH_RATE_LIMIT is left at its default (10); per-account throttling is off, as above.
  beforeAll(async () => {
    t = await startTestInstance({ LOGIN_LOCKOUT_THRESHOLD: '0', LOGIN_SLOWDOWN_AFTER: '0', REFRESH_IP_RATE_LIMIT: '3' });
  });
  afterAll(() => t.close());

  it('logins from ten addresses of one /64 spend its budget: the 11th, from another address of it, gets 429; another /64 does not', async () => {
    const statuses: number[] = [];
    for (let i = 1; i <= 10; i += 1) statuses.push((await attempt(t, `2001:db8:1:2::${i.toString(16)}`)).statusCode);
    expect(statuses).toEqual(Array(10).fill(401));
    const eleventh = await attempt(t, '2001:db8:1:2:ffff:ffff:ffff:ffff');
    expect(eleventh.statusCode).toBe(429);
    expect(eleventh.json()).toMatchObject({ error: 'rate_limited' });
    expect((await attempt(t, '2001:db8:1:3::1')).statusCode).toBe(401);
    // The audit names the address that was refused, not the /64 it was counted under.
    const [refused] = await t.tessera.audit.query({ type: 'rate_limited', limit: 1 });
    expect(refused).toMatchObject({ ip: '2001:db8:1:2:ffff:ffff:ffff:ffff', detail: { route: '/auth/login', budget: 'credential' } });
  });

  it('an IPv4 client is counted alike whether its address comes IPv4-mapped or not', async () => {
    for (let i = 0; i < 5; i += 1) await attempt(t, '::ffff:10.3.0.1');
    for (let i = 0; i < 5; i += 1) await attempt(t, '10.3.0.1');
    expect((await attempt(t, '::ffff:10.3.0.1')).statusCode).toBe(429);
    expect((await attempt(t, '10.3.0.2')).statusCode).toBe(401);
  });

  it('the refresh ceiling (REFRESH_IP_RATE_LIMIT) counts a /64 as one client', async () => {
    const refresh = (remoteAddress: string) =>
      t.app.inject({ method: 'POST', url: '/auth/refresh', remoteAddress, payload: { refresh_token: 'x' } });
    for (let i = 1; i <= 3; i += 1) expect((await refresh(`2001:db8:2:2::${i}`)).statusCode).toBe(401);
    expect((await refresh('2001:db8:2:2:abcd::1')).statusCode).toBe(429);
    expect((await refresh('2001:db8:2:3::1')).statusCode).toBe(401);
  });

  // @fastify/rate-limit's own default key already masked IPv6 to /64; ours (clientKey) keeps it under the same rule.
  it('the limit on logout (AUTH_RATE_LIMIT per route) counts a /64 as one client', async () => {
    const logout = (remoteAddress: string) => t.app.inject({ method: 'POST', url: '/auth/logout', remoteAddress, payload: {} });
    for (let i = 1; i <= 10; i += 1) expect((await logout(`2001:db8:3:2::${i}`)).statusCode).not.toBe(429);
    expect((await logout('2001:db8:3:2::ffff')).statusCode).toBe(429);
    expect((await logout('2001:db8:3:3::1')).statusCode).not.toBe(429);
  });
});
