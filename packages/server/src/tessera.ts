import { OwnAccount } from './account/own-account.js';
import { ReauthProofs } from './account/reauth-proofs.js';
import { createAdmin, type Admin } from './admin/admin.js';
import { AuditLog } from './audit/audit-log.js';
import { BackgroundWork, followFleet, type BackgroundParts } from './background.js';
import { CredentialCheck } from './auth/credential-check.js';
import { LazyMigration } from './auth/lazy-migration.js';
import { LegacyAuthClient } from './auth/legacy-auth-client.js';
import { LoginThrottle } from './auth/login-throttle.js';
import { Login } from './auth/login.js';
import { Logout } from './auth/logout.js';
import { RefreshRotation } from './auth/refresh-rotation.js';
import { Revoker } from './auth/revoker.js';
import { SessionExchange } from './auth/session-exchange.js';
import { SessionLogin } from './auth/session-login.js';
import { SessionLogout } from './auth/session-logout.js';
import { TokenPairIssuer } from './auth/token-pair.js';
import { systemClock, type Clock } from './clock.js';
import { assertServable, SETTINGS, type BackgroundIntervals, type Config } from './config.js';
import { readSettings } from './config/setting.js';
import { Fleet } from './fleet/fleet.js';
import { WindowCounts } from './fleet/window-counts.js';
import { createLogger, type Logger } from './logger.js';
import { AuthenticatedRequestCounts } from './metrics/authenticated-request-counts.js';
import { PasswordHasher } from './passwords/password-hasher.js';
import { RolloutPolicy } from './rollout/rollout-policy.js';
import { knownJwtSecret, resolveJwtSecret } from './secrets.js';
import { LegacySessions } from './sessions/legacy-sessions.js';
import { LegacyUsage } from './sessions/legacy-usage.js';
import { openStore } from './store/open-store.js';
import { guardProductionDatabase } from './store/production-marker.js';
import type { Store } from './store/store.js';
import { AccessTokens } from './tokens/access-tokens.js';
import { KeyRing } from './tokens/key-ring.js';
import { RefreshTokens } from './tokens/refresh-tokens.js';
import { RevocationFeed, type RevocationBus } from './tokens/revocation-feed.js';
import { RevocationList } from './tokens/revocation-list.js';
import { ValidAfter } from './tokens/valid-after.js';
import { seedDevelopmentUsers } from './users/development-seed.js';
import { clientCredentialsGrant } from './oauth/client-credentials-grant.js';
import type { ServiceClientRecord } from './oauth/service-client.js';
import { ServiceCredentials } from './oauth/service-credentials.js';
import { TOKEN_EXCHANGE_GRANT, tokenExchangeGrant } from './oauth/token-exchange-grant.js';
import { TokenGrants } from './oauth/token-grants.js';
import { TokenIntrospection } from './oauth/token-introspection.js';
import { TokenRevocation } from './oauth/token-revocation.js';
import { UserDirectory } from './users/user-directory.js';

/** The default intervals of the background work every instance does (settings REVOCATION_POLL_MS, KEY_RELOAD_MS, …). */
export const BACKGROUND: BackgroundIntervals = readSettings(SETTINGS.background, {});

/** Everything the HTTP layer and the CLI need, built once from the configuration. */
export interface Tessera {
  config: Config;
  store: Store;
  clock: Clock;
  logger: Logger;
  keyRing: KeyRing;
  passwords: PasswordHasher;
  accessTokens: AccessTokens;
  refreshTokens: RefreshTokens;
  revocations: RevocationList;
  /** Valid-after instants (per user, everyone, revoked keys), checked from memory on every use. */
  validAfter: ValidAfter;
  revocationFeed: RevocationFeed;
  revoker: Revoker;
  audit: AuditLog;
  credentials: CredentialCheck;
  /** Failed logins per account: progressive slowdown, per account+IP refusal, unlock. */
  loginThrottle: LoginThrottle;
  tokenPairs: TokenPairIssuer;
  login: Login;
  /** Legacy cookie sessions during the move to JWTs, who still uses them, and who may use JWTs yet. */
  sessions: LegacySessions;
  sessionLogin: SessionLogin;
  sessionLogout: SessionLogout;
  sessionExchange: SessionExchange;
  legacyUsage: LegacyUsage;
  /** Authenticated requests per hour, JWT against session (the console's chart, /metrics). */
  requestCounts: AuthenticatedRequestCounts;
  rollout: RolloutPolicy;
  refreshRotation: RefreshRotation;
  logout: Logout;
  users: UserDirectory;
  /** What users do to their own account (the account page): devices, password. */
  ownAccount: OwnAccount;
  /** Recent re-authentication for admin changes: a fresh login's `auth_time`, or a proof of a password typed again (`POST /api/me/reauth`). */
  reauthProofs: ReauthProofs;
  /** Operator actions (admin API and CLI): accounts, devices, keys, audit search, rollout. */
  admin: Admin;
  /** With REDIS_URL: events between the instances and shared rate-limit counters. */
  fleet: Fleet | undefined;
  /** OAuth for services: their credentials, the grants of /oauth/token, introspection and revocation. */
  oauth: OAuth;
  /** Starts the background work (`background.ts`: revocation feed, key reloads, pruning, …). */
  start(): Promise<void>;
  close(): Promise<void>;
}

