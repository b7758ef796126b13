/**
 * Bringing users over (issue 15), measured:
 *  - `tessera users import` of N users (JSON lines; bcrypt, PBKDF2, scrypt and argon2 hashes in turn)
 *    into a fresh SQLite database: a dry run, the import, the same file again (all unchanged); then the
 *    import into a fresh PostgreSQL schema. Wall time of the command, process start included.
 *  - Login time of users imported with bcrypt (cost 10, the common default): the first login (bcrypt
 *    check + argon2id re-hash) and the next (argon2id), median over L users, against a running server.
 *  - Lazy migration: the first login of L users known only to an old app (the Express example of
 *    docs/bring-your-users.md, bcrypt cost 10, on this machine), and their next login; the difference
 *    is what asking the old app adds.
 *
 *   npx tsx bench/import-users.ts [--users 100000] [--logins 20]
 *
 * Needs the build (`npm run build`) and PostgreSQL on 127.0.0.1:5432 (database `test`).
 */
import { hash, verify } from '@node-rs/bcrypt';
import express from 'express';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { HASHES } from '../packages/server/test/passwords/imported-hash-fixtures.js';
import { BENCH_SECRET, startBenchServer } from './lib/server.js';
import { summarize } from './lib/stats.js';

const BIN = resolve(import.meta.dirname, '../packages/server/bin/tessera.js');
const POSTGRES = 'postgres://postgres@127.0.0.1:5432/test';
const { values } = parseArgs({ options: { users: { type: 'string', default: '100000' }, logins: { type: 'string', default: '20' } } });
const USERS = Number(values.users);
const LOGINS = Number(values.logins);
const POOL = [HASHES.bcrypt2b, HASHES.djangoPbkdf2, HASHES.passlibScrypt, HASHES.argon2i];

function command(args: string[], env: Record<string, string>): Promise<number> {
  const started = performance.now();
  const child = spawn(process.execPath, [BIN, ...args], { env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'ignore', 'inherit'] });
  return new Promise((resolveTime, reject) => {
    child.once('exit', (code) => (code === 0 ? resolveTime((performance.now() - started) / 1000) : reject(new Error(`tessera ${args.join(' ')} exited ${code}`))));
  });
}

async function importTimes(dir: string): Promise<void> {
  const file = join(dir, 'users.jsonl');
  const lines = Array.from({ length: USERS }, (_, i) =>
    JSON.stringify({ username: `user${i}`, role: 'user', email: `user${i}@example.com`, password_hash: POOL[i % POOL.length] }),
  );
  writeFileSync(file, lines.join('\n') + '\n');
  const sqlite = { NODE_ENV: 'test', JWT_SECRET: BENCH_SECRET, DATABASE_URL: `sqlite:${join(dir, 'import.db')}`, LOG_LEVEL: 'warn' };
  await command(['migrate'], sqlite);
  console.log(`import of ${USERS.toLocaleString('en')} users (wall time of the command):`);
  console.log(`  SQLite, --dry-run:          ${(await command(['users', 'import', file, '--dry-run'], sqlite)).toFixed(1)} s`);
  console.log(`  SQLite, import:             ${(await command(['users', 'import', file], sqlite)).toFixed(1)} s`);
  console.log(`  SQLite, again (unchanged):  ${(await command(['users', 'import', file], sqlite)).toFixed(1)} s`);
  const schema = `tessera_bench_import_${process.pid}`;
  const postgres = { ...sqlite, DATABASE_URL: `${POSTGRES}?schema=${schema}` };
  try {
    await command(['migrate'], postgres);
    console.log(`  PostgreSQL, import:         ${(await command(['users', 'import', file], postgres)).toFixed(1)} s`);
  } finally {
    const client = new pg.Client({ connectionString: POSTGRES });
    await client.connect();
    await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await client.end();
  }
}

