import { decodeJwt, decodeProtectedHeader } from 'jose';
import { afterEach, describe, expect, it } from 'vitest';
import { CLI_ACTOR } from '../../src/admin/actor.js';
import type { IssuedServiceCredentials } from '../../src/oauth/service-credentials.js';
import { openFeed, type FeedConnection } from '../support/feed-client.js';
import { testFleet, type TestFleet } from '../support/fleet.js';
import { httpClient } from '../support/http-client.js';
import { postgresAvailable, redisAvailable } from '../support/services.js';
import { createUser, legacyServiceRoleUser, startTestServer, TEST_PASSWORD, type TestServer } from '../support/tessera.js';
import { PATIENCE_MS, until } from '../support/wait.js';

const http = httpClient();
const jtiOf = (token: string) => decodeJwt(token).jti!;

async function tokens(server: TestServer, username: string): Promise<{ access_token: string }> {
  const response = await http.call('POST', `${server.url}/auth/login`, { body: { username, password: TEST_PASSWORD } });
  if (response.status !== 200) throw new Error(`login failed: ${response.status} ${JSON.stringify(response.json)}`);
  return response.json as { access_token: string };
}

const logout = (server: TestServer, accessToken: string) => http.call('POST', `${server.url}/auth/logout`, { token: accessToken, body: {} });

const revokedIn = (feed: FeedConnection, jti: string) =>
  feed.next((e) => e.data.tokens.some((t) => t.jti === jti), 5000);

