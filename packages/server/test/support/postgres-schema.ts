import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { POSTGRES_URL } from './services.js';

/** A schema name no other test (or test process) uses; the store creates it on migrate. */
export function freshSchemaName(): string {
  return `tessera_test_${randomBytes(6).toString('hex')}`;
}

/** Runs `work` on a connection of its own, outside any store, e.g. to inspect or tear down a schema. */
export async function withAdminClient<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: POSTGRES_URL });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

export function dropSchema(schema: string): Promise<void> {
  return withAdminClient(async (client) => {
    await client.query(`DROP SCHEMA IF EXISTS ${pg.escapeIdentifier(schema)} CASCADE`);
  });
}
