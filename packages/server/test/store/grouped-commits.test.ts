import { mkdtempSync, readdirSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { SqliteDriver } from '../../src/store/sqlite/sqlite-driver.js';

const dir = mkdtempSync(join(tmpdir(), 'tessera-grouped-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Files this process holds open that SQLite created as temporary files (its `etilqs_` names, deleted at once). */
function openTemporaryFiles(): string[] {
  return readdirSync('/proc/self/fd')
    .map((fd) => {
      try {
        return readlinkSync(`/proc/self/fd/${fd}`);
      } catch {
        return ''; // closed while listed
      }
    })
    .filter((target) => target.includes('etilqs_'));
}

describe('grouped transactions on SQLite (the rotations of one turn of the event loop)', () => {
  it.runIf(process.platform === 'linux')('keeps the undo pages of a grouped transaction in memory: no temporary file is made for them', async () => {
    const path = join(dir, 'undo-in-memory.db');
    const driver = new SqliteDriver(path);
    try {
      await driver.run('CREATE TABLE t (id INTEGER PRIMARY KEY, body TEXT NOT NULL)');
      for (let id = 1; id <= 200; id += 1) await driver.run('INSERT INTO t VALUES (?, ?)', [id, 'x'.repeat(1000)]);
      let whileWriting: string[] = ['not looked at'];
      // Each savepoint changes ~50 pages: past SQLite's 64 KiB, its undo pages would go to a temporary file.
      const changes = await Promise.all(
        [0, 1].map((parity) =>
          driver.transaction(async (tx) => {
            const changed = await tx.run('UPDATE t SET body = ? WHERE id % 2 = ?', ['y'.repeat(1000), parity]);
            if (parity === 1) whileWriting = openTemporaryFiles();
            return changed;
          }, { grouped: true }),
        ),
      );
      expect(changes).toEqual([100, 100]);
      expect(whileWriting).toEqual([]);

      // The same work on a connection that keeps them in a file shows one: the check above can see it.
      const onDisk = new Database(path);
      try {
        onDisk.pragma('temp_store = FILE');
        onDisk.exec('BEGIN IMMEDIATE; SAVEPOINT s');
        onDisk.prepare('UPDATE t SET body = ? WHERE id % 2 = 0').run('z'.repeat(1000));
        expect(openTemporaryFiles()).toHaveLength(1);
        onDisk.exec('ROLLBACK');
      } finally {
        onDisk.close();
      }
    } finally {
      await driver.close();
    }
  });

  it('each succeeds or fails whole, sees those before it, and is visible to another process once it resolves', async () => {
    const path = join(dir, 'grouped.db');
    const driver = new SqliteDriver(path);
    await driver.run('CREATE TABLE t (x INTEGER NOT NULL)');
    const other = new Database(path);
    const seenElsewhere = () => other.prepare('SELECT x FROM t ORDER BY x').pluck().all();
    try {
      const first = driver.transaction(async (tx) => {
        await tx.run('INSERT INTO t VALUES (1)');
        return 'first';
      }, { grouped: true });
      const refused = driver.transaction(async (tx) => {
        await tx.run('INSERT INTO t VALUES (2)');
        throw new Error('refused');
      }, { grouped: true });
      const third = driver.transaction(async (tx) => {
        const before = await tx.all<{ x: number }>('SELECT x FROM t ORDER BY x');
        await tx.run('INSERT INTO t VALUES (3)');
        return before.map((row) => row.x);
      }, { grouped: true });
      const plain = driver.transaction(async (tx) => tx.run('INSERT INTO t VALUES (4)'));
      const read = driver.all<{ x: number }>('SELECT x FROM t ORDER BY x');
      // Written, not yet committed: no other process sees any of it.
      expect(seenElsewhere()).toEqual([]);

      await expect(refused).rejects.toThrow('refused');
      expect(await first).toBe('first');
      expect(seenElsewhere()).toEqual([1, 3]);
      expect(await third).toEqual([1]);
      expect((await read).map((row) => row.x)).toEqual([1, 3, 4]); // in the order they were asked for
      expect(await plain).toBe(1);
      expect(seenElsewhere()).toEqual([1, 3, 4]);

      // The next turn's group starts afresh.
      await driver.transaction(async (tx) => tx.run('INSERT INTO t VALUES (5)'), { grouped: true });
      expect(seenElsewhere()).toEqual([1, 3, 4, 5]);
    } finally {
      other.close();
      await driver.close();
    }
  });

  it("lets another connection of the same process write once the group is committed, instead of waiting on the event loop for it", async () => {
    const path = join(dir, 'two-connections.db');
    const first = new SqliteDriver(path);
    const second = new SqliteDriver(path);
    try {
      await first.run('CREATE TABLE t (x INTEGER NOT NULL)');
      const grouped = first.transaction(async (tx) => tx.run('INSERT INTO t VALUES (1)'), { grouped: true });
      const other = second.transaction(async (tx) => {
        await tx.run('INSERT INTO t VALUES (2)');
        return tx.all<{ x: number }>('SELECT x FROM t ORDER BY x');
      });
      expect(await grouped).toBe(1);
      expect((await other).map((row) => row.x)).toEqual([1, 2]);
    } finally {
      await first.close();
      await second.close();
    }
  });

  it('lets a plain write through another connection of the same process wait for the group, instead of stalling on its lock', async () => {
    const path = join(dir, 'plain-write.db');
    const first = new SqliteDriver(path);
    const second = new SqliteDriver(path);
    try {
      await first.run('CREATE TABLE t (x INTEGER NOT NULL)');
      const grouped = first.transaction(async (tx) => tx.run('INSERT INTO t VALUES (1)'), { grouped: true });
      const plain = second.run('INSERT INTO t VALUES (2)');
      expect(await grouped).toBe(1);
      expect(await plain).toBe(1);
      expect((await second.all<{ x: number }>('SELECT x FROM t ORDER BY x')).map((row) => row.x)).toEqual([1, 2]);
    } finally {
      await first.close();
      await second.close();
    }
  });

  /** The connection's own `exec`, made to throw on the statements `failing` picks (a disk fault, say). */
  function failExec(driver: SqliteDriver, failing: (sql: string) => boolean): () => void {
    const db = (driver as unknown as { db: Database.Database }).db;
    const exec = db.exec.bind(db);
    db.exec = (sql: string) => {
      if (failing(sql)) throw new Error(`I/O error on ${sql}`);
      return exec(sql);
    };
    return () => void (db.exec = exec);
  }

  it('fails every transaction of the group, and commits none of it, when one could not be undone alone; a later one waits for the next group', async () => {
    const driver = new SqliteDriver(join(dir, 'undo-fails.db'));
    try {
      await driver.run('CREATE TABLE t (x INTEGER NOT NULL)');
      const restore = failExec(driver, (sql) => sql.startsWith('ROLLBACK TO'));
      const results = await Promise.allSettled([
        driver.transaction(async (tx) => tx.run('INSERT INTO t VALUES (1)'), { grouped: true }),
        driver.transaction(async (tx) => {
          await tx.run('INSERT INTO t VALUES (666)');
          throw new Error('refused');
        }, { grouped: true }),
        driver.transaction(async (tx) => tx.run('INSERT INTO t VALUES (3)'), { grouped: true }),
      ]);
      restore();
      expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected', 'fulfilled']);
      expect(await driver.all('SELECT x FROM t')).toEqual([{ x: 3 }]);
      // The next group starts afresh.
      expect(await driver.transaction(async (tx) => tx.run('INSERT INTO t VALUES (4)'), { grouped: true })).toBe(1);
    } finally {
      await driver.close();
    }
  });

  it('tells every transaction of the group that it failed when its commit and the rollback after it both fail', async () => {
    const driver = new SqliteDriver(join(dir, 'commit-and-rollback-fail.db'));
    try {
      await driver.run('CREATE TABLE t (x INTEGER NOT NULL)');
      const restore = failExec(driver, (sql) => sql === 'COMMIT' || sql === 'ROLLBACK');
      const grouped = driver.transaction(async (tx) => tx.run('INSERT INTO t VALUES (1)'), { grouped: true });
      await expect(grouped).rejects.toThrow('I/O error on COMMIT');
      restore();
    } finally {
      await driver.close().catch(() => undefined);
    }
  });
});
