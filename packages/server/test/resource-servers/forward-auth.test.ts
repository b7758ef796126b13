import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { createVerifier } from '@tessera/verify';
import { requireAccessToken } from '@tessera/verify/express';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpClient } from '../support/http-client.js';
import { runNginx, type RunningNginx } from '../support/nginx.js';
import { freePort } from '../support/ports.js';
import { nginxInstalled } from '../support/services.js';
import { createUser, startTestServer, TEST_PASSWORD, type TestServer } from '../support/tessera.js';
import { PATIENCE_MS, until } from '../support/wait.js';

const EXAMPLE = resolve(import.meta.dirname, '../../../../docs/nginx-auth-request.conf');
const available = nginxInstalled();
const http = httpClient();

/** The example with Tessera, the upstream and the listen address replaced by the test's own. */
function pointAt(example: string, tesseraPort: number, appPort: number, port: number): string {
  for (const expected of ['server 127.0.0.1:5000;', 'server 127.0.0.1:8080;', 'listen 80;']) {
    if (!example.includes(expected)) throw new Error(`${EXAMPLE} no longer has "${expected}"`);
  }
  return example
    .replace('server 127.0.0.1:5000;', `server 127.0.0.1:${tesseraPort};`)
    .replace('server 127.0.0.1:8080;', `server 127.0.0.1:${appPort};`)
    .replace('listen 80;', `listen 127.0.0.1:${port};`);
}

/** A service in "any language": it knows nothing of tokens and echoes the identity headers it received. */
async function plainUpstream(): Promise<Server> {
  const server = createServer((request, response) => {
    response.setHeader('content-type', 'application/json');
    response.end(
      JSON.stringify({
        method: request.method,
        user: request.headers['x-auth-request-user'] ?? null,
        role: request.headers['x-auth-request-role'] ?? null,
        via: request.headers['x-auth-request-via'] ?? null,
      }),
    );
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  return server;
}

async function login(tessera: TestServer, username: string): Promise<string> {
  const response = await http.call('POST', `${tessera.url}/auth/login`, { body: { username, password: TEST_PASSWORD } });
  return (response.json as { access_token: string }).access_token;
}

describe.skipIf(!available)('forward auth: nginx auth_request in front of a plain service (docs/nginx-auth-request.conf)', () => {
  let tessera: TestServer;
  let upstream: Server;
  let nginx: RunningNginx;
  let aliceId: string;

  beforeAll(async () => {
    tessera = await startTestServer({ AUTH_RATE_LIMIT: '0', LEGACY_SESSIONS: 'on' });
    aliceId = (await createUser(tessera.tessera, 'alice')).id;
    await createUser(tessera.tessera, 'ops', 'admin');
    upstream = await plainUpstream();
    const port = await freePort();
    const site = pointAt(readFileSync(EXAMPLE, 'utf8'), Number(new URL(tessera.url).port), (upstream.address() as AddressInfo).port, port);
    nginx = await runNginx(site, port);
  });

  afterAll(async () => {
    await nginx?.stop();
    await new Promise((done) => upstream?.close(done));
    await tessera?.stop();
  });

  it('hands the service the caller of a valid token, and replaces identity headers a client forged', async () => {
    const token = await login(tessera, 'alice');
    const response = await http.call('GET', `${nginx.url}/orders`, {
      token,
      headers: { 'x-auth-request-user': 'someone-else', 'X-Auth-Request-Role': 'admin' },
    });
    expect(response.status).toBe(200);
    expect(response.json).toEqual({ method: 'GET', user: aliceId, role: 'user', via: 'jwt' });
  });

  it('answers a request without a token, or with a bad one, with Tessera\'s JSON 401 and challenge; the service never sees it', async () => {
    const none = await http.call('GET', `${nginx.url}/orders`);
    expect(none.status).toBe(401);
    expect(none.headers['content-type']).toMatch(/^application\/json/);
    expect(none.headers['www-authenticate']).toBe('Bearer realm="tessera"');
    expect(none.json).toEqual({ error: 'unauthorized', error_description: 'Missing Authorization header: send "Authorization: Bearer <access_token>"' });

    const bad = await http.call('GET', `${nginx.url}/orders`, { token: 'not-a-token' });
    expect(bad.status).toBe(401);
    expect(bad.json).toEqual({ error: 'invalid_token', error_description: 'The access token is malformed' });
    expect(bad.headers['www-authenticate']).toBe('Bearer realm="tessera", error="invalid_token", error_description="The access token is malformed"');
  });

  it('a legacy session cookie works too (via: session), and a cross-site POST on its authority is refused with 403', async () => {
    const session = await http.call('POST', `${tessera.url}/api/login`, { body: { username: 'alice', password: TEST_PASSWORD } });
    const cookie = String(session.headers['set-cookie']).split(';')[0]!;
    const own = new URL(tessera.tessera.config.publicUrl).origin;

    const read = await http.call('GET', `${nginx.url}/orders`, { headers: { cookie } });
    expect(read.json).toEqual({ method: 'GET', user: aliceId, role: 'user', via: 'session' });
    const write = await http.call('POST', `${nginx.url}/orders`, { headers: { cookie, origin: own } });
    expect(write.json).toMatchObject({ method: 'POST', via: 'session' });

    const forged = await http.call('POST', `${nginx.url}/orders`, { headers: { cookie, origin: 'https://evil.example' } });
    expect(forged.status).toBe(403);
    expect(forged.json).toMatchObject({ error: 'cross_site_request' });
  });

  it('a team\'s two services — an Express API with @tessera/verify and the plain one behind nginx — both refuse a token once its user logs out', async () => {
    // The Express API follows the feed with service credentials of its own, as docs/protect-your-api.md shows.
    const { issuer, audience } = tessera.tessera.config;
    const { service, clientSecret } = await tessera.tessera.admin.services.add('orders-api', null, { id: 'cli' });
    const feedToken = async () => {
      const response = await fetch(`${tessera.url}/oauth/token`, {
        method: 'POST',
        headers: { authorization: `Basic ${Buffer.from(`${service.clientId}:${clientSecret}`).toString('base64')}` },
        body: new URLSearchParams({ grant_type: 'client_credentials', resource: issuer }),
      });
      return ((await response.json()) as { access_token: string }).access_token;
    };
    const verifier = createVerifier({ issuer, audience, jwksUri: `${tessera.url}/.well-known/jwks.json`, feedCredentials: feedToken });
    const app = express();
    app.get('/orders', requireAccessToken(verifier), (req, res) => void res.json({ user: req.caller!.sub }));
    const api: Server = await new Promise((done) => {
      const s = app.listen(0, '127.0.0.1', () => done(s));
    });
    try {
      await verifier.ready();
      expect(verifier.feedStatus).toBe('live');
      const expressUrl = `http://127.0.0.1:${(api.address() as AddressInfo).port}/orders`;
      const token = await login(tessera, 'alice');
      expect((await http.call('GET', expressUrl, { token })).status).toBe(200);
      expect((await http.call('GET', `${nginx.url}/orders`, { token })).status).toBe(200);

      await http.call('POST', `${tessera.url}/auth/logout`, { token, body: {} });
      await until(async () => (await http.call('GET', expressUrl, { token })).status === 401, PATIENCE_MS, 'the Express API refuses the token');
      const behindNginx = await http.call('GET', `${nginx.url}/orders`, { token });
      expect(behindNginx.status).toBe(401);
      expect(behindNginx.json).toEqual({ error: 'invalid_token', error_description: 'The access token has been revoked' });
    } finally {
      verifier.close();
      await new Promise((done) => api.close(done));
    }
  });
});
