import type { AddressInfo } from 'node:net';
import express from 'express';
import { auth } from 'express-oauth2-jwt-bearer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../support/ports.js';
import { createUser, startTestInstance, startTestServer, type TestInstance, type TestServer } from '../support/tessera.js';

describe('discovery documents', () => {
  let t: TestInstance;
  beforeAll(async () => {
    t = await startTestInstance({ PUBLIC_URL: 'https://auth.example.com/', JWT_ALGORITHM: 'ES256' });
  });
  afterAll(() => t.close());

  it('name the issuer, the keys, the endpoints, the grant, the client authentication and the signing algorithm', async () => {
    for (const url of ['/.well-known/oauth-authorization-server', '/.well-known/openid-configuration']) {
      const response = await t.app.inject({ url });
      expect(response.statusCode).toBe(200);
      expect(response.headers['cache-control']).toBe('public, max-age=300');
      expect(response.json()).toEqual({
        issuer: 'https://auth.example.com',
        jwks_uri: 'https://auth.example.com/.well-known/jwks.json',
        token_endpoint: 'https://auth.example.com/oauth/token',
        introspection_endpoint: 'https://auth.example.com/oauth/introspect',
        revocation_endpoint: 'https://auth.example.com/oauth/revoke',
        grant_types_supported: ['client_credentials', 'urn:ietf:params:oauth:grant-type:token-exchange'],
        response_types_supported: [],
        token_endpoint_auth_methods_supported: ['client_secret_basic'],
        introspection_endpoint_auth_methods_supported: ['client_secret_basic'],
        revocation_endpoint_auth_methods_supported: ['client_secret_basic'],
        id_token_signing_alg_values_supported: ['ES256'],
      });
    }
  });
});

/** A team's existing Express API, protected by Auth0's middleware given only the issuer URL and the audience. */
describe("Auth0's express-oauth2-jwt-bearer, configured with issuerBaseURL and audience alone", () => {
  let tessera: TestServer;
  let api: ReturnType<typeof express.application.listen>;
  let apiUrl: string;

  beforeAll(async () => {
    const port = await freePort();
    tessera = await startTestServer({ PORT: String(port), PUBLIC_URL: `http://127.0.0.1:${port}`, AUTH_RATE_LIMIT: '0' });
    await createUser(tessera.tessera, 'dana');
    const app = express();
    app.use(auth({ issuerBaseURL: `http://127.0.0.1:${port}`, audience: 'tessera-api' }));
    app.get('/orders', (request, response) => {
      response.json({ sub: request.auth?.payload.sub, role: request.auth?.payload.role });
    });
    await new Promise<void>((resolve) => {
      api = app.listen(0, '127.0.0.1', () => resolve());
    });
    apiUrl = `http://127.0.0.1:${(api.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((resolve) => api?.close(resolve));
    await tessera?.stop();
  });

  it('accepts a Tessera access token and refuses a tampered one', async () => {
    const login = await fetch(`${tessera.url}/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'dana', password: 'correct horse battery' }),
    });
    const { access_token: token } = (await login.json()) as { access_token: string };
    const accepted = await fetch(`${apiUrl}/orders`, { headers: { authorization: `Bearer ${token}` } });
    expect(accepted.status).toBe(200);
    expect(await accepted.json()).toMatchObject({ role: 'user' });

    const [header, payload, signature] = token.split('.');
    const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString()) as Record<string, unknown>;
    const forged = Buffer.from(JSON.stringify({ ...claims, role: 'admin' })).toString('base64url');
    for (const tampered of [`${header}.${forged}.${signature}`, `${header}.${payload}.${signature!.slice(0, -4)}AAAA`]) {
      const refused = await fetch(`${apiUrl}/orders`, { headers: { authorization: `Bearer ${tampered}` } });
      expect(refused.status).toBe(401);
      expect(refused.headers.get('www-authenticate')).toMatch(/^Bearer .*error="invalid_token"/);
    }
  });
});
