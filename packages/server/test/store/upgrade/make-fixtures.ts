/**
 * Makes the fixtures of `upgrade.test.ts`: a database written by an earlier release, for SQLite and for
 * PostgreSQL, with users, live refresh-token families (one rotated already), legacy sessions, and
 * access tokens signed by a rotated-out key and by the active one. Run it against a checkout of that
 * release, built:
 *
 *   git worktree add --detach /tmp/rel-0.1.0 468bdcf && (cd /tmp/rel-0.1.0 && npm ci && npm run build)
 *   npx tsx packages/server/test/store/upgrade/make-fixtures.ts /tmp/rel-0.1.0 0.1.0
 *
 * PostgreSQL is dumped with `pg_dump --inserts` from the schema the release created; POSTGRES_URL
 * (default postgres://postgres@127.0.0.1:5432/test) names the server.
 */
import { execFileSync, spawn } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import pg from 'pg';

const [release, version] = process.argv.slice(2);
if (!release || !version) throw new Error('usage: make-fixtures.ts <release checkout> <version>');
const BIN = resolve(release, 'bin/tessera.js');
const FIXTURES = resolve(import.meta.dirname, 'fixtures');
const POSTGRES_URL = process.env.POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const SCHEMA = 'tessera_upgrade_fixture';
const SECRET = 'q7Zt0bVw3nRk9YpXe2LcJd8HsUa5GmQf1TiNo4WvBzE=';
/** Besides the development seed's test (user) and admin (admin). */
const USERS = [
  { username: 'alice', password: 'alice-password-1', role: 'user' },
  { username: 'bob', password: 'bob-password-22', role: 'admin' },
  { username: 'test', password: 'test123', role: 'user' },
  { username: 'admin', password: 'admin123', role: 'admin' },
];

export interface UpgradeFixture {
  release: string;
  /** When the release wrote the database: the upgraded server's clock starts a minute later. */
  writtenAt: number;
  secret: string;
  users: Array<{ username: string; password: string; role: string }>;
  /** The current (unused) token of each live family. */
  refreshTokens: Array<{ username: string; token: string }>;
  accessTokens: Array<{ username: string; token: string; signedBy: 'rotated-out key' | 'active key' }>;
  sessions: Array<{ username: string; cookie: string }>;
}

async function freePort(): Promise<number> {
  return new Promise((done) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => done(port));
    });
  });
}

function env(databaseUrl: string, port = 0): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    NODE_ENV: 'development',
    DATABASE_URL: databaseUrl,
    JWT_SECRET: SECRET,
    PORT: String(port),
    HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
    AUTH_RATE_LIMIT: '0',
    REFRESH_RATE_LIMIT: '0',
    REFRESH_IP_RATE_LIMIT: '0',
  };
}

function cli(databaseUrl: string, ...args: string[]): string {
  return execFileSync(process.execPath, [BIN, ...args], { env: env(databaseUrl), encoding: 'utf8' });
}

async function post(url: string, body: unknown): Promise<Response> {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  if (response.status !== 200) throw new Error(`${url} answered ${response.status}: ${await response.text()}`);
  return response;
}

async function write(databaseUrl: string): Promise<UpgradeFixture> {
  const port = await freePort();
  const server = spawn(process.execPath, [BIN, 'serve'], { env: env(databaseUrl, port), stdio: 'inherit' });
  const base = `http://127.0.0.1:${port}`;
  try {
    for (let i = 0; ; i += 1) {
      if (await fetch(`${base}/healthz`).then((r) => r.ok, () => false)) break;
      if (i > 240) throw new Error('the release did not start');
      await new Promise((r) => setTimeout(r, 250));
    }
    for (const user of USERS.slice(0, 2)) cli(databaseUrl, 'users', 'add', user.username, '--role', user.role, '--password', user.password);
    const fixture: UpgradeFixture = {
      release: version!, writtenAt: Date.now(), secret: SECRET, users: USERS, refreshTokens: [], accessTokens: [], sessions: [],
    };
    const login = async (user: (typeof USERS)[number]) =>
      (await (await post(`${base}/auth/login`, { username: user.username, password: user.password })).json()) as {
        access_token: string;
        refresh_token: string;
      };
    for (const user of USERS) {
      const first = await login(user);
      fixture.accessTokens.push({ username: user.username, token: first.access_token, signedBy: 'rotated-out key' });
      const rotated = (await (await post(`${base}/auth/refresh`, { refresh_token: first.refresh_token })).json()) as { refresh_token: string };
      fixture.refreshTokens.push({ username: user.username, token: rotated.refresh_token });
      const session = await post(`${base}/api/login`, { username: user.username, password: user.password });
      const cookie = /session_id=([^;]+)/.exec(session.headers.get('set-cookie') ?? '')?.[1];
      if (!cookie) throw new Error('no session cookie');
      fixture.sessions.push({ username: user.username, cookie });
    }
    cli(databaseUrl, 'keys', 'rotate', '--use', 'access');
    await new Promise((r) => setTimeout(r, 6000)); // running servers switch within 5 seconds
    for (const user of USERS) {
      const second = await login(user);
      fixture.accessTokens.push({ username: user.username, token: second.access_token, signedBy: 'active key' });
      fixture.refreshTokens.push({ username: user.username, token: second.refresh_token });
    }
    return fixture;
  } finally {
    server.kill('SIGTERM');
    await new Promise((r) => server.once('exit', r));
  }
}

// The database is kept as its SQL dump (sqlite3's .dump), never as a binary file in git.
const sqlite = join(tmpdir(), `tessera-fixture-${process.pid}.db`);
for (const file of [sqlite, `${sqlite}-wal`, `${sqlite}-shm`]) rmSync(file, { force: true });
const sqliteFixture = await write(`sqlite:${sqlite}`);
writeFileSync(join(FIXTURES, `${version}-sqlite.sql`), execFileSync('sqlite3', [sqlite, '.dump'], { encoding: 'utf8' }));
for (const file of [sqlite, `${sqlite}-wal`, `${sqlite}-shm`]) rmSync(file, { force: true });
writeFileSync(join(FIXTURES, `${version}-sqlite.json`), `${JSON.stringify(sqliteFixture, null, 2)}\n`);

const admin = new pg.Client({ connectionString: POSTGRES_URL });
await admin.connect();
try {
  await admin.query(`DROP SCHEMA IF EXISTS ${SCHEMA} CASCADE`);
  const postgresFixture = await write(`${POSTGRES_URL}?schema=${SCHEMA}`);
  const dump = execFileSync('pg_dump', ['--schema', SCHEMA, '--inserts', '--no-owner', '--no-privileges', POSTGRES_URL], {
    encoding: 'utf8',
  });
  // psql meta-commands (\restrict) and the dump's own settings are left out: the test runs plain SQL.
  const sql = dump
    .split('\n')
    .filter((line) => !line.startsWith('\\') && !/^SET |^SELECT pg_catalog\.set_config/.test(line))
    .join('\n');
  writeFileSync(join(FIXTURES, `${version}-postgres.sql`), sql);
  writeFileSync(join(FIXTURES, `${version}-postgres.json`), `${JSON.stringify(postgresFixture, null, 2)}\n`);
} finally {
  await admin.query(`DROP SCHEMA IF EXISTS ${SCHEMA} CASCADE`);
  await admin.end();
}
