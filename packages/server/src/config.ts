import { ZxcvbnFactory } from '@zxcvbn-ts/core';
import * as zxcvbnCommon from '@zxcvbn-ts/language-common';
import { readFileSync } from 'node:fs';
import { z } from 'zod';

/**
 * Every setting Tessera reads, its default and its meaning, in one place.
 * The environment is read here once, at start; the rest of the code receives a typed `Config`.
 */

export const SIGNING_ALGORITHMS = ['RS256', 'ES256', 'EdDSA'] as const;
export type SigningAlgorithm = (typeof SIGNING_ALGORITHMS)[number];

export type TrustProxy = boolean | number | string[];

export type DatabaseLocation =
  | { kind: 'sqlite'; path: string }
  | { kind: 'postgres'; url: string };

/** Where the fleet's shared state lives: rate-limit counters and events between instances. */
export interface RedisLocation {
  url: string;
  /** Every key and channel name starts with this, so fleets (or tests) can share one Redis. */
  prefix: string;
}

export interface Config {
  /** TCP port to listen on. */
  port: number;
  /** Interface to bind; `::` accepts IPv4 and IPv6. */
  host: string;
  env: 'development' | 'production' | 'test';
  database: DatabaseLocation;
  /** Unset: one instance, nothing shared beyond the database (rate limits count per instance). */
  redis: RedisLocation | undefined;
  /** Encrypts the private signing keys at rest; absent only in development. */
  jwtSecret: string | undefined;
  /** The secret before the last rotation, tried when `jwtSecret` cannot decrypt a stored key. */
  jwtSecretPrevious: string | undefined;
  jwtAlgorithm: SigningAlgorithm;
  /** Access-token lifetime, seconds. */
  accessTokenTtl: number;
  /** Refresh-token lifetime, seconds. */
  refreshTokenTtl: number;
  /** Seconds during which a just-rotated refresh token still yields the same successor. 0 = off. */
  refreshReuseInterval: number;
  /** Absolute lifetime of a refresh-token family from its login, seconds: no refresh extends it. 0 = no limit. */
  refreshFamilyMaxAge: number;
  /** Requests per minute per client IP: one budget for every password check and credential trade, and /auth/logout. 0 = no limit. */
  authRateLimit: number;
  trustProxy: TrustProxy;
  /** `iss` of every token issued: JWT_ISSUER, by default PUBLIC_URL (without a trailing slash). */
  issuer: string;
  /**
   * Issuers accepted on verification: `issuer`, and — when JWT_ISSUER is not set — the default of
   * earlier releases (`tessera`), so tokens issued before an upgrade keep working until they expire.
   */
  acceptedIssuers: string[];
  audience: string;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** Audit events older than this many days are deleted. */
  auditRetentionDays: number;
  /** Legacy cookie sessions (`POST /api/login`) are accepted: on during the transition, off from v3.0. */
  legacySessions: boolean;
  /** A session ends after this many seconds without a request. */
  sessionIdleTimeout: number;
  /** A session ends this many seconds after its login, however active. */
  sessionMaxAge: number;
  /** When sessions were deprecated, epoch ms: the `Deprecation` header of session-authenticated responses. */
  sessionsDeprecatedAt: number;
  /** When sessions stop working (v3.0), epoch ms: the `Sunset` header. */
  sessionsSunset: number;
  /** Where session users learn how to move to JWTs: the `Link: <…>; rel="deprecation"` header. */
  migrationGuideUrl: string;
  /** Share of users (0–100) who may log in with JWTs until an operator sets one with `tessera rollout set`. */
  jwtRolloutPercent: number;
  /**
   * When set, GET /metrics requires `Authorization: Bearer <metricsToken>`. Unset, it is public in
   * development and test, and refused (401) in production.
   */
  metricsToken: string | undefined;
  /** A development or test server may start on a database initialised in production (never seeding it). */
  productionDatabaseOverride: boolean;
  /** Failed logins of an account (any IP) in the window after which its checks are slowed progressively. 0 = off. */
  loginSlowdownAfter: number;
  /** Failed logins of an account from one IP in the window after which that IP is refused (429) for it. 0 = off. */
  loginLockoutThreshold: number;
  /** Seconds over which failed logins are counted; a per-IP lock ends with the window. */
  loginFailureWindow: number;
  /** Refreshes per minute per refresh-token family (one login's device), named by a token whose signature verified. 0 = no limit. */
  refreshRateLimit: number;
  /** Refreshes per minute per client IP (a ceiling for many devices behind one NAT). 0 = no limit. */
  refreshIpRateLimit: number;
  /** Where clients reach this server (`https://auth.example.com`); its origin may send cookie-authenticated requests. */
  publicUrl: string;
  /** Further origins whose pages may send cookie-authenticated requests (refresh, logout, session exchange). */
  allowedOrigins: string[];
  /** Slow-client limits of the HTTP server (seconds, and connections per client address). */
  http: HttpLimits;
  /** Longest a login waits for a password-hashing slot, ms; past it the login is shed with 503. */
  loginQueueMaxWaitMs: number;
  /** Lazy migration: the team's old app, asked about logins for usernames Tessera does not know yet. */
  legacyAuth: LegacyAuthSettings | undefined;
}

