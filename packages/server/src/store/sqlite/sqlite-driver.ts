import { chmodSync, closeSync, mkdirSync, openSync, realpathSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import Database from 'better-sqlite3';
import type { SqlDriver, SqlSession, TransactionOptions } from '../sql/sql-driver.js';
import { CheckpointThread, type CheckpointThreadOptions } from './checkpoint-thread.js';
import { SQLITE_MIGRATIONS } from './migrations.js';

/** Compiled statements kept; multi-row inserts of every length would otherwise pile up. */
const STATEMENTS_KEPT = 500;

/**
 * better-sqlite3 behind the shared repositories: one connection, statements compiled once, WAL mode.
 * A transaction is `BEGIN IMMEDIATE` (every other writer, in this process or another, waits for it);
 * while one is open on the connection, statements of other callers in this process wait for its end
 * instead of slipping into it.
 */
export class SqliteDriver implements SqlDriver {
  /**
   * Per database file, what every connection of this process to it shares: the writes made to it (see
   * `writes`), and the group of transactions waiting for their commit, if any (`groupedTransaction`).
   */
  private static readonly files = new Map<string, SharedFile>();
  readonly kind = 'sqlite' as const;
  readonly byteOrder = '';
  private readonly db: Database.Database;
  private readonly file: SharedFile;
  private readonly statements = new Map<string, Database.Statement>();
  /** The end of the open transaction, if any. */
  private open: Promise<void> | null = null;
  private readonly inTransaction: SqlSession;
  /** The thread that checkpoints the log, for a server's connection (`checkpointThread`). */
  readonly checkpoints: CheckpointThread | null = null;

  /** `checkpointThread`: a server's connection, whose log is checkpointed off the event loop; CLI commands keep SQLite's own. */
  constructor(path: string, options: { checkpointThread?: CheckpointThreadOptions } = {}) {
    if (path !== ':memory:') createPrivately(path);
    this.db = new Database(path);
    this.file = path === ':memory:' ? { count: 0, group: null, paused: null } : SqliteDriver.shared(realpathSync(resolve(path)));
    this.db.pragma('journal_mode = WAL');
    // NORMAL in WAL mode survives a killed process; only an OS crash can lose the last commits.
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma('foreign_keys = ON');
    this.db.pragma('busy_timeout = 5000');
    // A grouped commit gives each of its transactions a savepoint, whose undo pages SQLite keeps in a
    // sub-journal; past 64 KiB in one savepoint (16 pages: about what one rotation changes) it spills to a
    // temporary file, created and deleted with every commit. In memory it costs neither. The setting also
    // keeps statement journals and sorts in memory: a large migration's statement holds up to the size
    // of the table it changes.
    this.db.pragma('temp_store = MEMORY');
    // Without a checkpoint thread (CLI commands), the commit that passes this many pages in the log
    // copies them into the file and syncs both, on the event loop. A refresh writes ~16 pages, so SQLite's default of 1,000 stopped the loop for two
    // fsyncs every ~60 refreshes; at 10,000 it is a tenth as often, and pages written again in between
    // (index roots, the tables' last pages) are copied once. The log is ~40 MB before a checkpoint, more
    // while another process reading the file holds a checkpoint back; after one, it is cut back to
    // 64 MB at most (journal_size_limit), so it never keeps a burst's size for good. In WAL mode with
    // synchronous NORMAL, commits since the last checkpoint are on disk once the OS writes them back
    // (seconds): a crash of the machine, not of the process, can lose them.
    this.db.pragma('wal_autocheckpoint = 10000');
    this.db.pragma('journal_size_limit = 67108864');
    if (options.checkpointThread && path !== ':memory:') {
      this.checkpoints = new CheckpointThread(this.db, path, () => this.quiesce(), options.checkpointThread);
    }
    this.inTransaction = {
      all: async (sql, params = []) => this.allNow(this.prepare(sql), params) as never,
      get: async (sql, params = []) => this.getNow(this.prepare(sql), params),
      run: async (sql, params = []) => this.runNow(sql, params),
      lockRows: async () => undefined,
      lockTable: async () => undefined,
      forUpdate: () => '',
      byteOrder: '',
    };
  }

  /** Writes by this process to this database file, through this connection or another (see SqlDriver). */
  get writes(): number {
    return this.file.count;
  }

  all<T>(sql: string, params: readonly unknown[] = []): Promise<T[]> {
    return this.outside(sql, (statement) => this.allNow<T>(statement, params));
  }

  get<T>(sql: string, params: readonly unknown[] = []): Promise<T | null> {
    return this.outside(sql, (statement) => this.getNow<T>(statement, params));
  }

  async run(sql: string, params: readonly unknown[] = []): Promise<number> {
    await this.outsideTransactions(true);
    const changes = this.runNow(sql, params);
    this.committed();
    return changes;
  }

  async lockRows(): Promise<void> {}

  async lockTable(): Promise<void> {}

  forUpdate(): string {
    return '';
  }

  async transaction<T>(work: (tx: SqlSession) => Promise<T>, options: TransactionOptions = {}): Promise<T> {
    if (options.grouped) return this.groupedTransaction(work);
    // Checked and taken in one step: between an awaited check and the taking, another caller could take it.
    // Another connection of this process to the file with a group open would make BEGIN IMMEDIATE wait
    // on the event loop for the very commit that waits for the loop: it is waited for here instead.
    // While the checkpoint thread has writes paused (`quiesce`), none begins.
    while (this.open || this.file.group || this.file.paused) await this.turnToWrite();
    let end!: () => void;
    this.open = new Promise((resolve) => (end = resolve));
    try {
      this.db.exec('BEGIN IMMEDIATE');
      try {
        const result = await work(this.inTransaction);
        this.db.exec('COMMIT');
        this.file.count += 1;
        this.committed();
        return result;
      } catch (error) {
        if (this.db.inTransaction) this.db.exec('ROLLBACK');
        throw error;
      }
    } finally {
      this.open = null;
      end();
    }
  }

  /**
   * A grouped transaction: one `BEGIN IMMEDIATE` and one `COMMIT` for all those started in the same turn
   * of the event loop, each inside its own savepoint (rolled back alone if it throws). The commit comes
   * at the end of the turn (`setImmediate`); each resolves once it is done, and all fail if it fails.
   * A refresh writes ~13 pages to the log, of which the tables' last pages and the expiry indexes'
   * (~4) are the same for every refresh in the group, and every commit costs its own log writes.
   */
  private async groupedTransaction<T>(work: (tx: SqlSession) => Promise<T>): Promise<T> {
    const joinable = () => this.file.group === null || (this.file.group.driver === this && !this.file.group.closing);
    while (this.open || !joinable() || this.file.paused) await this.turnToWrite();
    let end!: () => void;
    this.open = new Promise((resolve) => (end = resolve));
    let group: CommitGroup;
    let result: T;
    try {
      if (this.file.group === null) {
        this.db.exec('BEGIN IMMEDIATE');
        this.file.group = newCommitGroup(this);
        const started = this.file.group;
        setImmediate(() => void this.commitGroup(started));
      }
      group = this.file.group;
      this.db.exec('SAVEPOINT grouped');
      try {
        result = await work(this.inTransaction);
        this.db.exec('RELEASE grouped');
      } catch (error) {
        try {
          if (this.db.inTransaction) this.db.exec('ROLLBACK TO grouped; RELEASE grouped');
          // SQLite rolled the whole transaction back (a full disk, say): the group's commit will fail,
          // and no one may join it meanwhile.
          else group.closing = true;
        } catch {
          // Its writes could not be undone alone: the whole group is rolled back, and every one in it fails.
          group.closing = true;
          group.undone = true;
        }
        throw error;
      }
      group.writes += 1;
    } finally {
      this.open = null;
      end();
    }
    await group.committed;
    return result;
  }

  /** Commits a group once no work of it is under way; those that join meanwhile are in it too. */
  private async commitGroup(group: CommitGroup): Promise<void> {
    while (this.open) await this.open;
    group.closing = true;
    try {
      if (group.undone) throw new Error('a transaction of the group could not be rolled back alone: the group is rolled back');
      this.db.exec('COMMIT');
      this.file.count += group.writes;
      group.succeed();
      this.committed();
    } catch (error) {
      try {
        if (this.db.inTransaction) this.db.exec('ROLLBACK');
      } catch {
        // The commit's error is the one to report; the connection's own state tells the next caller.
      }
      // Settled whatever happens: every transaction of the group is waiting on it.
      group.fail(error);
    } finally {
      this.file.group = null;
    }
  }

  isUniqueViolation(error: unknown, table: string, column: string): boolean {
    return (
      error instanceof Database.SqliteError &&
      error.code === 'SQLITE_CONSTRAINT_UNIQUE' &&
      error.message.includes(`${table}.${column}`)
    );
  }

  async migrate(): Promise<void> {
    this.db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)`);
    await this.transaction(async () => {
      const applied = this.appliedVersions();
      for (const migration of SQLITE_MIGRATIONS) {
        if (applied.has(migration.version)) continue;
        this.db.exec(migration.sql);
        this.file.count += 1;
        this.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(
          migration.version,
          migration.name,
          Date.now(),
        );
      }
    });
  }

  async pendingMigrations(): Promise<number> {
    const exists = this.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'").get();
    if (!exists) return SQLITE_MIGRATIONS.length;
    const applied = this.appliedVersions();
    return SQLITE_MIGRATIONS.filter((m) => !applied.has(m.version)).length;
  }

  async close(): Promise<void> {
    await this.outsideTransactions(false);
    if (this.checkpoints) {
      await this.checkpoints.stop();
      // Writes a pause held back may have begun meanwhile.
      await this.outsideTransactions(false);
    }
    if (this.db.open) this.db.close();
  }

  private appliedVersions(): Set<number> {
    return new Set(this.prepare('SELECT version FROM schema_migrations').pluck().all() as number[]);
  }

  /**
   * Waits while another caller's transaction is open on this connection, or a commit group on any
   * connection of this process to the file: a write would otherwise wait for its lock on the event
   * loop, which the group's commit needs. A `write` also waits while writes are paused (`quiesce`).
   */
  private async outsideTransactions(write: boolean): Promise<void> {
    while (this.open || this.file.group || (write && this.file.paused)) await this.turnToWrite();
  }

  /** Runs `sql` outside any transaction, once it may: a statement that writes also waits out a pause, and counts as a commit. */
  private async outside<R>(sql: string, run: (statement: Database.Statement) => R): Promise<R> {
    const statement = this.prepare(sql);
    const write = !statement.readonly;
    await this.outsideTransactions(write);
    const result = run(statement);
    if (write) this.committed();
    return result;
  }

  /** What a caller that may not begin now waits for: the open transaction, the group's commit, or the end of a pause. */
  private turnToWrite(): Promise<unknown> {
    return this.open ?? this.file.group?.committed.catch(() => undefined) ?? this.file.paused!;
  }

  /** After a commit: the checkpoint thread, if any, may copy the log into the file. */
  private committed(): void {
    if (this.checkpoints && !this.db.inTransaction) this.checkpoints.wrote();
  }

  /**
   * For the checkpoint thread: no write of this process to the file begins from now on; resolves once
   * the transaction open on this connection and the commit group, if any, have ended, with the function
   * that lets writes go on.
   */
  private async quiesce(): Promise<() => void> {
    let resume!: () => void;
    const paused = new Promise<void>((resolve) => (resume = resolve));
    this.file.paused = paused;
    await this.outsideTransactions(false);
    return () => {
      if (this.file.paused === paused) this.file.paused = null;
      resume();
    };
  }

  private getNow<T>(statement: Database.Statement, params: readonly unknown[]): T | null {
    const row = statement.get(...params) as T | undefined;
    if (!statement.readonly) this.file.count += 1;
    return row ?? null;
  }

  private allNow<T>(statement: Database.Statement, params: readonly unknown[]): T[] {
    const rows = statement.all(...params) as T[];
    if (!statement.readonly) this.file.count += 1;
    return rows;
  }

  private runNow(sql: string, params: readonly unknown[]): number {
    const changes = this.prepare(sql).run(...params).changes;
    this.file.count += 1;
    return changes;
  }

  /** What every connection of this process to the file at `path` shares. */
  private static shared(path: string): SharedFile {
    let file = SqliteDriver.files.get(path);
    if (file === undefined) SqliteDriver.files.set(path, (file = { count: 0, group: null, paused: null }));
    return file;
  }

  /** Statements are compiled once and reused; SQL text is the cache key. */
  private prepare(sql: string): Database.Statement {
    let statement = this.statements.get(sql);
    if (!statement) {
      statement = this.db.prepare(sql);
      if (this.statements.size >= STATEMENTS_KEPT) this.statements.clear();
      this.statements.set(sql, statement);
    }
    return statement;
  }
}

interface SharedFile {
  /** Writes by this process to the file. */
  count: number;
  /** Grouped transactions of one connection waiting for their commit. */
  group: CommitGroup | null;
  /** Set while a checkpoint thread has writes paused so that the log can start over (settles when they may go on). */
  paused: Promise<void> | null;
}

/** Grouped transactions sharing one commit (see `SqliteDriver.groupedTransaction`). */
interface CommitGroup {
  /** The connection whose transaction it is. */
  driver: SqliteDriver;
  /** Settles when the group's commit is done. */
  committed: Promise<void>;
  succeed: () => void;
  fail: (error: unknown) => void;
  /** Its commit has begun: a transaction that comes now waits for the next group. */
  closing: boolean;
  /** Transactions in it that succeeded (the writes counted at commit). */
  writes: number;
  /** A transaction's savepoint could not be rolled back: the commit is refused and the group rolled back. */
  undone: boolean;
}

function newCommitGroup(driver: SqliteDriver): CommitGroup {
  let succeed!: () => void;
  let fail!: (error: unknown) => void;
  const committed = new Promise<void>((resolve, reject) => {
    succeed = resolve;
    fail = reject;
  });
  // A group that fails is reported to each of its transactions; waiters that only wait are not its owners.
  committed.catch(() => undefined);
  return { driver, committed, succeed, fail, closing: false, writes: 0, undone: false };
}

/**
 * The database holds password hashes and sealed keys: its file is created readable by us alone,
 * whatever the umask, and SQLite gives its -wal and -shm files the mode of the database file. A file
 * left group- or world-readable by an earlier version is narrowed to its owner.
 */
function createPrivately(path: string): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  closeSync(openSync(path, 'a', 0o600));
  for (const file of [path, `${path}-wal`, `${path}-shm`]) {
    try {
      const { mode } = statSync(file);
      if (mode & 0o077) chmodSync(file, mode & 0o700);
    } catch {
      // absent (no WAL yet), or not ours to change: SQLite reports what matters when it opens the file
    }
  }
}
