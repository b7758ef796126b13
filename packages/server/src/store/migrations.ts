/**
 * The versioned schema, written once for both databases: `sqlite/migrations.ts` and
 * `postgres/migrations.ts` render it with their column types (`SchemaTypes`). Append; never edit a
 * migration that has shipped (the rendered SQL of 1–4 is what 0.1.0 shipped; the upgrade test in
 * `test/store/upgrade.test.ts` checks a database it made upgrades to the schema a new one gets).
 */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

/** What differs between the two databases' DDL. */
export interface SchemaTypes {
  /** Milliseconds since the epoch and counts. */
  integer: string;
  /** An ever-growing primary key (the cursors of the revocation feed and the valid-after moves). */
  identity: string;
  json: string;
  flag(column: string): string;
  /** Byte-by-byte text order (SQLite's default BINARY collation). */
  byteOrder: string;
  /** Migration 5: count every write to `users` in `users_version`. */
  countUserWrites: string;
  /**
   * A trigger: an update that changes `users.email` without setting `email_verified_at` leaves the new
   * address unverified — whatever version of Tessera (or script) wrote it.
   */
  unverifyChangedEmail: string;
}

export function migrations(t: SchemaTypes): Migration[] {
  return [
    {
      version: 1,
      name: 'core: users, signing keys, refresh families, access-token records',
      sql: `
        CREATE TABLE users (
          id            TEXT PRIMARY KEY,
          username      TEXT NOT NULL UNIQUE,
          role          TEXT NOT NULL,
          password_hash TEXT NOT NULL,
          created_at    ${t.integer} NOT NULL,
          updated_at    ${t.integer} NOT NULL,
          disabled_at   ${t.integer}
        );
        -- Ties in creation time are broken by id byte by byte, as SQLite's BINARY collation does.
        CREATE INDEX users_by_creation ON users (created_at, id${t.byteOrder});

        CREATE TABLE signing_keys (
          kid            TEXT PRIMARY KEY,
          use            TEXT NOT NULL CHECK (use IN ('access', 'refresh')),
          alg            TEXT NOT NULL,
          public_jwk     TEXT,
          sealed_key     TEXT NOT NULL,
          created_at     ${t.integer} NOT NULL,
          rotated_out_at ${t.integer},
          expires_at     ${t.integer}
        );
        CREATE UNIQUE INDEX signing_keys_one_active ON signing_keys (use) WHERE rotated_out_at IS NULL;

        CREATE TABLE refresh_families (
          id            TEXT PRIMARY KEY,
          user_id       TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
          created_at    ${t.integer} NOT NULL,
          last_used_at  ${t.integer} NOT NULL,
          ip            TEXT,
          user_agent    TEXT,
          revoked_at    ${t.integer},
          revoke_reason TEXT
        );
        CREATE INDEX refresh_families_by_user ON refresh_families (user_id);

        CREATE TABLE refresh_tokens (
          id           TEXT PRIMARY KEY,
          family_id    TEXT NOT NULL REFERENCES refresh_families (id) ON DELETE CASCADE,
          user_id      TEXT NOT NULL,
          token_hash   TEXT NOT NULL UNIQUE,
          parent_id    TEXT,
          issued_at    ${t.integer} NOT NULL,
          expires_at   ${t.integer} NOT NULL,
          rotated_at   ${t.integer},
          successor_id TEXT
        );
        CREATE INDEX refresh_tokens_by_family ON refresh_tokens (family_id);
        CREATE INDEX refresh_tokens_by_expiry ON refresh_tokens (expires_at);

        CREATE TABLE access_tokens (
          jti        TEXT PRIMARY KEY,
          user_id    TEXT NOT NULL,
          family_id  TEXT,
          expires_at ${t.integer} NOT NULL
        );
        CREATE INDEX access_tokens_by_family ON access_tokens (family_id);
        CREATE INDEX access_tokens_by_user ON access_tokens (user_id);
        CREATE INDEX access_tokens_by_expiry ON access_tokens (expires_at);

        CREATE TABLE revoked_access_tokens (
          seq        ${t.identity},
          jti        TEXT NOT NULL UNIQUE,
          user_id    TEXT NOT NULL,
          expires_at ${t.integer} NOT NULL,
          revoked_at ${t.integer} NOT NULL
        );
        CREATE INDEX revoked_access_tokens_by_expiry ON revoked_access_tokens (expires_at);
      `,
    },
    {
      version: 2,
      name: 'audit trail',
      sql: `
        CREATE TABLE audit_events (
          id         ${t.identity},
          at         ${t.integer} NOT NULL,
          type       TEXT NOT NULL,
          user_id    TEXT,
          actor      TEXT,
          ip         TEXT,
          user_agent TEXT,
          detail     ${t.json}
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
          created_at   ${t.integer} NOT NULL,
          last_seen_at ${t.integer} NOT NULL,
          expires_at   ${t.integer} NOT NULL,
          ended_at     ${t.integer},
          ip           TEXT,
          user_agent   TEXT
        );
        CREATE INDEX sessions_by_user ON sessions (user_id);
        CREATE INDEX sessions_by_expiry ON sessions (expires_at);

        CREATE TABLE settings (
          key        TEXT PRIMARY KEY,
          value      TEXT NOT NULL,
          updated_at ${t.integer} NOT NULL
        );

        CREATE TABLE rollout_overrides (
          user_id    TEXT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
          enabled    ${t.flag('enabled')},
          updated_at ${t.integer} NOT NULL
        );

        -- No foreign key: counts are written in batches, after the fact, and must not fail for a deleted user.
        CREATE TABLE legacy_usage (
          user_id       TEXT NOT NULL,
          user_agent    TEXT NOT NULL,
          first_seen    ${t.integer} NOT NULL,
          last_seen     ${t.integer} NOT NULL,
          request_count ${t.integer} NOT NULL,
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
          seq     ${t.identity},
          scope   TEXT NOT NULL CHECK (scope IN ('user', 'all', 'key')),
          subject TEXT NOT NULL,
          at      ${t.integer} NOT NULL
        );
        CREATE INDEX valid_after_moves_by_subject ON valid_after_moves (scope, subject);
      `,
    },
    {
      version: 5,
      name: 'users_version: a counter of writes to users, for the kept pages of the user list',
      sql: `
        -- Counted up on every write to users, by any process or instance: a kept page of the user list is true while it holds.
        CREATE TABLE users_version (
          id      INTEGER PRIMARY KEY CHECK (id = 1),
          version ${t.integer} NOT NULL
        );
        INSERT INTO users_version (id, version) VALUES (1, 0);
        ${t.countUserWrites}
      `,
    },
    {
      version: 6,
      name: 'service clients (client credentials)',
      sql: `
        CREATE TABLE service_clients (
          client_id   TEXT PRIMARY KEY,
          name        TEXT NOT NULL,
          secret_hash TEXT NOT NULL,
          audience    TEXT,
          created_at  ${t.integer} NOT NULL,
          revoked_at  ${t.integer}
        );
        -- A name is reused only once its previous service is revoked.
        CREATE UNIQUE INDEX service_clients_active_name ON service_clients (name) WHERE revoked_at IS NULL;
      `,
    },
    {
      version: 7,
      name: "users: the email address the team's own app knew them by",
      sql: `
        ALTER TABLE users ADD COLUMN email TEXT;
        CREATE INDEX users_by_email ON users (email);
      `,
    },
    {
      version: 8,
      name: 'authenticated requests per hour, JWT against session',
      sql: `
        CREATE TABLE request_counts (
          hour     ${t.integer} NOT NULL,
          via      TEXT NOT NULL CHECK (via IN ('jwt', 'session')),
          requests ${t.integer} NOT NULL,
          PRIMARY KEY (hour, via)
        );
      `,
    },
    {
      version: 9,
      name: "service clients: since when an operator allowed the service to trade its users' sign-ins for tokens",
      sql: `
        -- Null: not allowed (every service so far). Nullable, so a server of the previous version keeps inserting.
        ALTER TABLE service_clients ADD COLUMN token_exchange_at ${t.integer};
      `,
    },
    {
      version: 10,
      name: 'legacy notices: who was told by email that sessions end, for which sunset date',
      sql: `
        -- One row per user per sunset date: the notice of that date is sent at most once.
        CREATE TABLE legacy_notices (
          user_id TEXT NOT NULL,
          sunset  ${t.integer} NOT NULL,
          email   TEXT NOT NULL,
          sent_at ${t.integer} NOT NULL,
          PRIMARY KEY (user_id, sunset)
        );
      `,
    },
    {
      version: 11,
      name: 'refresh families: the service whose token exchange started the login',
      sql: `
        -- Null: a login of the user's own. Nullable, so a server of the previous version keeps inserting.
        ALTER TABLE refresh_families ADD COLUMN service_client_id TEXT;
        CREATE INDEX refresh_families_by_service ON refresh_families (service_client_id) WHERE service_client_id IS NOT NULL;
      `,
    },
    {
      version: 12,
      name: 'users: since when their email address is known to be theirs; pending confirmations of an address',
      sql: `
        -- Null: unverified (never mailed). Addresses written before this version came from an operator, an
        -- import or the lazy migration (vouched for), except those a user set themselves: those stay unverified.
        ALTER TABLE users ADD COLUMN email_verified_at ${t.integer};
        UPDATE users SET email_verified_at = updated_at
          WHERE email IS NOT NULL
            AND id NOT IN (SELECT user_id FROM audit_events WHERE type = 'account.email_change' AND user_id IS NOT NULL);
        -- One pending confirmation per user, for one address; the token is kept only as its SHA-256.
        CREATE TABLE email_confirmations (
          user_id    TEXT PRIMARY KEY,
          email      TEXT NOT NULL,
          token_hash TEXT NOT NULL UNIQUE,
          created_at ${t.integer} NOT NULL,
          expires_at ${t.integer} NOT NULL
        );
      `,
    },
    {
      version: 13,
      name: "refresh families: when the user proved their password for the login (the access tokens' auth_time)",
      sql: `
        -- Null: no password behind the login (a token exchange), or a family from before this column; an admin
        -- change made with its tokens needs a re-authentication. Nullable, so a server of the previous version keeps inserting.
        ALTER TABLE refresh_families ADD COLUMN auth_time ${t.integer};
      `,
    },
    {
      version: 14,
      name: 'users: a changed email address is unverified unless the same write verified it',
      sql: `
        -- During a rolling deploy an older server still lets a user change their address without knowing
        -- email_verified_at; the database clears it then, so a verified instant never covers another address.
        ${t.unverifyChangedEmail}
      `,
    },
    {
      version: 15,
      name: "access-token records: a user's are found through their refresh-token families",
      sql: `
        -- Every refresh wrote this index's page besides the four other B-trees of its access-token record;
        -- a user-wide revocation finds the user's families (refresh_families_by_user), then their access
        -- tokens (access_tokens_by_family): every access-token record has always named its family.
        DROP INDEX access_tokens_by_user;
      `,
    },
  ];
}
