import { ConfigError, type DatabaseLocation, type DatabasePool } from '../config.js';
import { PostgresStore, SCHEMA_NAME } from './postgres/postgres-store.js';
import type { CheckpointThreadOptions } from './sqlite/checkpoint-thread.js';
import { SqliteStore } from './sqlite/sqlite-store.js';
import type { Store } from './store.js';

/**
 * Opens the store named by DATABASE_URL; PostgreSQL's pool takes the DATABASE_POOL_* settings (else pg's
 * defaults). A server passes `sqlite.checkpointThread` (its SQLite log is copied into the file off the
 * event loop); CLI commands, which write little and exit, do not.
 */
export function openStore(
  location: DatabaseLocation,
  pool?: DatabasePool,
  sqlite: { checkpointThread?: CheckpointThreadOptions } = {},
): Store {
  if (location.kind === 'sqlite') return new SqliteStore(location.path, sqlite);
  const { url, schema } = splitSchema(location.url);
  return new PostgresStore(url, {
    schema,
    poolSize: pool?.size,
    connectTimeoutMs: pool?.connectTimeoutMs,
    idleTimeoutMs: pool?.idleTimeoutMs,
    queryTimeoutMs: pool?.statementTimeoutMs,
  });
}

/**
 * `postgres://…?schema=NAME` keeps Tessera's tables in schema NAME (created on first start) instead of
 * the server's default search_path. The parameter is ours, not libpq's, so it is removed before the URL
 * reaches `pg`.
 */
function splitSchema(raw: string): { url: string; schema: string | undefined } {
  // Only a URL that names a schema is re-serialised; any other reaches pg exactly as written.
  if (!/[?&]schema=/.test(raw)) return { url: raw, schema: undefined };
  const url = new URL(raw);
  const schema = url.searchParams.get('schema')!;
  if (!SCHEMA_NAME.test(schema)) {
    throw new ConfigError('DATABASE_URL', `schema must be a lower-case SQL identifier (got ${JSON.stringify(schema)})`);
  }
  url.searchParams.delete('schema');
  return { url: url.toString(), schema };
}
