/**
 * CPU per refresh-token rotation: Tessera's hand-written SQL (the shared repositories) against the same
 * transaction written with Kysely's query builder, on SQLite and on PostgreSQL. The rotations run one
 * after another on one chain, so the figure is the CPU this process spends per rotation (building and
 * running the statements, the driver, the transaction), not the database's time.
 *
 *   (cd bench/kysely && npm install) && npx tsx bench/kysely/rotation.ts --rotations 3000 --rounds 5
 *   DATABASE_URL=postgres://postgres@127.0.0.1:5432/test npx tsx bench/kysely/rotation.ts   # PostgreSQL too
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteDialect, sql, type Transaction } from 'kysely';
import pg from 'pg';
import { PostgresStore } from '../../packages/server/src/store/postgres/postgres-store.js';
import { SqliteStore } from '../../packages/server/src/store/sqlite/sqlite-store.js';
import type { Store } from '../../packages/server/src/store/store.js';
import type { RotationRequest } from '../../packages/server/src/tokens/refresh-family.js';
import { decideRotation, successorNeeded } from '../../packages/server/src/tokens/rotation-rule.js';

const { values } = parseArgs({ options: { rotations: { type: 'string', default: '3000' }, rounds: { type: 'string', default: '5' } } });
const ROTATIONS = Number(values.rotations);
const ROUNDS = Number(values.rounds);

interface Tables {
  users: { id: string; username: string; role: string; password_hash: string; created_at: number; updated_at: number; disabled_at: number | null };
  refresh_families: {
    id: string; user_id: string; created_at: number; last_used_at: number; ip: string | null; user_agent: string | null;
    revoked_at: number | null; revoke_reason: string | null;
  };
  refresh_tokens: {
    id: string; family_id: string; user_id: string; token_hash: string; parent_id: string | null; issued_at: number;
    expires_at: number; rotated_at: number | null; successor_id: string | null;
  };
  access_tokens: { jti: string; user_id: string; family_id: string | null; expires_at: number };
}

let clock = Date.now();
function request(tokenHash: string): RotationRequest {
  clock += 1;
  return {
    tokenHash,
    now: clock,
    reuseIntervalMs: 0,
    next: { id: randomUUID(), tokenHash: randomUUID(), issuedAt: clock, expiresAt: clock + 3_600_000 },
    access: { jti: randomUUID(), expiresAt: clock + 900_000 },
    client: { ip: '127.0.0.1', userAgent: 'bench' },
  };
}

/** A user and a live family; resolves to the hash of its current token. */
async function seed(store: Store): Promise<string> {
  await store.migrate();
  const userId = randomUUID();
  await store.users.create({ id: userId, username: `bench-${userId}`, role: 'user', passwordHash: 'x', createdAt: clock });
  const tokenHash = randomUUID();
  await store.families.create({
    familyId: randomUUID(), userId, now: clock, client: { ip: null, userAgent: null },
    token: { id: randomUUID(), tokenHash, issuedAt: clock, expiresAt: clock + 3_600_000 },
    access: { jti: randomUUID(), expiresAt: clock + 900_000 },
  });
  return tokenHash;
}

/** The same transaction as `store/sql/families.ts`, through Kysely: load (and lock), decide, apply. */
async function rotateWithKysely(db: Kysely<Tables>, r: RotationRequest, lock: boolean): Promise<string> {
  return db.transaction().execute(async (trx: Transaction<Tables>) => {
    let query = trx
      .selectFrom('refresh_tokens as t')
      .innerJoin('refresh_families as f', 'f.id', 't.family_id')
      .leftJoin('users as u', 'u.id', 't.user_id')
      .select([
        't.id as t_id', 't.family_id', 't.user_id', 't.token_hash', 't.parent_id', 't.issued_at', 't.expires_at as t_expires_at',
        't.rotated_at', 't.successor_id', 'f.created_at as f_created_at', 'f.last_used_at', 'f.ip', 'f.user_agent',
        'f.revoked_at', 'f.revoke_reason', 'u.id as u_id', 'u.username', 'u.role', 'u.password_hash', 'u.created_at as u_created_at',
        'u.updated_at', 'u.disabled_at',
      ])
      .where('t.token_hash', '=', r.tokenHash);
    if (lock) query = query.modifyEnd(sql`FOR UPDATE OF t, f`);
    const row = await query.executeTakeFirst();
    const token = row && {
      id: row.t_id, familyId: row.family_id, userId: row.user_id, tokenHash: row.token_hash, parentId: row.parent_id,
      issuedAt: row.issued_at, expiresAt: row.t_expires_at, rotatedAt: row.rotated_at, successorId: row.successor_id,
    };
    const family = row && {
      id: row.family_id, userId: row.user_id, createdAt: row.f_created_at, lastUsedAt: row.last_used_at, ip: row.ip,
      userAgent: row.user_agent, revokedAt: row.revoked_at, revokeReason: row.revoke_reason,
    };
    const user = row?.u_id ? {
      id: row.u_id, username: row.username!, role: row.role!, passwordHash: row.password_hash!, createdAt: row.u_created_at!,
      updatedAt: row.updated_at!, disabledAt: row.disabled_at,
    } : null;
    if (token && successorNeeded(token, r)) throw new Error('the benchmark never replays');
    const decision = decideRotation({ token: token ?? null, family: family ?? null, user, successor: null }, r);
    if (decision.action !== 'rotate' || !token || !family || !user) throw new Error(`unexpected ${decision.action}`);
    await trx.updateTable('refresh_tokens').set({ rotated_at: r.now, successor_id: r.next.id }).where('id', '=', token.id).execute();
    await trx.insertInto('refresh_tokens').values({
      id: r.next.id, family_id: family.id, user_id: user.id, token_hash: r.next.tokenHash, parent_id: token.id,
      issued_at: r.next.issuedAt, expires_at: r.next.expiresAt,
    }).execute();
    await trx.insertInto('access_tokens').values({ jti: r.access.jti, user_id: user.id, family_id: family.id, expires_at: r.access.expiresAt }).execute();
    await trx.updateTable('refresh_families').set({ last_used_at: r.now, ip: r.client.ip, user_agent: r.client.userAgent })
      .where('id', '=', family.id).execute();
    return r.next.tokenHash;
  });
}

