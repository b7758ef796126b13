import { chmodSync, closeSync, mkdirSync, openSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { CredentialsChangedError, TesseraError } from '../../errors.js';
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
import { SQLITE_MIGRATIONS } from './migrations.js';
import { familyTooOld, mayReplay, withinReuseInterval } from '../reuse-interval.js';

/** Distinct pages of the user list kept at once (any limit and offset can be asked for). */
const USER_PAGES_KEPT = 64;

const USER_COLUMNS = `id, username, role, password_hash AS passwordHash, email, created_at AS createdAt,
  updated_at AS updatedAt, disabled_at AS disabledAt`;
const PUBLIC_USER_COLUMNS = `id, username, role, email, created_at AS createdAt, updated_at AS updatedAt,
  disabled_at AS disabledAt`;
const KEY_COLUMNS = `kid, use, alg, public_jwk AS publicJwk, sealed_key AS sealedKey, created_at AS createdAt,
  rotated_out_at AS rotatedOutAt, expires_at AS expiresAt`;
const FAMILY_COLUMNS = `id, user_id AS userId, created_at AS createdAt, last_used_at AS lastUsedAt, ip,
  user_agent AS userAgent, revoked_at AS revokedAt, revoke_reason AS revokeReason`;
const SESSION_COLUMNS = `id, user_id AS userId, created_at AS createdAt, last_seen_at AS lastSeenAt,
  expires_at AS expiresAt, ended_at AS endedAt, ip, user_agent AS userAgent`;
const TOKEN_COLUMNS = `id, family_id AS familyId, user_id AS userId, token_hash AS tokenHash, parent_id AS parentId,
  issued_at AS issuedAt, expires_at AS expiresAt, rotated_at AS rotatedAt, successor_id AS successorId`;

/**
 * The database holds password hashes and sealed keys: its file is created readable by us alone,
 * whatever the umask, and SQLite gives its -wal and -shm files the mode of the database file. A file
 * left group- or world-readable by an earlier version is narrowed to its owner.
 */
function createPrivately(path: string): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  closeSync(openSync(path, 'a', 0o600));
  for (const file of [path, `${path}-wal`, `${path}-shm`]) {
    try {
      const { mode } = statSync(file);
      if (mode & 0o077) chmodSync(file, mode & 0o700);
    } catch {
      // absent (no WAL yet), or not ours to change: SQLite reports what matters when it opens the file
    }
  }
}

/** The embedded store: one SQLite file in WAL mode, shared safely by the server and the CLI. */
export class SqliteStore implements Store {
  readonly kind = 'sqlite' as const;
  private readonly db: Database.Database;
  private readonly statements = new Map<string, Database.Statement>();
  /** Writes to `users` through this connection (which SQLite's data_version does not count). */
  private usersChanged = 0;
  private readonly userPages = new Map<string, { version: string; page: UserPage }>();

  constructor(path: string) {
    if (path !== ':memory:') createPrivately(path);
    this.db = new Database(path);
    this.db.pragma('journal_mode = WAL');
    // NORMAL in WAL mode survives a killed process; only an OS crash can lose the last commits.
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma('foreign_keys = ON');
    this.db.pragma('busy_timeout = 5000');
  }

