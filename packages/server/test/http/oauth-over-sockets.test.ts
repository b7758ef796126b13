import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI_ACTOR } from '../../src/admin/actor.js';
import type { IssuedServiceCredentials } from '../../src/oauth/service-credentials.js';
import { createUser, startTestServer, TEST_PASSWORD, type TestServer } from '../support/tessera.js';

/** The OAuth endpoints as a service reaches them: a listening server, real sockets, form bodies, HTTP Basic. */
describe('the OAuth endpoints over HTTP', () => {
  let server: TestServer;
  let orders: IssuedServiceCredentials;
  let billing: IssuedServiceCredentials;

  beforeAll(async () => {
    server = await startTestServer({ AUTH_RATE_LIMIT: '0' });
    await createUser(server.tessera, 'carol');
    orders = await server.tessera.admin.services.add('orders', 'https://orders.example.com', CLI_ACTOR);
    billing = await server.tessera.admin.services.add('billing', null, CLI_ACTOR);
  });
  afterAll(() => server?.stop());

  const post = (path: string, credentials: { id: string; secret: string } | undefined, form: Record<string, string>) =>
    fetch(`${server.url}${path}`, {
      method: 'POST',
      headers: credentials ? { authorization: `Basic ${Buffer.from(`${credentials.id}:${credentials.secret}`).toString('base64')}` } : {},
      body: new URLSearchParams(form),
    });
  const as = ({ service, clientSecret }: IssuedServiceCredentials) => ({ id: service.clientId, secret: clientSecret });
  const userToken = async () => {
    const response = await fetch(`${server.url}/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'carol', password: TEST_PASSWORD }),
    });
    return ((await response.json()) as { access_token: string }).access_token;
  };

  it('token, introspection and revocation each answer 401 invalid_client with a Basic challenge to bad credentials', async () => {
    const token = await userToken();
    const wrongSecret = { id: orders.service.clientId, secret: `${orders.clientSecret}x` };
    for (const [path, form] of [
      ['/oauth/token', { grant_type: 'client_credentials' }],
      ['/oauth/introspect', { token }],
      ['/oauth/revoke', { token }],
    ] as const) {
      for (const credentials of [undefined, wrongSecret, { id: 'svc_unknown', secret: orders.clientSecret }]) {
        const response = await post(path, credentials, form);
        expect(response.status, `${path} with ${credentials?.id ?? 'no credentials'}`).toBe(401);
        expect(response.headers.get('www-authenticate')).toMatch(/^Basic realm="tessera"/);
        expect(await response.json()).toMatchObject({ error: 'invalid_client' });
      }
    }
    // The refused revocation revoked nothing.
    expect(await (await post('/oauth/introspect', as(billing), { token })).json()).toMatchObject({ active: true });
  });

  it('a service gets a token, sees a user token go inactive once revoked, and once revoked itself is refused with every token it had', async () => {
    const issued = await post('/oauth/token', as(orders), { grant_type: 'client_credentials' });
    expect(issued.status).toBe(200);
    const { access_token: serviceToken } = (await issued.json()) as { access_token: string };
    expect(await (await post('/oauth/introspect', as(orders), { token: serviceToken })).json()).toMatchObject({ active: true, role: 'service' });

    const token = await userToken();
    expect((await post('/oauth/revoke', as(orders), { token, token_type_hint: 'access_token' })).status).toBe(200);
    expect(await (await post('/oauth/introspect', as(orders), { token })).json()).toEqual({ active: false });

    const feedToken = ((await (await post('/oauth/token', as(orders), { grant_type: 'client_credentials', resource: server.tessera.config.issuer })).json()) as { access_token: string }).access_token;
    const feed = (token: string) => fetch(`${server.url}/auth/revocations`, { headers: { accept: 'text/event-stream', authorization: `Bearer ${token}` } });
    const open = await feed(feedToken);
    expect(open.status).toBe(200);
    await open.body!.cancel();

    await server.tessera.admin.services.revoke('orders', CLI_ACTOR);
    expect((await post('/oauth/token', as(orders), { grant_type: 'client_credentials' })).status).toBe(401);
    expect((await post('/oauth/introspect', as(orders), { token: serviceToken })).status).toBe(401);
    const refused = await feed(feedToken);
    expect(refused.status).toBe(401);
    expect(await refused.json()).toEqual({ error: 'invalid_token', error_description: 'The access token has been revoked' });
  });
});
