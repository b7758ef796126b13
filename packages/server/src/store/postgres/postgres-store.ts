import pg from 'pg';
import { CredentialsChangedError, StoreUnavailableError, TesseraError } from '../../errors.js';
import { auditColumns, auditFilter } from '../audit-filter.js';
import type {
  AuditEventRecord,
  AuditQuery,
  EndedCredentials,
  FamilyRecord,
  LegacyUsageCount,
  LegacyUsageRecord,
  NewAuditEvent,
  NewFamily,
  NewRefreshToken,
  NewSession,
  NewUser,
  Page,
  PublicUser,
  RefreshTokenRecord,
  RevocationBatch,
  RevokedAccessToken,
  RolloutOverride,
  RotationOutcome,
  RotationRequest,
  SessionLookup,
  SessionRecord,
  SigningKeyRecord,
  Store,
  UserPage,
  UserImportBatch,
  UserImportWritten,
  UserPatch,
  UserRecord,
  ValidAfterBatch,
  ValidAfterMove,
} from '../store.js';
import { isConnectionFailure } from './connection-failure.js';
import { POSTGRES_MIGRATIONS } from './migrations.js';
import { familyTooOld, mayReplay, withinReuseInterval } from '../reuse-interval.js';

const USER_COLUMNS = `id, username, role, password_hash AS "passwordHash", email, created_at AS "createdAt",
  updated_at AS "updatedAt", disabled_at AS "disabledAt"`;
const PUBLIC_USER_COLUMNS = `id, username, role, email, created_at AS "createdAt", updated_at AS "updatedAt",
  disabled_at AS "disabledAt"`;
const KEY_COLUMNS = `kid, use, alg, public_jwk AS "publicJwk", sealed_key AS "sealedKey", created_at AS "createdAt",
  rotated_out_at AS "rotatedOutAt", expires_at AS "expiresAt"`;
const FAMILY_COLUMNS = `id, user_id AS "userId", created_at AS "createdAt", last_used_at AS "lastUsedAt", ip,
  user_agent AS "userAgent", revoked_at AS "revokedAt", revoke_reason AS "revokeReason"`;
const TOKEN_COLUMNS = `id, family_id AS "familyId", user_id AS "userId", token_hash AS "tokenHash",
  parent_id AS "parentId", issued_at AS "issuedAt", expires_at AS "expiresAt", rotated_at AS "rotatedAt",
  successor_id AS "successorId"`;
const sessionColumns = (t = '') => `${t}id, ${t}user_id AS "userId", ${t}created_at AS "createdAt",
  ${t}last_seen_at AS "lastSeenAt", ${t}expires_at AS "expiresAt", ${t}ended_at AS "endedAt", ${t}ip,
  ${t}user_agent AS "userAgent"`;
const SESSION_COLUMNS = sessionColumns();
const ACCESS_COLUMNS = `jti, user_id AS "userId", expires_at AS "expiresAt"`;

/** Lower-case identifiers only, so the name means the same unquoted in search_path and quoted in DDL. */
export const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

const INT8_OID = 20;
/** Timestamps (ms) and sequence numbers are BIGINT; all stay far below 2^53, so they are read as numbers. */
const TYPES: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8_OID && format !== 'binary' ? Number : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
};

type Queryable = pg.Pool | pg.PoolClient;

export interface PostgresStoreOptions {
  /** Every connection uses this schema (created by `migrate()` if missing) instead of the server's search_path. */
  schema?: string;
  poolSize?: number;
  /**
   * A query with no answer after this long fails as unavailable (503): a database behind a network
   * partition answers nothing, and without it requests would wait for TCP to give up. Migrations and
   * pruning are exempt (they run on a connection of their own and may be slow on a large database).
   */
  queryTimeoutMs?: number;
  /** Longest wait to open a connection (default 2000 ms). */
  connectTimeoutMs?: number;
  /** An unused pooled connection is closed after this long (pg's default, 10000 ms; 0 = never). */
  idleTimeoutMs?: number;
}

/** The store for fleets: one PostgreSQL database shared by every instance, through a connection pool. */
export class PostgresStore implements Store {
  readonly kind = 'postgres' as const;
  private readonly pool: pg.Pool;
  /** Connections without the query timeout, for migrations and pruning. */
  private readonly maintenance: pg.Pool;
  private readonly schema: string | undefined;
  private closed = false;