export interface LegacyAuthSettings {
  /** The old app's password-check endpoint (https in production). */
  url: string;
  /** Sent as `Authorization: Bearer <secret>`: the old app answers only Tessera. */
  secret: string;
  /** Longest Tessera waits for an answer, ms; past it the login is answered 503 and the failure audited. */
  timeoutMs: number;
  /** Whether a user the old app calls `admin` becomes an admin here; off, they are created with the `user` role. */
  allowAdmin: boolean;
}

export interface HttpLimits {
  /** The request line and headers must arrive within this many seconds of the connection's request start. */
  headersTimeout: number;
  /** The whole request, body included, must arrive within this many seconds. */
  requestTimeout: number;
  /** A connection on which nothing arrives for this many seconds (mid-request or between requests) is closed. */
  idleTimeout: number;
  /** Open connections one client address may hold at once (0 = no cap). Trusted proxies are not capped. */
  maxConnectionsPerIp: number;
}

/** The documented default of every variable; docs and tests read this table. */
export const DEFAULTS = {
  PORT: '5000',
  HOST: '::',
  NODE_ENV: 'development',
  DATABASE_URL: 'sqlite:./data/tessera.db',
  REDIS_PREFIX: 'tessera:',
  JWT_ALGORITHM: 'RS256',
  TOKEN_EXPIRY: '900',
  REFRESH_TOKEN_EXPIRY: '604800',
  REFRESH_REUSE_INTERVAL: '0',
  /** 30 days: Auth0's default absolute refresh-token lifetime; Keycloak's SSO Session Max defaults to 10 hours. */
  REFRESH_FAMILY_MAX_AGE: '2592000',
  AUTH_RATE_LIMIT: '10',
  TRUST_PROXY: 'false',
  // JWT_ISSUER has no fixed default: it is PUBLIC_URL.
  JWT_AUDIENCE: 'tessera-api',
  LOG_LEVEL: 'info',
  AUDIT_RETENTION_DAYS: '90',
  LEGACY_SESSIONS: 'on',
  SESSION_IDLE_TIMEOUT: '1800',
  SESSION_MAX_AGE: '86400',
  /** The day Tessera deprecated cookie sessions; set your own announcement date. */
  SESSIONS_DEPRECATED_AT: '2026-11-23',
  // SESSIONS_SUNSET has no fixed default: it is SESSIONS_DEPRECATED_AT + SUNSET_AFTER_DAYS.
  MIGRATION_GUIDE_URL: '/docs/auth-migration-guide.md',
  JWT_ROLLOUT_PERCENT: '100',
  // PUBLIC_URL has no fixed default: it is http://localhost:PORT.
  ALLOWED_ORIGINS: '',
  /** Our bodies are at most 16 KiB: 10 s for the headers and 30 s for all of it are generous on any link. */
  HTTP_HEADERS_TIMEOUT: '10',
  HTTP_REQUEST_TIMEOUT: '30',
  /** Above the 60 s idle timeout of common proxies and load balancers, so they close first. */
  HTTP_IDLE_TIMEOUT: '75',
  /** A browser opens at most 6 per host; 64 leaves room for a small office behind one NAT. */
  MAX_CONNECTIONS_PER_IP: '64',
  /** About 40 logins' worth of argon2id per hashing slot: a client waits at most 2 s before being told to retry. */
  LOGIN_QUEUE_MAX_WAIT_MS: '2000',
  PRODUCTION_DATABASE_OVERRIDE: 'off',
  LOGIN_SLOWDOWN_AFTER: '5',
  LOGIN_LOCKOUT_THRESHOLD: '10',
  LOGIN_FAILURE_WINDOW: '900',
  REFRESH_RATE_LIMIT: '60',
  REFRESH_IP_RATE_LIMIT: '600',
  /** Most login forms give up after 10 s or so; 2 s leaves the password check and token signing time too. */
  LEGACY_AUTH_TIMEOUT_MS: '2000',
  LEGACY_AUTH_ALLOW_ADMIN: 'off',
} as const;

