import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { SQLITE_MIGRATIONS } from '../../src/store/sqlite/migrations.js';
import { PostgresStore } from '../../src/store/postgres/postgres-store.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { dropSchema, freshSchemaName, withAdminClient } from '../support/postgres-schema.js';
import { POSTGRES_URL, postgresAvailable } from '../support/services.js';

const pgAvailable = await postgresAvailable();
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

/** What a server of the version before sends when a user changes their own address: it knows nothing of verification. */
const OLDER_VERSION_CHANGE = "UPDATE users SET email = 'new@evil.example', updated_at = 5 WHERE id = 'id-ada'";

describe('an address changed by a write that does not verify it (an older version during a rolling deploy)', () => {
  it('is unverified afterwards in SQLite', async () => {
    const path = join(dir, 'rolling.db');
    const store = new SqliteStore(path);
    await store.migrate();
    await store.users.create({ id: 'id-ada', username: 'ada', role: 'user', passwordHash: 'h', email: 'ada@example.com', createdAt: 1 });
    await store.close();
    const db = new Database(path);
    db.exec(OLDER_VERSION_CHANGE);
    db.exec("UPDATE users SET role = 'admin' WHERE id = 'id-ada'");
    const row = db.prepare("SELECT email, email_verified_at AS verified FROM users WHERE id = 'id-ada'").get();
    db.close();
    expect(row).toEqual({ email: 'new@evil.example', verified: null });
  });

  it('keeps an address verified when the same write verifies it, or when only something else changes', async () => {
    const store = new SqliteStore(join(dir, 'vouched.db'));
    try {
      await store.migrate();
      await store.users.create({ id: 'id-ada', username: 'ada', role: 'user', passwordHash: 'h', email: 'ada@example.com', createdAt: 1 });
      expect(await store.users.update('id-ada', { email: 'ada@example.org', emailVerifiedAt: 2 }, 2)).toMatchObject({ emailVerifiedAt: 2 });
      expect(await store.users.update('id-ada', { role: 'admin' }, 3)).toMatchObject({ emailVerifiedAt: 2 });
      expect(await store.users.findById('id-ada')).toMatchObject({ email: 'ada@example.org', emailVerifiedAt: 2 });
    } finally {
      await store.close();
    }
  });

  it.skipIf(!pgAvailable)('is unverified afterwards in PostgreSQL', async () => {
    const schema = freshSchemaName();
    const store = new PostgresStore(POSTGRES_URL, { schema });
    try {
      await store.migrate();
      await store.users.create({ id: 'id-ada', username: 'ada', role: 'user', passwordHash: 'h', email: 'ada@example.com', createdAt: 1 });
      expect(await store.users.update('id-ada', { email: 'ada@example.org', emailVerifiedAt: 2 }, 2)).toMatchObject({ emailVerifiedAt: 2 });
      await withAdminClient((client) => client.query(`SET search_path TO ${schema}; ${OLDER_VERSION_CHANGE}`));
      expect(await store.users.findById('id-ada')).toMatchObject({ email: 'new@evil.example', emailVerifiedAt: null });
    } finally {
      await store.close();
      await dropSchema(schema);
    }
  });
});
