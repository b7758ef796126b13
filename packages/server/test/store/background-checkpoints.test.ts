import { copyFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import type { BackgroundCheckpoints, CheckpointResult } from '../../src/store/sqlite/background-checkpoints.js';
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

function serving(path: string, warnings: string[] = [], sqliteModule?: string, restartPages?: number): SqliteDriver {
  const driver = new SqliteDriver(path, {
    backgroundCheckpoints: { onWarning: (message) => warnings.push(message), intervalMs: 20, sqliteModule, restartPages },
  });
  drivers.push(driver);
  return driver;
}

async function writeRows(driver: SqliteDriver, count: number): Promise<void> {
  await driver.run('CREATE TABLE IF NOT EXISTS notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL)');
  for (let i = 0; i < count; i++) await driver.transaction(async (tx) => void (await tx.run('INSERT INTO notes (body) VALUES (?)', ['x'.repeat(500)])));
}

/** The first checkpoint by the thread that satisfies `wanted`. */
function checkpointWhere(checkpoints: BackgroundCheckpoints, wanted: (result: CheckpointResult) => boolean): Promise<CheckpointResult> {
  return new Promise((resolve) => {
    const stop = checkpoints.onCheckpoint((result) => {
      if (!wanted(result)) return;
      stop();
      resolve(result);
    });
  });
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
  it("turns the serving connection's automatic checkpoint off while the thread runs", async () => {
    const driver = serving(databasePath());
    expect(await driver.checkpoints!.started).toBe(true);
    expect(await driver.get('PRAGMA wal_autocheckpoint')).toEqual({ wal_autocheckpoint: 0 });
  });

  it('moves what the server wrote from the log into the database file itself', async () => {
    const path = databasePath();
    const driver = serving(path);
    await driver.checkpoints!.started;
    await writeRows(driver, 300);
    const framesWritten = (await driver.get<{ log: number }>('PRAGMA wal_checkpoint(NOOP)'))?.log ?? 0;
    const done = await checkpointWhere(driver.checkpoints!, (r) => r.log >= framesWritten && r.checkpointed === r.log);
    expect(done.log).toBeGreaterThan(0);

    // The database file alone, without its log, holds every row.
    const copy = join(path, '..', 'copy.db');
    copyFileSync(path, copy);
    expect(rowsIn(copy)).toBe(300);
  });

  it('starts the log over once it is long, while the server keeps writing', async () => {
    const driver = serving(databasePath(), [], undefined, 50);
    await driver.checkpoints!.started;
    let restart: CheckpointResult | undefined;
    void checkpointWhere(driver.checkpoints!, (r) => r.mode === 'RESTART' && r.busy === 0).then((r) => (restart = r));
    for (let i = 0; i < 20_000 && restart === undefined; i++) {
      await writeRows(driver, 1);
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(restart?.log).toBeGreaterThanOrEqual(50);
    await writeRows(driver, 1);
    const log = (await driver.get<{ log: number }>('PRAGMA wal_checkpoint(NOOP)'))!.log;
    expect(log).toBeLessThan(restart!.log);
  });

  it('keeps everything written before close after the file is opened again, and leaves no log behind', async () => {
    const path = databasePath();
    const driver = serving(path);
    await driver.checkpoints!.started;
    await writeRows(driver, 200);
    await driver.close();
    expect(existsSync(`${path}-wal`)).toBe(false);
    expect(rowsIn(path)).toBe(200);
  });

  it('turns the automatic checkpoint back on, with one warning, when the thread cannot start', async () => {
    const warnings: string[] = [];
    const driver = serving(databasePath(), warnings, join(tmpdir(), 'no-such-dir', 'better-sqlite3.js'));
    expect(await driver.checkpoints!.started).toBe(false);
    expect(await driver.get('PRAGMA wal_autocheckpoint')).toEqual({ wal_autocheckpoint: 10_000 });
    await writeRows(driver, 10);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('checkpoints the write-ahead log itself too');
  });

  it('starts no thread for an in-memory database or a connection that did not ask for one (CLI commands)', async () => {
    const memory = new SqliteDriver(':memory:', { backgroundCheckpoints: { onWarning: () => undefined } });
    const cli = new SqliteDriver(databasePath());
    drivers.push(memory, cli);
    expect(memory.checkpoints).toBeNull();
    expect(cli.checkpoints).toBeNull();
    expect(await cli.get('PRAGMA wal_autocheckpoint')).toEqual({ wal_autocheckpoint: 10_000 });
  });
});
