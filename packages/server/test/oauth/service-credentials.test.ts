import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ServiceCredentials } from '../../src/oauth/service-credentials.js';
import { PostgresStore } from '../../src/store/postgres/postgres-store.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import type { Store } from '../../src/store/store.js';
import { TestClock } from '../support/clock.js';
import { dropSchema, freshSchemaName } from '../support/postgres-schema.js';
import { POSTGRES_URL, postgresAvailable } from '../support/services.js';

const postgres = await postgresAvailable();

const stores: Array<[string, boolean, () => { store: Store; cleanup: () => Promise<void> }]> = [
  [
    'SQLite',
    true,
    () => {
      const dir = mkdtempSync(join(tmpdir(), 'tessera-services-'));
      const store = new SqliteStore(join(dir, 'tessera.db'));
      return { store, cleanup: async () => (await store.close(), rmSync(dir, { recursive: true, force: true })) };
    },
  ],
  [
    'PostgreSQL',
    postgres,
    () => {
      const schema = freshSchemaName();
      const store = new PostgresStore(POSTGRES_URL, { schema });
      return { store, cleanup: async () => (await store.close(), await dropSchema(schema)) };
    },
  ],
];

describe.each(stores)('service credentials on %s', (_name, available, open) => {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0)) await cleanup();
  });

  async function setup() {
    const { store, cleanup } = open();
    cleanups.push(cleanup);
    await store.migrate();
    const clock = new TestClock();
    return { store, clock, credentials: new ServiceCredentials(store.serviceClients, clock) };
  }

  it.skipIf(!available)('keeps only a hash of the secret, and authenticates the exact client_id and secret', async () => {
    const { credentials } = await setup();
    const { service, clientSecret } = await credentials.add('billing', null);
    expect(clientSecret).toMatch(/^[\w-]{43}$/); // 256 bits
    expect(service.clientId).toMatch(/^svc_[\w-]{16}$/);
    expect(JSON.stringify(await credentials.list())).not.toContain(clientSecret);
    expect(await credentials.authenticate(service.clientId, clientSecret)).toMatchObject({ name: 'billing', audience: null });
    await expect(credentials.authenticate(service.clientId, `${clientSecret}x`)).rejects.toMatchObject({ code: 'invalid_client' });
    await expect(credentials.authenticate('svc_nobody', clientSecret)).rejects.toMatchObject({ code: 'invalid_client' });
  });

  it.skipIf(!available)('refuses a second active service of one name, and frees the name once it is revoked', async () => {
    const { credentials, clock } = await setup();
    const first = await credentials.add('orders', 'https://orders.example.com');
    await expect(credentials.add('orders', null)).rejects.toMatchObject({ code: 'conflict' });
    clock.advance(1000);
    const revoked = await credentials.revoke('orders');
    expect(revoked).toMatchObject({ clientId: first.service.clientId, revokedAt: clock.now() });
    await expect(credentials.authenticate(first.service.clientId, first.clientSecret)).rejects.toMatchObject({ code: 'invalid_client' });
    const second = await credentials.add('orders', null);
    expect(second.service.clientId).not.toBe(first.service.clientId);
    expect((await credentials.list()).map((s) => [s.name, s.revokedAt === null])).toEqual([
      ['orders', false],
      ['orders', true],
    ]);
    await expect(credentials.revoke('nothing')).rejects.toMatchObject({ code: 'not_found' });
  });

  it.skipIf(!available)('keeps since when a service may exchange tokens, on the active service of that name only', async () => {
    const { credentials, clock } = await setup();
    const { service } = await credentials.add('webapp', null);
    expect(service.tokenExchangeAt).toBeNull();
    const allowedAt = clock.now();
    expect(await credentials.setTokenExchange('webapp', true)).toMatchObject({ clientId: service.clientId, tokenExchangeAt: allowedAt });
    clock.advance(1000);
    // Allowing again keeps the first instant.
    await credentials.setTokenExchange('webapp', true);
    expect((await credentials.list())[0]!.tokenExchangeAt).toBe(allowedAt);
    await credentials.add('other', null);
    expect((await credentials.list()).find((s) => s.name === 'other')!.tokenExchangeAt).toBeNull();
    expect((await credentials.setTokenExchange('webapp', false)).tokenExchangeAt).toBeNull();
    expect((await credentials.list())[0]!.tokenExchangeAt).toBeNull();
    await credentials.revoke('webapp');
    await expect(credentials.setTokenExchange('webapp', true)).rejects.toMatchObject({ code: 'not_found' });
  });

  it.skipIf(!available)('refuses names and audiences a command line or URL would mangle', async () => {
    const { credentials } = await setup();
    for (const name of ['', 'Billing', 'a b', 'x'.repeat(65), '../etc']) {
      await expect(credentials.add(name, null)).rejects.toMatchObject({ code: 'invalid_request' });
    }
    await expect(credentials.add('ok', 'has space')).rejects.toMatchObject({ code: 'invalid_request' });
  });
});
