import { readFileSync } from 'node:fs';
import { SETTINGS, SUNSET_AFTER_DAYS } from './config/settings.js';
import { assertProductionRules, ConfigError, readSettings, settingsOf, type Env, type SettingValues } from './config/setting.js';

/**
 * The configuration, read once at start from the environment: the rest of the code receives a typed
 * `Config` and never reads `process.env`. Each setting is declared once, in `config/settings.ts`.
 */

export { ConfigError } from './config/setting.js';
export { SETTINGS, SUNSET_AFTER_DAYS } from './config/settings.js';
export { secretWeakness } from './config/secret-strength.js';
export { SIGNING_ALGORITHMS, type DatabaseLocation, type SigningAlgorithm, type TrustProxy } from './config/parsers.js';

/** Where the fleet's shared state lives: rate-limit counters and events between instances. */
export interface RedisLocation {
  url: string;
  /** Every key and channel name starts with this, so fleets (or tests) can share one Redis. */
  prefix: string;
}

/** The settings as declared, before the few that depend on another are resolved. */
type Declared = SettingValues<typeof SETTINGS>;

/** Every setting's typed value: what `SETTINGS` declares, with the resolved ones in their final form. */
export type Config = ReturnType<typeof resolve>;
export type HttpLimits = Config['http'];
export type DatabasePool = Config['databasePool'];
export type BackgroundIntervals = Config['background'];

/** The name of every environment variable Tessera reads, in the order the README's table lists them. */
export const SETTING_NAMES: readonly string[] = settingsOf(SETTINGS).map((s) => s.env);

/** Parses and validates the environment; throws `ConfigError` naming the first bad variable. */
export function loadConfig(env: Env = process.env): Config {
  const config = resolve(readSettings(SETTINGS, env));
  assertConsistent(config);
  if (config.env === 'production') {
    assertProductionRules(SETTINGS, config);
    if (config.jwtSecretPrevious !== undefined && config.jwtSecretPrevious === config.jwtSecret) {
      throw new ConfigError('JWT_SECRET_PREVIOUS', 'must differ from JWT_SECRET');
    }
  }
  return config;
}

/** Lazy migration (LEGACY_AUTH_URL): the team's old app, asked about logins for usernames Tessera does not know yet. */
export interface LegacyAuthSettings {
  url: string;
  /** Sent as `Authorization: Bearer <secret>`: the old app answers only Tessera. */
  secret: string;
  timeoutMs: number;
  /** Whether a user the old app calls `admin` becomes an admin here. */
  allowAdmin: boolean;
}

/** The settings whose value depends on another one (or on a file), stated here once. */
function resolve(declared: Declared) {
  const { redis, jwtSecret, jwtSecretFile, sessionsSunset } = declared;
  const publicUrl = declared.publicUrl ?? `http://localhost:${declared.port}`;
  const issuer = declared.issuer ?? issuerOf(publicUrl);
  return {
    ...declared,
    /** Unset: one instance, nothing shared beyond the database (rate limits count per instance). */
    redis: redis.url === undefined ? undefined : ({ url: redis.url, prefix: redis.prefix } satisfies RedisLocation),
    jwtSecret: jwtSecretFrom(jwtSecret, jwtSecretFile),
    sessionsSunset: sessionsSunset ?? declared.sessionsDeprecatedAt + SUNSET_AFTER_DAYS * 86_400_000,
    publicUrl,
    consoleListen: declared.consoleListen ?? (declared.env === 'production' ? 'off' : 'public'),
    /** `iss` of every token issued: JWT_ISSUER, by default PUBLIC_URL (without a trailing slash). */
    issuer,
    /**
     * Issuers accepted on verification: `issuer`, and — when JWT_ISSUER is not set — the default of
     * earlier releases (`tessera`), so tokens issued before an upgrade keep working until they expire.
     */
    acceptedIssuers: declared.issuer === undefined && issuer !== PREVIOUS_DEFAULT_ISSUER ? [issuer, PREVIOUS_DEFAULT_ISSUER] : [issuer],
    /** Unset without LEGACY_AUTH_URL. */
    legacyAuth: legacyAuthOf(declared.legacyAuth),
  };
}

function legacyAuthOf({ url, secret, timeoutMs, allowAdmin }: Declared['legacyAuth']): LegacyAuthSettings | undefined {
  if (url === undefined) return undefined;
  if (!secret) throw new ConfigError('LEGACY_AUTH_SECRET', 'is required with LEGACY_AUTH_URL — generate one with: openssl rand -base64 32');
  return { url, secret, timeoutMs, allowAdmin };
}

/** JWT_ISSUER's default before it became PUBLIC_URL: tokens naming it are accepted while they live. */
export const PREVIOUS_DEFAULT_ISSUER = 'tessera';

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

/** Rules between settings. */
function assertConsistent(config: Config): void {
  if (config.http.headersTimeout > config.http.requestTimeout) {
    throw new ConfigError('HTTP_HEADERS_TIMEOUT', 'must not be longer than HTTP_REQUEST_TIMEOUT');
  }
  if (config.sessionsSunset <= config.sessionsDeprecatedAt) {
    throw new ConfigError('SESSIONS_SUNSET', 'must be later than SESSIONS_DEPRECATED_AT');
  }
  if (config.background.revocationFeedHeartbeatMs >= config.http.idleTimeout * 1000) {
    throw new ConfigError('REVOCATION_FEED_HEARTBEAT_MS', 'must be shorter than HTTP_IDLE_TIMEOUT, or idle feeds are cut');
  }
  if (config.refreshTokenTtl <= config.accessTokenTtl) {
    throw new ConfigError('REFRESH_TOKEN_EXPIRY', 'must be longer than TOKEN_EXPIRY');
  }
  // Any service may get a token whose audience is the issuer (to read the revocation feed): it must open no API.
  const audience = issuerOf(config.audience);
  if (audience === config.issuer || audience === issuerOf(config.publicUrl)) {
    throw new ConfigError(
      'JWT_AUDIENCE',
      `must differ from the issuer (JWT_ISSUER, PUBLIC_URL: ${config.issuer}): any service may obtain a token for the issuer, which must not open your API; name the API instead, such as tessera-api or https://api.example.com`,
    );
  }
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