/** JWT_ISSUER's default before it became PUBLIC_URL: tokens naming it are accepted while they live. */
export const PREVIOUS_DEFAULT_ISSUER = 'tessera';

/** Without SESSIONS_SUNSET, sessions end this many days after their deprecation (the seed's "90 days from now"). */
export const SUNSET_AFTER_DAYS = 90;

export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    reason: string,
  ) {
    super(`${variable}: ${reason}`);
    this.name = 'ConfigError';
  }
}

const seconds = (min: number, max: number) =>
  z
    .string()
    .trim()
    .regex(/^\d+$/, 'must be a whole number of seconds')
    .transform(Number)
    .pipe(z.number().int().min(min, `must be at least ${min}`).max(max, `must be at most ${max}`));

const count = (what: string) =>
  z.string().trim().regex(/^\d+$/, `must be a whole number of ${what}`).transform(Number);

/** `2027-02-21` (midnight UTC) or a full ISO 8601 time with its zone, as epoch milliseconds. */
const isoDate = z
  .string()
  .trim()
  .regex(
    /^\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,3})?)?(?:Z|[+-]\d{2}:\d{2}))?$/,
    'must be an ISO 8601 date such as 2027-02-21 or 2027-02-21T09:00:00Z',
  )
  .refine((value) => isRealDate(value), 'is not a real calendar date')
  .transform((value) => Date.parse(value));

function isRealDate(value: string): boolean {
  const ms = Date.parse(value);
  // Date.parse rolls 2027-02-30 over into March instead of refusing it.
  return Number.isFinite(ms) && (value.length > 10 || new Date(ms).toISOString().startsWith(value));
}

