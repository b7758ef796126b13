import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { SQLITE_MIGRATIONS } from '../../src/store/sqlite/migrations.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';

const dir = mkdtempSync(join(tmpdir(), 'tessera-access-token-index-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The migration that drops the per-user index of access-token records, whatever its number. */
const DROP = SQLITE_MIGRATIONS.find((m) => m.sql.includes('DROP INDEX access_tokens_by_user'))!;
const T0 = 1_796_000_000_000;
const client = { ip: '203.0.113.7', userAgent: 'phone' };
const token = (n: number) => ({ id: `rt-${n}`, tokenHash: `hash-${n}`, issuedAt: T0 + n, expiresAt: T0 + 86_400_000 });

describe('the migration that finds a user’s access tokens through their families', () => {
  it('upgrades a database whose tokens keep working: a refresh rotates, and signing out everywhere revokes access tokens from before and after', async () => {
    const path = join(dir, 'before.db');
    const db = new Database(path);
    db.exec('CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)');
    for (const migration of SQLITE_MIGRATIONS.filter((m) => m.version < DROP.version)) {
      db.exec(migration.sql);
      db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(migration.version, migration.name, 0);
    }
    db.close();
    // Written by this version's store on the schema before the migration, as the previous release wrote it.
    const before = new SqliteStore(path);
    await before.users.create({ id: 'id-ada', username: 'ada', role: 'user', passwordHash: 'h', createdAt: T0 });
    await before.users.create({ id: 'id-bob', username: 'bob', role: 'user', passwordHash: 'h', createdAt: T0 });
    await before.families.create({ familyId: 'fam-laptop', userId: 'id-ada', token: token(1), access: { jti: 'jti-old', expiresAt: T0 + 900_000 }, client, now: T0 });
    await before.families.create({ familyId: 'fam-bob', userId: 'id-bob', token: token(2), access: { jti: 'jti-bob', expiresAt: T0 + 900_000 }, client, now: T0 });
    await before.close();

    const store = new SqliteStore(path);
    try {
      expect(await store.pendingMigrations()).toBeGreaterThan(0);
      await store.migrate();
      expect(await store.pendingMigrations()).toBe(0);
      const rotated = await store.families.rotate({
        tokenHash: 'hash-1',
        now: T0 + 60_000,
        reuseIntervalMs: 0,
        next: token(3),
        access: { jti: 'jti-new', expiresAt: T0 + 960_000 },
        client,
      });
      expect(rotated.status).toBe('rotated');
      const revoked = await store.families.revokeAllOfUser('id-ada', 'password_changed', T0 + 120_000);
      expect(revoked.map((r) => r.jti).sort()).toEqual(['jti-new', 'jti-old']);
      expect(await store.revocations.isRevoked('jti-bob')).toBe(false);
      expect(await store.revocations.isRevoked('jti-old')).toBe(true);
    } finally {
      await store.close();
    }
    const after = new Database(path);
    const indexes = after.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'access_tokens'").pluck().all();
    after.close();
    expect(indexes).not.toContain('access_tokens_by_user');
  });
});
