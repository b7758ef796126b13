import { createLocalJWKSet, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUser, loginTokens, startTestInstance, type TestInstance } from '../support/tessera.js';

describe('health checks', () => {
  let t: TestInstance;
  beforeAll(async () => {
    t = await startTestInstance();
  });
  afterAll(() => t.close());

  it('GET /healthz says the process is alive', async () => {
    const response = await t.app.inject({ url: '/healthz' });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ status: 'ok' });
  });

  it('GET /readyz says the database answers', async () => {
    const response = await t.app.inject({ url: '/readyz' });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ status: 'ready' });
  });

  it('GET /readyz answers 503 with Retry-After when the database is gone', async () => {
    const broken = await startTestInstance();
    await broken.tessera.store.close();
    const response = await broken.app.inject({ url: '/readyz' });
    expect(response.statusCode).toBe(503);
    expect(response.headers['retry-after']).toBe('5');
    expect(response.json().error).toBe('service_unavailable');
    await broken.app.close();
  });
});

describe('GET /.well-known/jwks.json', () => {
  let t: TestInstance;
  beforeAll(async () => {
    t = await startTestInstance({ AUTH_RATE_LIMIT: '0' });
    await createUser(t.tessera, 'oscar');
  });
  afterAll(() => t.close());

  it('serves only public key members', async () => {
    const { keys } = (await t.app.inject({ url: '/.well-known/jwks.json' })).json<{ keys: Array<Record<string, string>> }>();
    expect(keys).toHaveLength(1);
    expect(Object.keys(keys[0]!).sort()).toEqual(['alg', 'e', 'kid', 'kty', 'n', 'use']);
    expect(keys[0]).toMatchObject({ kty: 'RSA', alg: 'RS256', use: 'sig' });
  });

  it('lets a third party verify our access tokens', async () => {
    const jwks = (await t.app.inject({ url: '/.well-known/jwks.json' })).json();
    const { access_token } = await loginTokens(t.app, 'oscar');
    const { payload } = await jwtVerify(access_token, createLocalJWKSet(jwks), {
      issuer: t.config.publicUrl,
      audience: 'tessera-api',
      typ: 'at+jwt',
      currentDate: new Date(t.clock.now()),
    });
    expect(payload.role).toBe('user');
  });
});

describe.each(['ES256', 'EdDSA'] as const)('JWT_ALGORITHM=%s', (algorithm) => {
  it('issues and accepts tokens signed with that algorithm', async () => {
    const t = await startTestInstance({ JWT_ALGORITHM: algorithm, AUTH_RATE_LIMIT: '0' });
    try {
      await createUser(t.tessera, 'alg');
      const { access_token } = await loginTokens(t.app, 'alg');
      expect(JSON.parse(Buffer.from(access_token.split('.')[0]!, 'base64url').toString()).alg).toBe(algorithm);
      const response = await t.app.inject({ url: '/api/users', headers: { authorization: `Bearer ${access_token}` } });
      expect(response.statusCode).toBe(200);
    } finally {
      await t.close();
    }
  });
});
