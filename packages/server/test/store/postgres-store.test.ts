import { afterEach, describe, expect, it } from 'vitest';
import { StoreUnavailableError } from '../../src/errors.js';
import { POSTGRES_MIGRATIONS } from '../../src/store/postgres/migrations.js';
import { PostgresStore } from '../../src/store/postgres/postgres-store.js';
import { dropSchema, freshSchemaName, withAdminClient } from '../support/postgres-schema.js';
import { POSTGRES_URL, postgresAvailable } from '../support/services.js';
import { TcpRelay } from '../support/tcp-relay.js';
import { storeContract } from './contract.js';

const available = await postgresAvailable();

describe.skipIf(!available)('PostgresStore', () => {
  storeContract('PostgreSQL', async () => {
    const schema = freshSchemaName();
    const store = new PostgresStore(POSTGRES_URL, { schema });
    return {
      store,
      async cleanup() {
        await store.close();
        await dropSchema(schema);
      },
    };
  });

  describe('beside the contract', () => {
    const opened: PostgresStore[] = [];
    const schemas: string[] = [];

    function openStore(schema: string, url = POSTGRES_URL, poolSize?: number, queryTimeoutMs?: number): PostgresStore {
      const store = new PostgresStore(url, { schema, poolSize, queryTimeoutMs });
      opened.push(store);
      schemas.push(schema);
      return store;
    }

    afterEach(async () => {
      await Promise.all(opened.splice(0).map((store) => store.close()));
      await Promise.all([...new Set(schemas.splice(0))].map(dropSchema));
    });

    it('applies each migration once when three instances start at the same time', async () => {
      const schema = freshSchemaName();
      const stores = [openStore(schema), openStore(schema), openStore(schema)];
      await Promise.all(stores.map((store) => store.migrate()));

      const applied = await withAdminClient(async (client) => {
        const result = await client.query<{ version: number }>(
          `SELECT version FROM ${schema}.schema_migrations ORDER BY version`,
        );
        return result.rows.map((r) => r.version);
      });
      expect(applied).toEqual(POSTGRES_MIGRATIONS.map((m) => m.version));
      expect(await stores[2]!.users.count()).toBe(0);
    });

    it('keeps its tables in its own schema', async () => {
      const schema = freshSchemaName();
      await openStore(schema).migrate();
      const found = await withAdminClient(async (client) => {
        const result = await client.query<{ users: string | null; stray: string | null }>(
          `SELECT to_regclass($1) AS users, to_regclass('public.refresh_tokens') AS stray`,
          [`${schema}.users`],
        );
        return result.rows[0]!;
      });
      expect(found.users).not.toBeNull();
      expect(found.stray).toBeNull();
    });

    it('reports a database nobody answers at as unavailable, quickly', async () => {
      const store = openStore(freshSchemaName(), 'postgres://postgres@127.0.0.1:1/test');
      const started = performance.now();
      await expect(store.ping()).rejects.toBeInstanceOf(StoreUnavailableError);
      await expect(store.migrate()).rejects.toMatchObject({ code: 'service_unavailable' });
      expect(performance.now() - started).toBeLessThan(5000);
    });

    it('recovers when the server terminates its idle connections', async () => {
      const applicationName = freshSchemaName();
      const store = openStore(freshSchemaName(), `${POSTGRES_URL}?application_name=${applicationName}`, 1);
      await store.migrate();
      await withAdminClient((client) =>
        client.query(
          'SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity WHERE application_name = $1',
          [applicationName],
        ),
      );
      // The pool may or may not have noticed yet; either way nothing crashes and nothing but
      // StoreUnavailableError escapes, and the next call gets a fresh connection.
      const first = await store.ping().then(
        () => undefined,
        (error: unknown) => error,
      );
      if (first !== undefined) expect(first).toBeInstanceOf(StoreUnavailableError);
      await expect(store.ping()).resolves.toBeUndefined();
    });

    it('reports a database that stops answering (a network partition) as unavailable after the query timeout', async () => {
      const target = new URL(POSTGRES_URL);
      const relay = await TcpRelay.start({ host: target.hostname, port: Number(target.port || 5432) });
      try {
        const viaRelay = new URL(POSTGRES_URL);
        viaRelay.port = String(relay.port);
        const store = openStore(freshSchemaName(), viaRelay.toString(), 2, 300);
        await store.migrate();
        await store.ping();
        relay.silence();
        const started = performance.now();
        await expect(store.ping()).rejects.toBeInstanceOf(StoreUnavailableError);
        await expect(store.revocations.record([{ jti: 'j', userId: 'u', expiresAt: Date.now() + 1000 }], Date.now())).rejects.toBeInstanceOf(
          StoreUnavailableError,
        );
        expect(performance.now() - started).toBeLessThan(3000);
        relay.restore();
        await expect(store.ping()).resolves.toBeUndefined();
      } finally {
        await relay.close();
      }
    });

    it('exempts migrations and pruning from the query timeout', async () => {
      const store = openStore(freshSchemaName(), POSTGRES_URL, 2, 1);
      await store.migrate();
      await store.pruneExpired(Date.now());
      expect(await store.audit.prune(Date.now())).toBe(0);
    });
  });
});
