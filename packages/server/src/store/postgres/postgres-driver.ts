import { createRequire } from 'node:module';
import type pg from 'pg';
import { StoreUnavailableError } from '../../errors.js';
import type { SqlDriver, SqlSession, TransactionOptions } from '../sql/sql-driver.js';
import { isConnectionFailure } from './connection-failure.js';
import { POSTGRES_MIGRATIONS } from './migrations.js';

/** Lower-case identifiers only, so the name means the same unquoted in search_path and quoted in DDL. */
export const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/**
 * node-postgres, loaded when a PostgreSQL store is opened: a server on SQLite never holds it (about
 * 1.4 MB of heap with its dependencies).
 */
let pgModule: typeof pg | undefined;
const loadPg = (): typeof pg => (pgModule ??= createRequire(import.meta.url)('pg') as typeof pg);

const INT8_OID = 20;
/** Timestamps (ms) and sequence numbers are BIGINT; all stay far below 2^53, so they are read as numbers. */
const TYPES: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8_OID && format !== 'binary' ? Number : loadPg().types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
};
const BYTE_ORDER = ' COLLATE "C"';

export interface PostgresStoreOptions {
  /** Every connection uses this schema (created by `migrate()` if missing) instead of the server's search_path. */
  schema?: string;
  poolSize?: number;
  /**
   * A query with no answer after this long fails as unavailable (503): a database behind a network
   * partition answers nothing, and without it requests would wait for TCP to give up. Migrations and
   * pruning are exempt (they run on a connection of their own and may be slow on a large database).
   */
  queryTimeoutMs?: number;
  /** Longest wait to open a connection (default 2000 ms). */
  connectTimeoutMs?: number;
  /** An unused pooled connection is closed after this long (pg's default, 10000 ms; 0 = never). */
  idleTimeoutMs?: number;
}

type Queryable = pg.Pool | pg.PoolClient;

/** The shared statements' `?` placeholders as PostgreSQL's `$1, $2, …`; converted once per statement text. */
const positional = new Map<string, string>();
function toPositional(sql: string): string {
  let converted = positional.get(sql);
  if (converted === undefined) {
    let n = 0;
    converted = sql.replace(/\?/g, () => `$${++n}`);
    if (positional.size >= 1000) positional.clear();
    positional.set(sql, converted);
  }
  return converted;
}

async function query<T>(db: Queryable, sql: string, params: readonly unknown[] = []): Promise<pg.QueryResult & { rows: T[] }> {
  try {
    return await db.query(toPositional(sql), params as unknown[]);
  } catch (error) {
    throw unavailableOr(error);
  }
}

/** The statements of one connection (a pooled one, or the one a transaction holds). */
function sessionOn(db: Queryable): SqlSession {
  return {
    all: async <T>(sql: string, params?: readonly unknown[]) => (await query<T>(db, sql, params)).rows,
    get: async <T>(sql: string, params?: readonly unknown[]) => (await query<T>(db, sql, params)).rows[0] ?? null,
    run: async (sql, params) => (await query(db, sql, params)).rowCount ?? 0,
    lockRows: async (sql, params) => void (await query(db, sql, params)),
    lockTable: async (table, mode) => void (await query(db, `LOCK TABLE ${table} IN ${mode} MODE`)),
    forUpdate: (tables) => ` FOR UPDATE OF ${tables}`,
    byteOrder: BYTE_ORDER,
  };
}

/** node-postgres behind the shared repositories: a pool for requests, a second one without timeouts for maintenance. */
export class PostgresDriver implements SqlDriver {
  readonly kind = 'postgres' as const;
  readonly byteOrder = BYTE_ORDER;
  private readonly pool: pg.Pool;
  /** Connections without the query timeout, for migrations and pruning. */
  private readonly maintenance: pg.Pool;
  private readonly schema: string | undefined;
  private readonly pooled: SqlSession;
  private closed = false;

  constructor(url: string, options: PostgresStoreOptions = {}) {
    if (options.schema !== undefined && !SCHEMA_NAME.test(options.schema)) {
      throw new RangeError(`schema must be a lower-case SQL identifier (got ${JSON.stringify(options.schema)})`);
    }
    this.schema = options.schema;
    const settings: pg.PoolConfig = {
      connectionString: url,
      // A dead database must fail a request quickly (503), not hold it until the client gives up.
      connectionTimeoutMillis: options.connectTimeoutMs ?? 2000,
      idleTimeoutMillis: options.idleTimeoutMs ?? 10_000,
      types: TYPES,
      ...(this.schema ? { options: `-c search_path=${this.schema}` } : {}),
    };
    const { Pool } = loadPg();
    this.pool = new Pool({ ...settings, max: options.poolSize ?? 10, query_timeout: options.queryTimeoutMs ?? 5000 });
    this.maintenance = new Pool({ ...settings, max: 2 });
    // An idle connection the server drops is discarded by the pool; the next query opens a new one or
    // fails with StoreUnavailableError. Without a listener the 'error' event would end the process.
    this.pool.on('error', () => undefined);
    this.maintenance.on('error', () => undefined);
    this.pooled = sessionOn(this.pool);
  }

