import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { SQLITE_MIGRATIONS } from '../../src/store/sqlite/migrations.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';

const dir = mkdtempSync(join(tmpdir(), 'tessera-email-verified-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The migration that adds `users.email_verified_at`, whatever its number. */
const VERIFIED = SQLITE_MIGRATIONS.find((m) => m.sql.includes('ADD COLUMN email_verified_at'))!;

describe('the migration that adds verified email addresses', () => {
  it('counts the addresses written before it as verified, except those users set themselves', async () => {
    const path = join(dir, 'before.db');
    const db = new Database(path);
    db.exec('CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)');
    for (const migration of SQLITE_MIGRATIONS.filter((m) => m.version < VERIFIED.version)) {
      db.exec(migration.sql);
      db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(migration.version, migration.name, 0);
    }
    const addUser = db.prepare("INSERT INTO users (id, username, role, password_hash, email, created_at, updated_at) VALUES (?, ?, 'user', 'h', ?, 1, ?)");
    addUser.run('id-imported', 'imported', 'imported@example.com', 1000);
    addUser.run('id-self', 'self', 'ceo@victim-corp.example', 2000);
    addUser.run('id-none', 'none', null, 3000);
    db.prepare("INSERT INTO audit_events (at, type, user_id, actor) VALUES (2000, 'account.email_change', 'id-self', 'id-self')").run();
    db.close();

    const store = new SqliteStore(path);
    try {
      await store.migrate();
      expect(await store.users.findById('id-imported')).toMatchObject({ email: 'imported@example.com', emailVerifiedAt: 1000 });
      expect(await store.users.findById('id-self')).toMatchObject({ email: 'ceo@victim-corp.example', emailVerifiedAt: null });
      expect(await store.users.findById('id-none')).toMatchObject({ email: null, emailVerifiedAt: null });
    } finally {
      await store.close();
    }
  });
});
