import { rmSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';
import { openStore } from '../../src/store/open-store.js';
import { createTessera } from '../../src/tessera.js';
import { tessera } from '../support/cli.js';
import { capturingLogger } from '../support/log-lines.js';
import { dropSchema, freshSchemaName, withAdminClient } from '../support/postgres-schema.js';
import { POSTGRES_URL, postgresAvailable } from '../support/services.js';
import { TEST_SECRET, testEnv } from '../support/tessera.js';

const pgAvailable = await postgresAvailable();
const OTHER_SECRET = 'another-test-secret-9c8b7a6f5e4d3c2b1a0f9e8d7c6b5a4f3e2d1c0b';

/**
 * Finding 6 of issue 11: a CLI command run with the wrong environment (no NODE_ENV, no JWT_SECRET, a
 * different JWT_ALGORITHM) against a production database must not rewrite it.
 */
describe.each([
  ['SQLite', 'sqlite'],
  ['PostgreSQL', 'postgres'],
] as const)('on %s, no command rewrites a production database', (_name, database) => {
  const cleanups: Array<() => Promise<void> | void> = [];
  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  });

  /** A database URL of its own; `production` is the environment of the server that runs on it. */
  function location(): { databaseUrl: string; production: Record<string, string> } {
    const { env, dir } = testEnv();
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    let databaseUrl = env.DATABASE_URL!;
    if (database === 'postgres') {
      const schema = freshSchemaName();
      cleanups.push(() => dropSchema(schema));
      databaseUrl = `${POSTGRES_URL}?schema=${schema}`;
    }
    const production = { NODE_ENV: 'production', PUBLIC_URL: 'https://auth.example.com', DATABASE_URL: databaseUrl, JWT_SECRET: TEST_SECRET, JWT_ALGORITHM: 'ES256', LOG_LEVEL: 'silent' };
    return { databaseUrl, production };
  }

  /** Starts (and closes) a server's Tessera, as `tessera serve` builds it. */
  async function serveOnce(env: Record<string, string>, logger = createLogger('silent')): Promise<void> {
    const t = await createTessera(loadConfig(env), { logger });
    await t.close();
  }

  async function stored(databaseUrl: string) {
    const store = openStore(loadConfig({ DATABASE_URL: databaseUrl }).database);
    try {
      const keys = await store.keys.list();
      const { users } = await store.users.list({ limit: 100, offset: 0 });
      return { keys, usernames: users.map((u) => u.username) };
    } finally {
      await store.close();
    }
  }

  async function productionDatabase() {
    const { databaseUrl, production } = location();
    await serveOnce(production);
    expect((await tessera(['users', 'add', 'ops', '--role', 'admin'], production, 'a real password 1')).code).toBe(0);
    return { databaseUrl, production, before: await stored(databaseUrl) };
  }

  it.skipIf(database === 'postgres' && !pgAvailable)(
    'a read-only command run without NODE_ENV, JWT_SECRET or JWT_ALGORITHM changes no key, seeds no account, and production still starts',
    async () => {
      const { databaseUrl, production, before } = await productionDatabase();
      expect(before.keys.map((k) => k.alg).sort()).toEqual(['ES256', 'HS256']);

      const bare = await tessera(['users', 'list', '--json'], { DATABASE_URL: databaseUrl, LOG_LEVEL: 'silent' });
      expect(bare.code).toBe(0);
      expect((JSON.parse(bare.stdout) as Array<{ username: string }>).map((u) => u.username)).toEqual(['ops']);
      const noAlgorithm = { ...production, JWT_ALGORITHM: '' };
      expect((await tessera(['keys', 'list'], noAlgorithm)).code).toBe(0);
      expect((await tessera(['audit', '--limit', '1'], noAlgorithm)).code).toBe(0);

      expect(await stored(databaseUrl)).toEqual(before);
      await expect(serveOnce(production)).resolves.toBeUndefined();
    },
  );

  it.skipIf(database === 'postgres' && !pgAvailable)(
    'a development server refuses to start on a database initialised in production, and with the override it still seeds no demo account',
    async () => {
      const { databaseUrl, production, before } = await productionDatabase();
      const development = { DATABASE_URL: databaseUrl, NODE_ENV: 'development', JWT_SECRET: TEST_SECRET, JWT_ALGORITHM: 'ES256', LOG_LEVEL: 'silent' };

      await expect(serveOnce(development)).rejects.toThrow(/initialised in production.*PRODUCTION_DATABASE_OVERRIDE=on/);
      const { logger, messages } = capturingLogger('warn');
      await serveOnce({ ...development, PRODUCTION_DATABASE_OVERRIDE: 'on' }, logger);
      expect(messages().join('\n')).toMatch(/PRODUCTION_DATABASE_OVERRIDE=on: NODE_ENV=development on a database initialised in production/);

      expect(await stored(databaseUrl)).toEqual(before);
      await expect(serveOnce(production)).resolves.toBeUndefined();
    },
  );

  it.skipIf(database === 'postgres' && !pgAvailable)(
    'a server whose secret does not open the stored keys stops with the reason and replaces nothing, in development too',
    async () => {
      const { databaseUrl } = location();
      const development = { DATABASE_URL: databaseUrl, NODE_ENV: 'development', JWT_SECRET: TEST_SECRET, LOG_LEVEL: 'silent' };
      await serveOnce(development);
      const before = await stored(databaseUrl);

      await expect(serveOnce({ ...development, JWT_SECRET: OTHER_SECRET })).rejects.toThrow(/JWT_SECRET does not open the stored .* signing key/);
      expect(await stored(databaseUrl)).toEqual(before);
    },
  );

  it.skipIf(database === 'postgres' && !pgAvailable)(
    'a changed JWT_ALGORITHM rotates the key only when the server starts, which says so',
    async () => {
      const { databaseUrl, production, before } = await productionDatabase();
      const rs256 = { ...production, JWT_ALGORITHM: 'RS256' };

      expect((await tessera(['users', 'list'], rs256)).code).toBe(0);
      expect(await stored(databaseUrl)).toEqual(before);

      const { logger, messages } = capturingLogger('info');
      await serveOnce(rs256, logger);
      expect(messages()).toContain('JWT_ALGORITHM changed from ES256 to RS256: rotating the access key ' +
        `(tokens signed with ${before.keys.find((k) => k.alg === 'ES256')!.kid} stay valid until they expire)`);
      const active = (await stored(databaseUrl)).keys.filter((k) => k.rotatedOutAt === null).map((k) => k.alg).sort();
      expect(active).toEqual(['HS256', 'RS256']);
    },
  );

  it.skipIf(database === 'postgres' && !pgAvailable)('only serve and migrate apply migrations; other commands say to run migrate', async () => {
    const { databaseUrl, production } = location();
    const listed = await tessera(['users', 'list'], production);
    expect(listed).toMatchObject({ code: 1, stderr: expect.stringMatching(/^tessera: the database at DATABASE_URL lacks \d+ migration\(s\): run `tessera migrate`/) });
    expect(await hasMigrations(databaseUrl)).toBe(false);
    expect(await tessera(['migrate'], production)).toMatchObject({ code: 0, stdout: `migrations applied (${database})\n` });
    expect(await hasMigrations(databaseUrl)).toBe(true);
  });

  async function hasMigrations(databaseUrl: string): Promise<boolean> {
    if (database === 'postgres') {
      const schema = new URL(databaseUrl).searchParams.get('schema')!;
      return withAdminClient(async (client) => {
        const found = await client.query('SELECT 1 FROM information_schema.tables WHERE table_schema = $1 AND table_name = $2', [schema, 'schema_migrations']);
        return found.rowCount === 1;
      });
    }
    const { default: Database } = await import('better-sqlite3');
    const db = new Database(databaseUrl.slice('sqlite:'.length));
    try {
      return db.prepare("SELECT 1 FROM sqlite_master WHERE name = 'schema_migrations'").get() !== undefined;
    } finally {
      db.close();
    }
  }
});
