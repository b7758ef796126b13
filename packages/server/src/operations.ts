import { createAdmin, type Admin } from './admin/admin.js';
import { AuditLog } from './audit/audit-log.js';
import { LoginThrottle } from './auth/login-throttle.js';
import { Revoker } from './auth/revoker.js';
import { systemClock, type Clock } from './clock.js';
import type { BackgroundIntervals, Config } from './config.js';
import { Fleet } from './fleet/fleet.js';
import { WindowCounts } from './fleet/window-counts.js';
import type { Logger } from './logger.js';
import { ServiceCredentials } from './oauth/service-credentials.js';
import { configuredPasswordHasher, PasswordHasher } from './passwords/password-hasher.js';
import { RolloutPolicy } from './rollout/rollout-policy.js';
import { knownJwtSecret, resolveJwtSecret } from './secrets.js';
import { LegacyUsage } from './sessions/legacy-usage.js';
import type { Store } from './store/store.js';
import { KeyRing } from './tokens/key-ring.js';
import { RevocationFeed, type RevocationBus } from './tokens/revocation-feed.js';
import { RevocationList } from './tokens/revocation-list.js';
import { ValidAfter } from './tokens/valid-after.js';
import { UserDirectory } from './users/user-directory.js';

/**
 * The pieces every operator action goes through — keys, revocations, the audit trail, the login
 * throttle, accounts, the rollout, service credentials — and the actions themselves (`admin`). A
 * serving instance (`tessera.ts`) builds its token services and login flows on top of them; a
 * command (`createOperations`) uses them alone.
 */
export interface OperatorParts {
  keyRing: KeyRing;
  /** Valid-after instants (per user, everyone, revoked keys), checked from memory on every use. */
  validAfter: ValidAfter;
  revocations: RevocationList;
  revocationFeed: RevocationFeed;
  revoker: Revoker;
  audit: AuditLog;
  /** Failed logins per account: progressive slowdown, per account+IP refusal, unlock. */
  loginThrottle: LoginThrottle;
  users: UserDirectory;
  rollout: RolloutPolicy;
  legacyUsage: LegacyUsage;
  serviceCredentials: ServiceCredentials;
  /** Operator actions (admin API and CLI): accounts, devices, keys, audit search, rollout, services, imports. */
  admin: Admin;
}

export interface OperatorDependencies {
  store: Store;
  clock: Clock;
  logger: Logger;
  passwords: PasswordHasher;
  fleet: Fleet | undefined;
  intervals: BackgroundIntervals;
  /**
   * A serving instance creates the first keys, switches to a changed JWT_ALGORITHM and re-seals keys
   * (and may generate JWT_SECRET in development); a command uses the keys as it finds them.
   */
  serving: boolean;
  revocationBus?: RevocationBus | undefined;
  /** How a slowed login check waits; tests record the wait instead. */
  loginDelay?: ((ms: number) => Promise<void>) | undefined;
}

/** Builds the parts operator actions go through, once, for a serving instance or a command. */
export async function assembleOperatorParts(config: Config, deps: OperatorDependencies): Promise<OperatorParts> {
  const { store, clock, logger, passwords, fleet, intervals, serving } = deps;
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
  const users = new UserDirectory(store, passwords, clock);
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
  const legacyUsage = new LegacyUsage({ store, clock, logger, flushIntervalMs: intervals.legacyUsageFlushMs });
  const serviceCredentials = new ServiceCredentials(store.serviceClients, clock);
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
  return { keyRing, validAfter, revocations, revocationFeed, revoker, audit, loginThrottle, users, rollout, legacyUsage, serviceCredentials, admin };
}

/** What a `tessera` command works with: the operator actions, the accounts, the database and Redis. */
export interface Operations {
  config: Config;
  store: Store;
  /** With REDIS_URL: revocations and key changes reach running servers at once; shared login counters. */
  fleet: Fleet | undefined;
  users: UserDirectory;
  admin: Admin;
  /** Writes the audit events still buffered, then closes Redis and the database. */
  close(): Promise<void>;
}

export interface OperationsDependencies {
  store: Store;
  logger: Logger;
  clock?: Clock;
}

/**
 * Builds what commands need against the database the servers use, and nothing a server adds: no token
 * services, login flows, background work or timers. Nothing is migrated, seeded, created or re-sealed on
 * the way: a command writes only what it was asked to. Running servers learn of its changes from Redis
 * at once, or by polling the database.
 */
export async function createOperations(config: Config, { store, logger, clock = systemClock }: OperationsDependencies): Promise<Operations> {
  const fleet = config.redis ? Fleet.open(config.redis, logger) : undefined;
  try {
    const parts = await assembleOperatorParts(config, {
      store,
      clock,
      logger,
      passwords: configuredPasswordHasher(config),
      fleet,
      intervals: config.background,
      serving: false,
    });
    return {
      config,
      store,
      fleet,
      users: parts.users,
      admin: parts.admin,
      async close() {
        await parts.audit.stop();
        await fleet?.close();
        await store.close();
      },
    };
  } catch (error) {
    await fleet?.close();
    await store.close();
    throw error;
  }
}
