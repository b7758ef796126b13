import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { PostgresStore } from '../../src/store/postgres/postgres-store.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { TestClock } from '../support/clock.js';
import { dropSchema, freshSchemaName, withAdminClient } from '../support/postgres-schema.js';
import { POSTGRES_URL, postgresAvailable } from '../support/services.js';
import { startTestInstance, type TestInstance } from '../support/tessera.js';
import type { UpgradeFixture } from './upgrade/make-fixtures.js';

/**
 * A database written by release 0.1.0 (made by `upgrade/make-fixtures.ts` with that release's own
 * server and CLI), upgraded by this version at start: everything 0.1.0 issued keeps working, and the
 * upgraded schema is the one a new database gets.
 */
const FIXTURES = join(import.meta.dirname, 'upgrade/fixtures');
const fixture = (name: string) => JSON.parse(readFileSync(join(FIXTURES, name), 'utf8')) as UpgradeFixture;
/** Writes the database 0.1.0 left behind (kept as its SQL dump, never as a binary file) to `path`. */
function restoreSqliteFixture(path: string): void {
  const db = new Database(path);
  try {
    db.exec(readFileSync(join(FIXTURES, '0.1.0-sqlite.sql'), 'utf8'));
  } finally {
    db.close();
  }
}
/** What the release's own limits would say of a test sending every token from one address is not the point here. */
const NO_LIMITS = { AUTH_RATE_LIMIT: '0', REFRESH_RATE_LIMIT: '0', REFRESH_IP_RATE_LIMIT: '0' };

async function upgrade(data: UpgradeFixture, databaseUrl: string): Promise<TestInstance> {
  // The release wrote the database a minute before this server starts: every credential is still live.
  const clock = new TestClock(data.writtenAt + 60_000);
  return startTestInstance({ ...NO_LIMITS, DATABASE_URL: databaseUrl, JWT_SECRET: data.secret }, { clock });
}

/** Every credential 0.1.0 issued still works on the upgraded server, and every user can log in. */
async function expectEverythingWorks(t: TestInstance, data: UpgradeFixture): Promise<void> {
  const idOf = async (username: string) => (await t.tessera.store.users.findByUsername(username))!.id;
  const me = (headers: Record<string, string>) => t.app.inject({ url: '/api/me', headers });
  for (const access of data.accessTokens) {
    const answer = await me({ authorization: `Bearer ${access.token}` });
    expect({ user: access.username, key: access.signedBy, status: answer.statusCode }).toEqual({
      user: access.username,
      key: access.signedBy,
      status: 200,
    });
    expect(answer.json<{ id: string }>().id).toBe(await idOf(access.username));
  }
  for (const session of data.sessions) {
    const answer = await me({ cookie: `session_id=${session.cookie}` });
    expect({ user: session.username, status: answer.statusCode }).toEqual({ user: session.username, status: 200 });
  }
  for (const { username, token } of data.refreshTokens) {
    const answer = await t.app.inject({ method: 'POST', url: '/auth/refresh', payload: { refresh_token: token } });
    expect({ user: username, status: answer.statusCode }).toEqual({ user: username, status: 200 });
  }
  for (const { username, password } of data.users) {
    const answer = await t.app.inject({ method: 'POST', url: '/auth/login', payload: { username, password } });
    expect({ user: username, status: answer.statusCode }).toEqual({ user: username, status: 200 });
  }
}

describe('upgrading a SQLite database written by 0.1.0', () => {
  const data = fixture('0.1.0-sqlite.json');
  const dir = mkdtempSync(join(tmpdir(), 'tessera-upgrade-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('keeps every user, refresh token, session and signing key working', async () => {
    const path = join(dir, 'upgraded.db');
    restoreSqliteFixture(path);
    const t = await upgrade(data, `sqlite:${path}`);
    try {
      await expectEverythingWorks(t, data);
    } finally {
      await t.close();
    }
  });

  it('ends with the schema a new database gets', async () => {
    const upgraded = join(dir, 'schema-upgraded.db');
    restoreSqliteFixture(upgraded);
    const fresh = join(dir, 'schema-fresh.db');
    for (const path of [upgraded, fresh]) {
      const store = new SqliteStore(path);
      await store.migrate();
      await store.close();
    }
    expect(sqliteSchema(upgraded)).toEqual(sqliteSchema(fresh));
  });
});

const available = await postgresAvailable();

describe.skipIf(!available)('upgrading a PostgreSQL database written by 0.1.0', () => {
  const data = fixture('0.1.0-postgres.json');
  const schemas: string[] = [];
  afterAll(() => Promise.all(schemas.map(dropSchema)));

  /** The release's tables and rows, restored into a schema of their own. */
  async function restore(): Promise<string> {
    const schema = freshSchemaName();
    schemas.push(schema);
    const dump = readFileSync(join(FIXTURES, '0.1.0-postgres.sql'), 'utf8').replaceAll('tessera_upgrade_fixture', schema);
    await withAdminClient((client) => client.query(dump));
    return schema;
  }

  it('keeps every user, refresh token, session and signing key working', async () => {
    const schema = await restore();
    const t = await upgrade(data, `${POSTGRES_URL}?schema=${schema}`);
    try {
      await expectEverythingWorks(t, data);
    } finally {
      await t.close();
    }
  });

  it('ends with the schema a new database gets', async () => {
    const upgraded = await restore();
    const fresh = freshSchemaName();
    schemas.push(fresh);
    for (const schema of [upgraded, fresh]) {
      const store = new PostgresStore(POSTGRES_URL, { schema });
      await store.migrate();
      await store.close();
    }
    expect(await postgresSchema(upgraded)).toEqual(await postgresSchema(fresh));
  });
});

/** Tables, indexes and triggers as SQLite keeps them, white space and comments aside. */
function sqliteSchema(path: string): string[] {
  const db = new Database(path, { readonly: true });
  try {
    const rows = db
      .prepare("SELECT type, name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' AND sql IS NOT NULL ORDER BY type, name")
      .all() as Array<{ type: string; name: string; sql: string }>;
    return rows.map((r) => `${r.type} ${r.name}: ${r.sql.replace(/--[^\n]*/g, '').replace(/\s+/g, ' ').trim()}`);
  } finally {
    db.close();
  }
}

/** Columns, constraints, indexes and triggers of one schema, with the schema's name taken out. */
async function postgresSchema(schema: string): Promise<string[]> {
  return withAdminClient(async (client) => {
    const queries = [
      `SELECT table_name || '.' || column_name || ' ' || data_type || ' ' || is_nullable || ' ' || coalesce(column_default, '')
         || ' ' || is_identity AS line FROM information_schema.columns WHERE table_schema = $1`,
      `SELECT conrelid::regclass::text || ' ' || conname || ' ' || pg_get_constraintdef(oid) AS line
         FROM pg_constraint WHERE connamespace = $1::regnamespace`,
      `SELECT indexdef AS line FROM pg_indexes WHERE schemaname = $1`,
      `SELECT event_object_table || ' ' || trigger_name || ' ' || event_manipulation || ' ' || action_statement AS line
         FROM information_schema.triggers WHERE trigger_schema = $1`,
    ];
    const lines: string[] = [];
    for (const sql of queries) {
      const result = await client.query<{ line: string }>(sql, [schema]);
      lines.push(...result.rows.map((r) => r.line.replaceAll(`${schema}.`, '')));
    }
    return lines.sort();
  });
}
