import { closeSync, copyFileSync, existsSync, mkdtempSync, openSync, readSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import type { CheckpointResult, CheckpointThread, CheckpointThreadOptions } from '../../src/store/sqlite/checkpoint-thread.js';
import { SqliteDriver } from '../../src/store/sqlite/sqlite-driver.js';

const dirs: string[] = [];
const drivers: SqliteDriver[] = [];

afterEach(async () => {
  for (const driver of drivers.splice(0)) await driver.close();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function databasePath(): string {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-checkpoints-'));
  dirs.push(dir);
  return join(dir, 'tessera.db');
}

/** A server's connection: its log is checkpointed by a thread, here quickly and at a small log size. */
async function serving(path: string, options: Partial<CheckpointThreadOptions> = {}): Promise<SqliteDriver> {
  const driver = new SqliteDriver(path, { checkpointThread: { onWarning: () => undefined, intervalMs: 5, restartPages: 50, ...options } });
  drivers.push(driver);
  await driver.run('CREATE TABLE IF NOT EXISTS notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL)');
  return driver;
}

/** `turns` turns of the event loop, each with `perTurn` grouped inserts: writes that never pause. */
async function writeWithoutPause(driver: SqliteDriver, turns: number, perTurn = 16): Promise<void> {
  for (let turn = 0; turn < turns; turn++) {
    await Promise.all(
      Array.from({ length: perTurn }, () =>
        driver.transaction((tx) => tx.run('INSERT INTO notes (body) VALUES (?)', ['x'.repeat(300)]), { grouped: true }),
      ),
    );
  }
}

function watch(checkpoints: CheckpointThread): CheckpointResult[] {
  const seen: CheckpointResult[] = [];
  checkpoints.onCheckpoint((result) => seen.push(result));
  return seen;
}

/** Resolves with the first checkpoint that satisfies `wanted`. */
function checkpointWhere(checkpoints: CheckpointThread, wanted: (result: CheckpointResult) => boolean): Promise<CheckpointResult> {
  return new Promise((resolve) => {
    const stop = checkpoints.onCheckpoint((result) => {
      if (!wanted(result)) return;
      stop();
      resolve(result);
    });
  });
}

/**
 * How many times the log has started over: the checkpoint sequence number in its header (bytes 12–15,
 * big-endian; https://www.sqlite.org/fileformat2.html#walformat), which SQLite raises at each start.
 */
function logStarts(path: string): number {
  const header = Buffer.alloc(16);
  const fd = openSync(`${path}-wal`, 'r');
  try {
    readSync(fd, header, 0, 16, 0);
  } finally {
    closeSync(fd);
  }
  return header.readUInt32BE(12);
}

function rowsIn(path: string): number {
  const db = new Database(path, { readonly: true });
  try {
    return (db.prepare('SELECT count(*) AS n FROM notes').get() as { n: number }).n;
  } finally {
    db.close();
  }
}

describe('SQLite checkpoints made by a thread of their own', () => {
  it("turns the serving connection's automatic checkpoint off; CLI commands and in-memory databases keep SQLite's own", async () => {
    const server = await serving(databasePath());
    expect(await server.get('PRAGMA wal_autocheckpoint')).toEqual({ wal_autocheckpoint: 0 });

    const cli = new SqliteDriver(databasePath());
    const memory = new SqliteDriver(':memory:', { checkpointThread: { onWarning: () => undefined } });
    drivers.push(cli, memory);
    expect(cli.checkpoints).toBeNull();
    expect(memory.checkpoints).toBeNull();
    expect(await cli.get('PRAGMA wal_autocheckpoint')).toEqual({ wal_autocheckpoint: 10_000 });
  });

  it('copies what the server wrote from the log into the database file itself', async () => {
    const path = databasePath();
    const driver = await serving(path, { restartPages: 1_000_000 });
    const copied = checkpointWhere(driver.checkpoints!, (r) => r.log > 0 && r.checkpointed === r.log);
    await writeWithoutPause(driver, 20);
    await copied;
    // Once the writes stop, the last of them are copied too (a checkpoint is due after each burst).
    const frames = (await driver.get<{ log: number }>('PRAGMA wal_checkpoint(NOOP)'))!.log;
    await checkpointWhere(driver.checkpoints!, (r) => r.log >= frames && r.checkpointed === r.log);

    // The database file alone, without its log, holds every row.
    const copy = join(path, '..', 'copy.db');
    copyFileSync(path, copy);
    expect(rowsIn(copy)).toBe(20 * 16);
  });

  it('starts the log over again and again while the server writes without a pause, losing no write', async () => {
    const path = databasePath();
    const driver = await serving(path);
    const seen = watch(driver.checkpoints!);
    const before = logStarts(path);
    let turns = 0;
    // Without the pauses the log would never start over under these writes (nor with SQLite's own
    // checkpoint before 10,000 pages); bounded so that a log that never starts over fails the test.
    while (logStarts(path) - before < 3 && turns < 20_000) {
      await writeWithoutPause(driver, 10);
      turns += 10;
    }

    expect(logStarts(path) - before).toBeGreaterThanOrEqual(3);
    // At least one restart came through a pause; on a loaded machine a checkpoint may also catch up
    // between two writes now and then, so not every restart needs one.
    expect(seen.filter((r) => r.paused && r.checkpointed === r.log).length).toBeGreaterThanOrEqual(1);
    expect(rowsIn(path)).toBe(turns * 16);
  });

  it('keeps writing while another process holds an old read open, pausing again only after as many more pages; the log starts over once it ends', async () => {
    const path = databasePath();
    const driver = await serving(path);
    await writeWithoutPause(driver, 1);
    const reader = new Database(path, { readonly: true });
    const seen = watch(driver.checkpoints!);
    let written = 0;
    try {
      reader.exec('BEGIN');
      expect(reader.prepare('SELECT count(*) AS n FROM notes').get()).toEqual({ n: 16 });
      const starts = logStarts(path);
      while (seen.filter((r) => r.paused).length < 3 && written < 20_000) {
        await writeWithoutPause(driver, 10);
        written += 10;
      }
      expect(seen.filter((r) => r.paused).length).toBeGreaterThanOrEqual(3);
      // The reader's pages stay in the log, so no pause lets it start over, and each pause comes only
      // once the log has grown by restartPages (50 here) since the one before.
      expect(logStarts(path)).toBe(starts);
      const pauses = seen.filter((r) => r.paused);
      for (let i = 1; i < pauses.length; i++) expect(pauses[i]!.log).toBeGreaterThanOrEqual(pauses[i - 1]!.log + 50);
      expect(reader.prepare('SELECT count(*) AS n FROM notes').get()).toEqual({ n: 16 });
    } finally {
      reader.exec('COMMIT');
      reader.close();
    }
    const starts = logStarts(path);
    let turns = 0;
    while (logStarts(path) === starts && turns < 20_000) {
      await writeWithoutPause(driver, 10);
      turns += 10;
    }
    expect(logStarts(path)).toBeGreaterThan(starts);
    expect(rowsIn(path)).toBe((1 + written + turns) * 16);
  });

  it('keeps everything written after the file is closed and opened again, and leaves no log behind', async () => {
    const path = databasePath();
    const driver = await serving(path);
    await writeWithoutPause(driver, 50);
    await driver.close();
    expect(existsSync(`${path}-wal`)).toBe(false);
    expect(rowsIn(path)).toBe(50 * 16);
  });

  it('has no thread while nothing is written, and starts one with the next write', async () => {
    const driver = await serving(databasePath(), { idleMs: 20 });
    await writeWithoutPause(driver, 5);
    expect(driver.checkpoints!.threadRunning).toBe(true);
    await expect.poll(() => driver.checkpoints!.threadRunning, { timeout: 5000 }).toBe(false);
    const next = checkpointWhere(driver.checkpoints!, (r) => r.log > 0);
    await writeWithoutPause(driver, 5);
    expect((await next).log).toBeGreaterThan(0);
  });

  it('goes back to the automatic checkpoint, with one warning, when the thread cannot start', async () => {
    const warnings: string[] = [];
    const driver = await serving(databasePath(), {
      onWarning: (message) => warnings.push(message),
      sqliteModule: join(tmpdir(), 'no-such-dir', 'better-sqlite3.js'),
    });
    await writeWithoutPause(driver, 5);
    await expect.poll(() => warnings.length, { timeout: 5000 }).toBe(1);
    expect(warnings[0]).toContain('the server copies the write-ahead log into the database itself from now on');
    expect(await driver.get('PRAGMA wal_autocheckpoint')).toEqual({ wal_autocheckpoint: 10_000 });
    await writeWithoutPause(driver, 5);
    expect(warnings).toHaveLength(1);
  });
});