export interface OAuth {
  credentials: ServiceCredentials;
  /** One handler per grant type of POST /oauth/token; a feature adds its grant with `register`. */
  grants: TokenGrants<ServiceClientRecord>;
  introspection: TokenIntrospection;
  revocation: TokenRevocation;
}

export interface TesseraDependencies {
  store?: Store;
  clock?: Clock;
  logger?: Logger;
  passwords?: PasswordHasher;
  revocationBus?: RevocationBus;
  /** Overrides of the configured intervals, for tests that must tell polling apart from fleet events. */
  intervals?: Partial<BackgroundIntervals>;
  /**
   * `serve` (the default) migrates, guards a production database, creates or switches keys and seeds
   * development accounts. `command` (the CLI) does none of that: it works on the database as it finds it.
   */
  purpose?: 'serve' | 'command';
  /** How a slowed login check waits; tests record the wait instead. */
  loginDelay?: (ms: number) => Promise<void>;
}

/**
 * Builds the object graph: store, keys, token services, auth flows. For `serve` it also applies
 * migrations, manages the keys and seeds dev users; for a CLI `command` it writes nothing by itself.
 */
export async function createTessera(config: Config, deps: TesseraDependencies = {}): Promise<Tessera> {
  const clock = deps.clock ?? systemClock;
  const logger = deps.logger ?? createLogger(config.logLevel);
  const store = deps.store ?? openStore(config.database, config.databasePool);
  const passwords = deps.passwords ?? new PasswordHasher(undefined, undefined, config.loginQueueMaxWaitMs);
  const intervals = { ...config.background, ...deps.intervals };
  const fleet = config.redis ? Fleet.open(config.redis, logger) : undefined;
  try {
    return await assemble(config, { ...deps, clock, logger, store, passwords }, intervals, fleet);
  } catch (error) {
    await fleet?.close();
    await store.close();
    throw error;
  }
}

type Assembled = Required<Pick<TesseraDependencies, 'clock' | 'logger' | 'store' | 'passwords'>> & TesseraDependencies;

