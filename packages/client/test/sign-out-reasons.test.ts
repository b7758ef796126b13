import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memoryStorage, TesseraClient, type AuthEvents } from '../src/index.js';
import { startClientTestServer, TEST_PASSWORD, type ClientTestServer } from './support/tessera-server.js';

/** A client that records every event it emits. */
async function signedInClient(server: ClientTestServer, username: string, options: Partial<ConstructorParameters<typeof TesseraClient>[0]> = {}) {
  const client = new TesseraClient({ baseUrl: server.url, ...options });
  const events: { name: keyof AuthEvents; event: unknown }[] = [];
  for (const name of ['signedIn', 'refreshed', 'signedOut'] as const) client.on(name, (event) => events.push({ name, event }));
  await client.login(username, TEST_PASSWORD);
  return { client, events, signedOut: () => events.filter((e) => e.name === 'signedOut').map((e) => e.event) };
}

describe('signed out, and why', () => {
  let server: ClientTestServer;
  beforeAll(async () => {
    server = await startClientTestServer({ TOKEN_EXPIRY: '60', REFRESH_TOKEN_EXPIRY: '120' }, ['ada', 'bea', 'cyd', 'dot']);
  });
  afterAll(() => server.stop());

  it('logout ends the device on the server and says logged_out', async () => {
    const { client, events, signedOut } = await signedInClient(server, 'ada', { storage: undefined });
    expect(events).toEqual([{ name: 'signedIn', event: { via: 'login' } }]);
    await client.logout();
    expect(signedOut()).toEqual([{ reason: 'logged_out' }]);
    expect(client.signedIn).toBe(false);
    expect(await client.getAccessToken()).toBeNull();
    expect(await client.restore()).toBe(false);
  });

  it('signed out everywhere by an administrator: the next request learns it, says revoked, and returns the 401', async () => {
    const { client, signedOut } = await signedInClient(server, 'bea');
    await server.tessera.admin.devices.signOutEverywhere(await server.userId('bea'), { id: 'test' });
    const response = await client.fetch(`${server.url}/api/users`);
    expect(response.status).toBe(401);
    expect(signedOut()).toEqual([{ reason: 'revoked' }]);
    expect(client.signedIn).toBe(false);
  });

  it('the refresh token used by someone else first (after the reuse grace): reuse_detected', async () => {
    const storage = new Map<string, string>();
    const { client, signedOut } = await signedInClient(server, 'cyd', {
      storage: { get: async () => storage.get('rt') ?? null, set: async (v) => void storage.set('rt', v), remove: async () => void storage.delete('rt') },
    });
    const stolen = storage.get('rt')!;
    const thief = await fetch(`${server.url}/auth/refresh`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ refresh_token: stolen }) });
    expect(thief.status).toBe(200);
    server.clock.advanceSeconds(11); // past REFRESH_REUSE_INTERVAL (10 s by default)
    expect(await client.refresh()).toBeNull();
    expect(signedOut()).toEqual([{ reason: 'reuse_detected' }]);
    expect(storage.has('rt')).toBe(false);
  });

  it('a login older than the refresh token’s lifetime: expired', async () => {
    const { client, signedOut } = await signedInClient(server, 'dot');
    server.clock.advanceSeconds(121);
    expect(await client.refresh()).toBeNull();
    expect(signedOut()).toEqual([{ reason: 'expired' }]);
  });
});

describe('signed out for now: rate limited', () => {
  let server: ClientTestServer;
  beforeAll(async () => {
    server = await startClientTestServer({ REFRESH_RATE_LIMIT: '1' });
  });
  afterAll(() => server.stop());

  it('says rate_limited with the wait, and keeps the refresh token for a later restore()', async () => {
    const storage = memoryStorage();
    const { client, signedOut } = await signedInClient(server, 'ada', { storage });
    expect(await client.refresh()).not.toBeNull();
    const kept = await storage.get();
    expect(await client.refresh()).toBeNull();
    expect(signedOut()).toEqual([{ reason: 'rate_limited', retryAfterSeconds: expect.any(Number) }]);
    expect(await storage.get()).toBe(kept);
  });
});
