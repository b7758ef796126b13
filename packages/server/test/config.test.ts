import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { assertServable, ConfigError, loadConfig } from '../src/config.js';
import { obviousSecretWeakness } from '../src/config/secret-strength.js';

describe('configuration', () => {
  it('has the documented defaults', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      port: 5000,
      host: '::',
      env: 'development',
      database: { kind: 'sqlite', path: './data/tessera.db' },
      jwtAlgorithm: 'RS256',
      accessTokenTtl: 900,
      refreshTokenTtl: 604_800,
      refreshReuseInterval: 10,
      authRateLimit: 10,
      trustProxy: false,
      publicUrl: 'http://localhost:5000',
      issuer: 'http://localhost:5000',
      acceptedIssuers: ['http://localhost:5000', 'tessera'],
      audience: 'tessera-api',
      legacySessions: true,
      sessionIdleTimeout: 1800,
      sessionMaxAge: 86_400,
      sessionsDeprecatedAt: Date.UTC(2026, 10, 23),
      sessionsSunset: Date.UTC(2027, 1, 21),
      migrationGuideUrl: '/docs/auth-migration-guide.md',
      jwtRolloutPercent: 100,
      corsOrigins: [],
    });
  });

  it('takes the origins that may call /auth and /api from browser pages from CORS_ORIGINS, never a wildcard or a path', () => {
    expect(loadConfig({ CORS_ORIGINS: 'https://app.example.com, http://localhost:3000' }).corsOrigins).toEqual([
      'https://app.example.com',
      'http://localhost:3000',
    ]);
    expect(() => loadConfig({ CORS_ORIGINS: '*' })).toThrow(/^CORS_ORIGINS: must be comma-separated origins/);
    expect(() => loadConfig({ CORS_ORIGINS: 'https://app.example.com/login' })).toThrow(/^CORS_ORIGINS: must be comma-separated origins/);
  });

  it.each([
    ['PORT', 'abc', /^PORT: must be a port number/],
    ['PORT', '70000', /^PORT: must be at most 65535/],
    ['TOKEN_EXPIRY', '15m', /^TOKEN_EXPIRY: must be a whole number of seconds/],
    ['TOKEN_EXPIRY', '0', /^TOKEN_EXPIRY: must be at least 1/],
    ['JWT_ALGORITHM', 'HS256', /^JWT_ALGORITHM: must be RS256, ES256 or EdDSA/],
    ['NODE_ENV', 'staging', /^NODE_ENV: must be development, production or test/],
    ['AUTH_RATE_LIMIT', '-1', /^AUTH_RATE_LIMIT: /],
    ['DATABASE_URL', 'mysql://x', /^DATABASE_URL: must be sqlite:PATH or postgres/],
    ['TRUST_PROXY', 'sometimes', /^TRUST_PROXY: /],
    ['REFRESH_REUSE_INTERVAL', '9999', /^REFRESH_REUSE_INTERVAL: must be at most 300/],
    ['LOG_LEVEL', 'loud', /^LOG_LEVEL: /],
    ['LEGACY_SESSIONS', 'maybe', /^LEGACY_SESSIONS: must be on or off/],
    ['SESSION_IDLE_TIMEOUT', '30', /^SESSION_IDLE_TIMEOUT: must be at least 60/],
    ['SESSION_MAX_AGE', '1d', /^SESSION_MAX_AGE: must be a whole number of seconds/],
    ['SESSIONS_DEPRECATED_AT', 'next week', /^SESSIONS_DEPRECATED_AT: must be an ISO 8601 date/],
    ['SESSIONS_DEPRECATED_AT', '2027-02-30', /^SESSIONS_DEPRECATED_AT: is not a real calendar date/],
    ['SESSIONS_SUNSET', '2027-02-21 09:00', /^SESSIONS_SUNSET: must be an ISO 8601 date/],
    ['SESSIONS_SUNSET', '2026-01-01', /^SESSIONS_SUNSET: must be later than SESSIONS_DEPRECATED_AT/],
    ['MIGRATION_GUIDE_URL', 'docs/guide.md', /^MIGRATION_GUIDE_URL: must be an http\(s\) URL or a path/],
    ['MIGRATION_GUIDE_URL', 'https://x.example/a>; rel="evil"', /^MIGRATION_GUIDE_URL: /],
    ['JWT_ROLLOUT_PERCENT', '101', /^JWT_ROLLOUT_PERCENT: must be at most 100/],
    ['JWT_ROLLOUT_PERCENT', '-5', /^JWT_ROLLOUT_PERCENT: must be a whole number from 0 to 100/],
    ['REDIS_URL', 'localhost:6379', /^REDIS_URL: must be redis:\/\/host:port or rediss:\/\/host:port/],
    ['REDIS_PREFIX', 'my prefix', /^REDIS_PREFIX: must be 1 to 64 letters, digits or _ : \. -/],
  ])('refuses %s=%s with a message naming the variable', (name, value, message) => {
    let error: unknown;
    try {
      loadConfig({ [name]: value });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).variable).toBe(name);
    expect((error as Error).message).toMatch(message);
  });

  it('refuses a refresh lifetime shorter than the access lifetime', () => {
    expect(() => loadConfig({ TOKEN_EXPIRY: '3600', REFRESH_TOKEN_EXPIRY: '600' })).toThrow(/^REFRESH_TOKEN_EXPIRY: /);
  });

  it('reads the database location in sqlite: and postgres:// forms', () => {
    expect(loadConfig({ DATABASE_URL: 'sqlite:/tmp/x.db' }).database).toEqual({ kind: 'sqlite', path: '/tmp/x.db' });
    expect(loadConfig({ DATABASE_URL: 'sqlite:///tmp/x.db' }).database).toEqual({ kind: 'sqlite', path: '/tmp/x.db' });
    expect(loadConfig({ DATABASE_URL: 'postgres://u@h/db' }).database).toEqual({ kind: 'postgres', url: 'postgres://u@h/db' });
  });

  it('reads TRUST_PROXY as a flag, a hop count or a list of addresses', () => {
    expect(loadConfig({ TRUST_PROXY: 'true' }).trustProxy).toBe(true);
    expect(loadConfig({ TRUST_PROXY: '0' }).trustProxy).toBe(false);
    expect(loadConfig({ TRUST_PROXY: '2' }).trustProxy).toBe(2);
    expect(loadConfig({ TRUST_PROXY: '10.0.0.0/8, 127.0.0.1' }).trustProxy).toEqual(['10.0.0.0/8', '127.0.0.1']);
  });

  it('runs without Redis unless REDIS_URL is set; REDIS_PREFIX defaults to tessera:', () => {
    expect(loadConfig({}).redis).toBeUndefined();
    expect(loadConfig({ REDIS_PREFIX: 'other:' }).redis).toBeUndefined();
    expect(loadConfig({ REDIS_URL: 'redis://10.0.0.5:6379/2' }).redis).toEqual({ url: 'redis://10.0.0.5:6379/2', prefix: 'tessera:' });
    expect(loadConfig({ REDIS_URL: 'rediss://:pw@cache.internal:6380', REDIS_PREFIX: 'eu-1:' }).redis).toEqual({
      url: 'rediss://:pw@cache.internal:6380',
      prefix: 'eu-1:',
    });
  });

  it('accepts the seed’s example secret in development but not in production', () => {
    expect(loadConfig({ JWT_SECRET: 'your-secret-key-here' }).jwtSecret).toBe('your-secret-key-here');
    expect(() => loadConfig({ NODE_ENV: 'production', JWT_SECRET: 'your-secret-key-here' })).toThrow(/^JWT_SECRET: /);
  });

  it('leaves /metrics public by default and refuses a short METRICS_TOKEN without echoing it', () => {
    expect(loadConfig({}).metricsToken).toBeUndefined();
    expect(loadConfig({ METRICS_TOKEN: 'scrape-token-0123456789' }).metricsToken).toBe('scrape-token-0123456789');
    expect(() => loadConfig({ METRICS_TOKEN: 'tiny-token' })).toThrow(/^METRICS_TOKEN: must be at least 16 characters/);
    expect(() => loadConfig({ METRICS_TOKEN: 'tiny-token' })).not.toThrow(/tiny-token/);
  });

  it('refuses guessable production secrets of 32 characters: alphabet, keyboard walk, repeated hex', () => {
    for (const weak of ['abcdefghijklmnopqrstuvwxyz012345', 'qwertyuiopasdfghjklzxcvbnm123456', '0123456789abcdef0123456789abcdef']) {
      expect(() => loadConfig({ NODE_ENV: 'production', JWT_SECRET: weak }), weak).toThrow(/^JWT_SECRET: is guessable/);
      expect(() => loadConfig({ NODE_ENV: 'production', JWT_SECRET: weak }), weak).not.toThrow(weak);
    }
  });

  it('says how to generate a good production secret', () => {
    expect(() => loadConfig({ NODE_ENV: 'production', JWT_SECRET: 'qwertyuiopasdfghjklzxcvbnm123456' })).toThrow(
      /generate one with: openssl rand -base64 32$/,
    );
  });

  it('accepts random production secrets as openssl rand makes them, base64 or hex', () => {
    for (const strong of [randomBytes(32).toString('base64'), randomBytes(32).toString('hex'), randomBytes(24).toString('base64url')]) {
      expect(loadConfig({ NODE_ENV: 'production', JWT_SECRET: strong }).jwtSecret).toBe(strong);
    }
  });

  it('refuses in production, saying why, the secrets of tutorials, sample text and specifications', () => {
    const production = { NODE_ENV: 'production', PUBLIC_URL: 'https://auth.example.com' };
    const refused: [string, RegExp][] = [
      ['your-256-bit-secret-your-256-bit', /^JWT_SECRET: looks like a placeholder \(contains "your256bitsecret"\)/],
      ['the quick brown fox jumps over the lazy dog', /^JWT_SECRET: contains spaces: a generated secret has none/],
      ['Lorem ipsum dolor sit amet, consectetur', /^JWT_SECRET: contains spaces/],
      ['my super secret jwt signing key 123', /^JWT_SECRET: contains spaces/],
      ['ThisIsMyVerySecureJwtSecretKey2026!', /^JWT_SECRET: looks like a placeholder \(contains "secretkey"\)/],
      ['correct horse battery staple 2026', /^JWT_SECRET: contains spaces/],
      ['e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855', /^JWT_SECRET: contains a well-known example value/],
      ['47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=', /^JWT_SECRET: contains a well-known example value/],
      ['f81d4fae-7dec-11d0-a765-00a0c91e6bf6', /^JWT_SECRET: contains a well-known example value/],
      ['0'.repeat(64), /^JWT_SECRET: contains a well-known example value/],
      // Without the spaces, the words are still refused.
      ['TheQuickBrownFoxJumpsOverTheLazyDog', /^JWT_SECRET: looks like a placeholder \(contains "quickbrownfox"\)/],
      ['Lorem_ipsum_dolor_sit_amet_consectetur', /^JWT_SECRET: looks like a placeholder \(contains "loremipsum"\)/],
      ['my-super-secret-jwt-signing-key-123', /^JWT_SECRET: looks like a placeholder \(contains "supersecret"\)/],
      ['CorrectHorseBatteryStaple-2026-!', /^JWT_SECRET: looks like a placeholder \(contains "correcthorse"\)/],
      ['a-string-secret-at-least-256-bits-long', /^JWT_SECRET: looks like a placeholder \(contains "atleast256bits"\)/],
      ['tab\tseparated\tsecret\tis\tnot\tgenerated\t123', /^JWT_SECRET: contains spaces/],
    ];
    for (const [weak, reason] of refused) {
      expect(() => loadConfig({ ...production, JWT_SECRET: weak }), weak).toThrow(reason);
      expect(() => loadConfig({ ...production, JWT_SECRET: weak }), weak).toThrow(/ — generate one with: openssl rand -base64 32$/);
      expect(() => loadConfig({ ...production, JWT_SECRET: weak }), weak).not.toThrow(weak);
      expect(loadConfig({ JWT_SECRET: weak }).jwtSecret, 'development takes it').toBe(weak);
    }
    const strong = randomBytes(32).toString('base64');
    expect(() => loadConfig({ ...production, JWT_SECRET: strong, JWT_SECRET_PREVIOUS: 'correct horse battery staple 2026' })).toThrow(
      /^JWT_SECRET_PREVIOUS: contains spaces/,
    );
    expect(() => loadConfig({ ...production, JWT_SECRET: strong, METRICS_TOKEN: 'f81d4fae-7dec-11d0-a765-00a0c91e6bf6' })).toThrow(
      /^METRICS_TOKEN: contains a well-known example value/,
    );
  });

  it('accepts every one of 200 random secrets of each kind the docs say how to generate', () => {
    const kinds: Record<string, () => string> = {
      'openssl rand -base64 32': () => randomBytes(32).toString('base64'),
      'openssl rand -hex 32': () => randomBytes(32).toString('hex'),
      'openssl rand -base64 48': () => randomBytes(48).toString('base64'),
      // openssl wraps base64 at 64 characters: the line break inside stays in a JWT_SECRET_FILE.
      'openssl rand -base64 64': () => randomBytes(64).toString('base64').replace(/^(.{64})/, '$1\n'),
      'randomBytes(32).toString("base64url")': () => randomBytes(32).toString('base64url'),
    };
    for (const [kind, generate] of Object.entries(kinds)) {
      // Length, spaces, example values and placeholder words, for many secrets; the estimate, for two of each kind.
      for (let i = 0; i < 200; i++) {
        const secret = generate();
        expect(obviousSecretWeakness(secret), `${kind}: ${secret}`).toBeUndefined();
      }
      for (let i = 0; i < 2; i++) {
        const secret = generate();
        expect(loadConfig({ NODE_ENV: 'production', JWT_SECRET: secret }).jwtSecret, `${kind}: ${secret}`).toBe(secret);
      }
    }
  }, 30_000);

  it('holds JWT_SECRET_PREVIOUS and METRICS_TOKEN to the same rule in production', () => {
    const strong = randomBytes(32).toString('base64');
    expect(() => loadConfig({ NODE_ENV: 'production', JWT_SECRET: strong, JWT_SECRET_PREVIOUS: 'x' })).toThrow(/^JWT_SECRET_PREVIOUS: must be at least 32/);
    expect(() =>
      loadConfig({ NODE_ENV: 'production', JWT_SECRET: strong, JWT_SECRET_PREVIOUS: '0123456789abcdef0123456789abcdef' }),
    ).toThrow(/^JWT_SECRET_PREVIOUS: is guessable/);
    expect(() => loadConfig({ NODE_ENV: 'production', JWT_SECRET: strong, METRICS_TOKEN: 'metrics-scrape-token-5e2d8c' })).toThrow(/^METRICS_TOKEN: /);
    const previous = randomBytes(32).toString('base64');
    const metricsToken = randomBytes(32).toString('base64url');
    expect(loadConfig({ NODE_ENV: 'production', JWT_SECRET: strong, JWT_SECRET_PREVIOUS: previous, METRICS_TOKEN: metricsToken })).toMatchObject({
      jwtSecretPrevious: previous,
      metricsToken,
    });
  });

  it('has slow-client limits and a login queue bound, each settable', () => {
    expect(loadConfig({})).toMatchObject({
      http: { headersTimeout: 10, requestTimeout: 30, idleTimeout: 75, maxConnectionsPerIp: 64 },
      loginQueueMaxWaitMs: 2000,
    });
    const set = loadConfig({ HTTP_HEADERS_TIMEOUT: '5', HTTP_REQUEST_TIMEOUT: '20', HTTP_IDLE_TIMEOUT: '30', MAX_CONNECTIONS_PER_IP: '0', LOGIN_QUEUE_MAX_WAIT_MS: '500' });
    expect(set).toMatchObject({ http: { headersTimeout: 5, requestTimeout: 20, idleTimeout: 30, maxConnectionsPerIp: 0 }, loginQueueMaxWaitMs: 500 });
    expect(() => loadConfig({ HTTP_HEADERS_TIMEOUT: '40' })).toThrow(/^HTTP_HEADERS_TIMEOUT: must not be longer than HTTP_REQUEST_TIMEOUT/);
    expect(() => loadConfig({ HTTP_REQUEST_TIMEOUT: '0' })).toThrow(/^HTTP_REQUEST_TIMEOUT: must be at least 1/);
  });

  it('hashes passwords at low priority unless PASSWORD_HASH_PRIORITY says normal, and refuses any other value', () => {
    expect(loadConfig({}).passwordHashPriority).toBe('low');
    expect(loadConfig({ PASSWORD_HASH_PRIORITY: 'normal' }).passwordHashPriority).toBe('normal');
    expect(() => loadConfig({ PASSWORD_HASH_PRIORITY: 'high' })).toThrow(/^PASSWORD_HASH_PRIORITY: must be low or normal/);
  });

  it('reads the secret from JWT_SECRET_FILE without its trailing newline, and refuses it with JWT_SECRET, unreadable or empty', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tessera-config-'));
    try {
      const secret = 'Zq8#mP2$vL9!xR4@nT6%wK1^bH7&cJ3*dF5(gS0)';
      const file = join(dir, 'jwt-secret');
      writeFileSync(file, `${secret}\n`, { mode: 0o600 });
      expect(loadConfig({ NODE_ENV: 'production', JWT_SECRET_FILE: file }).jwtSecret).toBe(secret);
      expect(() => loadConfig({ JWT_SECRET_FILE: file, JWT_SECRET: secret })).toThrow(/^JWT_SECRET_FILE: set either JWT_SECRET or JWT_SECRET_FILE, not both$/);
      expect(() => loadConfig({ JWT_SECRET_FILE: join(dir, 'missing') })).toThrow(/^JWT_SECRET_FILE: cannot read .*missing" \(ENOENT\)$/);
      writeFileSync(join(dir, 'empty'), '\n');
      expect(() => loadConfig({ JWT_SECRET_FILE: join(dir, 'empty') })).toThrow(/^JWT_SECRET_FILE: .* is empty$/);
      writeFileSync(join(dir, 'weak'), 'short\n');
      expect(() => loadConfig({ NODE_ENV: 'production', JWT_SECRET_FILE: join(dir, 'weak') })).toThrow(/^JWT_SECRET: must be at least 32/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses a JWT_SECRET_PREVIOUS equal to JWT_SECRET in production', () => {
    const secret = 'Zq8#mP2$vL9!xR4@nT6%wK1^bH7&cJ3*dF5(gS0)';
    expect(() => loadConfig({ NODE_ENV: 'production', JWT_SECRET: secret, JWT_SECRET_PREVIOUS: secret })).toThrow(/^JWT_SECRET_PREVIOUS: /);
  });

  it('has PostgreSQL pool, body-limit and background-interval settings, each settable', () => {
    expect(loadConfig({})).toMatchObject({
      databasePool: { size: 10, connectTimeoutMs: 2000, idleTimeoutMs: 10_000, statementTimeoutMs: 5000 },
      http: { bodyLimit: 16_384 },
      background: {
        revocationPollMs: 500,
        keyReloadMs: 5000,
        rolloutReloadMs: 2000,
        loginUnlockPollMs: 2000,
        legacyUsageFlushMs: 10_000,
        pruneMs: 600_000,
      },
    });
    const set = loadConfig({
      DATABASE_POOL_SIZE: '40',
      DATABASE_CONNECT_TIMEOUT_MS: '500',
      DATABASE_IDLE_TIMEOUT_MS: '0',
      DATABASE_STATEMENT_TIMEOUT_MS: '15000',
      HTTP_BODY_LIMIT: '65536',
      REVOCATION_POLL_MS: '250',
      KEY_RELOAD_MS: '60000',
      PRUNE_INTERVAL_MS: '3600000',
    });
    expect(set).toMatchObject({
      databasePool: { size: 40, connectTimeoutMs: 500, idleTimeoutMs: 0, statementTimeoutMs: 15_000 },
      http: { bodyLimit: 65_536 },
      background: { revocationPollMs: 250, keyReloadMs: 60_000, pruneMs: 3_600_000 },
    });
    expect(() => loadConfig({ DATABASE_POOL_SIZE: '0' })).toThrow(/^DATABASE_POOL_SIZE: must be at least 1/);
    expect(() => loadConfig({ HTTP_BODY_LIMIT: '16k' })).toThrow(/^HTTP_BODY_LIMIT: must be a whole number of bytes/);
    expect(() => loadConfig({ KEY_RELOAD_MS: '5' })).toThrow(/^KEY_RELOAD_MS: must be at least 10/);
  });

  it('reads the session settings and derives the sunset from the deprecation date unless it is given', () => {
    const config = loadConfig({
      LEGACY_SESSIONS: 'off',
      SESSION_IDLE_TIMEOUT: '600',
      SESSION_MAX_AGE: '3600',
      SESSIONS_DEPRECATED_AT: '2027-01-10T08:00:00+02:00',
      MIGRATION_GUIDE_URL: 'https://docs.example.com/migrate',
      JWT_ROLLOUT_PERCENT: '0',
    });
    expect(config).toMatchObject({
      legacySessions: false,
      sessionIdleTimeout: 600,
      sessionMaxAge: 3600,
      sessionsDeprecatedAt: Date.UTC(2027, 0, 10, 6),
      sessionsSunset: Date.UTC(2027, 0, 10, 6) + 90 * 86_400_000,
      migrationGuideUrl: 'https://docs.example.com/migrate',
      jwtRolloutPercent: 0,
    });
    expect(loadConfig({ SESSIONS_SUNSET: '2027-06-30T12:00:00Z' }).sessionsSunset).toBe(Date.UTC(2027, 5, 30, 12));
  });

  it('takes its own origin from PUBLIC_URL, by default http://localhost:PORT, and further origins from ALLOWED_ORIGINS', () => {
    expect(loadConfig({ PORT: '8080' })).toMatchObject({ publicUrl: 'http://localhost:8080', allowedOrigins: [] });
    const config = loadConfig({ PUBLIC_URL: 'https://auth.example.com', ALLOWED_ORIGINS: 'https://app.example.com, http://localhost:3000' });
    expect(config).toMatchObject({ publicUrl: 'https://auth.example.com', allowedOrigins: ['https://app.example.com', 'http://localhost:3000'] });
    expect(() => loadConfig({ PUBLIC_URL: 'auth.example.com' })).toThrow(/^PUBLIC_URL: must be an http\(s\) URL/);
    expect(() => loadConfig({ ALLOWED_ORIGINS: 'https://app.example.com/' })).toThrow(/^ALLOWED_ORIGINS: must be comma-separated origins/);
  });

  it('names PUBLIC_URL, without a trailing slash, as the issuer, and keeps accepting the previous default issuer while JWT_ISSUER is unset', () => {
    expect(loadConfig({ PUBLIC_URL: 'https://auth.example.com/' })).toMatchObject({
      issuer: 'https://auth.example.com',
      acceptedIssuers: ['https://auth.example.com', 'tessera'],
    });
    expect(loadConfig({ PUBLIC_URL: 'https://example.com/auth' }).issuer).toBe('https://example.com/auth');
    expect(loadConfig({ PUBLIC_URL: 'https://auth.example.com', JWT_ISSUER: 'https://id.example.com' })).toMatchObject({
      issuer: 'https://id.example.com',
      acceptedIssuers: ['https://id.example.com'],
    });
    expect(loadConfig({ JWT_ISSUER: 'tessera' }).acceptedIssuers).toEqual(['tessera']);
  });

  it('refuses to serve in production unless PUBLIC_URL is https, while CLI commands need no PUBLIC_URL', () => {
    const production = { NODE_ENV: 'production', JWT_SECRET: 'k8Qz1vX4mN7pR2sT5wY9bC3fH6jL0dG8aE1iO4uK7xZ' };
    expect(() => assertServable(loadConfig(production))).toThrow(/^PUBLIC_URL: must be the https:\/\/ URL where clients reach Tessera in production/);
    expect(() => assertServable(loadConfig({ ...production, PUBLIC_URL: 'http://auth.example.com' }))).toThrow(/^PUBLIC_URL: /);
    expect(() => assertServable(loadConfig({ ...production, PUBLIC_URL: 'https://auth.example.com' }))).not.toThrow();
    expect(() => assertServable(loadConfig({ PUBLIC_URL: 'http://localhost:5000' }))).not.toThrow();
  });

  it('refuses a JWT_AUDIENCE equal to the issuer: any service may get a token for the issuer, which must not open the API', () => {
    const refusal = /^JWT_AUDIENCE: must differ from the issuer/;
    expect(() => loadConfig({ PUBLIC_URL: 'https://auth.example.com', JWT_AUDIENCE: 'https://auth.example.com' })).toThrow(refusal);
    expect(() => loadConfig({ PUBLIC_URL: 'https://auth.example.com', JWT_AUDIENCE: 'https://auth.example.com/' })).toThrow(refusal);
    expect(() => loadConfig({ JWT_ISSUER: 'https://id.example.com', JWT_AUDIENCE: 'https://id.example.com' })).toThrow(refusal);
    expect(() => loadConfig({ PUBLIC_URL: 'https://auth.example.com', JWT_ISSUER: 'https://id.example.com', JWT_AUDIENCE: 'https://auth.example.com' })).toThrow(refusal);
    expect(() => loadConfig({ JWT_AUDIENCE: 'http://localhost:5000' })).toThrow(refusal);
    expect(() => loadConfig({ JWT_AUDIENCE: 'http://localhost:5000' })).toThrow(ConfigError);
    expect(loadConfig({ PUBLIC_URL: 'https://auth.example.com', JWT_AUDIENCE: 'https://api.example.com' }).audience).toBe('https://api.example.com');
  });

  it('refuses an SMTP_URL that is not a URL, saying which part is wrong without echoing the value or its password', () => {
    const attempts = {
      'smtp://alice:S3cret#PW@127.0.0.1:5781': /SMTP_URL: .*(#|password)/i,
      'smtp://alice:S3cret@127.0.0.1:notaport': /SMTP_URL: .*port/i,
      'smtp://alice:S3cret@/': /SMTP_URL: .*host/i,
      'http://alice:S3cret@mail.example.com': /SMTP_URL: must start with smtp:\/\/ .* or smtps:\/\//,
    };
    for (const [value, reason] of Object.entries(attempts)) {
      let message = '';
      try {
        loadConfig({ SMTP_URL: value });
      } catch (error) {
        expect(error, value).toBeInstanceOf(ConfigError);
        message = (error as Error).message;
      }
      expect(message, value).toMatch(reason);
      expect(message, value).not.toMatch(/S3cret|alice/);
    }
    expect(loadConfig({ SMTP_URL: 'smtps://alice:S3cret%23PW@mail.example.com:465' }).mail.smtpUrl).toBe('smtps://alice:S3cret%23PW@mail.example.com:465');
    expect(loadConfig({ SMTP_URL: 'smtp://127.0.0.1:2525' }).mail.smtpUrl).toBe('smtp://127.0.0.1:2525');
  });
});
