import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminClient, type AdminClient } from '../support/admin.js';
import { createUser, loginTokens, startTestInstance, type TestInstance } from '../support/tessera.js';

interface Credentials {
  client_id: string;
  client_secret: string;
}

const basic = ({ client_id, client_secret }: Credentials) => `Basic ${Buffer.from(`${client_id}:${client_secret}`).toString('base64')}`;

describe('OAuth endpoints for services', () => {
  let t: TestInstance;
  let admin: AdminClient;
  let billing: Credentials;
  let orders: Credentials;

  const form = (url: string, credentials: Credentials | undefined, body: Record<string, string | string[]>) =>
    t.app.inject({
      method: 'POST',
      url,
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...(credentials ? { authorization: basic(credentials) } : {}) },
      payload: new URLSearchParams(Object.entries(body).flatMap(([k, v]) => (Array.isArray(v) ? v.map((x): [string, string] => [k, x]) : [[k, v] as [string, string]]))).toString(),
    });
  const token = (credentials: Credentials | undefined, body: Record<string, string | string[]> = {}) =>
    form('/oauth/token', credentials, { grant_type: 'client_credentials', ...body });
  const introspect = (credentials: Credentials | undefined, subject: string) => form('/oauth/introspect', credentials, { token: subject });
  const addService = async (name: string, audience?: string) => {
    const response = await admin.call({ method: 'POST', url: '/admin/services', payload: { name, ...(audience ? { audience } : {}) } });
    expect(response.statusCode, response.body).toBe(201);
    return response.json<Credentials>();
  };

  beforeAll(async () => {
    t = await startTestInstance({ AUTH_RATE_LIMIT: '0' });
    admin = await adminClient(t);
    await createUser(t.tessera, 'carol');
    billing = await addService('billing');
    orders = await addService('orders', 'https://orders.example.com');
  });
  afterAll(() => t.close());

  describe('POST /oauth/token, grant_type=client_credentials', () => {
    it('issues a short-lived service token for the named resource, with the service as subject and client', async () => {
      const response = await token(billing, { resource: 'https://orders.example.com' });
      expect(response.statusCode, response.body).toBe(200);
      expect(response.headers['cache-control']).toBe('no-store');
      const body = response.json();
      expect(body).toMatchObject({ token_type: 'Bearer', expires_in: 900 });
      expect(body).not.toHaveProperty('refresh_token');
      expect(decodeJwt(body.access_token)).toMatchObject({
        sub: billing.client_id,
        client_id: billing.client_id,
        role: 'service',
        aud: 'https://orders.example.com',
        iss: t.config.issuer,
      });
    });

    it("uses the service's configured audience when no resource is named, and refuses any other but Tessera itself", async () => {
      const response = await token(orders);
      expect(decodeJwt(response.json().access_token).aud).toBe('https://orders.example.com');
      const other = await token(orders, { resource: 'https://billing.example.com' });
      expect(other.statusCode).toBe(400);
      expect(other.json()).toEqual({
        error: 'invalid_target',
        error_description: `This service may only obtain tokens for https://orders.example.com (or for Tessera itself, ${t.config.issuer})`,
      });
      const forTessera = await token(orders, { resource: t.config.issuer });
      expect(decodeJwt(forTessera.json().access_token)).toMatchObject({ aud: t.config.issuer, role: 'service' });
    });

    it('refuses a request that names no target, or two', async () => {
      expect((await token(billing)).json()).toMatchObject({ error: 'invalid_target' });
      const two = await token(billing, { resource: ['https://a.example.com', 'https://b.example.com'] });
      expect(two.statusCode).toBe(400);
      expect(two.json().error).toBe('invalid_target');
    });

    it('answers 401 invalid_client with a Basic challenge to missing, wrong or unknown credentials', async () => {
      const unknown = ['svc_unknown', '%00', 'svc_\u0000', 'x'.repeat(65)].map((client_id) => ({ client_id, client_secret: billing.client_secret }));
      for (const credentials of [undefined, { ...billing, client_secret: 'wrong' }, ...unknown]) {
        const response = await token(credentials, { resource: 'https://orders.example.com' });
        expect(response.statusCode).toBe(401);
        expect(response.json()).toMatchObject({ error: 'invalid_client' });
        expect(response.headers['www-authenticate']).toMatch(/^Basic realm="tessera"/);
      }
      const bearer = await t.app.inject({
        method: 'POST',
        url: '/oauth/token',
        headers: { authorization: `Bearer ${admin.token}`, 'content-type': 'application/x-www-form-urlencoded' },
        payload: 'grant_type=client_credentials',
      });
      expect(bearer.json()).toMatchObject({ error: 'invalid_client' });
    });

    it('answers unsupported_grant_type to any other grant, and invalid_request without one', async () => {
      const password = await form('/oauth/token', billing, { grant_type: 'password', username: 'carol', password: 'x' });
      expect(password.statusCode).toBe(400);
      expect(password.json()).toMatchObject({ error: 'unsupported_grant_type' });
      const none = await form('/oauth/token', billing, {});
      expect(none.json()).toMatchObject({ error: 'invalid_request', error_description: 'body.grant_type is required' });
    });

    it('refuses a second client authentication in the body: a client_secret, or a client_id naming another client (RFC 6749 §2.3)', async () => {
      const secret = await token(billing, { client_id: billing.client_id, client_secret: billing.client_secret, resource: t.config.audience });
      expect(secret.statusCode).toBe(400);
      expect(secret.json()).toEqual({ error: 'invalid_request', error_description: 'Authenticate with HTTP Basic alone: a client_secret in the body as well is a second method' });
      const other = await form('/oauth/revoke', billing, { token: 'x', client_id: orders.client_id });
      expect(other.json()).toEqual({ error: 'invalid_request', error_description: 'The client_id in the body names another client than the HTTP Basic credentials' });
      expect((await token(billing, { client_id: billing.client_id, resource: t.config.audience })).statusCode).toBe(200);
      const twice = await token(billing, { client_id: [billing.client_id, billing.client_id], resource: t.config.audience });
      expect(twice.json()).toEqual({ error: 'invalid_request', error_description: 'Send client_id once' });
    });

    it('refuses a parameter sent twice (RFC 6749 §3.1), on every OAuth endpoint, naming it', async () => {
      const { access_token } = await loginTokens(t.app, 'carol');
      const cases: Array<[string, Record<string, string[]>, string]> = [
        ['/oauth/token', { grant_type: ['client_credentials', 'client_credentials'] }, 'grant_type'],
        ['/oauth/introspect', { token: [access_token, 'other'] }, 'token'],
        ['/oauth/revoke', { token: ['other', access_token] }, 'token'],
      ];
      for (const [url, body, name] of cases) {
        const response = await form(url, billing, body);
        expect(response.statusCode, url).toBe(400);
        expect(response.json()).toEqual({ error: 'invalid_request', error_description: `Send ${name} once` });
      }
      expect((await introspect(billing, access_token)).json().active).toBe(true);
    });

    it('answers a request with no body at all by naming the first parameter missing', async () => {
      const none = await t.app.inject({ method: 'POST', url: '/oauth/token', headers: { authorization: basic(billing) } });
      expect(none.statusCode).toBe(400);
      expect(none.json()).toEqual({ error: 'invalid_request', error_description: 'body.grant_type is required' });
    });

    it('refuses a scope with invalid_scope: Tessera issues none, and a token never carries less than was asked without saying so', async () => {
      const scoped = await token(billing, { resource: t.config.audience, scope: 'admin' });
      expect(scoped.statusCode).toBe(400);
      expect(scoped.json()).toEqual({ error: 'invalid_scope', error_description: "Tessera issues no scopes: leave scope out (a token's audience and role say what it opens)" });
    });

    it('answers a JSON or text body with 415, asking for the form the RFCs name', async () => {
      for (const [type, payload] of [['application/json', '{"grant_type":"client_credentials"}'], ['text/plain', 'grant_type=client_credentials']]) {
        const response = await t.app.inject({ method: 'POST', url: '/oauth/token', headers: { 'content-type': type, authorization: basic(billing) }, payload });
        expect(response.statusCode, type).toBe(415);
        expect(response.json()).toEqual({ error: 'unsupported_media_type', error_description: 'Send the body form-encoded, with Content-Type: application/x-www-form-urlencoded' });
      }
    });

    it("refuses a service's token on user routes, even one issued for this API", async () => {
      const own = await token(billing, { resource: t.config.audience });
      const me = await t.app.inject({ url: '/api/me', headers: { authorization: `Bearer ${own.json().access_token}` } });
      expect(me.statusCode).toBe(403);
      expect(me.json()).toMatchObject({ error: 'insufficient_scope' });
      const adminRoute = await t.app.inject({ url: '/admin/services', headers: { authorization: `Bearer ${own.json().access_token}` } });
      expect(adminRoute.statusCode).toBe(403);
    });
  });

  describe('POST /oauth/introspect', () => {
    it("describes a user's live access token", async () => {
      const { access_token } = await loginTokens(t.app, 'carol');
      const response = await introspect(billing, access_token);
      expect(response.statusCode).toBe(200);
      const claims = decodeJwt(access_token);
      expect(response.json()).toEqual({
        active: true,
        sub: claims.sub,
        role: 'user',
        client_id: 'tessera',
        exp: claims.exp,
        iat: claims.iat,
        jti: claims.jti,
        iss: t.config.issuer,
        aud: t.config.audience,
        token_type: 'Bearer',
      });
    });

    it('answers only {active: false} for a token that is expired, revoked, unknown, malformed or a refresh token', async () => {
      const { access_token, refresh_token } = await loginTokens(t.app, 'carol');
      for (const subject of ['garbage', `${access_token.slice(0, -6)}AAAAAA`, refresh_token]) {
        expect((await introspect(billing, subject)).json()).toEqual({ active: false });
      }
      await t.app.inject({ method: 'POST', url: '/auth/logout', headers: { authorization: `Bearer ${access_token}` } });
      expect((await introspect(billing, access_token)).json()).toEqual({ active: false });
      const { access_token: later } = await loginTokens(t.app, 'carol');
      t.clock.advance(901_000);
      expect((await introspect(billing, later)).json()).toEqual({ active: false });
    });

    it("shows a service the tokens for its own audience, and not another service's", async () => {
      const forOrders = (await token(billing, { resource: 'https://orders.example.com' })).json().access_token;
      expect((await introspect(orders, forOrders)).json()).toMatchObject({ active: true, client_id: billing.client_id, role: 'service' });
      expect((await introspect(billing, forOrders)).json()).toEqual({ active: false });
    });

    it('answers 401 invalid_client without service credentials', async () => {
      const response = await introspect(undefined, 'anything');
      expect(response.statusCode).toBe(401);
      expect(response.json().error).toBe('invalid_client');
    });
  });

  describe('POST /oauth/revoke', () => {
    it('revokes an access token at once, and answers 200 for unknown tokens too', async () => {
      const { access_token } = await loginTokens(t.app, 'carol');
      const revoked = await form('/oauth/revoke', billing, { token: access_token, token_type_hint: 'access_token' });
      expect(revoked.statusCode).toBe(200);
      expect((await t.app.inject({ url: '/api/me', headers: { authorization: `Bearer ${access_token}` } })).statusCode).toBe(401);
      expect((await form('/oauth/revoke', billing, { token: 'not-a-token' })).statusCode).toBe(200);
      expect((await form('/oauth/revoke', billing, { token: access_token })).statusCode).toBe(200);
    });

    it("revokes a refresh token's whole login: the refresh token and its access token", async () => {
      const { access_token, refresh_token } = await loginTokens(t.app, 'carol');
      expect((await form('/oauth/revoke', billing, { token: refresh_token, token_type_hint: 'refresh_token' })).statusCode).toBe(200);
      const refreshed = await t.app.inject({ method: 'POST', url: '/auth/refresh', payload: { refresh_token } });
      expect(refreshed.statusCode).toBe(401);
      expect((await introspect(billing, access_token)).json()).toEqual({ active: false });
      const [event] = await t.tessera.audit.query({ type: 'token.revoke', limit: 1 });
      expect(event).toMatchObject({ actor: billing.client_id, detail: { tokenType: 'refresh_token' } });
    });

    it("refuses to revoke another service's own token (RFC 7009 §2.1), and lets the service revoke its own, its token for the feed included", async () => {
      const billings = (await token(billing, { resource: t.config.audience })).json().access_token as string;
      const refused = await form('/oauth/revoke', orders, { token: billings });
      expect(refused.statusCode).toBe(400);
      expect(refused.json()).toEqual({ error: 'unauthorized_client', error_description: "This token is another service's own: a service may revoke its own tokens and users' tokens" });
      expect((await introspect(billing, billings)).json().active).toBe(true);
      expect((await form('/oauth/revoke', billing, { token: billings })).statusCode).toBe(200);
      expect((await introspect(billing, billings)).json()).toEqual({ active: false });

      // Its token for Tessera itself (the revocation feed) too: the feed refuses it once revoked.
      const feedToken = (await token(billing, { resource: t.config.issuer })).json().access_token as string;
      expect((await form('/oauth/revoke', orders, { token: feedToken })).statusCode).toBe(400);
      expect((await form('/oauth/revoke', billing, { token: feedToken })).statusCode).toBe(200);
      const feed = await t.app.inject({ url: '/auth/revocations', headers: { accept: 'text/event-stream', authorization: `Bearer ${feedToken}` } });
      expect(feed.statusCode).toBe(401);
    });

    it('answers 401 invalid_client to bad credentials and revokes nothing', async () => {
      const { access_token } = await loginTokens(t.app, 'carol');
      const response = await form('/oauth/revoke', { ...billing, client_secret: 'nope' }, { token: access_token });
      expect(response.statusCode).toBe(401);
      expect((await introspect(billing, access_token)).json().active).toBe(true);
    });
  });

  describe('a revoked service', () => {
    it('can no longer obtain tokens, and the tokens it had are refused', async () => {
      admin = await adminClient(t, 'operator'); // the first admin's token expired with the clock moved on above
      const reporting = await addService('reporting', 'https://orders.example.com');
      const issued = (await token(reporting)).json().access_token;
      expect((await introspect(orders, issued)).json().active).toBe(true);
      const revoked = await admin.call({ method: 'POST', url: '/admin/services/reporting/revoke' });
      expect(revoked.statusCode, revoked.body).toBe(200);
      expect(revoked.json()).toMatchObject({ name: 'reporting', state: 'revoked' });
      expect((await token(reporting)).statusCode).toBe(401);
      expect((await introspect(orders, issued)).json()).toEqual({ active: false });
      expect((await introspect(reporting, issued)).statusCode).toBe(401);
    });
  });
});