  constructor(url: string, options: PostgresStoreOptions = {}) {
    if (options.schema !== undefined && !SCHEMA_NAME.test(options.schema)) {
      throw new RangeError(`schema must be a lower-case SQL identifier (got ${JSON.stringify(options.schema)})`);
    }
    this.schema = options.schema;
    const settings: pg.PoolConfig = {
      connectionString: url,
      // A dead database must fail a request quickly (503), not hold it until the client gives up.
      connectionTimeoutMillis: options.connectTimeoutMs ?? 2000,
      idleTimeoutMillis: options.idleTimeoutMs ?? 10_000,
      types: TYPES,
      ...(this.schema ? { options: `-c search_path=${this.schema}` } : {}),
    };
    this.pool = new pg.Pool({ ...settings, max: options.poolSize ?? 10, query_timeout: options.queryTimeoutMs ?? 5000 });
    this.maintenance = new pg.Pool({ ...settings, max: 2 });
    // An idle connection the server drops is discarded by the pool; the next query opens a new one or
    // fails with StoreUnavailableError. Without a listener the 'error' event would end the process.
    this.pool.on('error', () => undefined);
    this.maintenance.on('error', () => undefined);
  }

  async migrate(): Promise<void> {
    await this.transaction(async (db) => {
      // Instances starting together queue here; each then applies only what the previous one has not.
      await db.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`tessera.migrate:${this.schema ?? ''}`]);
      await this.createSchemaIfMissing(db);
      await db.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
        version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)`);
      const applied = new Set(
        (await rows<{ version: number }>(db, 'SELECT version FROM schema_migrations')).map((r) => r.version),
      );
      for (const migration of POSTGRES_MIGRATIONS) {
        if (applied.has(migration.version)) continue;
        await db.query(migration.sql);
        await db.query('INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)', [
          migration.version,
          migration.name,
          Date.now(),
        ]);
      }
    }, this.maintenance);
  }

  async pendingMigrations(): Promise<number> {
    const [table] = await this.query<{ found: string | null }>("SELECT to_regclass('schema_migrations')::text AS found");
    if (!table?.found) return POSTGRES_MIGRATIONS.length;
    const applied = new Set((await this.query<{ version: number }>('SELECT version FROM schema_migrations')).map((r) => r.version));
    return POSTGRES_MIGRATIONS.filter((m) => !applied.has(m.version)).length;
  }

  async ping(): Promise<void> {
    await this.query('SELECT 1');
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([this.pool.end(), this.maintenance.end()]);
  }

  // ---- users -------------------------------------------------------------------------------

  async createUser(user: NewUser): Promise<UserRecord> {
    try {
      return (await this.one<UserRecord>(
        `INSERT INTO users (id, username, role, password_hash, email, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING ${USER_COLUMNS}`,
        [user.id, user.username, user.role, user.passwordHash, user.email ?? null, user.createdAt],
      ))!;
    } catch (error) {
      if (isUniqueViolation(error, 'users_username_key')) {
        throw new TesseraError('conflict', `A user named "${user.username}" already exists`);
      }
      throw error;
    }
  }

  async findUserById(id: string): Promise<UserRecord | null> {
    return this.one<UserRecord>(`SELECT ${USER_COLUMNS} FROM users WHERE id = $1`, [id]);
  }

  async findUserByUsername(username: string): Promise<UserRecord | null> {
    return this.one<UserRecord>(`SELECT ${USER_COLUMNS} FROM users WHERE username = $1`, [username]);
  }

  async listUsers(page: Page): Promise<UserPage> {
    const users = await this.query<PublicUser>(
      `SELECT ${PUBLIC_USER_COLUMNS} FROM users ORDER BY created_at, id COLLATE "C" LIMIT $1 OFFSET $2`,
      [page.limit, page.offset],
    );
    return { users, total: await this.countUsers() };
  }

  async updateUser(id: string, patch: UserPatch, now: number): Promise<UserRecord | null> {
    const columns: Record<keyof UserPatch, string> = { role: 'role', passwordHash: 'password_hash', disabledAt: 'disabled_at' };
    const changed = (Object.keys(columns) as Array<keyof UserPatch>).filter((field) => patch[field] !== undefined);
    const values = [...changed.map((field) => patch[field]), now, id];
    const sets = [...changed.map((field, i) => `${columns[field]} = $${i + 1}`), `updated_at = $${changed.length + 1}`];
    return this.one<UserRecord>(
      `UPDATE users SET ${sets.join(', ')} WHERE id = $${changed.length + 2} RETURNING ${USER_COLUMNS}`,
      values,
    );
  }

  async countUsers(): Promise<number> {
    const [row] = await this.query<{ count: number }>('SELECT COUNT(*) AS count FROM users');
    return row!.count;
  }

  async findUsersByUsernames(usernames: readonly string[]): Promise<UserRecord[]> {
    return this.query<UserRecord>(`SELECT ${USER_COLUMNS} FROM users WHERE username = ANY($1::text[])`, [usernames]);
  }

  /** Two statements per batch whatever its size: the rows travel as arrays and are unnested in the database. */
  async importUsers(batch: UserImportBatch, now: number): Promise<UserImportWritten> {
    const { create, update } = batch;
    return this.transaction(async (db) => {
      const inserted = await db.query(
        `INSERT INTO users (id, username, role, password_hash, email, created_at, updated_at)
         SELECT id, username, role, hash, email, created, created
           FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::bigint[])
             AS v(id, username, role, hash, email, created)
         ON CONFLICT (username) DO NOTHING`,
        [create.map((u) => u.id), create.map((u) => u.username), create.map((u) => u.role),
          create.map((u) => u.passwordHash), create.map((u) => u.email ?? null), create.map((u) => u.createdAt)],
      );
      const updated = await db.query(
        `UPDATE users SET role = v.role, email = v.email, password_hash = v.hash, updated_at = $6
           FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[]) AS v(id, role, email, hash, expected)
          WHERE users.id = v.id AND users.password_hash = v.expected`,
        [update.map((u) => u.id), update.map((u) => u.role), update.map((u) => u.email), update.map((u) => u.passwordHash),
          update.map((u) => u.expectedPasswordHash), now],
      );
      return { created: inserted.rowCount ?? 0, updated: updated.rowCount ?? 0 };
    });
  }

  // ---- signing keys ------------------------------------------------------------------------

  async listSigningKeys(): Promise<SigningKeyRecord[]> {
    return this.query<SigningKeyRecord>(`SELECT ${KEY_COLUMNS} FROM signing_keys ORDER BY created_at`);
  }

  async insertSigningKeyIfNoneActive(key: SigningKeyRecord): Promise<SigningKeyRecord> {
    return this.transaction(async (db) => {
      await lockSigningKeys(db);
      const active = await activeKey(db, key.use);
      if (active) return active;
      await insertKey(db, key);
      return (await activeKey(db, key.use))!;
    });
  }

  async rotateSigningKey(key: SigningKeyRecord, previousExpiresAt: number): Promise<void> {
    await this.transaction(async (db) => {
      await lockSigningKeys(db);
      await db.query(
        'UPDATE signing_keys SET rotated_out_at = $1, expires_at = $2 WHERE use = $3 AND rotated_out_at IS NULL',
        [key.createdAt, previousExpiresAt, key.use],
      );
      await insertKey(db, key);
    });
  }

  async updateSealedKey(kid: string, sealedKey: string): Promise<void> {
    await this.query('UPDATE signing_keys SET sealed_key = $1 WHERE kid = $2', [sealedKey, kid]);
  }

  // ---- refresh families --------------------------------------------------------------------

  async createFamily(input: NewFamily): Promise<FamilyRecord> {
    return this.transaction(async (db) => {
      await refuseIfOutdated(db, input.userId, input.authenticatedAt);
      const family = await one<FamilyRecord>(
        db,
        `INSERT INTO refresh_families (id, user_id, created_at, last_used_at, ip, user_agent)
         VALUES ($1, $2, $3, $3, $4, $5) RETURNING ${FAMILY_COLUMNS}`,
        [input.familyId, input.userId, input.now, input.client.ip, input.client.userAgent],
      );
      await insertToken(db, input.familyId, input.userId, null, input.token);
      await insertAccess(db, input.access.jti, input.userId, input.familyId, input.access.expiresAt);
      return family!;
    });
  }

  async rotateRefreshToken(request: RotationRequest): Promise<RotationOutcome> {
    return this.transaction(async (db): Promise<RotationOutcome> => {
      // Of concurrent presentations of one token, the row lock lets one decide at a time; the others
      // then see it rotated.
      const token = await one<RefreshTokenRecord>(
        db,
        `SELECT ${TOKEN_COLUMNS} FROM refresh_tokens WHERE token_hash = $1 FOR UPDATE`,
        [request.tokenHash],
      );
      if (!token) return { status: 'unknown' };
      const family = (await one<FamilyRecord>(
        db,
        `SELECT ${FAMILY_COLUMNS} FROM refresh_families WHERE id = $1 FOR UPDATE`,
        [token.familyId],
      ))!;
      if (family.revokedAt !== null) return { status: 'revoked' };
      if (token.expiresAt <= request.now || familyTooOld(family, request)) return { status: 'expired' };
      const user = await one<UserRecord>(db, `SELECT ${USER_COLUMNS} FROM users WHERE id = $1`, [token.userId]);
      if (!user || user.disabledAt !== null) {
        return { status: 'user_disabled', revoked: await revokeFamilyIn(db, family.id, 'user_disabled', request.now) };
      }
      if (token.rotatedAt !== null) {
        const successor =
          withinReuseInterval(token.rotatedAt, request) && token.successorId !== null
            ? await one<RefreshTokenRecord>(db, `SELECT ${TOKEN_COLUMNS} FROM refresh_tokens WHERE id = $1`, [token.successorId])
            : null;
        if (mayReplay(successor)) {
          await insertAccess(db, request.access.jti, user.id, family.id, request.access.expiresAt);
          return { status: 'successor', user, family, successor };
        }
        const revoked = await revokeFamilyIn(db, family.id, 'reuse_detected', request.now);
        return { status: 'reused', family: (await findFamily(db, family.id))!, revoked };
      }
      await db.query('UPDATE refresh_tokens SET rotated_at = $1, successor_id = $2 WHERE id = $3', [
        request.now,
        request.next.id,
        token.id,
      ]);
      const next = await insertToken(db, family.id, user.id, token.id, request.next);
      await insertAccess(db, request.access.jti, user.id, family.id, request.access.expiresAt);
      const updated = await one<FamilyRecord>(
        db,
        `UPDATE refresh_families SET last_used_at = $1, ip = $2, user_agent = $3 WHERE id = $4 RETURNING ${FAMILY_COLUMNS}`,
        [request.now, request.client.ip, request.client.userAgent, family.id],
      );
      return { status: 'rotated', user, family: updated!, token: next };
    });
  }

  async findRefreshToken(tokenHash: string): Promise<RefreshTokenRecord | null> {
    return this.one<RefreshTokenRecord>(`SELECT ${TOKEN_COLUMNS} FROM refresh_tokens WHERE token_hash = $1`, [tokenHash]);
  }

  async findFamilyByAccessToken(jti: string): Promise<FamilyRecord | null> {
    return this.one<FamilyRecord>(
      `SELECT ${FAMILY_COLUMNS} FROM refresh_families WHERE id = (SELECT family_id FROM access_tokens WHERE jti = $1)`,
      [jti],
    );
  }

  async revokeFamily(familyId: string, reason: string, now: number): Promise<RevokedAccessToken[]> {
    return this.transaction((db) => revokeFamilyIn(db, familyId, reason, now));
  }

  async revokeUserTokens(userId: string, reason: string, now: number): Promise<RevokedAccessToken[]> {
    return this.transaction(async (db) => {
      // Locked in one order, so two sign-outs of the same user cannot deadlock.
      await db.query('SELECT id FROM refresh_families WHERE user_id = $1 ORDER BY id FOR UPDATE', [userId]);
      await db.query(
        'UPDATE refresh_families SET revoked_at = $1, revoke_reason = $2 WHERE user_id = $3 AND revoked_at IS NULL',
        [now, reason, userId],
      );
      return revokeLiveAccessTokens(db, userId, now);
    });
  }

  async revokeAccessTokens(entries: RevokedAccessToken[], now: number): Promise<void> {
    await this.transaction((db) => recordRevocations(db, entries, now));
  }

  async isAccessTokenRevoked(jti: string): Promise<boolean> {
    return (await this.query('SELECT 1 FROM revoked_access_tokens WHERE jti = $1', [jti])).length > 0;
  }

  async revocationsSince(cursor: number, now: number): Promise<RevocationBatch> {
    const found = await this.query<RevokedAccessToken & { seq: number }>(
      `SELECT seq, ${ACCESS_COLUMNS} FROM revoked_access_tokens WHERE seq > $1 ORDER BY seq`,
      [cursor],
    );
    const last = found.at(-1);
    return {
      entries: found.filter((r) => r.expiresAt > now).map(({ jti, userId, expiresAt }) => ({ jti, userId, expiresAt })),
      cursor: last ? last.seq : cursor,
    };
  }

  async listFamilies(userId: string, now: number): Promise<FamilyRecord[]> {
    return this.query<FamilyRecord>(
      `SELECT ${FAMILY_COLUMNS} FROM refresh_families f WHERE user_id = $1 AND revoked_at IS NULL
       AND EXISTS (SELECT 1 FROM refresh_tokens t WHERE t.family_id = f.id AND t.rotated_at IS NULL AND t.expires_at > $2)
       ORDER BY last_used_at DESC`,
      [userId, now],
    );
  }

  async findFamily(familyId: string): Promise<FamilyRecord | null> {
    return this.one<FamilyRecord>(`SELECT ${FAMILY_COLUMNS} FROM refresh_families WHERE id = $1`, [familyId]);
  }

  async countActiveFamilies(now: number): Promise<number> {
    const [row] = await this.query<{ count: number }>(
      `SELECT COUNT(*) AS count FROM refresh_families f WHERE revoked_at IS NULL
       AND EXISTS (SELECT 1 FROM refresh_tokens t WHERE t.family_id = f.id AND t.rotated_at IS NULL AND t.expires_at > $1)`,
      [now],
    );
    return row!.count;
  }

  async revokeUserAccessTokens(userId: string, now: number): Promise<RevokedAccessToken[]> {
    return this.transaction(async (db) => {
      return revokeLiveAccessTokens(db, userId, now);
    });
  }

  async endUserCredentials(userId: string, reason: string, now: number): Promise<EndedCredentials> {
    return this.transaction(async (db) => {
      // The user row is the lock a login racing this takes too (refuseIfOutdated): one waits for the other.
      await db.query('SELECT id FROM users WHERE id = $1 FOR UPDATE', [userId]);
      await recordMove(db, { scope: 'user', subject: userId, at: now });
      await db.query('SELECT id FROM refresh_families WHERE user_id = $1 ORDER BY id FOR UPDATE', [userId]);
      const families = await db.query(
        'UPDATE refresh_families SET revoked_at = $1, revoke_reason = $2 WHERE user_id = $3 AND revoked_at IS NULL',
        [now, reason, userId],
      );
      const accessTokens = await revokeLiveAccessTokens(db, userId, now);
      const sessions = await db.query(
        'UPDATE sessions SET ended_at = $1 WHERE user_id = $2 AND ended_at IS NULL AND expires_at > $1',
        [now, userId],
      );
      return { families: families.rowCount ?? 0, accessTokens, sessions: sessions.rowCount ?? 0 };
    });
  }

  async endAllCredentials(reason: string, now: number): Promise<EndedCredentials> {
    return this.transaction(async (db) => {
      await recordMove(db, { scope: 'all', subject: '', at: now });
      const families = await db.query(
        'UPDATE refresh_families SET revoked_at = $1, revoke_reason = $2 WHERE revoked_at IS NULL',
        [now, reason],
      );
      const accessTokens = await rows<RevokedAccessToken>(
        db,
        `SELECT ${ACCESS_COLUMNS} FROM access_tokens WHERE expires_at > $1
         AND NOT EXISTS (SELECT 1 FROM revoked_access_tokens r WHERE r.jti = access_tokens.jti)`,
        [now],
      );
      await recordRevocations(db, accessTokens, now);
      const sessions = await db.query('UPDATE sessions SET ended_at = $1 WHERE ended_at IS NULL AND expires_at > $1', [now]);
      return { families: families.rowCount ?? 0, accessTokens, sessions: sessions.rowCount ?? 0 };
    });
  }

  async revokeSigningKey(kid: string, now: number): Promise<boolean> {
    return this.transaction(async (db) => {
      await lockSigningKeys(db);
      const changed = await db.query(
        'UPDATE signing_keys SET rotated_out_at = COALESCE(rotated_out_at, $1), expires_at = $1 WHERE kid = $2',
        [now, kid],
      );
      if (!changed.rowCount) return false;
      await recordMove(db, { scope: 'key', subject: kid, at: now });
      return true;
    });
  }

  async validAfterSince(cursor: number): Promise<ValidAfterBatch> {
    const found = await this.query<ValidAfterMove & { seq: number }>(
      'SELECT seq, scope, subject, at FROM valid_after_moves WHERE seq > $1 ORDER BY seq',
      [cursor],
    );
    return { moves: found.map(({ scope, subject, at }) => ({ scope, subject, at })), cursor: found.at(-1)?.seq ?? cursor };
  }

  async pruneExpired(now: number): Promise<void> {
    await this.transaction(async (db) => {
      await db.query('DELETE FROM refresh_tokens WHERE expires_at <= $1', [now]);
      await db.query(
        'DELETE FROM refresh_families f WHERE NOT EXISTS (SELECT 1 FROM refresh_tokens t WHERE t.family_id = f.id)',
      );
      await db.query('DELETE FROM access_tokens WHERE expires_at <= $1', [now]);
      await db.query('DELETE FROM sessions WHERE expires_at <= $1 OR ended_at IS NOT NULL', [now]);
      await db.query('DELETE FROM revoked_access_tokens WHERE expires_at <= $1', [now]);
      await db.query('DELETE FROM signing_keys WHERE expires_at IS NOT NULL AND expires_at <= $1', [now]);
    }, this.maintenance);
  }

  // ---- audit trail -------------------------------------------------------------------------

  async appendAuditEvents(events: NewAuditEvent[]): Promise<void> {
    if (events.length === 0) return;
    const columns = ['at', 'type', 'user_id', 'actor', 'ip', 'user_agent', 'detail'];
    const values = events.map((_, i) => `(${columns.map((__, j) => `$${i * columns.length + j + 1}`).join(', ')})`);
    const params = events.flatMap((e) => [e.at, e.type, e.userId, e.actor, e.ip, e.userAgent, e.detail]);
    await this.query(`INSERT INTO audit_events (${columns.join(', ')}) VALUES ${values.join(', ')}`, params);
  }

  async queryAuditEvents(query: AuditQuery): Promise<AuditEventRecord[]> {
    const { where, params } = auditFilter(query, (n) => `$${n}`);
    return this.query<AuditEventRecord>(
      `SELECT ${auditColumns((name) => `"${name}"`)} FROM audit_events ${where} ORDER BY id DESC LIMIT $${params.length + 1}`,
      [...params, query.limit],
    );
  }

  async pruneAuditEvents(before: number): Promise<number> {
    const deleted = await this.query<{ id: number }>('DELETE FROM audit_events WHERE at < $1 RETURNING id', [before], this.maintenance);
    return deleted.length;
  }

  // ---- legacy sessions ---------------------------------------------------------------------

  async createSession(session: NewSession): Promise<SessionRecord> {
    return this.transaction(async (db) => {
      await refuseIfOutdated(db, session.userId, session.authenticatedAt);
      return (await one<SessionRecord>(
        db,
        `INSERT INTO sessions (id, user_id, created_at, last_seen_at, expires_at, ip, user_agent)
         VALUES ($1, $2, $3, $3, $4, $5, $6) RETURNING ${SESSION_COLUMNS}`,
        [session.id, session.userId, session.createdAt, session.expiresAt, session.ip, session.userAgent],
      ))!;
    });
  }

  async findSession(id: string): Promise<SessionLookup | null> {
    // One round trip: the session and its user are read together on every session-authenticated request.
    const row = await this.one<SessionRecord & { user: PublicUser }>(
      `SELECT ${sessionColumns('s.')},
         json_build_object('id', u.id, 'username', u.username, 'role', u.role, 'email', u.email, 'createdAt', u.created_at,
           'updatedAt', u.updated_at, 'disabledAt', u.disabled_at) AS "user"
       FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.id = $1`,
      [id],
    );
    if (!row) return null;
    const { user, ...session } = row;
    return { session, user };
  }

  async touchSession(id: string, now: number): Promise<void> {
    await this.query('UPDATE sessions SET last_seen_at = $1 WHERE id = $2 AND ended_at IS NULL AND last_seen_at < $1', [now, id]);
  }

  async endSession(id: string, now: number): Promise<SessionRecord | null> {
    return this.one<SessionRecord>(
      `UPDATE sessions SET ended_at = $1 WHERE id = $2 AND ended_at IS NULL RETURNING ${SESSION_COLUMNS}`,
      [now, id],
    );
  }

  // ---- settings and the JWT rollout ----------------------------------------------------------

  async readSetting(key: string): Promise<string | null> {
    const row = await this.one<{ value: string }>('SELECT value FROM settings WHERE key = $1', [key]);
    return row?.value ?? null;
  }

  async writeSetting(key: string, value: string, now: number): Promise<void> {
    await this.query(
      `INSERT INTO settings (key, value, updated_at) VALUES ($1, $2, $3)
       ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
      [key, value, now],
    );
  }

  async deleteSetting(key: string): Promise<void> {
    await this.query('DELETE FROM settings WHERE key = $1', [key]);
  }

  async listRolloutOverrides(): Promise<RolloutOverride[]> {
    return this.query<RolloutOverride>(
      `SELECT o.user_id AS "userId", u.username, o.enabled, o.updated_at AS "updatedAt"
       FROM rollout_overrides o JOIN users u ON u.id = o.user_id ORDER BY u.username COLLATE "C"`,
    );
  }

  async setRolloutOverride(userId: string, enabled: boolean | null, now: number): Promise<void> {
    if (enabled === null) {
      await this.query('DELETE FROM rollout_overrides WHERE user_id = $1', [userId]);
      return;
    }
    await this.query(
      `INSERT INTO rollout_overrides (user_id, enabled, updated_at) VALUES ($1, $2, $3)
       ON CONFLICT (user_id) DO UPDATE SET enabled = excluded.enabled, updated_at = excluded.updated_at`,
      [userId, enabled, now],
    );
  }

  // ---- legacy usage ------------------------------------------------------------------------

  async addLegacyUsage(counts: LegacyUsageCount[]): Promise<void> {
    if (counts.length === 0) return;
    // Grouped first: one statement may not update the same row twice.
    await this.query(
      `INSERT INTO legacy_usage (user_id, user_agent, first_seen, last_seen, request_count)
       SELECT user_id, user_agent, MIN(first_seen), MAX(last_seen), SUM(request_count)
       FROM unnest($1::text[], $2::text[], $3::bigint[], $4::bigint[], $5::bigint[])
         AS c (user_id, user_agent, first_seen, last_seen, request_count)
       GROUP BY user_id, user_agent
       ON CONFLICT (user_id, user_agent) DO UPDATE SET
         first_seen = LEAST(legacy_usage.first_seen, excluded.first_seen),
         last_seen = GREATEST(legacy_usage.last_seen, excluded.last_seen),
         request_count = legacy_usage.request_count + excluded.request_count`,
      [
        counts.map((c) => c.userId),
        counts.map((c) => c.userAgent),
        counts.map((c) => c.firstSeen),
        counts.map((c) => c.lastSeen),
        counts.map((c) => c.requestCount),
      ],
    );
  }

  async listLegacyUsage(since: number): Promise<LegacyUsageRecord[]> {
    return this.query<LegacyUsageRecord>(
      `SELECT l.user_id AS "userId", u.username, l.user_agent AS "userAgent", l.first_seen AS "firstSeen",
         l.last_seen AS "lastSeen", l.request_count AS "requestCount"
       FROM legacy_usage l LEFT JOIN users u ON u.id = l.user_id
       WHERE l.last_seen >= $1 ORDER BY l.last_seen DESC, l.user_id COLLATE "C", l.user_agent COLLATE "C"`,
      [since],
    );
  }

  // ---- internals ---------------------------------------------------------------------------

  private async query<T>(sql: string, params: unknown[] = [], pool = this.pool): Promise<T[]> {
    try {
      return await rows<T>(pool, sql, params);
    } catch (error) {
      throw unavailableOr(error);
    }
  }

  private async one<T>(sql: string, params: unknown[] = []): Promise<T | null> {
    return (await this.query<T>(sql, params))[0] ?? null;
  }

  /** Runs `work` in one transaction on one connection: committed if it returns, rolled back if it throws. */
  private async transaction<T>(work: (db: pg.PoolClient) => Promise<T>, pool = this.pool): Promise<T> {
    let client: pg.PoolClient;
    try {
      client = await pool.connect();
    } catch (error) {
      throw unavailableOr(error);
    }
    // A checked-out client has no listener of its own; a connection lost between two statements
    // would otherwise emit an unhandled 'error'. The next statement fails and reports it.
    const ignore = () => undefined;
    client.on('error', ignore);
    let discard = false;
    try {
      await client.query('BEGIN');
      const result = await work(client);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      // A connection that failed (or stopped answering) is dropped, not asked to roll back.
      discard = isConnectionFailure(error) || !(await client.query('ROLLBACK').then(() => true, () => false));
      throw unavailableOr(error);
    } finally {
      client.off('error', ignore);
      client.release(discard);
    }
  }

  private async createSchemaIfMissing(db: pg.PoolClient): Promise<void> {
    if (this.schema === undefined) return;
    // Checked first: CREATE SCHEMA IF NOT EXISTS needs the CREATE privilege even when the schema exists.
    const [exists] = await rows(db, 'SELECT 1 FROM pg_namespace WHERE nspname = $1', [this.schema]);
    if (!exists) await db.query(`CREATE SCHEMA ${pg.escapeIdentifier(this.schema)}`);
  }
}

