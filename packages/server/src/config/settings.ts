import { z } from 'zod';
import {
  consoleListen,
  count,
  databaseUrl,
  httpUrl,
  isoDate,
  LOG_LEVELS,
  milliseconds,
  nonEmpty,
  onOff,
  origins,
  port,
  seconds,
  SIGNING_ALGORITHMS,
  smtpUrl,
  trustProxy,
  wholeNumber,
} from './parsers.js';
import { optionalSecretWeakness, secretWeakness } from './secret-strength.js';
import { setting } from './setting.js';

/** Without SESSIONS_SUNSET, sessions end this many days after their deprecation (the seed's "90 days from now"). */
export const SUNSET_AFTER_DAYS = 90;

const DAY_MS = 86_400_000;

/**
 * Every setting Tessera reads, in the order of the README's table: one declaration each. `Config`'s type,
 * `loadConfig` and the README table (`npm run docs:config`) come from here; nothing else restates them.
 */
export const SETTINGS = {
  port: setting({ env: 'PORT', default: '5000', parse: port, doc: 'TCP port' }),
  host: setting({
    env: 'HOST',
    default: '::',
    parse: nonEmpty,
    doc: 'interface to bind (`::` accepts IPv4 and IPv6; falls back to `0.0.0.0` without IPv6)',
  }),
  env: setting({
    env: 'NODE_ENV',
    default: 'development',
    parse: z.enum(['development', 'production', 'test'], { error: 'must be development, production or test' }),
    doc: '`development` (demo users, generated secret), `production` (strict), or `test`',
  }),
  database: setting({
    env: 'DATABASE_URL',
    default: 'sqlite:./data/tessera.db',
    parse: databaseUrl,
    doc: '`sqlite:PATH` or `postgres://user@host:5432/db` (optionally `?schema=NAME`)',
  }),
  /** PostgreSQL's connection pool; SQLite has none. */
  databasePool: {
    size: setting({
      env: 'DATABASE_POOL_SIZE',
      default: '10',
      parse: wholeNumber('connections', 1, 1000),
      doc: 'PostgreSQL only: connections each instance opens for requests (migrations and pruning use 2 more of their own)',
    }),
    connectTimeoutMs: setting({
      env: 'DATABASE_CONNECT_TIMEOUT_MS',
      default: '2000',
      parse: milliseconds(100, 60_000),
      doc: 'PostgreSQL only: longest wait, ms, to open a connection; past it the request answers `503`, so a database that is down fails fast',
    }),
    idleTimeoutMs: setting({
      env: 'DATABASE_IDLE_TIMEOUT_MS',
      default: '10000',
      parse: milliseconds(0, 3_600_000),
      doc: 'PostgreSQL only: ms a pooled connection may stay unused before it is closed; `0` = never',
    }),
    statementTimeoutMs: setting({
      env: 'DATABASE_STATEMENT_TIMEOUT_MS',
      default: '5000',
      parse: milliseconds(100, 600_000),
      doc: 'PostgreSQL only: longest wait, ms, for a query\'s answer; past it the request answers `503` (a database behind a network partition answers nothing); migrations and pruning are exempt',
    }),
  },
  /** Resolved by `loadConfig` into `{ url, prefix }`, or undefined without REDIS_URL. */
  redis: {
    url: setting({
      env: 'REDIS_URL',
      defaultDoc: '— (no Redis: one instance)',
      parse: z
        .string()
        .trim()
        .regex(/^rediss?:\/\/\S+$/, 'must be redis://host:port or rediss://host:port (TLS)')
        .optional(),
      doc: '`redis://host:6379` or `rediss://…`: revocations and key changes reach every instance at once, rate limits count across the fleet ([deployment](docs/deployment.md))',
    }),
    prefix: setting({
      env: 'REDIS_PREFIX',
      default: 'tessera:',
      parse: z.string().regex(/^[\w:.-]{1,64}$/, 'must be 1 to 64 letters, digits or _ : . -'),
      doc: 'start of every Redis key and channel name, so several deployments (or tests) can share one Redis',
    }),
  },
  /** Resolved by `loadConfig`: JWT_SECRET, or the contents of JWT_SECRET_FILE. */
  jwtSecret: setting({
    env: 'JWT_SECRET',
    defaultDoc: '— (development: generated)',
    parse: z.string().optional(),
    secret: true,
    production: secretWeakness,
    doc: 'seals the private signing keys at rest; production requires a random secret: ≥ 32 characters without spaces, placeholder words (`secret-key`, `your-256-bit-secret`, `supersecret`, `lorem ipsum`, …, in any case and punctuation) or well-known example values (the SHA-256 of nothing, RFC 4122’s example UUID, zero bytes), that zxcvbn estimates at ≥ 2^80 guesses (words, sequences, keyboard walks and repeats count for little) — `openssl rand -base64 32`',
  }),
  jwtSecretFile: setting({
    env: 'JWT_SECRET_FILE',
    parse: nonEmpty.optional(),
    doc: 'path of a file holding `JWT_SECRET` (a trailing newline is dropped), e.g. mode 0600 as in [deployment](docs/deployment.md#the-secret-generate-it-once-keep-it-in-a-file); setting it together with `JWT_SECRET` is refused',
  }),
  jwtSecretPrevious: setting({
    env: 'JWT_SECRET_PREVIOUS',
    parse: z.string().optional(),
    secret: true,
    production: optionalSecretWeakness,
    doc: 'the secret before a rotation: stored keys are opened with it once and re-sealed; in production held to the `JWT_SECRET` rule',
  }),
  jwtAlgorithm: setting({
    env: 'JWT_ALGORITHM',
    default: 'RS256',
    parse: z.enum(SIGNING_ALGORITHMS, { error: 'must be RS256, ES256 or EdDSA' }),
    doc: 'access-token signature: `RS256`, `ES256` or `EdDSA`',
  }),
  accessTokenTtl: setting({ env: 'TOKEN_EXPIRY', default: '900', parse: seconds(1, 86_400), doc: 'access-token lifetime, seconds' }),
  refreshTokenTtl: setting({
    env: 'REFRESH_TOKEN_EXPIRY',
    default: '604800',
    parse: seconds(60, 31_536_000),
    doc: 'refresh-token lifetime, seconds (7 days)',
  }),
  /**
   * Supabase's rule and default (10 s, the immediate parent only): two tabs or two requests racing with
   * one refresh token both get the same successor instead of signing the user out; an older token, or
   * one replayed later, is still reuse. Auth0 uses 0; the client SDK never relies on the grace.
   */
  refreshReuseInterval: setting({
    env: 'REFRESH_REUSE_INTERVAL',
    default: '10',
    parse: seconds(0, 300),
    doc: 'seconds during which a just-rotated refresh token, presented again by a racing client (two tabs, two requests meeting one expiry), yields the same successor instead of counting as reuse; only a token whose successor is still unused gets it (Supabase\'s rule and default); `0` = off (every replay revokes the family, as Auth0)',
  }),
  refreshFamilyMaxAge: setting({
    env: 'REFRESH_FAMILY_MAX_AGE',
    default: '2592000',
    parse: seconds(0, 31_536_000),
    doc: "absolute lifetime of a login's refresh-token family, seconds (30 days, as Auth0's default absolute lifetime; Keycloak's SSO Session Max is 10 hours): no refresh extends it, then the client logs in again; `0` = no limit",
  }),
  /** OIDC `max_age` for admin changes: how long a login counts as a fresh password (Auth0, Okta: 5 minutes for step-up). */
  reauthMaxAge: setting({
    env: 'REAUTH_MAX_AGE',
    default: '300',
    parse: seconds(0, 86_400),
    doc: "seconds after the password was typed (a login, not a refresh) during which an admin change (`/admin/*` with a method other than GET) needs no re-authentication; later, or with a token refreshed from an older login, it needs a proof from `POST /api/me/reauth` made with the same login, else `403 reauth_required`; `0` = always a proof",
  }),
  authRateLimit: setting({
    env: 'AUTH_RATE_LIMIT',
    default: '10',
    parse: count('requests per minute (0 turns the limit off)'),
    doc: 'requests per minute per client IP (an IPv6 client per /64): one budget shared by every endpoint that checks a password or trades a credential (`/auth/login`, `/api/login`, `/auth/session/exchange`), and on its own for `/auth/logout` and `/api/logout`, where a logout carrying a genuine token or session counts against that login instead of the address (across all instances with `REDIS_URL`); `0` = off',
  }),
  loginSlowdownAfter: setting({
    env: 'LOGIN_SLOWDOWN_AFTER',
    default: '5',
    parse: count('failed logins (0 turns the slowdown off)'),
    doc: 'failed logins of an account (from any address, existing name or not) within `LOGIN_FAILURE_WINDOW` after which each check of it is held 1 s, doubling to 10 s at most; from an address that has already failed on it (or sends several at once), one check at a time per server (a third at once gets `429`); `0` = off',
  }),
  loginLockoutThreshold: setting({
    env: 'LOGIN_LOCKOUT_THRESHOLD',
    default: '10',
    parse: count('failed logins (0 turns the per-IP refusal off)'),
    doc: 'failed logins of an account from one client IP (an IPv6 client per /64) within the window after which that IP alone gets `429` for that account until the window ends; `0` = off',
  }),
  loginFailureMinMs: setting({
    env: 'LOGIN_FAILURE_MIN_MS',
    default: '500',
    parse: count('milliseconds (0 answers a failed login as soon as it is checked)'),
    doc: 'a failed password check (wrong password, unknown or disabled user) is answered no sooner than this many milliseconds after it began: a user whose imported hash (bcrypt, PBKDF2, scrypt) takes longer to check than argon2id cannot be told from an unknown name by the time the answer takes. Raise it above your slowest imported hash; `0` = off',
  }),
  loginFailureWindow: setting({
    env: 'LOGIN_FAILURE_WINDOW',
    default: '900',
    parse: seconds(60, 86_400),
    doc: 'seconds over which failed logins count (60–86400)',
  }),
  refreshRateLimit: setting({
    env: 'REFRESH_RATE_LIMIT',
    default: '60',
    parse: count('refreshes per minute (0 turns the limit off)'),
    doc: 'refreshes per minute per refresh-token family, i.e. per login and device (named by a refresh token whose signature verified); `0` = off',
  }),
  refreshIpRateLimit: setting({
    env: 'REFRESH_IP_RATE_LIMIT',
    default: '600',
    parse: count('refreshes per minute (0 turns the limit off)'),
    doc: 'refreshes per minute per client IP (an IPv6 client per /64): a ceiling generous enough for many phones behind one carrier NAT; `0` = off',
  }),
  trustProxy: setting({
    env: 'TRUST_PROXY',
    default: 'false',
    parse: trustProxy,
    doc: '`true`, a hop count, or proxy addresses/CIDRs: the client IP then comes from `X-Forwarded-For`',
  }),
  /** Resolved by `loadConfig`: PUBLIC_URL (without a trailing slash) when unset. */
  issuer: setting({
    env: 'JWT_ISSUER',
    defaultDoc: '`PUBLIC_URL`',
    parse: nonEmpty.optional(),
    doc: '`iss` of issued tokens, checked on verification; standard libraries find the discovery document and keys from it. Unset, tokens that name the default of earlier releases (`tessera`) are accepted until they expire',
  }),
  audience: setting({
    env: 'JWT_AUDIENCE',
    default: 'tessera-api',
    parse: nonEmpty,
    doc: '`aud` of access tokens, checked on verification. Must differ from the issuer (`JWT_ISSUER` and `PUBLIC_URL`): any service may get a token for Tessera itself, to read the revocation feed, and such a token must not open your API',
  }),
  logLevel: setting({
    env: 'LOG_LEVEL',
    default: 'info',
    parse: z.enum(LOG_LEVELS, { error: 'must be one of fatal, error, warn, info, debug, trace, silent' }),
    doc: '`fatal` … `trace`, or `silent`. JSON lines on standard output, written in batches: each line within 250 ms',
  }),
  auditRetentionDays: setting({
    env: 'AUDIT_RETENTION_DAYS',
    default: '90',
    parse: wholeNumber('days', 1),
    doc: 'audit events older than this are deleted',
  }),
  legacySessions: setting({
    env: 'LEGACY_SESSIONS',
    default: 'on',
    parse: onOff,
    doc: 'cookie sessions (`/api/login`) beside JWTs; `off` = v3.0: `/api/login` answers 410, cookies 401',
  }),
  sessionIdleTimeout: setting({
    env: 'SESSION_IDLE_TIMEOUT',
    default: '1800',
    parse: seconds(60, 31_536_000),
    doc: 'seconds without a request after which a session ends (measured to the minute, never early)',
  }),
  sessionMaxAge: setting({
    env: 'SESSION_MAX_AGE',
    default: '86400',
    parse: seconds(60, 31_536_000),
    doc: 'seconds after login at which a session ends, however active',
  }),
  sessionsDeprecatedAt: setting({
    env: 'SESSIONS_DEPRECATED_AT',
    // The day Tessera deprecated cookie sessions; operators set their own announcement date.
    default: '2026-11-23',
    parse: isoDate,
    doc: 'ISO 8601 date of the deprecation: the `Deprecation` header of session responses',
  }),
  /** Resolved by `loadConfig`: SESSIONS_DEPRECATED_AT + SUNSET_AFTER_DAYS when unset. */
  sessionsSunset: setting({
    env: 'SESSIONS_SUNSET',
    defaultDoc: `deprecation + ${SUNSET_AFTER_DAYS} days`,
    parse: isoDate.optional(),
    doc: 'ISO 8601 date sessions stop working (v3.0): the `Sunset` header',
  }),
  migrationGuideUrl: setting({
    env: 'MIGRATION_GUIDE_URL',
    default: '/docs/auth-migration-guide.md',
    parse: z
      .string()
      .trim()
      .regex(/^(?:https?:\/\/|\/)[^\s<>"]*$/, 'must be an http(s) URL or a path starting with /, without spaces, < > or "'),
    doc: 'the `Link: <…>; rel="deprecation"` of session responses (Tessera serves the guide there)',
  }),
  jwtRolloutPercent: setting({
    env: 'JWT_ROLLOUT_PERCENT',
    default: '100',
    parse: z
      .string()
      .trim()
      .regex(/^\d+$/, 'must be a whole number from 0 to 100')
      .transform(Number)
      .pipe(z.number().int().max(100, 'must be at most 100')),
    doc: 'share of users (stable per user) who may log in with JWTs; `tessera rollout set` stores a value that wins over it',
  }),
  /** Resolved by `loadConfig`: http://localhost:PORT when unset. */
  publicUrl: setting({
    env: 'PUBLIC_URL',
    defaultDoc: '`http://localhost:PORT`',
    parse: httpUrl.optional(),
    doc: 'where clients reach Tessera (`https://auth.example.com`; production requires `https://`): the default `JWT_ISSUER`, and the base of the discovery document\'s URLs; requests authenticated by a cookie (refresh, logout, session exchange, session logout) must come from its origin or from `ALLOWED_ORIGINS`, else `403 cross_site_request`',
  }),
  allowedOrigins: setting({
    env: 'ALLOWED_ORIGINS',
    default: '',
    parse: origins,
    doc: 'comma-separated further origins (`https://app.example.com`) whose pages may send cookie-authenticated requests; requests without `Origin` and `Sec-Fetch-Site` (curl, apps, server clients) are never refused for their origin',
  }),
  corsOrigins: setting({
    env: 'CORS_ORIGINS',
    default: '',
    parse: origins,
    doc: 'comma-separated origins (`https://app.example.com`, never `*`) whose pages may call `/auth/*` and `/api/*` from the browser with credentials (CORS); they may also send the refresh cookie. Unset: no page of another origin can read an answer ([client SDK](docs/client-sdk.md))',
  }),
  metricsToken: setting({
    env: 'METRICS_TOKEN',
    parse: z.string().min(16, 'must be at least 16 characters (or unset, for a public /metrics)').optional(),
    secret: true,
    production: optionalSecretWeakness,
    doc: 'when set, `GET /metrics` requires `Authorization: Bearer <METRICS_TOKEN>` (16+ characters; in production the `JWT_SECRET` rule); unset, it is public in development and test and refused (`401`) in production',
  }),
  /** Slow-client limits and sizes of the HTTP server. */
  http: {
    // Our bodies are small: 10 s for the headers and 30 s for all of it are generous on any link.
    headersTimeout: setting({
      env: 'HTTP_HEADERS_TIMEOUT',
      default: '10',
      parse: seconds(1, 300),
      doc: "seconds for a request's line and headers to arrive; past it `408` and the connection closes",
    }),
    requestTimeout: setting({
      env: 'HTTP_REQUEST_TIMEOUT',
      default: '30',
      parse: seconds(1, 300),
      doc: "seconds for the whole request, body included, to arrive (nginx's `client_body_timeout` is 60 s between reads; ours bounds the total, bodies being ≤ 16 KiB); past it `408` and the connection closes",
    }),
    idleTimeout: setting({
      env: 'HTTP_IDLE_TIMEOUT',
      // Above the 60 s idle timeout of common proxies and load balancers, so they close first.
      default: '75',
      parse: seconds(1, 3600),
      doc: 'seconds a connection may stay silent (between requests or mid-request) before it is closed; above the 60 s of common proxies, so they close first',
    }),
    maxConnectionsPerIp: setting({
      env: 'MAX_CONNECTIONS_PER_IP',
      // A browser opens at most 6 per host; 64 leaves room for a small office behind one NAT.
      default: '64',
      parse: count('connections (0 turns the cap off)'),
      doc: 'open connections one client address (an IPv6 client: its /64) may hold; more are closed as they arrive; `0` = no cap. Connections from a `TRUST_PROXY` address are not counted (cap them at the proxy, e.g. nginx `limit_conn`)',
    }),
    bodyLimit: setting({
      env: 'HTTP_BODY_LIMIT',
      default: '16384',
      parse: wholeNumber('bytes', 1024, 1_048_576),
      doc: 'largest request body, bytes; a larger one answers `413`. Login, refresh, logout and the session endpoints keep their own limit of 4096',
    }),
  },
  loginQueueMaxWaitMs: setting({
    env: 'LOGIN_QUEUE_MAX_WAIT_MS',
    // About 40 logins' worth of argon2id per hashing slot: a client waits at most 2 s before being told to retry.
    default: '2000',
    parse: milliseconds(1, 60_000),
    doc: 'longest wait, ms, for a password-hashing slot; past it the login answers `503 temporarily_unavailable` with `Retry-After`, counted in `tessera_logins_shed_total`',
  }),
  passwordHashPriority: setting({
    env: 'PASSWORD_HASH_PRIORITY',
    default: 'low',
    parse: z.enum(['low', 'normal'], { error: 'must be low or normal' }),
    doc: '`low`: password hashes (argon2id) run first in threads of low scheduling priority (nice 10), one per core, so logins use the cores the API leaves idle and the kernel favours the API when both want a core; when those threads stall — a hash held up 8× longer than its cost took lately while none of them has finished one for as long (a busy machine) — it also starts at normal priority. `normal`: at most cores − 1 hashes at once, at normal priority'
  }),
  productionDatabaseOverride: setting({
    env: 'PRODUCTION_DATABASE_OVERRIDE',
    default: 'off',
    parse: onOff,
    doc: 'a database remembers that a production server (or `tessera migrate` in production) used it, and a development or test server refuses to start on it; `on` lets it start anyway (it still never seeds demo accounts there)',
  }),
  /** Hourly counts of authenticated requests, JWT against session: the console's chart and /metrics. */
  requestCounts: {
    // Counting is a number added in memory; the database is written once per interval, never per request.
    flushIntervalMs: setting({
      env: 'REQUEST_COUNTS_FLUSH_INTERVAL_MS',
      default: '10000',
      parse: milliseconds(100, 3_600_000),
      doc: 'authenticated requests are counted per hour, JWT and session apart, in memory and written once per this many ms (the console\'s chart, `GET /admin/stats/authenticated-requests`, `tessera_authenticated_requests_total` in `/metrics`); a request never writes',
    }),
    retentionDays: setting({
      env: 'REQUEST_COUNTS_RETENTION_DAYS',
      // The console's chart shows 7 days; a month leaves room to compare.
      default: '30',
      parse: wholeNumber('days', 7, 3650),
      doc: 'hourly request counts older than this many days are deleted (at least 7, the chart\'s week)',
    }),
  },
  /** Resolved by `loadConfig`: `public` in development and test, `off` in production. */
  consoleListen: setting({
    env: 'CONSOLE_LISTEN',
    defaultDoc: '`public` (production: `off`)',
    parse: consoleListen.optional(),
    doc: 'where the operator console `/console` is served: `public` (the main listener), `off`, or a separate address such as `127.0.0.1:5001` that only operators reach (then not on the main listener); the account page `/account` is always public',
  }),
  /** Lazy migration: resolved by `loadConfig` into `LegacyAuthSettings`, or undefined without LEGACY_AUTH_URL. */
  legacyAuth: {
    url: setting({
      env: 'LEGACY_AUTH_URL',
      defaultDoc: '— (off)',
      parse: httpUrl.optional(),
      // Passwords travel to the old app: never in clear text on a production network.
      production: (url) => (url !== undefined && new URL(url).protocol !== 'https:' ? 'must be https:// in production' : undefined),
      doc: 'lazy migration: a login for a username Tessera does not know is checked by this endpoint of your old app, and the user is created if it says yes ([contract](docs/bring-your-users.md#lazy-migration-for-teams-that-cannot-export-hashes)); `https://` in production',
    }),
    secret: setting({
      env: 'LEGACY_AUTH_SECRET',
      parse: z.string().optional(),
      secret: true,
      production: optionalSecretWeakness,
      doc: 'required with `LEGACY_AUTH_URL`: sent as `Authorization: Bearer …` so the old app answers only Tessera; in production held to the `JWT_SECRET` rule',
    }),
    timeoutMs: setting({
      env: 'LEGACY_AUTH_TIMEOUT_MS',
      // Login forms give up after 10 s or so; 2 s leaves the password check and token signing time too.
      default: '2000',
      parse: milliseconds(100, 10_000),
      doc: 'longest wait, ms (100–10000), for the old app\'s answer; past it (or on any unusable answer) the login answers `503 temporarily_unavailable` and the failure is audited',
    }),
    allowAdmin: setting({
      env: 'LEGACY_AUTH_ALLOW_ADMIN',
      default: 'off',
      parse: onOff,
      doc: '`on` lets the old app\'s `admin` role carry over; `off`, such a user is created with the `user` role (audited)',
    }),
  },
  /** Email Tessera sends (`tessera legacy-usage notify`, confirmation links); nothing is sent without SMTP_URL. */
  mail: {
    smtpUrl: setting({
      env: 'SMTP_URL',
      defaultDoc: '— (no email)',
      parse: smtpUrl.optional(),
      secret: true,
      doc: 'the mail server for `tessera legacy-usage notify` and the confirmation links of the addresses users set on `/account` (without it those stay unverified): `smtp://host:587` or `smtps://user:password@host:465`; characters other than letters and digits in the user name or password are percent-encoded (`#` as `%23`). Checked at start; an error never quotes it',
    }),
    from: setting({
      env: 'MAIL_FROM',
      defaultDoc: '— (required to send)',
      parse: nonEmpty.optional(),
      doc: 'the sender of the email Tessera sends, such as `Example Auth <auth@example.com>`',
    }),
  },
  /** How often each instance does its background work. */
  background: {
    revocationPollMs: setting({
      env: 'REVOCATION_POLL_MS',
      default: '500',
      parse: milliseconds(10, DAY_MS),
      doc: 'ms between reads of the revocations other instances and the CLI made (with `REDIS_URL` they also arrive at once): the longest a revoked token may still work elsewhere without Redis',
    }),
    keyReloadMs: setting({
      env: 'KEY_RELOAD_MS',
      default: '5000',
      parse: milliseconds(10, DAY_MS),
      doc: 'ms between reloads of the signing keys, so rotations made elsewhere are picked up (an unknown `kid`, or with `REDIS_URL` the rotation itself, triggers one at once)',
    }),
    rolloutReloadMs: setting({
      env: 'ROLLOUT_RELOAD_MS',
      default: '2000',
      parse: milliseconds(10, DAY_MS),
      doc: 'ms between reads of the JWT rollout (`tessera rollout …`, another instance); with `REDIS_URL` changes also arrive at once',
    }),
    loginUnlockPollMs: setting({
      env: 'LOGIN_UNLOCK_POLL_MS',
      default: '2000',
      parse: milliseconds(10, DAY_MS),
      doc: 'without `REDIS_URL`: ms between reads of the account unlocks made elsewhere (`tessera users unlock`, another instance)',
    }),
    legacyUsageFlushMs: setting({
      env: 'LEGACY_USAGE_FLUSH_MS',
      default: '10000',
      parse: milliseconds(10, DAY_MS),
      doc: 'ms between writes of the counts of session-authenticated requests (`tessera legacy-usage`)',
    }),
    revocationFeedHeartbeatMs: setting({
      env: 'REVOCATION_FEED_HEARTBEAT_MS',
      // Well below the 60 s idle timeout of common proxies; a subscriber hearing nothing for two beats reconnects.
      default: '15000',
      parse: milliseconds(100, 3_600_000),
      doc: 'ms between heartbeats on an idle revocation feed (`GET /auth/revocations`, [protect your API](docs/protect-your-api.md)); must be below `HTTP_IDLE_TIMEOUT`',
    }),
    pruneMs: setting({
      env: 'PRUNE_INTERVAL_MS',
      default: String(10 * 60_000),
      parse: milliseconds(1000, DAY_MS),
      doc: 'ms between deletions of expired tokens and sessions and of audit events older than `AUDIT_RETENTION_DAYS`',
    }),
  },
};
