import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { createVerifier, type Verifier } from '@tessera/verify';
import { requireAccessToken as expressAuth } from '@tessera/verify/express';
import { requireAccessToken as fastifyAuth, tesseraAuth } from '@tessera/verify/fastify';
import express from 'express';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { httpClient } from '../support/http-client.js';
import { freePort } from '../support/ports.js';
import { rawRequest } from '../support/raw-socket.js';
import { createUser, legacyServiceRoleUser, startTestServer, TEST_PASSWORD, type TestServer } from '../support/tessera.js';
import { PATIENCE_MS, until } from '../support/wait.js';

const http = httpClient();

async function login(tessera: TestServer, username: string): Promise<string> {
  const response = await http.call('POST', `${tessera.url}/auth/login`, { body: { username, password: TEST_PASSWORD } });
  if (response.status !== 200) throw new Error(`login failed: ${response.status}`);
  return (response.json as { access_token: string }).access_token;
}

/** A service's own token (RFC 6749 §4.4 with HTTP Basic), for Tessera itself unless another resource is named (RFC 8707). */
async function clientCredentialsToken(issuer: string, clientId: string, clientSecret: string, resource = issuer): Promise<string> {
  const response = await fetch(`${issuer}/oauth/token`, {
    method: 'POST',
    headers: { authorization: `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString('base64')}` },
    body: new URLSearchParams({ grant_type: 'client_credentials', resource }),
  });
  if (!response.ok) throw new Error(`token endpoint: ${response.status}`);
  return ((await response.json()) as { access_token: string }).access_token;
}

const logout = (tessera: TestServer, token: string) => http.call('POST', `${tessera.url}/auth/logout`, { token, body: {} });