async function rows<T>(db: Queryable, sql: string, params: unknown[] = []): Promise<T[]> {
  const result = await db.query(sql, params);
  return result.rows as T[];
}

async function one<T>(db: Queryable, sql: string, params: unknown[] = []): Promise<T | null> {
  return (await rows<T>(db, sql, params))[0] ?? null;
}

/** 0 turns the grace off: without it a racer in the same millisecond would be handed the successor. */
/** Signing-key changes are rare; serialising them keeps "one active key per use" a plain check-then-act. */
async function lockSigningKeys(db: pg.PoolClient): Promise<void> {
  await db.query('LOCK TABLE signing_keys IN EXCLUSIVE MODE');
}

function activeKey(db: pg.PoolClient, use: string): Promise<SigningKeyRecord | null> {
  return one<SigningKeyRecord>(db, `SELECT ${KEY_COLUMNS} FROM signing_keys WHERE use = $1 AND rotated_out_at IS NULL`, [use]);
}

async function insertKey(db: pg.PoolClient, key: SigningKeyRecord): Promise<void> {
  await db.query(
    `INSERT INTO signing_keys (kid, use, alg, public_jwk, sealed_key, created_at, rotated_out_at, expires_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
    [key.kid, key.use, key.alg, key.publicJwk, key.sealedKey, key.createdAt, key.rotatedOutAt, key.expiresAt],
  );
}

function findFamily(db: pg.PoolClient, id: string): Promise<FamilyRecord | null> {
  return one<FamilyRecord>(db, `SELECT ${FAMILY_COLUMNS} FROM refresh_families WHERE id = $1`, [id]);
}

async function insertToken(
  db: pg.PoolClient,
  familyId: string,
  userId: string,
  parentId: string | null,
  token: NewRefreshToken,
): Promise<RefreshTokenRecord> {
  return (await one<RefreshTokenRecord>(
    db,
    `INSERT INTO refresh_tokens (id, family_id, user_id, token_hash, parent_id, issued_at, expires_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING ${TOKEN_COLUMNS}`,
    [token.id, familyId, userId, token.tokenHash, parentId, token.issuedAt, token.expiresAt],
  ))!;
}

async function insertAccess(db: pg.PoolClient, jti: string, userId: string, familyId: string | null, expiresAt: number) {
  await db.query('INSERT INTO access_tokens (jti, user_id, family_id, expires_at) VALUES ($1, $2, $3, $4)', [
    jti,
    userId,
    familyId,
    expiresAt,
  ]);
}

async function revokeFamilyIn(db: pg.PoolClient, familyId: string, reason: string, now: number): Promise<RevokedAccessToken[]> {
  await db.query(
    'UPDATE refresh_families SET revoked_at = $1, revoke_reason = $2 WHERE id = $3 AND revoked_at IS NULL',
    [now, reason, familyId],
  );
  const access = await rows<RevokedAccessToken>(
    db,
    `SELECT ${ACCESS_COLUMNS} FROM access_tokens WHERE family_id = $1 AND expires_at > $2`,
    [familyId, now],
  );
  await recordRevocations(db, access, now);
  return access;
}

/**
 * Appends to the revocation feed. Writers take turns (readers are not blocked) so that sequence numbers
 * become visible in order: otherwise a reader could see seq 8 committed before seq 7 and move its cursor
 * past a revocation it never saw.
 */
async function recordRevocations(db: pg.PoolClient, entries: RevokedAccessToken[], now: number): Promise<void> {
  if (entries.length === 0) return;
  await db.query('LOCK TABLE revoked_access_tokens IN EXCLUSIVE MODE');
  await db.query(
    `INSERT INTO revoked_access_tokens (jti, user_id, expires_at, revoked_at)
     SELECT jti, user_id, expires_at, $4 FROM unnest($1::text[], $2::text[], $3::bigint[]) AS e (jti, user_id, expires_at)
     ON CONFLICT (jti) DO NOTHING`,
    [entries.map((e) => e.jti), entries.map((e) => e.userId), entries.map((e) => e.expiresAt), now],
  );
}

/**
 * Appends a valid-after move. Writers take turns, as for revocations, so that a reader's cursor never
 * passes a move committed later with a smaller sequence number.
 */
async function recordMove(db: pg.PoolClient, move: ValidAfterMove): Promise<void> {
  await db.query('LOCK TABLE valid_after_moves IN EXCLUSIVE MODE');
  await db.query('INSERT INTO valid_after_moves (scope, subject, at) VALUES ($1, $2, $3)', [move.scope, move.subject, move.at]);
}

/**
 * Refuses to create a credential proven before the user's valid-after. The share lock on the user row
 * waits for a concurrent `endUserCredentials` (which holds it for update) and makes it wait for us; the
 * row-share lock on the moves does the same with `endAllCredentials`, which locks no user row (locks are
 * taken in the same order as those writers take theirs, so none can deadlock).
 */
async function refuseIfOutdated(db: pg.PoolClient, userId: string, authenticatedAt: number | undefined): Promise<void> {
  if (authenticatedAt === undefined) return;
  await db.query('SELECT id FROM users WHERE id = $1 FOR SHARE', [userId]);
  await db.query('LOCK TABLE valid_after_moves IN ROW SHARE MODE');
  const [row] = await rows<{ latest: number | null }>(
    db,
    `SELECT MAX(at) AS latest FROM valid_after_moves WHERE (scope = 'user' AND subject = $1) OR scope = 'all'`,
    [userId],
  );
  if (row && row.latest !== null && row.latest >= authenticatedAt) throw new CredentialsChangedError();
}

function isUniqueViolation(error: unknown, constraint: string): boolean {
  return error instanceof pg.DatabaseError && error.code === '23505' && error.constraint === constraint;
}

function unavailableOr(error: unknown): unknown {
  return isConnectionFailure(error) ? new StoreUnavailableError({ cause: error }) : error;
}

/** Revokes the user's access tokens that are still live and not revoked yet; returns them. */
async function revokeLiveAccessTokens(db: pg.PoolClient, userId: string, now: number): Promise<RevokedAccessToken[]> {
  const access = await rows<RevokedAccessToken>(
    db,
    `SELECT ${ACCESS_COLUMNS} FROM access_tokens WHERE user_id = $1 AND expires_at > $2
     AND NOT EXISTS (SELECT 1 FROM revoked_access_tokens r WHERE r.jti = access_tokens.jti)`,
    [userId, now],
  );
  await recordRevocations(db, access, now);
  return access;
}
