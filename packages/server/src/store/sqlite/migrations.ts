/** Versioned schema of the SQLite store. Append; never edit a migration that has shipped. */
export const SQLITE_MIGRATIONS: ReadonlyArray<{ version: number; name: string; sql: string }> = [
  {
    version: 1,
    name: 'core: users, signing keys, refresh families, access-token records',
    sql: `
      CREATE TABLE users (
        id            TEXT PRIMARY KEY,
        username      TEXT NOT NULL UNIQUE,
        role          TEXT NOT NULL,
        password_hash TEXT NOT NULL,
        created_at    INTEGER NOT NULL,
        updated_at    INTEGER NOT NULL,
        disabled_at   INTEGER
      );
      CREATE INDEX users_by_creation ON users (created_at, id);

      CREATE TABLE signing_keys (
        kid            TEXT PRIMARY KEY,
        use            TEXT NOT NULL CHECK (use IN ('access', 'refresh')),
        alg            TEXT NOT NULL,
        public_jwk     TEXT,
        sealed_key     TEXT NOT NULL,
        created_at     INTEGER NOT NULL,
        rotated_out_at INTEGER,
        expires_at     INTEGER
      );
      CREATE UNIQUE INDEX signing_keys_one_active ON signing_keys (use) WHERE rotated_out_at IS NULL;

      CREATE TABLE refresh_families (
        id            TEXT PRIMARY KEY,
        user_id       TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        created_at    INTEGER NOT NULL,
        last_used_at  INTEGER NOT NULL,
        ip            TEXT,
        user_agent    TEXT,
        revoked_at    INTEGER,
        revoke_reason TEXT
      );
      CREATE INDEX refresh_families_by_user ON refresh_families (user_id);

      CREATE TABLE refresh_tokens (
        id           TEXT PRIMARY KEY,
        family_id    TEXT NOT NULL REFERENCES refresh_families (id) ON DELETE CASCADE,
        user_id      TEXT NOT NULL,
        token_hash   TEXT NOT NULL UNIQUE,
        parent_id    TEXT,
        issued_at    INTEGER NOT NULL,
        expires_at   INTEGER NOT NULL,
        rotated_at   INTEGER,
        successor_id TEXT
      );
      CREATE INDEX refresh_tokens_by_family ON refresh_tokens (family_id);
      CREATE INDEX refresh_tokens_by_expiry ON refresh_tokens (expires_at);

      CREATE TABLE access_tokens (
        jti        TEXT PRIMARY KEY,
        user_id    TEXT NOT NULL,
        family_id  TEXT,
        expires_at INTEGER NOT NULL
      );
      CREATE INDEX access_tokens_by_family ON access_tokens (family_id);
      CREATE INDEX access_tokens_by_user ON access_tokens (user_id);
      CREATE INDEX access_tokens_by_expiry ON access_tokens (expires_at);

      CREATE TABLE revoked_access_tokens (
        seq        INTEGER PRIMARY KEY AUTOINCREMENT,
        jti        TEXT NOT NULL UNIQUE,
        user_id    TEXT NOT NULL,
        expires_at INTEGER NOT NULL,
        revoked_at INTEGER NOT NULL
      );
      CREATE INDEX revoked_access_tokens_by_expiry ON revoked_access_tokens (expires_at);
    `,
  },
  {
    version: 2,
    name: 'audit trail',
    sql: `
      CREATE TABLE audit_events (
        id         INTEGER PRIMARY KEY AUTOINCREMENT,
        at         INTEGER NOT NULL,
        type       TEXT NOT NULL,
        user_id    TEXT,
        actor      TEXT,
        ip         TEXT,
        user_agent TEXT,
        detail     TEXT
      );
      CREATE INDEX audit_events_by_time ON audit_events (at);
      CREATE INDEX audit_events_by_user ON audit_events (user_id, id);
      CREATE INDEX audit_events_by_type ON audit_events (type, id);
    `,
  },
  {
    version: 3,
    name: 'legacy sessions, settings, JWT rollout overrides, legacy usage',
    sql: `
      CREATE TABLE sessions (
        id           TEXT PRIMARY KEY,
        user_id      TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        created_at   INTEGER NOT NULL,
        last_seen_at INTEGER NOT NULL,
        expires_at   INTEGER NOT NULL,
        ended_at     INTEGER,
        ip           TEXT,
        user_agent   TEXT
      );
      CREATE INDEX sessions_by_user ON sessions (user_id);
      CREATE INDEX sessions_by_expiry ON sessions (expires_at);

      CREATE TABLE settings (
        key        TEXT PRIMARY KEY,
        value      TEXT NOT NULL,
        updated_at INTEGER NOT NULL
      );

      CREATE TABLE rollout_overrides (
        user_id    TEXT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
        enabled    INTEGER NOT NULL CHECK (enabled IN (0, 1)),
        updated_at INTEGER NOT NULL
      );

      -- No foreign key: counts are written in batches, after the fact, and must not fail for a deleted user.
      CREATE TABLE legacy_usage (
        user_id       TEXT NOT NULL,
        user_agent    TEXT NOT NULL,
        first_seen    INTEGER NOT NULL,
        last_seen     INTEGER NOT NULL,
        request_count INTEGER NOT NULL,
        PRIMARY KEY (user_id, user_agent)
      );
      CREATE INDEX legacy_usage_by_last_seen ON legacy_usage (last_seen);
    `,
  },
  {
    version: 4,
    name: 'valid-after instants: per user, for everyone, per signing key',
    sql: `
      -- Append-only: every instance reads what was added after its cursor, as with revoked_access_tokens.
      CREATE TABLE valid_after_moves (
        seq     INTEGER PRIMARY KEY AUTOINCREMENT,
        scope   TEXT NOT NULL CHECK (scope IN ('user', 'all', 'key')),
        subject TEXT NOT NULL,
        at      INTEGER NOT NULL
      );
      CREATE INDEX valid_after_moves_by_subject ON valid_after_moves (scope, subject);
    `,
  },
  {
    version: 5,
    name: 'users: the email address the team\'s own app knew them by',
    sql: `
      ALTER TABLE users ADD COLUMN email TEXT;
      CREATE INDEX users_by_email ON users (email);
    `,
  },
];