/** CPU microseconds per rotation over `ROTATIONS` rotations in a row. */
async function cpuPerRotation(rotate: (tokenHash: string) => Promise<string>, start: string): Promise<{ us: number; next: string }> {
  let hash = start;
  const before = process.cpuUsage();
  for (let i = 0; i < ROTATIONS; i += 1) hash = await rotate(hash);
  const used = process.cpuUsage(before);
  return { us: (used.user + used.system) / ROTATIONS, next: hash };
}

async function compare(label: string, store: Store, kysely: Kysely<Tables>, lock: boolean): Promise<void> {
  let own = await seed(store);
  let theirs = await seed(store);
  const handWritten = async (hash: string) => {
    const r = request(hash);
    const outcome = await store.families.rotate(r);
    if (outcome.status !== 'rotated') throw new Error(outcome.status);
    return r.next.tokenHash;
  };
  const builder = (hash: string) => rotateWithKysely(kysely, request(hash), lock);
  // Warm-up (JIT, statement caches), not counted.
  own = (await cpuPerRotation(handWritten, own)).next;
  theirs = (await cpuPerRotation(builder, theirs)).next;
  const figures = { hand: [] as number[], kysely: [] as number[] };
  for (let round = 0; round < ROUNDS; round += 1) {
    const a = await cpuPerRotation(handWritten, own);
    const b = await cpuPerRotation(builder, theirs);
    own = a.next;
    theirs = b.next;
    figures.hand.push(a.us);
    figures.kysely.push(b.us);
  }
  const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;
  const show = (xs: number[]) => `${xs.map((x) => x.toFixed(0)).join(', ')} µs (median ${median(xs).toFixed(0)})`;
  console.log(`${label}: ${ROTATIONS} rotations a round, ${ROUNDS} alternating rounds, CPU of this process per rotation`);
  console.log(`  hand-written SQL: ${show(figures.hand)}`);
  console.log(`  Kysely:           ${show(figures.kysely)}`);
  console.log(`  Kysely / hand-written: ${(median(figures.kysely) / median(figures.hand)).toFixed(2)}`);
}

const dir = mkdtempSync(join(tmpdir(), 'tessera-kysely-'));
try {
  const path = join(dir, 'tessera.db');
  const store = new SqliteStore(path);
  const kysely = new Kysely<Tables>({ dialect: new SqliteDialect({ database: new Database(path, { timeout: 5000 }) }) });
  await compare('SQLite', store, kysely, false);
  await kysely.destroy();
  await store.close();
} finally {
  rmSync(dir, { recursive: true, force: true });
}

if (process.env.DATABASE_URL?.startsWith('postgres')) {
  const schema = `kysely_bench_${process.pid}`;
  const store = new PostgresStore(process.env.DATABASE_URL, { schema });
  const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, options: `-c search_path=${schema}`, max: 10 });
  pg.types.setTypeParser(20, Number);
  const kysely = new Kysely<Tables>({ dialect: new PostgresDialect({ pool }) });
  try {
    await compare('PostgreSQL', store, kysely, true);
  } finally {
    await kysely.destroy();
    const admin = new pg.Client({ connectionString: process.env.DATABASE_URL });
    await admin.connect();
    await admin.query(`DROP SCHEMA ${schema} CASCADE`);
    await admin.end();
    await store.close();
  }
}
