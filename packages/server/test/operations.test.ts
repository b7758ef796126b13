import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { createLogger } from '../src/logger.js';
import { createOperations } from '../src/operations.js';
import { openStore } from '../src/store/open-store.js';
import { TEST_SECRET, createUser, startTestInstance, type TestInstance } from './support/tessera.js';

/** What `tessera` commands work with: built against the database a server uses, without the server. */
describe('createOperations', () => {
  let t: TestInstance | undefined;
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });

  async function serverDatabase() {
    t = await startTestInstance();
    await createUser(t.tessera, 'nora');
    const env = { NODE_ENV: 'test', DATABASE_URL: `sqlite:${(t.config.database as { path: string }).path}`, LOG_LEVEL: 'silent' };
    return { env, keys: (await t.tessera.store.keys.list()).map((k) => k.kid).sort() };
  }

  it('acts on the database as the server left it, and adds no key of its own', async () => {
    const { env, keys } = await serverDatabase();
    const config = loadConfig({ ...env, JWT_SECRET: TEST_SECRET });
    const operations = await createOperations(config, { store: openStore(config.database), logger: createLogger('silent') });
    try {
      expect((await operations.admin.accounts.getByUsername('nora')).username).toBe('nora');
      expect((await operations.store.keys.list()).map((k) => k.kid).sort()).toEqual(keys);
    } finally {
      await operations.close();
    }
  });

  it("fails with the database's own error when the database cannot be read", async () => {
    const { env } = await serverDatabase();
    const config = loadConfig({ ...env, JWT_SECRET: TEST_SECRET });
    const store = openStore(config.database);
    await store.close();
    await expect(createOperations(config, { store, logger: createLogger('silent') })).rejects.toThrow(/database connection is not open/);
  });
});
