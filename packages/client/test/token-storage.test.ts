import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keyValueStorage, memoryStorage, TesseraClient, type KeyValueStore, type TokenStorage } from '../src/index.js';
import { startClientTestServer, TEST_PASSWORD, type ClientTestServer } from './support/tessera-server.js';

/** An AsyncStorage-shaped store (React Native): async getItem/setItem/removeItem. */
function asyncKeyValueStore(): KeyValueStore & { items: Map<string, string> } {
  const items = new Map<string, string>();
  return {
    items,
    getItem: async (key) => items.get(key) ?? null,
    setItem: async (key, value) => void items.set(key, value),
    removeItem: async (key) => void items.delete(key),
  };
}

/** What a CLI or server-side app would write: a file (mode 0600) holding the refresh token. */
function fileStorage(path: string): TokenStorage {
  return {
    get: async () => {
      try {
        return readFileSync(path, 'utf8') || null;
      } catch {
        return null;
      }
    },
    set: async (token) => writeFileSync(path, token, { mode: 0o600 }),
    remove: async () => rmSync(path, { force: true }),
  };
}

describe('token mode storage', () => {
  let server: ClientTestServer;
  let dir: string;
  beforeAll(async () => {
    server = await startClientTestServer();
    dir = mkdtempSync(join(tmpdir(), 'tessera-client-'));
  });
  afterAll(async () => {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it.each([
    ['an AsyncStorage-style key-value store', () => keyValueStorage(asyncKeyValueStore())],
    ['a file', () => fileStorage(join(dir, 'refresh-token'))],
  ])('an app restarted with %s is signed in again without the password', async (_name, makeStorage) => {
    const storage = makeStorage();
    const first = new TesseraClient({ baseUrl: server.url, storage });
    await first.login('ada', TEST_PASSWORD);
    const stored = await storage.get();
    expect(stored).toBeTruthy();

    const restarted = new TesseraClient({ baseUrl: server.url, storage });
    const events: unknown[] = [];
    restarted.on('signedIn', (event) => events.push(event));
    expect(await restarted.restore()).toBe(true);
    expect(events).toEqual([{ via: 'restore' }]);
    expect(await storage.get()).not.toBe(stored); // rotated, and the new one kept
    expect((await restarted.fetch(`${server.url}/api/users`)).status).toBe(200);

    await restarted.logout();
    expect(await storage.get()).toBeNull();
  });

  it('keeps the refresh token under the key it is given', async () => {
    const store = asyncKeyValueStore();
    const client = new TesseraClient({ baseUrl: server.url, storage: keyValueStorage(store, 'my-app:refresh') });
    await client.login('ada', TEST_PASSWORD);
    expect([...store.items.keys()]).toEqual(['my-app:refresh']);
  });

  it('in memory by default: a new client starts signed out, without calling the server', async () => {
    const client = new TesseraClient({ baseUrl: server.url, storage: memoryStorage() });
    const before = await server.refreshes();
    expect(await client.restore()).toBe(false);
    expect(await client.getAccessToken()).toBeNull();
    expect((await client.fetch(`${server.url}/api/users`)).status).toBe(401);
    expect(await server.refreshes()).toBe(before);
  });
});
