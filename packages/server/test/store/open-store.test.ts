import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config.js';
import { openStore } from '../../src/store/open-store.js';
import { dropSchema, freshSchemaName, withAdminClient } from '../support/postgres-schema.js';
import { POSTGRES_URL, postgresAvailable } from '../support/services.js';

const available = await postgresAvailable();

describe('openStore', () => {
  it('opens the PostgreSQL store for a postgres:// URL', async () => {
    const store = openStore({ kind: 'postgres', url: 'postgres://postgres@127.0.0.1:1/test' });
    expect(store.kind).toBe('postgres');
    await store.close();
  });

  it('refuses a schema parameter that is not a plain lower-case identifier', () => {
    expect(() => openStore({ kind: 'postgres', url: `${POSTGRES_URL}?schema=Bad;Name` })).toThrow(ConfigError);
  });

  it.skipIf(!available)('keeps the tables in the schema named by ?schema=', async () => {
    const schema = freshSchemaName();
    const store = openStore({ kind: 'postgres', url: `${POSTGRES_URL}?schema=${schema}` });
    try {
      await store.migrate();
      const found = await withAdminClient(async (client) => {
        const result = await client.query<{ users: string | null }>('SELECT to_regclass($1) AS users', [`${schema}.users`]);
        return result.rows[0]!.users;
      });
      expect(found).not.toBeNull();
    } finally {
      await store.close();
      await dropSchema(schema);
    }
  });
});