  async migrate(): Promise<void> {
    this.db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)`);
    const apply = this.db.transaction(() => {
      const applied = new Set(
        this.prepare('SELECT version FROM schema_migrations').pluck().all() as number[],
      );
      for (const migration of SQLITE_MIGRATIONS) {
        if (applied.has(migration.version)) continue;
        this.db.exec(migration.sql);
        this.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)')
          .run(migration.version, migration.name, Date.now());
      }
    });
    apply.immediate();
  }

  async pendingMigrations(): Promise<number> {
    const exists = this.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'").get();
    if (!exists) return SQLITE_MIGRATIONS.length;
    const applied = new Set(this.prepare('SELECT version FROM schema_migrations').pluck().all() as number[]);
    return SQLITE_MIGRATIONS.filter((m) => !applied.has(m.version)).length;
  }

  async ping(): Promise<void> {
    this.prepare('SELECT 1').get();
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }

  // ---- users -------------------------------------------------------------------------------

  async createUser(user: NewUser): Promise<UserRecord> {
    try {
      this.prepare(
          `INSERT INTO users (id, username, role, password_hash, email, created_at, updated_at)
           VALUES (?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(user.id, user.username, user.role, user.passwordHash, user.email ?? null, user.createdAt, user.createdAt);
      this.usersChanged += 1;
    } catch (error) {
      if (isUniqueViolation(error)) {
        throw new TesseraError('conflict', `A user named "${user.username}" already exists`);
      }
      throw error;
    }
    return (await this.findUserById(user.id))!;
  }

  async findUserById(id: string): Promise<UserRecord | null> {
    return this.one<UserRecord>(`SELECT ${USER_COLUMNS} FROM users WHERE id = ?`, id);
  }

  async findUserByUsername(username: string): Promise<UserRecord | null> {
    return this.one<UserRecord>(`SELECT ${USER_COLUMNS} FROM users WHERE username = ?`, username);
  }

  /**
   * A page of users. Pages are kept (frozen) until the users change: through this connection (counted
   * here) or through any other (a server beside this one, a CLI command), which SQLite's `data_version`
   * tells at the cost of one pragma. Listing is the hot path of `GET /api/users`; users change rarely.
   */
  async listUsers(page: Page): Promise<UserPage> {
    const version = `${this.usersChanged}:${this.prepare('PRAGMA data_version').pluck().get() as number}`;
    const key = `${page.limit}:${page.offset}`;
    const kept = this.userPages.get(key);
    if (kept?.version === version) return kept.page;
    const users = this.prepare(`SELECT ${PUBLIC_USER_COLUMNS} FROM users ORDER BY created_at, id LIMIT ? OFFSET ?`)
      .all(page.limit, page.offset) as PublicUser[];
    const listed: UserPage = Object.freeze({ users: Object.freeze(users.map((u) => Object.freeze(u))), total: await this.countUsers() });
    if (this.userPages.size >= USER_PAGES_KEPT) this.userPages.clear();
    this.userPages.set(key, { version, page: listed });
    return listed;
  }

  async updateUser(id: string, patch: UserPatch, now: number): Promise<UserRecord | null> {
    const columns: Record<keyof UserPatch, string> = { role: 'role', passwordHash: 'password_hash', disabledAt: 'disabled_at' };
    const changed = (Object.keys(columns) as Array<keyof UserPatch>).filter((field) => patch[field] !== undefined);
    const sets = [...changed.map((field) => `${columns[field]} = ?`), 'updated_at = ?'];
    const values = [...changed.map((field) => patch[field]), now, id];
    this.prepare(`UPDATE users SET ${sets.join(', ')} WHERE id = ?`).run(...values);
    this.usersChanged += 1;
    return this.findUserById(id);
  }

  async countUsers(): Promise<number> {
    return this.prepare('SELECT COUNT(*) FROM users').pluck().get() as number;
  }

  async findUsersByUsernames(usernames: readonly string[]): Promise<UserRecord[]> {
    const find = this.prepare(`SELECT ${USER_COLUMNS} FROM users WHERE username = ?`);
    return usernames.map((name) => find.get(name) as UserRecord | undefined).filter((user) => user !== undefined);
  }

  async importUsers(batch: UserImportBatch, now: number): Promise<UserImportWritten> {
    const insert = this.prepare(
      `INSERT INTO users (id, username, role, password_hash, email, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (username) DO NOTHING`,
    );
    const update = this.prepare(
      'UPDATE users SET role = ?, email = ?, password_hash = ?, updated_at = ? WHERE id = ? AND password_hash = ?',
    );
    const run = this.db.transaction((): UserImportWritten => {
      let created = 0;
      let updated = 0;
      for (const u of batch.create) {
        created += insert.run(u.id, u.username, u.role, u.passwordHash, u.email ?? null, u.createdAt, u.createdAt).changes;
      }
      for (const u of batch.update) {
        updated += update.run(u.role, u.email, u.passwordHash, now, u.id, u.expectedPasswordHash).changes;
      }
      return { created, updated };
    });
    const written = run.immediate();
    this.usersChanged += 1;
    return written;
  }

  // ---- signing keys ------------------------------------------------------------------------

  async listSigningKeys(): Promise<SigningKeyRecord[]> {
    return this.prepare(`SELECT ${KEY_COLUMNS} FROM signing_keys ORDER BY created_at`).all() as SigningKeyRecord[];
  }

  async insertSigningKeyIfNoneActive(key: SigningKeyRecord): Promise<SigningKeyRecord> {
    const run = this.db.transaction(() => {
      const active = this.activeKey(key.use);
      if (active) return active;
      this.insertKey(key);
      return this.activeKey(key.use)!;
    });
    return run.immediate();
  }

  async rotateSigningKey(key: SigningKeyRecord, previousExpiresAt: number): Promise<void> {
    const run = this.db.transaction(() => {
      this.prepare(
          `UPDATE signing_keys SET rotated_out_at = ?, expires_at = ? WHERE use = ? AND rotated_out_at IS NULL`,
        )
        .run(key.createdAt, previousExpiresAt, key.use);
      this.insertKey(key);
    });
    run.immediate();
  }

  async updateSealedKey(kid: string, sealedKey: string): Promise<void> {
    this.prepare('UPDATE signing_keys SET sealed_key = ? WHERE kid = ?').run(sealedKey, kid);
  }

  private activeKey(use: string): SigningKeyRecord | null {
    return this.one<SigningKeyRecord>(
      `SELECT ${KEY_COLUMNS} FROM signing_keys WHERE use = ? AND rotated_out_at IS NULL`,
      use,
    );
  }

  private insertKey(key: SigningKeyRecord): void {
    this.prepare(
        `INSERT INTO signing_keys (kid, use, alg, public_jwk, sealed_key, created_at, rotated_out_at, expires_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(key.kid, key.use, key.alg, key.publicJwk, key.sealedKey, key.createdAt, key.rotatedOutAt, key.expiresAt);
  }

  // ---- refresh families --------------------------------------------------------------------

  async createFamily(input: NewFamily): Promise<FamilyRecord> {
    const run = this.db.transaction(() => {
      this.refuseIfOutdated(input.userId, input.authenticatedAt);
      this.prepare(
          `INSERT INTO refresh_families (id, user_id, created_at, last_used_at, ip, user_agent)
           VALUES (?, ?, ?, ?, ?, ?)`,
        )
        .run(input.familyId, input.userId, input.now, input.now, input.client.ip, input.client.userAgent);
      this.insertToken(input.familyId, input.userId, null, input.token);
      this.insertAccess(input.access.jti, input.userId, input.familyId, input.access.expiresAt);
    });
    run.immediate();
    return this.familySync(input.familyId)!;
  }

  async rotateRefreshToken(request: RotationRequest): Promise<RotationOutcome> {
    const run = this.db.transaction((): RotationOutcome => {
      const token = this.one<RefreshTokenRecord>(
        `SELECT ${TOKEN_COLUMNS} FROM refresh_tokens WHERE token_hash = ?`,
        request.tokenHash,
      );
      if (!token) return { status: 'unknown' };
      const family = this.familySync(token.familyId)!;
      if (family.revokedAt !== null) return { status: 'revoked' };
      if (token.expiresAt <= request.now || familyTooOld(family, request)) return { status: 'expired' };
      const user = this.one<UserRecord>(`SELECT ${USER_COLUMNS} FROM users WHERE id = ?`, token.userId);
      if (!user || user.disabledAt !== null) {
        return { status: 'user_disabled', revoked: this.revokeFamilySync(family.id, 'user_disabled', request.now) };
      }
      if (token.rotatedAt !== null) {
        const successor =
          withinReuseInterval(token.rotatedAt, request) && token.successorId !== null
            ? this.one<RefreshTokenRecord>(`SELECT ${TOKEN_COLUMNS} FROM refresh_tokens WHERE id = ?`, token.successorId)
            : null;
        if (mayReplay(successor)) {
          this.insertAccess(request.access.jti, user.id, family.id, request.access.expiresAt);
          return { status: 'successor', user, family, successor };
        }
        const revoked = this.revokeFamilySync(family.id, 'reuse_detected', request.now);
        return { status: 'reused', family: this.familySync(family.id)!, revoked };
      }
      this.prepare('UPDATE refresh_tokens SET rotated_at = ?, successor_id = ? WHERE id = ?')
        .run(request.now, request.next.id, token.id);
      this.insertToken(family.id, user.id, token.id, request.next);
      this.insertAccess(request.access.jti, user.id, family.id, request.access.expiresAt);
      this.prepare('UPDATE refresh_families SET last_used_at = ?, ip = ?, user_agent = ? WHERE id = ?')
        .run(request.now, request.client.ip, request.client.userAgent, family.id);
      const next = this.one<RefreshTokenRecord>(`SELECT ${TOKEN_COLUMNS} FROM refresh_tokens WHERE id = ?`, request.next.id)!;
      return { status: 'rotated', user, family: this.familySync(family.id)!, token: next };
    });
    return run.immediate();
  }

  async findRefreshToken(tokenHash: string): Promise<RefreshTokenRecord | null> {
    return this.one<RefreshTokenRecord>(`SELECT ${TOKEN_COLUMNS} FROM refresh_tokens WHERE token_hash = ?`, tokenHash);
  }

  async findFamilyByAccessToken(jti: string): Promise<FamilyRecord | null> {
    return this.one<FamilyRecord>(
      `SELECT ${FAMILY_COLUMNS} FROM refresh_families WHERE id = (SELECT family_id FROM access_tokens WHERE jti = ?)`,
      jti,
    );
  }

  async revokeFamily(familyId: string, reason: string, now: number): Promise<RevokedAccessToken[]> {
    const run = this.db.transaction(() => this.revokeFamilySync(familyId, reason, now));
    return run.immediate();
  }

  async revokeUserTokens(userId: string, reason: string, now: number): Promise<RevokedAccessToken[]> {
    const run = this.db.transaction(() => {
      this.prepare(
          `UPDATE refresh_families SET revoked_at = ?, revoke_reason = ? WHERE user_id = ? AND revoked_at IS NULL`,
        )
        .run(now, reason, userId);
      return this.revokeLiveAccessTokensSync(userId, now);
    });
    return run.immediate();
  }

  async revokeAccessTokens(entries: RevokedAccessToken[], now: number): Promise<void> {
    const run = this.db.transaction(() => this.recordRevocations(entries, now));
    run.immediate();
  }

  async isAccessTokenRevoked(jti: string): Promise<boolean> {
    return this.prepare('SELECT 1 FROM revoked_access_tokens WHERE jti = ?').get(jti) !== undefined;
  }

  async revocationsSince(cursor: number, now: number): Promise<RevocationBatch> {
    const rows = this.prepare(
        `SELECT seq, jti, user_id AS userId, expires_at AS expiresAt FROM revoked_access_tokens
         WHERE seq > ? ORDER BY seq`,
      )
      .all(cursor) as Array<RevokedAccessToken & { seq: number }>;
    const last = rows.at(-1);
    return {
      entries: rows.filter((r) => r.expiresAt > now).map(({ jti, userId, expiresAt }) => ({ jti, userId, expiresAt })),
      cursor: last ? last.seq : cursor,
    };
  }

  async listFamilies(userId: string, now: number): Promise<FamilyRecord[]> {
    return this.prepare(
        `SELECT ${FAMILY_COLUMNS} FROM refresh_families f WHERE user_id = ? AND revoked_at IS NULL
         AND EXISTS (SELECT 1 FROM refresh_tokens t WHERE t.family_id = f.id AND t.rotated_at IS NULL AND t.expires_at > ?)
         ORDER BY last_used_at DESC`,
      )
      .all(userId, now) as FamilyRecord[];
  }

  async findFamily(familyId: string): Promise<FamilyRecord | null> {
    return this.familySync(familyId);
  }

  async countActiveFamilies(now: number): Promise<number> {
    return this.prepare(
        `SELECT COUNT(*) FROM refresh_families f WHERE revoked_at IS NULL
         AND EXISTS (SELECT 1 FROM refresh_tokens t WHERE t.family_id = f.id AND t.rotated_at IS NULL AND t.expires_at > ?)`,
      )
      .pluck()
      .get(now) as number;
  }

  async revokeUserAccessTokens(userId: string, now: number): Promise<RevokedAccessToken[]> {
    const run = this.db.transaction(() => {
      return this.revokeLiveAccessTokensSync(userId, now);
    });
    return run.immediate();
  }

  async endUserCredentials(userId: string, reason: string, now: number): Promise<EndedCredentials> {
    const run = this.db.transaction((): EndedCredentials => {
      this.recordMove({ scope: 'user', subject: userId, at: now });
      const families = this.prepare(
          'UPDATE refresh_families SET revoked_at = ?, revoke_reason = ? WHERE user_id = ? AND revoked_at IS NULL',
        )
        .run(now, reason, userId).changes;
      const accessTokens = this.revokeLiveAccessTokensSync(userId, now);
      const sessions = this.prepare('UPDATE sessions SET ended_at = ? WHERE user_id = ? AND ended_at IS NULL AND expires_at > ?')
        .run(now, userId, now).changes;
      return { families, accessTokens, sessions };
    });
    return run.immediate();
  }

  async endAllCredentials(reason: string, now: number): Promise<EndedCredentials> {
    const run = this.db.transaction((): EndedCredentials => {
      this.recordMove({ scope: 'all', subject: '', at: now });
      const families = this.prepare('UPDATE refresh_families SET revoked_at = ?, revoke_reason = ? WHERE revoked_at IS NULL')
        .run(now, reason).changes;
      const accessTokens = this.prepare(
          `SELECT jti, user_id AS userId, expires_at AS expiresAt FROM access_tokens WHERE expires_at > ?
           AND NOT EXISTS (SELECT 1 FROM revoked_access_tokens r WHERE r.jti = access_tokens.jti)`,
        )
        .all(now) as RevokedAccessToken[];
      this.recordRevocations(accessTokens, now);
      const sessions = this.prepare('UPDATE sessions SET ended_at = ? WHERE ended_at IS NULL AND expires_at > ?').run(now, now).changes;
      return { families, accessTokens, sessions };
    });
    return run.immediate();
  }

  async revokeSigningKey(kid: string, now: number): Promise<boolean> {
    const run = this.db.transaction(() => {
      const changed = this.prepare(
          'UPDATE signing_keys SET rotated_out_at = COALESCE(rotated_out_at, ?), expires_at = ? WHERE kid = ?',
        )
        .run(now, now, kid).changes;
      if (changed === 0) return false;
      this.recordMove({ scope: 'key', subject: kid, at: now });
      return true;
    });
    return run.immediate();
  }

  async validAfterSince(cursor: number): Promise<ValidAfterBatch> {
    const rows = this.prepare('SELECT seq, scope, subject, at FROM valid_after_moves WHERE seq > ? ORDER BY seq')
      .all(cursor) as Array<ValidAfterMove & { seq: number }>;
    return { moves: rows.map(({ scope, subject, at }) => ({ scope, subject, at })), cursor: rows.at(-1)?.seq ?? cursor };
  }

  async pruneExpired(now: number): Promise<void> {
    const run = this.db.transaction(() => {
      this.prepare('DELETE FROM refresh_tokens WHERE expires_at <= ?').run(now);
      this.prepare(
          `DELETE FROM refresh_families WHERE NOT EXISTS (SELECT 1 FROM refresh_tokens t WHERE t.family_id = refresh_families.id)`,
        )
        .run();
      this.prepare('DELETE FROM access_tokens WHERE expires_at <= ?').run(now);
      this.prepare('DELETE FROM sessions WHERE expires_at <= ? OR ended_at IS NOT NULL').run(now);
      this.prepare('DELETE FROM revoked_access_tokens WHERE expires_at <= ?').run(now);
      this.prepare('DELETE FROM signing_keys WHERE expires_at IS NOT NULL AND expires_at <= ?').run(now);
    });
    run.immediate();
  }

  // ---- audit trail -------------------------------------------------------------------------

  async appendAuditEvents(events: NewAuditEvent[]): Promise<void> {
    const insert = this.prepare(
      `INSERT INTO audit_events (at, type, user_id, actor, ip, user_agent, detail) VALUES (?, ?, ?, ?, ?, ?, ?)`,
    );
    const run = this.db.transaction(() => {
      for (const e of events) {
        insert.run(e.at, e.type, e.userId, e.actor, e.ip, e.userAgent, e.detail === null ? null : JSON.stringify(e.detail));
      }
    });
    run.immediate();
  }

  async queryAuditEvents(query: AuditQuery): Promise<AuditEventRecord[]> {
    const { where, params } = auditFilter(query, () => '?');
    const rows = this.prepare(`SELECT ${auditColumns((name) => name)} FROM audit_events ${where} ORDER BY id DESC LIMIT ?`).all(
      ...params,
      query.limit,
    ) as Array<Omit<AuditEventRecord, 'detail'> & { detail: string | null }>;
    return rows.map((row) => ({ ...row, detail: row.detail === null ? null : (JSON.parse(row.detail) as Record<string, unknown>) }));
  }

  async pruneAuditEvents(before: number): Promise<number> {
    return this.prepare('DELETE FROM audit_events WHERE at < ?').run(before).changes;
  }

  // ---- legacy sessions ---------------------------------------------------------------------

  async createSession(session: NewSession): Promise<SessionRecord> {
    const run = this.db.transaction(() => {
      this.refuseIfOutdated(session.userId, session.authenticatedAt);
      this.prepare(
          `INSERT INTO sessions (id, user_id, created_at, last_seen_at, expires_at, ip, user_agent)
           VALUES (?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(session.id, session.userId, session.createdAt, session.createdAt, session.expiresAt, session.ip, session.userAgent);
    });
    run.immediate();
    return this.one<SessionRecord>(`SELECT ${SESSION_COLUMNS} FROM sessions WHERE id = ?`, session.id)!;
  }

  async findSession(id: string): Promise<SessionLookup | null> {
    const session = this.one<SessionRecord>(`SELECT ${SESSION_COLUMNS} FROM sessions WHERE id = ?`, id);
    if (!session) return null;
    const user = this.one<PublicUser>(`SELECT ${PUBLIC_USER_COLUMNS} FROM users WHERE id = ?`, session.userId)!;
    return { session, user };
  }

  async touchSession(id: string, now: number): Promise<void> {
    this.prepare('UPDATE sessions SET last_seen_at = ? WHERE id = ? AND ended_at IS NULL AND last_seen_at < ?').run(now, id, now);
  }

  async endSession(id: string, now: number): Promise<SessionRecord | null> {
    return this.one<SessionRecord>(
      `UPDATE sessions SET ended_at = ? WHERE id = ? AND ended_at IS NULL RETURNING ${SESSION_COLUMNS}`,
      now,
      id,
    );
  }

  // ---- settings and the JWT rollout ----------------------------------------------------------

  async readSetting(key: string): Promise<string | null> {
    return (this.prepare('SELECT value FROM settings WHERE key = ?').pluck().get(key) as string | undefined) ?? null;
  }

  async writeSetting(key: string, value: string, now: number): Promise<void> {
    this.prepare(
        `INSERT INTO settings (key, value, updated_at) VALUES (?, ?, ?)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
      )
      .run(key, value, now);
  }

  async deleteSetting(key: string): Promise<void> {
    this.prepare('DELETE FROM settings WHERE key = ?').run(key);
  }

  async listRolloutOverrides(): Promise<RolloutOverride[]> {
    const rows = this.prepare(
        `SELECT o.user_id AS userId, u.username, o.enabled, o.updated_at AS updatedAt
         FROM rollout_overrides o JOIN users u ON u.id = o.user_id ORDER BY u.username`,
      )
      .all() as Array<Omit<RolloutOverride, 'enabled'> & { enabled: number }>;
    return rows.map((row) => ({ ...row, enabled: row.enabled === 1 }));
  }

  async setRolloutOverride(userId: string, enabled: boolean | null, now: number): Promise<void> {
    if (enabled === null) {
      this.prepare('DELETE FROM rollout_overrides WHERE user_id = ?').run(userId);
      return;
    }
    this.prepare(
        `INSERT INTO rollout_overrides (user_id, enabled, updated_at) VALUES (?, ?, ?)
         ON CONFLICT (user_id) DO UPDATE SET enabled = excluded.enabled, updated_at = excluded.updated_at`,
      )
      .run(userId, enabled ? 1 : 0, now);
  }

  // ---- legacy usage ------------------------------------------------------------------------

  async addLegacyUsage(counts: LegacyUsageCount[]): Promise<void> {
    const upsert = this.prepare(
      `INSERT INTO legacy_usage (user_id, user_agent, first_seen, last_seen, request_count) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (user_id, user_agent) DO UPDATE SET
         first_seen = MIN(first_seen, excluded.first_seen),
         last_seen = MAX(last_seen, excluded.last_seen),
         request_count = request_count + excluded.request_count`,
    );
    const run = this.db.transaction(() => {
      for (const c of counts) upsert.run(c.userId, c.userAgent, c.firstSeen, c.lastSeen, c.requestCount);
    });
    run.immediate();
  }

  async listLegacyUsage(since: number): Promise<LegacyUsageRecord[]> {
    return this.prepare(
        `SELECT l.user_id AS userId, u.username, l.user_agent AS userAgent, l.first_seen AS firstSeen,
           l.last_seen AS lastSeen, l.request_count AS requestCount
         FROM legacy_usage l LEFT JOIN users u ON u.id = l.user_id
         WHERE l.last_seen >= ? ORDER BY l.last_seen DESC, l.user_id, l.user_agent`,
      )
      .all(since) as LegacyUsageRecord[];
  }

  // ---- internals ---------------------------------------------------------------------------

  /** Statements are compiled once and reused; SQL text is the cache key. */
  private prepare(sql: string): Database.Statement {
    let statement = this.statements.get(sql);
    if (!statement) {
      statement = this.db.prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement;
  }

  private one<T>(sql: string, ...params: unknown[]): T | null {
    return (this.prepare(sql).get(...params) as T | undefined) ?? null;
  }

  private familySync(id: string): FamilyRecord | null {
    return this.one<FamilyRecord>(`SELECT ${FAMILY_COLUMNS} FROM refresh_families WHERE id = ?`, id);
  }

  private insertToken(familyId: string, userId: string, parentId: string | null, token: NewRefreshToken): void {
    this.prepare(
        `INSERT INTO refresh_tokens (id, family_id, user_id, token_hash, parent_id, issued_at, expires_at)
         VALUES (?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(token.id, familyId, userId, token.tokenHash, parentId, token.issuedAt, token.expiresAt);
  }

  private insertAccess(jti: string, userId: string, familyId: string | null, expiresAt: number): void {
    this.prepare('INSERT INTO access_tokens (jti, user_id, family_id, expires_at) VALUES (?, ?, ?, ?)')
      .run(jti, userId, familyId, expiresAt);
  }

  /** Revokes the user's access tokens that are still live and not revoked yet; returns them. */
  private revokeLiveAccessTokensSync(userId: string, now: number): RevokedAccessToken[] {
    const access = this.prepare(
        `SELECT jti, user_id AS userId, expires_at AS expiresAt FROM access_tokens WHERE user_id = ? AND expires_at > ?
         AND NOT EXISTS (SELECT 1 FROM revoked_access_tokens r WHERE r.jti = access_tokens.jti)`,
      )
      .all(userId, now) as RevokedAccessToken[];
    this.recordRevocations(access, now);
    return access;
  }

  private revokeFamilySync(familyId: string, reason: string, now: number): RevokedAccessToken[] {
    this.prepare('UPDATE refresh_families SET revoked_at = ?, revoke_reason = ? WHERE id = ? AND revoked_at IS NULL')
      .run(now, reason, familyId);
    const access = this.prepare(
        `SELECT jti, user_id AS userId, expires_at AS expiresAt FROM access_tokens WHERE family_id = ? AND expires_at > ?`,
      )
      .all(familyId, now) as RevokedAccessToken[];
    this.recordRevocations(access, now);
    return access;
  }

  private recordMove(move: ValidAfterMove): void {
    this.prepare('INSERT INTO valid_after_moves (scope, subject, at) VALUES (?, ?, ?)').run(move.scope, move.subject, move.at);
  }

  /** Inside the write transaction, so a valid-after move cannot slip between this check and the insert. */
  private refuseIfOutdated(userId: string, authenticatedAt: number | undefined): void {
    if (authenticatedAt === undefined) return;
    const latest = this.prepare(
        `SELECT MAX(at) FROM valid_after_moves WHERE (scope = 'user' AND subject = ?) OR scope = 'all'`,
      )
      .pluck()
      .get(userId) as number | null;
    if (latest !== null && latest >= authenticatedAt) throw new CredentialsChangedError();
  }

  private recordRevocations(entries: RevokedAccessToken[], now: number): void {
    const insert = this.prepare(
      `INSERT INTO revoked_access_tokens (jti, user_id, expires_at, revoked_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (jti) DO NOTHING`,
    );
    for (const entry of entries) insert.run(entry.jti, entry.userId, entry.expiresAt, now);
  }
}

/** 0 turns the grace off: without it a racer in the same millisecond would be handed the successor. */
function isUniqueViolation(error: unknown): boolean {
  return (
    typeof error === 'object' &&
    error !== null &&
    'code' in error &&
    (error as { code: string }).code === 'SQLITE_CONSTRAINT_UNIQUE'
  );
}