  all<T>(sql: string, params?: readonly unknown[]): Promise<T[]> {
    return this.pooled.all<T>(sql, params);
  }

  get<T>(sql: string, params?: readonly unknown[]): Promise<T | null> {
    return this.pooled.get<T>(sql, params);
  }

  run(sql: string, params?: readonly unknown[]): Promise<number> {
    return this.pooled.run(sql, params);
  }

  lockRows(sql: string, params?: readonly unknown[]): Promise<void> {
    return this.pooled.lockRows(sql, params);
  }

  lockTable(table: string, mode: 'EXCLUSIVE' | 'ROW SHARE'): Promise<void> {
    return this.pooled.lockTable(table, mode);
  }

  forUpdate(tables: string): string {
    return this.pooled.forUpdate(tables);
  }

  transaction<T>(work: (tx: SqlSession) => Promise<T>, options: TransactionOptions = {}): Promise<T> {
    return this.onOneConnection((client) => work(sessionOn(client)), options.maintenance ? this.maintenance : this.pool);
  }

  isUniqueViolation(error: unknown, table: string, column: string): boolean {
    return error instanceof loadPg().DatabaseError && error.code === '23505' && error.constraint === `${table}_${column}_key`;
  }

  async migrate(): Promise<void> {
    await this.onOneConnection(async (db) => {
      // Instances starting together queue here; each then applies only what the previous one has not.
      await db.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`tessera.migrate:${this.schema ?? ''}`]);
      await this.createSchemaIfMissing(db);
      await db.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
        version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)`);
      const applied = new Set((await db.query<{ version: number }>('SELECT version FROM schema_migrations')).rows.map((r) => r.version));
      for (const migration of POSTGRES_MIGRATIONS) {
        if (applied.has(migration.version)) continue;
        await db.query(migration.sql);
        await db.query('INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)', [
          migration.version,
          migration.name,
          Date.now(),
        ]);
      }
    }, this.maintenance);
  }

  async pendingMigrations(): Promise<number> {
    const table = await this.get<{ found: string | null }>("SELECT to_regclass('schema_migrations')::text AS found");
    if (!table?.found) return POSTGRES_MIGRATIONS.length;
    const applied = new Set((await this.all<{ version: number }>('SELECT version FROM schema_migrations')).map((r) => r.version));
    return POSTGRES_MIGRATIONS.filter((m) => !applied.has(m.version)).length;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([this.pool.end(), this.maintenance.end()]);
  }

  /** Runs `work` in one transaction on one connection: committed if it returns, rolled back if it throws. */
  private async onOneConnection<T>(work: (client: pg.PoolClient) => Promise<T>, pool: pg.Pool): Promise<T> {
    let client: pg.PoolClient;
    try {
      client = await pool.connect();
    } catch (error) {
      throw unavailableOr(error);
    }
    // A checked-out client has no listener of its own; a connection lost between two statements
    // would otherwise emit an unhandled 'error'. The next statement fails and reports it.
    const ignore = () => undefined;
    client.on('error', ignore);
    let discard = false;
    try {
      await client.query('BEGIN');
      const result = await work(client);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      // A connection that failed (or stopped answering) is dropped, not asked to roll back.
      discard = isConnectionFailure(error) || !(await client.query('ROLLBACK').then(() => true, () => false));
      throw unavailableOr(error);
    } finally {
      client.off('error', ignore);
      client.release(discard);
    }
  }

  private async createSchemaIfMissing(db: pg.PoolClient): Promise<void> {
    if (this.schema === undefined) return;
    // Checked first: CREATE SCHEMA IF NOT EXISTS needs the CREATE privilege even when the schema exists.
    const exists = await db.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [this.schema]);
    if (exists.rowCount === 0) await db.query(`CREATE SCHEMA ${loadPg().escapeIdentifier(this.schema)}`);
  }
}

function unavailableOr(error: unknown): unknown {
  return isConnectionFailure(error) ? new StoreUnavailableError({ cause: error }) : error;
}