async function timedLogin(url: string, username: string, password: string): Promise<number> {
  const started = performance.now();
  const response = await fetch(`${url}/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password }) });
  const ms = performance.now() - started;
  if (response.status !== 200) throw new Error(`login of ${username}: ${response.status} ${await response.text()}`);
  return ms;
}

const median = (samples: number[]) => summarize(samples).p50.toFixed(0);

async function bcryptLogins(): Promise<void> {
  const server = await startBenchServer();
  try {
    const users = await Promise.all(Array.from({ length: LOGINS }, async (_, i) => ({
      username: `imported${i}`, password: `old password ${i}`, password_hash: await hash(`old password ${i}`, 10),
    })));
    const admin = (await (await fetch(`${server.url}/auth/login`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: 'admin123' }),
    })).json()) as { access_token: string };
    await fetch(`${server.url}/admin/users/import`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${admin.access_token}` },
      body: JSON.stringify({ users: users.map(({ username, password_hash }) => ({ username, password_hash })) }),
    });
    const first: number[] = [];
    const next: number[] = [];
    for (const user of users) first.push(await timedLogin(server.url, user.username, user.password));
    for (const user of users) next.push(await timedLogin(server.url, user.username, user.password));
    console.log(`login of a user imported with bcrypt (cost 10), median of ${LOGINS}:`);
    console.log(`  first login (bcrypt check, then re-hash with argon2id): ${median(first)} ms`);
    console.log(`  after the re-hash (argon2id check):                    ${median(next)} ms`);
  } finally {
    await server.stop();
  }
}

async function lazyMigrationLogins(): Promise<void> {
  const secret = 'bench-old-app-secret-0123456789abcdef';
  const oldUsers = new Map<string, { role: string; email: string; passwordHash: string }>();
  for (let i = 0; i < LOGINS; i++) oldUsers.set(`legacy${i}`, { role: 'user', email: `legacy${i}@example.com`, passwordHash: await hash(`legacy password ${i}`, 10) });
  const example = resolve(import.meta.dirname, '../docs/examples/tessera-password-check.mjs');
  const { tesseraPasswordCheck } = (await import(example)) as {
    tesseraPasswordCheck: (o: { secret: string; findUser(u: string): Promise<unknown>; checkPassword(u: unknown, p: string): Promise<boolean> }) => express.Router;
  };
  const app = express();
  app.use(tesseraPasswordCheck({
    secret,
    findUser: async (username) => oldUsers.get(username),
    checkPassword: (user, password) => verify(password, (user as { passwordHash: string }).passwordHash),
  }));
  const oldApp = createServer(app);
  await new Promise<void>((r) => oldApp.listen(0, '127.0.0.1', r));
  const { port } = oldApp.address() as AddressInfo;
  const server = await startBenchServer({ LEGACY_AUTH_URL: `http://127.0.0.1:${port}/tessera/check-password`, LEGACY_AUTH_SECRET: secret });
  try {
    const first: number[] = [];
    const next: number[] = [];
    for (let i = 0; i < LOGINS; i++) first.push(await timedLogin(server.url, `legacy${i}`, `legacy password ${i}`));
    for (let i = 0; i < LOGINS; i++) next.push(await timedLogin(server.url, `legacy${i}`, `legacy password ${i}`));
    console.log(`lazy migration (old app: the Express example, bcrypt cost 10, same machine), median of ${LOGINS}:`);
    console.log(`  first login (old app asked, user created):  ${median(first)} ms`);
    console.log(`  next login (Tessera alone):                 ${median(next)} ms`);
    console.log(`  added by asking the old app:                ${(summarize(first).p50 - summarize(next).p50).toFixed(0)} ms`);
  } finally {
    await server.stop();
    oldApp.closeAllConnections();
    oldApp.close();
  }
}

const dir = mkdtempSync(join(tmpdir(), 'tessera-bench-import-'));
try {
  await importTimes(dir);
  await bcryptLogins();
  await lazyMigrationLogins();
} finally {
  rmSync(dir, { recursive: true, force: true });
}
