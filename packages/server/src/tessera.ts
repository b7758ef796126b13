import { EmailVerification } from './account/email-verification.js';
import { OwnAccount } from './account/own-account.js';
import { ReauthProofs } from './account/reauth-proofs.js';
import { BackgroundWork, followFleet, type BackgroundParts } from './background.js';
import { CredentialCheck } from './auth/credential-check.js';
import { LazyMigration } from './auth/lazy-migration.js';
import { LegacyAuthClient } from './auth/legacy-auth-client.js';
import { Login } from './auth/login.js';
import { Logout } from './auth/logout.js';
import { RefreshRotation } from './auth/refresh-rotation.js';
import { SessionExchange } from './auth/session-exchange.js';
import { SessionLogin } from './auth/session-login.js';
import { SessionLogout } from './auth/session-logout.js';
import { TokenPairIssuer } from './auth/token-pair.js';
import { systemClock, type Clock } from './clock.js';
import { assertServable, type BackgroundIntervals, type Config } from './config.js';
import { Fleet } from './fleet/fleet.js';
import { createLogger, type Logger } from './logger.js';
import { smtpMailer } from './mail/smtp-mailer.js';
import { AuthenticatedRequestCounts } from './metrics/authenticated-request-counts.js';
import { configuredPasswordHasher, PasswordHasher } from './passwords/password-hasher.js';
import { LegacySessions } from './sessions/legacy-sessions.js';
import { openStore } from './store/open-store.js';
import { assembleOperatorParts, type OperatorParts } from './operations.js';
import { guardProductionDatabase } from './store/production-marker.js';
import type { Store } from './store/store.js';
import { AccessTokens } from './tokens/access-tokens.js';
import { RefreshTokens } from './tokens/refresh-tokens.js';
import type { RevocationBus } from './tokens/revocation-feed.js';
import { seedDevelopmentUsers } from './users/development-seed.js';
import { clientCredentialsGrant } from './oauth/client-credentials-grant.js';
import type { ServiceClientRecord } from './oauth/service-client.js';
import type { ServiceCredentials } from './oauth/service-credentials.js';
import { TOKEN_EXCHANGE_GRANT, tokenExchangeGrant } from './oauth/token-exchange-grant.js';
import { TokenGrants } from './oauth/token-grants.js';
import { TokenIntrospection } from './oauth/token-introspection.js';
import { TokenRevocation } from './oauth/token-revocation.js';

export { BACKGROUND } from './background.js';

/**
 * Everything a serving instance's HTTP layer needs, built once from the configuration: the operator
 * parts (`operations.ts`) and, on top of them, the token services and the auth flows. Each route plugin
 * declares the part it uses (`…RouteDeps`); the `tessera` commands build only theirs (`createOperations`).
 */
export interface Tessera extends Omit<OperatorParts, 'serviceCredentials'> {
  config: Config;
  store: Store;
  clock: Clock;
  logger: Logger;
  passwords: PasswordHasher;
  accessTokens: AccessTokens;
  refreshTokens: RefreshTokens;
  credentials: CredentialCheck;
  tokenPairs: TokenPairIssuer;
  login: Login;
  /** Legacy cookie sessions during the move to JWTs, who still uses them, and who may use JWTs yet. */
  sessions: LegacySessions;
  sessionLogin: SessionLogin;
  sessionLogout: SessionLogout;
  sessionExchange: SessionExchange;
  /** Authenticated requests per hour, JWT against session (the console's chart, /metrics). */
  requestCounts: AuthenticatedRequestCounts;
  refreshRotation: RefreshRotation;
  logout: Logout;
  /** What users do to their own account (the account page): devices, password. */
  ownAccount: OwnAccount;
  /** Recent re-authentication for admin changes: a fresh login's `auth_time`, or a proof of a password typed again (`POST /api/me/reauth`). */
  reauthProofs: ReauthProofs;
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
  /** How a slowed login check waits; tests record the wait instead. */
  loginDelay?: (ms: number) => Promise<void>;
}

