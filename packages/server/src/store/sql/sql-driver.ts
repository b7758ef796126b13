/**
 * What the shared repositories (`store/sql/*.ts`) need from a database: statements written once, with
 * `?` placeholders and `AS "camelCase"` aliases that SQLite and PostgreSQL both accept. Each driver
 * (`sqlite/sqlite-driver.ts`, `postgres/postgres-driver.ts`) runs them its own way; locks only PostgreSQL
 * needs are asked for explicitly and are no-ops on SQLite, whose write transaction excludes every other writer.
 */
export interface SqlSession {
  /** Every row of a statement. */
  all<T>(sql: string, params?: readonly unknown[]): Promise<T[]>;
  /** The first row, or null. */
  get<T>(sql: string, params?: readonly unknown[]): Promise<T | null>;
  /** Runs a statement; resolves to the number of rows it changed. */
  run(sql: string, params?: readonly unknown[]): Promise<number>;
  /** Runs a `SELECT … FOR UPDATE/SHARE` for its locks alone (PostgreSQL; skipped on SQLite). */
  lockRows(sql: string, params?: readonly unknown[]): Promise<void>;
  /** `LOCK TABLE … IN mode MODE` until the transaction ends (PostgreSQL; skipped on SQLite). */
  lockTable(table: string, mode: 'EXCLUSIVE' | 'ROW SHARE'): Promise<void>;
  /** ` FOR UPDATE OF tables` to append to a SELECT whose rows the transaction will change ('' on SQLite). */
  forUpdate(tables: string): string;
  /** The collation that orders text byte by byte, as SQLite does by default (' COLLATE "C"' on PostgreSQL). */
  readonly byteOrder: string;
}

export interface TransactionOptions {
  /** Long maintenance work (pruning): exempt from the per-query timeout where there is one. */
  maintenance?: boolean;
  /**
   * Short, frequent work (a refresh's rotation) that may share one commit with the others of its kind
   * started in the same turn of the event loop (SQLite; PostgreSQL commits each on its own). Each work
   * still succeeds or fails whole, sees the ones before it, and resolves only once committed.
   */
  grouped?: boolean;
}

export interface SqlDriver extends SqlSession {
  readonly kind: 'sqlite' | 'postgres';
  /**
   * A count of the writes this process has made to the database, through this driver or any other
   * driver of this process on the same database; undefined where it is not counted (PostgreSQL). A
   * reader may keep what it read while the count stays the same (and, for other processes' writes,
   * no longer than the current turn of the event loop).
   */
  readonly writes?: number | undefined;
  /** Runs `work` in one write transaction: committed if it resolves, rolled back if it throws. */
  transaction<T>(work: (tx: SqlSession) => Promise<T>, options?: TransactionOptions): Promise<T>;
  /** Whether `error` is a violation of the unique constraint on `table.column`. */
  isUniqueViolation(error: unknown, table: string, column: string): boolean;
  /** Applies pending schema migrations; safe when several processes call it at once. */
  migrate(): Promise<void>;
  /** How many of this version's migrations the database lacks; reads only. */
  pendingMigrations(): Promise<number>;
  close(): Promise<void>;
}

/** `(?, ?, ?), (?, ?, ?)`: the VALUES of a multi-row insert. */
export function valueRows(rows: number, columns: number): string {
  const row = `(${Array.from({ length: columns }, () => '?').join(', ')})`;
  return Array.from({ length: rows }, () => row).join(', ');
}

/** Rows per multi-row statement: far below either database's limit on parameters. */
const CHUNK = 200;

/** `items` in slices small enough for one multi-row statement each. */
export function* chunks<T>(items: readonly T[]): Generator<readonly T[]> {
  for (let start = 0; start < items.length; start += CHUNK) yield items.slice(start, start + CHUNK);
}