describe('the revocation feed (GET /auth/revocations)', () => {
  const servers: TestServer[] = [];
  const feeds: FeedConnection[] = [];
  let fleet: TestFleet | undefined;

  afterEach(async () => {
    for (const feed of feeds.splice(0)) feed.close();
    await Promise.all(servers.splice(0).map((s) => s.stop()));
    await fleet?.cleanup();
    fleet = undefined;
  });

  async function server(env: Record<string, string> = {}, intervals: Record<string, number> = {}): Promise<TestServer> {
    const started = await startTestServer({ AUTH_RATE_LIMIT: '0', ...env }, { intervals });
    servers.push(started);
    return started;
  }

  async function follow(on: TestServer, token: string, headers: Record<string, string> = {}): Promise<FeedConnection> {
    const feed = await openFeed(on.url, token, headers);
    feeds.push(feed);
    return feed;
  }

  it('refuses a request without a token (401), with a user token (403) and one not asking for an event stream (400)', async () => {
    const s = await server();
    await createUser(s.tessera, 'alice');
    await createUser(s.tessera, 'ops', 'admin');
    const anonymous = await follow(s, '');
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toMatch(/^Bearer/);
    const user = await follow(s, (await tokens(s, 'alice')).access_token);
    expect(user.status).toBe(403);
    expect(user.body).toMatchObject({ error: 'insufficient_scope' });
    const plain = await follow(s, (await tokens(s, 'ops')).access_token, { accept: 'application/json' });
    expect(plain.status).toBe(400);
    expect(plain.body).toMatchObject({ error: 'invalid_request' });
  });

  it('refuses a user whose role happens to be "service": the feed is for services\' own tokens and admins, not a role name', async () => {
    const s = await server();
    await legacyServiceRoleUser(s.tessera, 'mallory');
    const impostor = await follow(s, (await tokens(s, 'mallory')).access_token);
    expect(impostor.status).toBe(403);
    expect(impostor.body).toMatchObject({ error: 'insufficient_scope' });
  });

  it("accepts a service's client-credentials token for Tessera itself (resource: the issuer) or for this API; refuses one for another API, and a revoked service's", async () => {
    const s = await server();
    const { config } = s.tessera;
    const serviceToken = async ({ service, clientSecret }: IssuedServiceCredentials, resource: string) => {
      const response = await fetch(`${s.url}/oauth/token`, {
        method: 'POST',
        headers: { authorization: `Basic ${Buffer.from(`${service.clientId}:${clientSecret}`).toString('base64')}` },
        body: new URLSearchParams({ grant_type: 'client_credentials', resource }),
      });
      expect(response.status, await response.clone().text()).toBe(200);
      return ((await response.json()) as { access_token: string }).access_token;
    };
    // A service limited to its own audience may still ask for a token for Tessera itself.
    const orders = await s.tessera.admin.services.add('orders-api', 'https://orders.example.com', CLI_ACTOR);
    const forTessera = await serviceToken(orders, config.issuer);
    expect(decodeJwt(forTessera)).toMatchObject({ aud: config.issuer, role: 'service', client_id: orders.service.clientId });
    const viaIssuer = await follow(s, forTessera);
    expect(viaIssuer.status, JSON.stringify(viaIssuer.body)).toBe(200);
    expect((await viaIssuer.next()).event).toBe('snapshot');

    const elsewhere = await follow(s, await serviceToken(orders, 'https://orders.example.com'));
    expect(elsewhere.status).toBe(401);
    expect(elsewhere.body).toMatchObject({ error: 'invalid_token' });

    const billing = await s.tessera.admin.services.add('billing', null, CLI_ACTOR);
    expect((await follow(s, await serviceToken(billing, config.audience))).status).toBe(200);

    const open = await follow(s, await serviceToken(orders, config.issuer));
    await open.next();
    await s.tessera.admin.services.revoke('orders-api', CLI_ACTOR);
    // The stream it had open ends too: a revoked service hears no more.
    await until(() => open.ended, PATIENCE_MS, "the revoked service's open stream ends");
    const revoked = await follow(s, forTessera);
    expect(revoked.status).toBe(401);
    expect(revoked.body).toEqual({ error: 'invalid_token', error_description: 'The access token has been revoked' });
  });

  it('starts with a snapshot of what still matters, then sends each revocation as it happens', async () => {
    const s = await server();
    await createUser(s.tessera, 'alice');
    const bob = await createUser(s.tessera, 'bob');
    await createUser(s.tessera, 'ops', 'admin');
    const [before, after] = [await tokens(s, 'alice'), await tokens(s, 'alice')];
    await logout(s, before.access_token);
    await s.tessera.revoker.revokeUser(bob.id, 'test');

    const feed = await follow(s, (await tokens(s, 'ops')).access_token);
    expect(feed.status).toBe(200);
    expect(feed.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const snapshot = await feed.next();
    expect(snapshot.event).toBe('snapshot');
    expect(snapshot.id).toMatch(/^\d+\.\d+$/);
    expect(snapshot.data.tokens.map((t) => t.jti)).toContain(jtiOf(before.access_token));
    expect(snapshot.data.users).toEqual([{ sub: bob.id, not_before: expect.any(Number) }]);
    expect(snapshot.data.keys).toEqual([]);

    await logout(s, after.access_token);
    const update = await revokedIn(feed, jtiOf(after.access_token));
    expect(update.event).toBe('revocations');
    // An update may repeat what the snapshot held (revocations only accumulate): never less.
    expect(update.data.tokens).toContainEqual({ jti: jtiOf(after.access_token), exp: decodeJwt(after.access_token).exp });
    expect(update.id).not.toBe(snapshot.id);
  });

  it('a user signed out everywhere is sent with a not_before that refuses every token they held', async () => {
    const s = await server();
    const carol = await createUser(s.tessera, 'carol');
    await createUser(s.tessera, 'ops', 'admin');
    const held = await tokens(s, 'carol');
    const feed = await follow(s, (await tokens(s, 'ops')).access_token);
    await feed.next();
    await s.tessera.revoker.revokeUser(carol.id, 'test');
    const update = await feed.next((e) => e.data.users.length > 0);
    const [moved] = update.data.users;
    expect(moved!.sub).toBe(carol.id);
    expect(decodeJwt(held.access_token).iat! < moved!.not_before || update.data.tokens.some((t) => t.jti === jtiOf(held.access_token))).toBe(true);
  });

  it("ends an open stream once its own token is revoked, and only then", async () => {
    const s = await server();
    await createUser(s.tessera, 'alice');
    await createUser(s.tessera, 'ops', 'admin');
    const alice = await tokens(s, 'alice');
    const [kept, loggedOut] = [await tokens(s, 'ops'), await tokens(s, 'ops')];
    const [staying, leaving] = [await follow(s, kept.access_token), await follow(s, loggedOut.access_token)];
    await Promise.all([staying.next(), leaving.next()]);
    await logout(s, alice.access_token);
    await Promise.all([revokedIn(staying, jtiOf(alice.access_token)), revokedIn(leaving, jtiOf(alice.access_token))]);
    expect([staying.ended, leaving.ended]).toEqual([false, false]);

    await logout(s, loggedOut.access_token);
    await revokedIn(staying, jtiOf(loggedOut.access_token));
    await until(() => leaving.ended, PATIENCE_MS, 'the stream of the logged-out token ends');
    expect(staying.ended).toBe(false);

    // A revoked signing key ends the streams opened with the tokens it signed.
    await s.tessera.keyRing.rotate('access');
    expect(await s.tessera.revoker.revokeKey(decodeProtectedHeader(kept.access_token).kid!)).toBe(true);
    await until(() => staying.ended, PATIENCE_MS, 'the stream of a token whose key was revoked ends');
  });

  it('sends a heartbeat while nothing happens', async () => {
    const s = await server({ REVOCATION_FEED_HEARTBEAT_MS: '500' });
    await createUser(s.tessera, 'ops', 'admin');
    const feed = await follow(s, (await tokens(s, 'ops')).access_token);
    await feed.next();
    await until(() => feed.heartbeats >= 2, PATIENCE_MS, 'two heartbeats');
  });

  it('a reconnection with Last-Event-ID gets only what it missed; an id it cannot place gets a snapshot', async () => {
    const s = await server();
    await createUser(s.tessera, 'dave');
    await createUser(s.tessera, 'ops', 'admin');
    const admin = (await tokens(s, 'ops')).access_token;
    const [old, missed] = [await tokens(s, 'dave'), await tokens(s, 'dave')];
    await logout(s, old.access_token);
    const first = await follow(s, admin);
    const snapshot = await first.next();
    first.close();

    await logout(s, missed.access_token);
    const resumed = await follow(s, admin, { 'last-event-id': snapshot.id! });
    const caughtUp = await resumed.next();
    expect(caughtUp.event).toBe('revocations');
    expect(caughtUp.data.tokens.map((t) => t.jti)).toEqual([jtiOf(missed.access_token)]);

    for (const id of ['999999.999999', 'not-an-id']) {
      const fresh = await follow(s, admin, { 'last-event-id': id });
      expect((await fresh.next()).event).toBe('snapshot');
    }
  });
});

const fleetAvailable = (await postgresAvailable()) && (await redisAvailable());

describe.skipIf(!fleetAvailable)('the revocation feed across a fleet (PostgreSQL)', () => {
  const servers: TestServer[] = [];
  const feeds: FeedConnection[] = [];
  let fleet: TestFleet;

  afterEach(async () => {
    for (const feed of feeds.splice(0)) feed.close();
    await Promise.all(servers.splice(0).map((s) => s.stop()));
    await fleet.cleanup();
  });

  const setups = {
    'with Redis': (f: TestFleet) => f.env(),
    'without Redis': (f: TestFleet) => {
      const { REDIS_URL: _, ...env } = f.env();
      return env;
    },
  };

  it.each(Object.keys(setups))(
    'a subscriber of one instance hears the logouts of another, and resumes on that other without a gap (%s)',
    async (setup) => {
      fleet = testFleet();
      const env = { ...setups[setup as keyof typeof setups](fleet), AUTH_RATE_LIMIT: '0' };
      const start = async () => {
        const s = await startTestServer(env);
        servers.push(s);
        return s;
      };
      const [a, b] = [await start(), await start()];
      await createUser(a.tessera, 'erin');
      await createUser(a.tessera, 'ops', 'admin');
      const admin = (await tokens(a, 'ops')).access_token;
      const [first, second, third] = [await tokens(a, 'erin'), await tokens(a, 'erin'), await tokens(a, 'erin')];

      const onB = await openFeed(b.url, admin);
      feeds.push(onB);
      await onB.next();
      await logout(a, first.access_token);
      const heard = await revokedIn(onB, jtiOf(first.access_token));
      onB.close();

      await logout(a, second.access_token);
      const onC = await openFeed(a.url, admin, { 'last-event-id': heard.id! });
      feeds.push(onC);
      await logout(a, third.access_token);
      await revokedIn(onC, jtiOf(third.access_token));
      const jtis = onC.events.flatMap((e) => e.data.tokens.map((t) => t.jti));
      expect(onC.events.every((e) => e.event === 'revocations')).toBe(true);
      expect(jtis).toContain(jtiOf(second.access_token));
      expect(jtis).not.toContain(jtiOf(first.access_token));
    },
  );
});