/**
 * Builds a serving instance: applies migrations, guards a production database, creates or switches
 * keys and seeds development accounts, then wires the operator parts (`operations.ts`), the token
 * services and the auth flows.
 */
export async function createTessera(config: Config, deps: TesseraDependencies = {}): Promise<Tessera> {
  const clock = deps.clock ?? systemClock;
  const logger = deps.logger ?? createLogger(config.logLevel);
  const store =
    deps.store ?? openStore(config.database, config.databasePool, { checkpointThread: { onWarning: (message) => logger.warn(message) } });
  const passwords = deps.passwords ?? configuredPasswordHasher(config);
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
  assertServable(config);
  await store.migrate();
  const productionDatabase = await guardProductionDatabase(store, config, clock, logger);

  const parts = await assembleOperatorParts(config, {
    store,
    clock,
    logger,
    passwords,
    fleet,
    intervals,
    serving: true,
    revocationBus: deps.revocationBus,
    loginDelay: deps.loginDelay,
  });
  const { serviceCredentials, ...operator } = parts;
  const { keyRing, validAfter, revocations, revocationFeed, revoker, audit, loginThrottle, rollout, legacyUsage, admin } = operator;
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
  const lazyMigration = config.legacyAuth
    ? new LazyMigration({ client: new LegacyAuthClient(config.legacyAuth), store, passwords, audit, clock, logger, allowAdmin: config.legacyAuth.allowAdmin })
    : undefined;
  const credentials = new CredentialCheck({
    store,
    passwords,
    clock,
    logger,
    audit,
    throttle: loginThrottle,
    lazyMigration,
    failureFloorMs: config.loginFailureMinMs,
    sleep: deps.loginDelay,
  });
  const tokenPairs = new TokenPairIssuer({ store, accessTokens, refreshTokens, clock });

  if (config.env === 'development' && !productionDatabase) await seedDevelopmentUsers(store, passwords, clock, logger);

  const sessions = new LegacySessions({
    store,
    clock,
    idleTimeoutSeconds: config.sessionIdleTimeout,
    maxAgeSeconds: config.sessionMaxAge,
    validAfter,
  });
  const requestCounts = new AuthenticatedRequestCounts({ store, clock, logger, ...config.requestCounts });

  const oauth: OAuth = {
    credentials: serviceCredentials,
    grants: new TokenGrants<ServiceClientRecord>()
      .register('client_credentials', clientCredentialsGrant(accessTokens, config.issuer))
      .register(TOKEN_EXCHANGE_GRANT, tokenExchangeGrant({ store, tokenPairs, rollout, audit, clock, apiAudience: config.audience })),
    introspection: new TokenIntrospection(accessTokens, config.audience),
    revocation: new TokenRevocation({ store, accessTokens, refreshTokens, revoker, audit, apiAudience: config.audience, issuer: config.issuer }),
  };

  // Confirmation links for the addresses users set themselves go through the same mail server as notices.
  const { smtpUrl, from } = config.mail;
  const mailer = smtpUrl !== undefined && from !== undefined ? smtpMailer({ url: smtpUrl, from }) : undefined;
  const emailVerification = new EmailVerification({ store, clock, mailer, serviceUrl: config.publicUrl });

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
    ...operator,
    config,
    store,
    clock,
    logger,
    passwords,
    accessTokens,
    refreshTokens,
    credentials,
    tokenPairs,
    login: new Login(credentials, tokenPairs, audit, rollout),
    sessions,
    sessionLogin: new SessionLogin(credentials, sessions, audit, legacyUsage),
    sessionLogout: new SessionLogout(sessions, audit),
    sessionExchange: new SessionExchange({ sessions, tokenPairs, rollout, audit }),
    requestCounts,
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
    ownAccount: new OwnAccount({ store, clock, credentials, passwords, revoker, tokenPairs, rollout, audit, reauthProofs, emailVerification }),
    reauthProofs,
    fleet,
    oauth,
    start: () => background.start(),
    async close() {
      await background.stop();
      mailer?.close();
      await deps.revocationBus?.close();
      await fleet?.close();
      await store.close();
    },
  };
}
