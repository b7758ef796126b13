import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TesseraClient } from '../src/index.js';
import { clientClock, startClientTestServer, TEST_PASSWORD, type ClientTestServer } from './support/tessera-server.js';

const IN_FLIGHT = 50;

describe('one refresh per expiry in a process', () => {
  let server: ClientTestServer;
  beforeAll(async () => {
    // The server's default REFRESH_REUSE_INTERVAL (10 s) stays on: a second refresh would be invisible to
    // the user but still counted, and the count is what these tests pin down.
    server = await startClientTestServer({ TOKEN_EXPIRY: '60' }, ['ada', 'bea']);
  });
  afterAll(() => server.stop());

  it(`${IN_FLIGHT} requests meeting an expired access token cause exactly one refresh, and none sees a 401`, async () => {
    const clock = clientClock();
    const client = new TesseraClient({ baseUrl: server.url, now: clock.now });
    await client.login('ada', TEST_PASSWORD);
    const before = await server.refreshes();
    clock.advanceSeconds(60);
    server.clock.advanceSeconds(60);
    const statuses = await Promise.all(Array.from({ length: IN_FLIGHT }, async () => (await client.fetch(`${server.url}/api/users`)).status));
    expect(statuses).toEqual(Array(IN_FLIGHT).fill(200));
    expect((await server.refreshes()) - before).toBe(1);
  });

  it(`${IN_FLIGHT} requests in flight when the server stops accepting the access token: one refresh, every request retried once and answered`, async () => {
    const client = new TesseraClient({ baseUrl: server.url });
    await client.login('bea', TEST_PASSWORD);
    const before = await server.refreshes();
    // A role change revokes the user's access tokens at once; the device stays logged in.
    await server.tessera.admin.accounts.setRole(await server.userId('bea'), 'admin', { id: 'test' });
    const statuses = await Promise.all(Array.from({ length: IN_FLIGHT }, async () => (await client.fetch(`${server.url}/api/users`)).status));
    expect(statuses).toEqual(Array(IN_FLIGHT).fill(200));
    expect((await server.refreshes()) - before).toBe(1);
  });

  it('refreshes shortly before expiry, not after: a token with a quarter of its life left is replaced', async () => {
    const clock = clientClock();
    const client = new TesseraClient({ baseUrl: server.url, now: clock.now });
    await client.login('ada', TEST_PASSWORD);
    const first = await client.getAccessToken();
    clock.advanceSeconds(40);
    expect(await client.getAccessToken()).toBe(first);
    clock.advanceSeconds(6); // 14 s left: within the 15 s margin of a 60 s token
    server.clock.advanceSeconds(1); // a new token differs from the old even within the same second
    expect(await client.getAccessToken()).not.toBe(first);
  });

  it('passes other refusals through untouched: a 403 for a missing role costs no refresh and no retry', async () => {
    const client = new TesseraClient({ baseUrl: server.url });
    await client.login('ada', TEST_PASSWORD);
    const before = await server.refreshes();
    const response = await client.fetch(`${server.url}/admin/users`);
    expect(response.status).toBe(403);
    expect(((await response.json()) as { error: string }).error).toBe('insufficient_scope');
    expect((await server.refreshes()) - before).toBe(0);
  });
});