const schema = z.object({
  PORT: z
    .string()
    .trim()
    .regex(/^\d+$/, 'must be a port number')
    .transform(Number)
    .pipe(z.number().int().min(0).max(65535, 'must be at most 65535')),
  HOST: z.string().trim().min(1, 'must not be empty'),
  NODE_ENV: z.enum(['development', 'production', 'test'], {
    error: 'must be development, production or test',
  }),
  DATABASE_URL: z.string().trim().min(1, 'must not be empty'),
  REDIS_URL: z
    .string()
    .trim()
    .regex(/^rediss?:\/\/\S+$/, 'must be redis://host:port or rediss://host:port (TLS)')
    .optional(),
  REDIS_PREFIX: z.string().regex(/^[\w:.-]{1,64}$/, 'must be 1 to 64 letters, digits or _ : . -'),
  JWT_SECRET: z.string().optional(),
  JWT_SECRET_FILE: z.string().trim().min(1).optional(),
  JWT_SECRET_PREVIOUS: z.string().optional(),
  JWT_ALGORITHM: z.enum(SIGNING_ALGORITHMS, { error: 'must be RS256, ES256 or EdDSA' }),
  TOKEN_EXPIRY: seconds(1, 86_400),
  REFRESH_TOKEN_EXPIRY: seconds(60, 31_536_000),
  REFRESH_REUSE_INTERVAL: seconds(0, 300),
  REFRESH_FAMILY_MAX_AGE: seconds(0, 31_536_000),
  AUTH_RATE_LIMIT: z
    .string()
    .trim()
    .regex(/^\d+$/, 'must be a whole number of requests per minute (0 turns the limit off)')
    .transform(Number),
  TRUST_PROXY: z.string().trim(),
  JWT_ISSUER: z.string().trim().min(1, 'must not be empty').optional(),
  JWT_AUDIENCE: z.string().trim().min(1, 'must not be empty'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], {
    error: 'must be one of fatal, error, warn, info, debug, trace, silent',
  }),
  AUDIT_RETENTION_DAYS: z
    .string()
    .trim()
    .regex(/^\d+$/, 'must be a whole number of days')
    .transform(Number)
    .pipe(z.number().int().min(1, 'must be at least 1')),
  LEGACY_SESSIONS: z.enum(['on', 'off'], { error: 'must be on or off' }),
  SESSION_IDLE_TIMEOUT: seconds(60, 31_536_000),
  SESSION_MAX_AGE: seconds(60, 31_536_000),
  SESSIONS_DEPRECATED_AT: isoDate,
  SESSIONS_SUNSET: isoDate.optional(),
  MIGRATION_GUIDE_URL: z
    .string()
    .trim()
    .regex(/^(?:https?:\/\/|\/)[^\s<>"]*$/, 'must be an http(s) URL or a path starting with /, without spaces, < > or "'),
  JWT_ROLLOUT_PERCENT: z
    .string()
    .trim()
    .regex(/^\d+$/, 'must be a whole number from 0 to 100')
    .transform(Number)
    .pipe(z.number().int().max(100, 'must be at most 100')),
  METRICS_TOKEN: z.string().optional(),
  PUBLIC_URL: z
    .string()
    .trim()
    .refine((value) => isHttpUrl(value), 'must be an http(s) URL such as https://auth.example.com')
    .optional(),
  ALLOWED_ORIGINS: z
    .string()
    .transform((value) => value.split(',').map((origin) => origin.trim()).filter(Boolean))
    .refine(
      (origins) => origins.every((origin) => isHttpUrl(origin) && new URL(origin).origin === origin),
      'must be comma-separated origins such as https://app.example.com (scheme, host and port; no path or trailing slash)',
    ),
  HTTP_HEADERS_TIMEOUT: seconds(1, 300),
  HTTP_REQUEST_TIMEOUT: seconds(1, 300),
  HTTP_IDLE_TIMEOUT: seconds(1, 3600),
  MAX_CONNECTIONS_PER_IP: z
    .string()
    .trim()
    .regex(/^\d+$/, 'must be a whole number of connections (0 turns the cap off)')
    .transform(Number),
  LOGIN_QUEUE_MAX_WAIT_MS: z
    .string()
    .trim()
    .regex(/^\d+$/, 'must be a whole number of milliseconds')
    .transform(Number)
    .pipe(z.number().int().min(1, 'must be at least 1').max(60_000, 'must be at most 60000')),
  PRODUCTION_DATABASE_OVERRIDE: z.enum(['on', 'off'], { error: 'must be on or off' }),
  LOGIN_SLOWDOWN_AFTER: count('failed logins (0 turns the slowdown off)'),
  LOGIN_LOCKOUT_THRESHOLD: count('failed logins (0 turns the per-IP refusal off)'),
  LOGIN_FAILURE_WINDOW: seconds(60, 86_400),
  REFRESH_RATE_LIMIT: count('refreshes per minute (0 turns the limit off)'),
  REFRESH_IP_RATE_LIMIT: count('refreshes per minute (0 turns the limit off)'),
  LEGACY_AUTH_URL: z.string().trim().refine((value) => isHttpUrl(value), 'must be an http(s) URL such as https://app.example.com/tessera/check-password').optional(),
  LEGACY_AUTH_SECRET: z.string().optional(),
  LEGACY_AUTH_TIMEOUT_MS: z
    .string()
    .trim()
    .regex(/^\d+$/, 'must be a whole number of milliseconds')
    .transform(Number)
    .pipe(z.number().int().min(100, 'must be at least 100').max(10_000, 'must be at most 10000')),
  LEGACY_AUTH_ALLOW_ADMIN: z.enum(['on', 'off'], { error: 'must be on or off' }),
});

/** The issuer named by a base URL: the URL without its trailing slash, as RFC 8414 discovery expects. */
function issuerOf(publicUrl: string): string {
  return publicUrl.replace(/\/+$/, '');
}

/**
 * Refuses to serve in production unless PUBLIC_URL is https: it is the issuer other services trust
 * and fetch keys from, and where browsers send cookies. Checked when a server starts, not for CLI
 * commands, which never issue tokens.
 */
export function assertServable(config: Config): void {
  if (config.env !== 'production' || new URL(config.publicUrl).protocol === 'https:') return;
  throw new ConfigError(
    'PUBLIC_URL',
    `must be the https:// URL where clients reach Tessera in production, such as https://auth.example.com (got ${JSON.stringify(config.publicUrl)})`,
  );
}

function isHttpUrl(value: string): boolean {
  return URL.canParse(value) && ['http:', 'https:'].includes(new URL(value).protocol);
}

/** The name of every environment variable Tessera reads, in the order the README's table lists them. */
export const SETTING_NAMES: readonly string[] = Object.keys(schema.shape);

type Env = Record<string, string | undefined>;

/** Parses and validates the environment; throws `ConfigError` naming the first bad variable. */
export function loadConfig(env: Env = process.env): Config {
  const input: Record<string, string | undefined> = {};
  for (const key of Object.keys(schema.shape)) {
    const value = env[key];
    input[key] = value === undefined || value === '' ? (DEFAULTS as Record<string, string>)[key] : value;
  }
  const parsed = schema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const variable = String(issue.path[0] ?? 'configuration');
    throw new ConfigError(variable, `${issue.message} (got ${JSON.stringify(input[variable] ?? '')})`);
  }
  const v = parsed.data;
  const publicUrl = v.PUBLIC_URL ?? `http://localhost:${v.PORT}`;
  const issuer = v.JWT_ISSUER ?? issuerOf(publicUrl);
  const config: Config = {
    port: v.PORT,
    host: v.HOST,
    env: v.NODE_ENV,
    database: parseDatabaseUrl(v.DATABASE_URL),
    redis: v.REDIS_URL === undefined ? undefined : { url: v.REDIS_URL, prefix: v.REDIS_PREFIX },
    jwtSecret: jwtSecretFrom(v.JWT_SECRET, v.JWT_SECRET_FILE),
    jwtSecretPrevious: v.JWT_SECRET_PREVIOUS,
    jwtAlgorithm: v.JWT_ALGORITHM,
    accessTokenTtl: v.TOKEN_EXPIRY,
    refreshTokenTtl: v.REFRESH_TOKEN_EXPIRY,
    refreshReuseInterval: v.REFRESH_REUSE_INTERVAL,
    refreshFamilyMaxAge: v.REFRESH_FAMILY_MAX_AGE,
    authRateLimit: v.AUTH_RATE_LIMIT,
    trustProxy: parseTrustProxy(v.TRUST_PROXY),
    issuer,
    acceptedIssuers: v.JWT_ISSUER === undefined && issuer !== PREVIOUS_DEFAULT_ISSUER ? [issuer, PREVIOUS_DEFAULT_ISSUER] : [issuer],
    audience: v.JWT_AUDIENCE,
    logLevel: v.LOG_LEVEL,
    auditRetentionDays: v.AUDIT_RETENTION_DAYS,
    legacySessions: v.LEGACY_SESSIONS === 'on',
    sessionIdleTimeout: v.SESSION_IDLE_TIMEOUT,
    sessionMaxAge: v.SESSION_MAX_AGE,
    sessionsDeprecatedAt: v.SESSIONS_DEPRECATED_AT,
    sessionsSunset: v.SESSIONS_SUNSET ?? v.SESSIONS_DEPRECATED_AT + SUNSET_AFTER_DAYS * 86_400_000,
    migrationGuideUrl: v.MIGRATION_GUIDE_URL,
    jwtRolloutPercent: v.JWT_ROLLOUT_PERCENT,
    metricsToken: v.METRICS_TOKEN,
    publicUrl,
    allowedOrigins: v.ALLOWED_ORIGINS,
    http: {
      headersTimeout: v.HTTP_HEADERS_TIMEOUT,
      requestTimeout: v.HTTP_REQUEST_TIMEOUT,
      idleTimeout: v.HTTP_IDLE_TIMEOUT,
      maxConnectionsPerIp: v.MAX_CONNECTIONS_PER_IP,
    },
    loginQueueMaxWaitMs: v.LOGIN_QUEUE_MAX_WAIT_MS,
    productionDatabaseOverride: v.PRODUCTION_DATABASE_OVERRIDE === 'on',
    loginSlowdownAfter: v.LOGIN_SLOWDOWN_AFTER,
    loginLockoutThreshold: v.LOGIN_LOCKOUT_THRESHOLD,
    loginFailureWindow: v.LOGIN_FAILURE_WINDOW,
    refreshRateLimit: v.REFRESH_RATE_LIMIT,
    refreshIpRateLimit: v.REFRESH_IP_RATE_LIMIT,
    legacyAuth: legacyAuthFrom(v),
  };
  if (config.http.headersTimeout > config.http.requestTimeout) {
    throw new ConfigError('HTTP_HEADERS_TIMEOUT', 'must not be longer than HTTP_REQUEST_TIMEOUT');
  }
  if (config.sessionsSunset <= config.sessionsDeprecatedAt) {
    throw new ConfigError('SESSIONS_SUNSET', 'must be later than SESSIONS_DEPRECATED_AT');
  }
  // Checked here rather than in the schema, whose messages quote the value: a secret must never be echoed.
  if (config.metricsToken !== undefined && config.metricsToken.length < 16) {
    throw new ConfigError('METRICS_TOKEN', 'must be at least 16 characters (or unset, for a public /metrics)');
  }
  if (config.refreshTokenTtl <= config.accessTokenTtl) {
    throw new ConfigError('REFRESH_TOKEN_EXPIRY', 'must be longer than TOKEN_EXPIRY');
  }
  if (config.env === 'production') assertProductionSecrets(config);
  return config;
}