async function assemble(
  config: Config,
  { clock, logger, store, passwords, ...deps }: Assembled,
  intervals: BackgroundIntervals,
  fleet: Fleet | undefined,
): Promise<Tessera> {
  const serving = (deps.purpose ?? 'serve') === 'serve';
  if (serving) assertServable(config);
  if (serving) await store.migrate();
  const productionDatabase = serving && (await guardProductionDatabase(store, config, clock, logger));

  const validAfter = new ValidAfter();
  const keyRing = await KeyRing.open({
    store,
    clock,
    logger,
    algorithm: config.jwtAlgorithm,
    secrets: {
      current: serving ? resolveJwtSecret(config, logger) : knownJwtSecret(config, logger),
      previous: config.jwtSecretPrevious,
    },
    lifetimes: { accessMs: config.accessTokenTtl * 1000, refreshMs: config.refreshTokenTtl * 1000 },
    manage: serving,
    announceChange: fleet ? async () => void (await fleet.bus.announce({ type: 'keys-changed' })) : undefined,
    isRevoked: (kid) => validAfter.keyRevoked(kid),
  });
  const revocations = new RevocationList(clock);
  const revocationFeed = new RevocationFeed({
    store,
    list: revocations,
    validAfter,
    // A key revoked elsewhere is refused at once by `validAfter`; the reload also takes it out of the JWKS.
    onKeyRevoked: () => keyRing.reload(),
    clock,
    logger,
    pollIntervalMs: intervals.revocationPollMs,
    bus: deps.revocationBus ?? fleet?.revocations,
  });
  const accessTokens = new AccessTokens({
    keyRing,
    revocations,
    validAfter,
    clock,
    issuer: config.issuer,
    acceptedIssuers: config.acceptedIssuers,
    audience: config.audience,
    ttlSeconds: config.accessTokenTtl,
    isRevoked: (jti) => store.revocations.isRevoked(jti),
  });
  const refreshTokens = new RefreshTokens({ keyRing, clock, issuer: config.issuer, acceptedIssuers: config.acceptedIssuers, ttlSeconds: config.refreshTokenTtl, validAfter });
  const reauthProofs = new ReauthProofs({ keyRing, clock, issuer: config.issuer, maxAgeSeconds: config.reauthMaxAge, families: store.families });
  const revoker = new Revoker(store, clock, revocationFeed);
  const audit = new AuditLog({ store, clock, logger });
  const loginThrottle = new LoginThrottle({
    counts: new WindowCounts(fleet?.rateLimit, clock, false),
    audit,
    now: () => clock.now(),
    sleep: deps.loginDelay,
    policy: {
      slowdownAfter: config.loginSlowdownAfter,
      lockoutThreshold: config.loginLockoutThreshold,
      windowMs: config.loginFailureWindow * 1000,
    },
  });
  const lazyMigration = config.legacyAuth
    ? new LazyMigration({ client: new LegacyAuthClient(config.legacyAuth), store, passwords, audit, clock, logger, allowAdmin: config.legacyAuth.allowAdmin })
    : undefined;
  const credentials = new CredentialCheck({ store, passwords, clock, logger, audit, throttle: loginThrottle, lazyMigration });
  const tokenPairs = new TokenPairIssuer({ store, accessTokens, refreshTokens, clock });
  const users = new UserDirectory(store, passwords, clock);

  if (serving && config.env === 'development' && !productionDatabase) await seedDevelopmentUsers(store, passwords, clock, logger);

  const rollout = new RolloutPolicy({
    store,
    clock,
    logger,
    defaultPercent: config.jwtRolloutPercent,
    enforced: config.legacySessions,
    pollIntervalMs: intervals.rolloutReloadMs,
    announceChange: fleet
      ? async () => void (await fleet.bus.announce({ type: 'settings-changed', topic: 'rollout' }))
      : undefined,
  });
  const sessions = new LegacySessions({
    store,
    clock,
    idleTimeoutSeconds: config.sessionIdleTimeout,
    maxAgeSeconds: config.sessionMaxAge,
    validAfter,
  });
  const legacyUsage = new LegacyUsage({ store, clock, logger, flushIntervalMs: intervals.legacyUsageFlushMs });
  const requestCounts = new AuthenticatedRequestCounts({ store, clock, logger, ...config.requestCounts });

  const serviceCredentials = new ServiceCredentials(store.serviceClients, clock);
  const oauth: OAuth = {
    credentials: serviceCredentials,
    grants: new TokenGrants<ServiceClientRecord>()
      .register('client_credentials', clientCredentialsGrant(accessTokens, config.issuer))
      .register(TOKEN_EXCHANGE_GRANT, tokenExchangeGrant({ store, tokenPairs, rollout, audit, clock, apiAudience: config.audience })),
    introspection: new TokenIntrospection(accessTokens, config.audience),
    revocation: new TokenRevocation({ store, accessTokens, refreshTokens, revoker, audit, apiAudience: config.audience }),
  };

  const admin = createAdmin({
    serviceCredentials,
    store,
    clock,
    logger,
    users,
    passwords,
    revoker,
    audit,
    keyRing,
    rollout,
    legacyUsage,
    loginThrottle,
    loginFailureWindowMs: config.loginFailureWindow * 1000,
    notices: {
      sunset: config.sessionsSunset,
      guideUrl: new URL(config.migrationGuideUrl, config.publicUrl).href,
      serviceUrl: config.publicUrl,
    },
  });

  const backgroundParts: BackgroundParts = {
    store,
    clock,
    logger,
    fleet,
    keyRing,
    revocationFeed,
    rollout,
    legacyUsage,
    requestCounts,
    audit,
    passwords,
    loginUnlocks: admin.loginThrottle,
    intervals,
    auditRetentionDays: config.auditRetentionDays,
  };
  followFleet(backgroundParts);
  const background = new BackgroundWork(backgroundParts);

  return {
    config,
    store,
    clock,
    logger,
    keyRing,
    passwords,
    accessTokens,
    refreshTokens,
    revocations,
    validAfter,
    revocationFeed,
    revoker,
    audit,
    credentials,
    loginThrottle,
    tokenPairs,
    login: new Login(credentials, tokenPairs, audit, rollout),
    sessions,
    sessionLogin: new SessionLogin(credentials, sessions, audit, legacyUsage),
    sessionLogout: new SessionLogout(sessions, audit),
    sessionExchange: new SessionExchange({ sessions, tokenPairs, rollout, audit }),
    legacyUsage,
    requestCounts,
    rollout,
    refreshRotation: new RefreshRotation({
      store,
      accessTokens,
      refreshTokens,
      revocationFeed,
      clock,
      logger,
      audit,
      reuseIntervalSeconds: config.refreshReuseInterval,
      familyMaxAgeSeconds: config.refreshFamilyMaxAge,
    }),
    logout: new Logout({ store, accessTokens, refreshTokens, revoker, audit }),
    users,
    ownAccount: new OwnAccount({ store, clock, credentials, passwords, revoker, tokenPairs, audit, reauthProofs }),
    reauthProofs,
    admin,
    fleet,
    oauth,
    start: () => background.start(),
    async close() {
      await background.stop();
      await deps.revocationBus?.close();
      await fleet?.close();
      await store.close();
    },
  };
}