/** An Express API protected by @tessera/verify, as docs/protect-your-api.md shows it. */
async function expressApi(verifier: Verifier): Promise<{ url: string; close(): Promise<void> }> {
  const app = express();
  app.get('/orders', expressAuth(verifier), (req, res) => {
    res.json({ sub: req.caller!.sub, role: req.caller!.role, jti: req.caller!.jti });
  });
  app.get('/admin', expressAuth(verifier, { roles: ['admin'] }), (_req, res) => {
    res.json({ ok: true });
  });
  app.get('/jobs', expressAuth(verifier, { services: true }), (req, res) => {
    res.json({ sub: req.caller!.sub, role: req.caller!.role });
  });
  app.get('/internal', expressAuth(verifier, { roles: ['service'] }), (req, res) => {
    res.json({ sub: req.caller!.sub });
  });
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

async function fastifyApi(verifier: Verifier): Promise<FastifyInstance> {
  const app = Fastify();
  app.get('/route', { onRequest: fastifyAuth(verifier) }, async (request) => ({ sub: request.caller!.sub, role: request.caller!.role }));
  await app.register(async (scope) => {
    await scope.register(tesseraAuth, { verifier, roles: ['admin'] });
    scope.get('/scoped', async (request) => ({ sub: request.caller!.sub }));
  });
  await app.ready();
  return app;
}

describe('@tessera/verify in other services', () => {
  const closers: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const close of closers.splice(0).reverse()) await close();
  });

  async function setup(env: Record<string, string> = {}) {
    const tessera = await startTestServer({ AUTH_RATE_LIMIT: '0', ...env });
    closers.push(() => tessera.stop());
    const alice = await createUser(tessera.tessera, 'alice');
    await createUser(tessera.tessera, 'ops', 'admin');
    return { tessera, alice };
  }

  function verifier(tessera: TestServer, options: Partial<Parameters<typeof createVerifier>[0]> = {}): Verifier {
    const created = createVerifier({
      issuer: tessera.tessera.config.issuer,
      audience: tessera.tessera.config.audience,
      jwksUri: `${tessera.url}/.well-known/jwks.json`,
      ...options,
    });
    closers.push(() => created.close());
    return created;
  }

  it('Express: a valid token reaches the handler with sub, role and jti; none, a tampered one or the wrong role get Tessera\'s RFC 6750 answers', async () => {
    const { tessera, alice } = await setup();
    const api = await expressApi(verifier(tessera));
    closers.push(() => api.close());
    const token = await login(tessera, 'alice');

    const ok = await http.call('GET', `${api.url}/orders`, { token });
    expect(ok.status).toBe(200);
    expect(ok.json).toMatchObject({ sub: alice.id, role: 'user', jti: expect.any(String) });

    const none = await http.call('GET', `${api.url}/orders`);
    expect(none.status).toBe(401);
    expect(none.headers['www-authenticate']).toBe('Bearer realm="tessera"');
    expect(none.json).toEqual({ error: 'unauthorized', error_description: 'Missing Authorization header: send "Authorization: Bearer <access_token>"' });

    const [header, payload, signature] = token.split('.');
    const edited = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(payload!, 'base64url').toString()), role: 'admin' })).toString('base64url');
    const tampered = await http.call('GET', `${api.url}/orders`, { token: `${header}.${edited}.${signature}` });
    expect(tampered.status).toBe(401);
    expect(tampered.json).toEqual({ error: 'invalid_token', error_description: 'The access token signature is invalid' });
    expect(tampered.headers['www-authenticate']).toBe(
      'Bearer realm="tessera", error="invalid_token", error_description="The access token signature is invalid"',
    );

    // The same request to Tessera gets the very same answer.
    const atTessera = await http.call('GET', `${tessera.url}/api/me`, { token: `${header}.${edited}.${signature}` });
    expect(atTessera.json).toEqual(tampered.json);
    expect(atTessera.headers['www-authenticate']).toBe(tampered.headers['www-authenticate']);

    const wrongRole = await http.call('GET', `${api.url}/admin`, { token });
    expect(wrongRole.status).toBe(403);
    expect(wrongRole.json).toEqual({ error: 'insufficient_scope', error_description: 'This endpoint requires an access token with the admin role' });
  });

  it("a service's own token is refused where a route acts for users, accepted where it lets services in; a user whose role is called service never passes for one", async () => {
    const { tessera, alice } = await setup();
    const orders = await tessera.tessera.admin.services.add('orders-worker', null, { id: 'cli' });
    const api = await expressApi(verifier(tessera));
    closers.push(() => api.close());
    const app = await fastifyApi(verifier(tessera));
    closers.push(() => app.close());
    const service = await clientCredentialsToken(tessera.url, orders.service.clientId, orders.clientSecret, tessera.tessera.config.audience);
    const user = await login(tessera, 'alice');
    // A user's login whose role is called `service`: Tessera refuses to give a user that role now, but an
    // account from before the rule may hold it.
    await legacyServiceRoleUser(tessera.tessera, 'mallory');
    const namedService = await login(tessera, 'mallory');
    const refusal = { error: 'insufficient_scope', error_description: "This endpoint acts for a user: a service's own token (client credentials) is not accepted" };

    // Where handlers read caller.sub as a user's id, a service's client id never arrives.
    const atOrders = await http.call('GET', `${api.url}/orders`, { token: service });
    expect(atOrders.status).toBe(403);
    expect(atOrders.json).toEqual(refusal);
    const atRoute = await app.inject({ url: '/route', headers: { authorization: `Bearer ${service}` } });
    expect(atRoute.statusCode).toBe(403);
    expect(atRoute.json()).toEqual(refusal);
    expect((await http.call('GET', `${api.url}/admin`, { token: service })).status).toBe(403);

    const atJobs = await http.call('GET', `${api.url}/jobs`, { token: service });
    expect(atJobs.status).toBe(200);
    expect(atJobs.json).toEqual({ sub: orders.service.clientId, role: 'service' });
    expect((await http.call('GET', `${api.url}/jobs`, { token: user })).json).toEqual({ sub: alice.id, role: 'user' });

    expect((await http.call('GET', `${api.url}/internal`, { token: service })).json).toEqual({ sub: orders.service.clientId });
    const impostor = await http.call('GET', `${api.url}/internal`, { token: namedService });
    expect(impostor.status).toBe(403);
    expect(impostor.json).toEqual({ error: 'insufficient_scope', error_description: 'This endpoint requires an access token with the service role' });
    expect((await http.call('GET', `${api.url}/internal`, { token: user })).status).toBe(403);
    // On a route for users, that user is a user like any other.
    expect((await http.call('GET', `${api.url}/orders`, { token: namedService })).json).toMatchObject({ role: 'service' });
  });

  it('Express with the feed: after a logout the token is refused within a second, without asking Tessera', async () => {
    const { tessera } = await setup();
    const service = await login(tessera, 'ops');
    const v = verifier(tessera, { feedCredentials: service });
    await v.ready();
    expect(v.feedStatus).toBe('live');
    const api = await expressApi(v);
    closers.push(() => api.close());
    const token = await login(tessera, 'alice');
    expect((await http.call('GET', `${api.url}/orders`, { token })).status).toBe(200);

    await logout(tessera, token);
    // The feed is the only way the API can learn of it.
    await until(async () => (await http.call('GET', `${api.url}/orders`, { token })).status === 401, PATIENCE_MS, 'the API refuses the token');
    const refused = await http.call('GET', `${api.url}/orders`, { token });
    expect(refused.json).toEqual({ error: 'invalid_token', error_description: 'The access token has been revoked' });
  });

  it('Fastify: the route hook and the plugin answer like Tessera, and the plugin enforces its roles', async () => {
    const { tessera, alice } = await setup();
    const app = await fastifyApi(verifier(tessera));
    closers.push(() => app.close());
    const user = await login(tessera, 'alice');
    const admin = await login(tessera, 'ops');

    const ok = await app.inject({ url: '/route', headers: { authorization: `Bearer ${user}` } });
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toEqual({ sub: alice.id, role: 'user' });
    const none = await app.inject({ url: '/route' });
    expect(none.statusCode).toBe(401);
    expect(none.headers['www-authenticate']).toBe('Bearer realm="tessera"');
    const scopedUser = await app.inject({ url: '/scoped', headers: { authorization: `Bearer ${user}` } });
    expect(scopedUser.statusCode).toBe(403);
    expect(scopedUser.json()).toMatchObject({ error: 'insufficient_scope' });
    expect((await app.inject({ url: '/scoped', headers: { authorization: `Bearer ${admin}` } })).statusCode).toBe(200);
  });

  it('a request carrying Authorization twice gets 400 invalid_request from Express and Fastify, as from Tessera, whichever token comes first', async () => {
    const { tessera } = await setup();
    const api = await expressApi(verifier(tessera));
    closers.push(() => api.close());
    const app = await fastifyApi(verifier(tessera));
    closers.push(() => app.close());
    const fastifyUrl = await app.listen({ port: 0, host: '127.0.0.1' });
    const token = await login(tessera, 'alice');
    const twice = (path: string) =>
      `GET ${path} HTTP/1.1\r\nHost: api\r\nAuthorization: Bearer ${token}\r\nAuthorization: Bearer not.a.token\r\nConnection: close\r\n\r\n`;

    for (const [url, path] of [[api.url, '/orders'], [fastifyUrl, '/route'], [tessera.url, '/api/me']] as const) {
      const reply = await rawRequest(url, twice(path));
      expect(reply).toMatch(/^HTTP\/1\.1 400 /);
      expect(JSON.parse(reply.slice(reply.indexOf('\r\n\r\n') + 4))).toEqual({ error: 'invalid_request', error_description: 'Send one Authorization header, not several' });
    }
  });

  it('with the feed down, verify-locally keeps verifying with what it knew, and refuse answers 503 until the feed is back', async () => {
    const { tessera } = await setup();
    const service = await login(tessera, 'ops');
    const unreachable = `${tessera.url}/no-feed-here`;
    const local = verifier(tessera, { feedCredentials: service, feedUrl: unreachable });
    const strict = verifier(tessera, { feedCredentials: service, feedUrl: unreachable, onFeedDown: 'refuse' });
    await Promise.all([local.ready(), strict.ready()]);
    expect(local.feedStatus).toBe('down');
    const token = await login(tessera, 'alice');
    await expect(local.verify(token)).resolves.toMatchObject({ role: 'user' });
    await expect(strict.verify(token)).rejects.toMatchObject({ code: 'temporarily_unavailable' });

    const api = await expressApi(strict);
    closers.push(() => api.close());
    const refused = await http.call('GET', `${api.url}/orders`, { token });
    expect(refused.status).toBe(503);
    expect(refused.headers['retry-after']).toBe('1');
  });

  it('finds the keys and the feed from the issuer URL alone, and follows the feed with a service token for Tessera itself', async () => {
    const port = await freePort();
    const issuer = `http://127.0.0.1:${port}`;
    const { tessera } = await setup({ PORT: String(port), PUBLIC_URL: issuer });
    const orders = await tessera.tessera.admin.services.add('orders-api', null, { id: 'cli' });
    const v = verifier(tessera, {
      issuer,
      jwksUri: undefined,
      feedCredentials: () => clientCredentialsToken(issuer, orders.service.clientId, orders.clientSecret),
    });
    await v.ready();
    expect(v.feedStatus).toBe('live');
    const token = await login(tessera, 'alice');
    await expect(v.verify(token)).resolves.toMatchObject({ role: 'user' });
    await logout(tessera, token);
    await until(async () => (await v.verify(token).then(() => 'accepted', (error: { code: string }) => error.code)) === 'invalid_token', PATIENCE_MS, 'the feed brings the logout');
  });

  it('started before Tessera: refuses with 503 while discovery fails, tries again, and verifies once Tessera is up', async () => {
    const port = await freePort();
    const issuer = `http://127.0.0.1:${port}`;
    const early = createVerifier({ issuer, audience: 'tessera-api', discoveryRetryMaxMs: 200 });
    closers.push(() => early.close());
    const located = early.ready();
    await expect(early.verify('not-yet-a-token')).rejects.toMatchObject({ code: 'temporarily_unavailable' });
    const api = await expressApi(early);
    closers.push(() => api.close());
    const refused = await http.call('GET', `${api.url}/orders`, { token: 'not-yet-a-token' });
    expect(refused.status).toBe(503);
    expect(refused.json).toMatchObject({ error: 'temporarily_unavailable' });

    const { tessera } = await setup({ PORT: String(port), PUBLIC_URL: issuer });
    await located;
    const token = await login(tessera, 'alice');
    expect((await http.call('GET', `${api.url}/orders`, { token })).status).toBe(200);
  });

  it('a verifier closed before it found the keys stops trying; an issuer that is not a URL is refused at once', async () => {
    const closed = createVerifier({ issuer: `http://127.0.0.1:${await freePort()}`, audience: 'tessera-api' });
    closed.close();
    await expect(closed.ready()).rejects.toThrow(/closed/);
    const named = createVerifier({ issuer: 'tessera', audience: 'tessera-api' });
    closers.push(() => named.close());
    await expect(named.ready()).rejects.toThrow(/not a URL/);
    await expect(named.verify('any')).rejects.toThrow(/not a URL/);
  });

  it('refuses a token whose key it cannot find, and finds a key rotated in after it started', async () => {
    const { tessera } = await setup();
    const v = verifier(tessera, { jwksCooldownMs: 0 });
    const before = await login(tessera, 'alice');
    await expect(v.verify(before)).resolves.toMatchObject({ role: 'user' });
    await tessera.tessera.keyRing.rotate('access');
    const after = await login(tessera, 'alice');
    await expect(v.verify(after)).resolves.toMatchObject({ role: 'user' });
    await expect(v.verify(`${after.slice(0, -4)}AAAA`)).rejects.toMatchObject({ code: 'invalid_token' });
  });
});