function legacyAuthFrom(v: z.infer<typeof schema>): LegacyAuthSettings | undefined {
  if (v.LEGACY_AUTH_URL === undefined) return undefined;
  if (!v.LEGACY_AUTH_SECRET) throw new ConfigError('LEGACY_AUTH_SECRET', `is required with LEGACY_AUTH_URL — ${GENERATE_HINT}`);
  if (v.NODE_ENV === 'production') {
    // Passwords travel to the old app: never in clear text, never to an endpoint anyone could answer for.
    if (new URL(v.LEGACY_AUTH_URL).protocol !== 'https:') throw new ConfigError('LEGACY_AUTH_URL', 'must be https:// in production');
    const weak = secretWeakness(v.LEGACY_AUTH_SECRET);
    if (weak) throw new ConfigError('LEGACY_AUTH_SECRET', weak);
  }
  return {
    url: v.LEGACY_AUTH_URL,
    secret: v.LEGACY_AUTH_SECRET,
    timeoutMs: v.LEGACY_AUTH_TIMEOUT_MS,
    allowAdmin: v.LEGACY_AUTH_ALLOW_ADMIN === 'on',
  };
}

/** JWT_SECRET, or the contents of JWT_SECRET_FILE (a file an operator keeps, mode 0600); never both. */
function jwtSecretFrom(inline: string | undefined, file: string | undefined): string | undefined {
  if (file === undefined) return inline;
  if (inline !== undefined) throw new ConfigError('JWT_SECRET_FILE', 'set either JWT_SECRET or JWT_SECRET_FILE, not both');
  let contents: string;
  try {
    contents = readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConfigError('JWT_SECRET_FILE', `cannot read ${JSON.stringify(file)} (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  // The file's trailing newline (`openssl rand … > file`) is not part of the secret.
  const secret = contents.replace(/\r?\n$/, '');
  if (secret.length === 0) throw new ConfigError('JWT_SECRET_FILE', `${JSON.stringify(file)} is empty`);
  return secret;
}

function parseDatabaseUrl(url: string): DatabaseLocation {
  if (url.startsWith('postgres://') || url.startsWith('postgresql://')) return { kind: 'postgres', url };
  const sqlite = /^sqlite:(?:\/\/)?(.+)$/.exec(url);
  if (sqlite) return { kind: 'sqlite', path: sqlite[1]! };
  throw new ConfigError('DATABASE_URL', `must be sqlite:PATH or postgres://… (got ${JSON.stringify(url)})`);
}

function parseTrustProxy(value: string): TrustProxy {
  const lower = value.toLowerCase();
  if (['false', '0', 'no', 'off'].includes(lower)) return false;
  if (['true', 'yes', 'on'].includes(lower)) return true;
  if (/^\d+$/.test(value)) return Number(value);
  const entries = value.split(',').map((s) => s.trim()).filter(Boolean);
  const address = /^[0-9a-fA-F:.]+(\/\d{1,3})?$/;
  if (entries.length > 0 && entries.every((e) => address.test(e) || ['loopback', 'linklocal', 'uniquelocal'].includes(e))) {
    return entries;
  }
  throw new ConfigError(
    'TRUST_PROXY',
    `must be false, true, a hop count, or a comma-separated list of proxy addresses/CIDRs (got ${JSON.stringify(value)})`,
  );
}

const PLACEHOLDER_SECRETS = ['your-secret', 'changeme', 'change-me', 'secret-key', 'supersecret', 'password', 'example'];

/** 10^24 guesses ≈ 2^80: what zxcvbn must estimate, at least, for a production secret. */
const MIN_SECRET_GUESSES_LOG10 = 24;
const GENERATE_HINT = 'generate one with: openssl rand -base64 32';

let estimator: ZxcvbnFactory | undefined;

/** zxcvbn's guess count for `secret`, as log10: keyboard walks, sequences, repeats and words count for little. */
function guessesLog10(secret: string): number {
  estimator ??= new ZxcvbnFactory({
    dictionary: zxcvbnCommon.dictionary,
    graphs: zxcvbnCommon.adjacencyGraphs,
  });
  return estimator.check(secret).guessesLog10;
}

/**
 * Why a secret is too weak for production, or undefined when it is acceptable. The one rule for every
 * production secret (JWT_SECRET, JWT_SECRET_PREVIOUS, METRICS_TOKEN); the message never quotes the secret.
 */
export function secretWeakness(secret: string | undefined): string | undefined {
  if (secret === undefined || secret.length === 0) return `is required in production — ${GENERATE_HINT}`;
  if (secret.length < 32) return `must be at least 32 characters in production (got ${secret.length}) — ${GENERATE_HINT}`;
  const lower = secret.toLowerCase();
  const placeholder = PLACEHOLDER_SECRETS.find((p) => lower.includes(p));
  if (placeholder) return `looks like a placeholder (contains "${placeholder}") — ${GENERATE_HINT}`;
  const log10 = guessesLog10(secret);
  if (new Set(secret).size < 12 || log10 < MIN_SECRET_GUESSES_LOG10) {
    const bits = Math.floor(log10 * Math.log2(10));
    return `is guessable: made of a pattern, sequence, keyboard walk or words, worth about 2^${bits} guesses where 2^80 is the least — ${GENERATE_HINT}`;
  }
  return undefined;
}

function assertProductionSecrets(config: Config): void {
  const weak = secretWeakness(config.jwtSecret);
  if (weak) throw new ConfigError('JWT_SECRET', weak);
  if (config.jwtSecretPrevious !== undefined) {
    if (config.jwtSecretPrevious === config.jwtSecret) throw new ConfigError('JWT_SECRET_PREVIOUS', 'must differ from JWT_SECRET');
    const previousWeak = secretWeakness(config.jwtSecretPrevious);
    if (previousWeak) throw new ConfigError('JWT_SECRET_PREVIOUS', previousWeak);
  }
  const metricsWeak = config.metricsToken === undefined ? undefined : secretWeakness(config.metricsToken);
  if (metricsWeak) throw new ConfigError('METRICS_TOKEN', metricsWeak);
}
