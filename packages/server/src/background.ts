import type { LoginThrottleAdmin } from './admin/login-throttle.js';
import type { AuditLog } from './audit/audit-log.js';
import type { Clock } from './clock.js';
import { SETTINGS, type BackgroundIntervals } from './config.js';
import { readSettings } from './config/setting.js';
import type { Fleet } from './fleet/fleet.js';
import type { Logger } from './logger.js';
import type { PasswordHasher } from './passwords/password-hasher.js';
import type { RolloutPolicy } from './rollout/rollout-policy.js';
import type { AuthenticatedRequestCounts } from './metrics/authenticated-request-counts.js';
import type { LegacyUsage } from './sessions/legacy-usage.js';
import type { Store } from './store/store.js';
import type { KeyRing } from './tokens/key-ring.js';
import type { RevocationFeed } from './tokens/revocation-feed.js';

/** The default intervals of the background work every instance does (settings REVOCATION_POLL_MS, KEY_RELOAD_MS, …). */
export const BACKGROUND: BackgroundIntervals = readSettings(SETTINGS.background, {});

/** What each instance keeps up to date in the background, and what it writes in batches. */
export interface BackgroundParts {
  store: Store;
  clock: Clock;
  logger: Logger;
  fleet: Fleet | undefined;
  keyRing: KeyRing;
  revocationFeed: RevocationFeed;
  rollout: RolloutPolicy;
  legacyUsage: LegacyUsage;
  requestCounts: AuthenticatedRequestCounts;
  audit: AuditLog;
  passwords: PasswordHasher;
  loginUnlocks: LoginThrottleAdmin;
  intervals: BackgroundIntervals;
  auditRetentionDays: number;
}

/**
 * With Redis, what other instances announce is applied at once: a key rotation reloads the keys, a
 * setting change the rollout, and a reconnection re-reads the revocations missed meanwhile.
 */
export function followFleet({ fleet, keyRing, revocationFeed, rollout }: BackgroundParts): void {
  fleet?.bus.follow('keys-changed', () => keyRing.reload());
  fleet?.bus.onResync(() => revocationFeed.poll());
  fleet?.bus.follow('settings-changed', () => rollout.reload());
}

/**
 * The background work of a serving instance: the revocation feed, the fleet's events, rollout and key
 * reloads, the unlock poll (without Redis), batched usage counts and audit events, and pruning.
 */
export class BackgroundWork {
  private readonly timers: NodeJS.Timeout[] = [];

  constructor(private readonly parts: BackgroundParts) {}

  async start(): Promise<void> {
    const { store, clock, fleet, keyRing, revocationFeed, rollout, legacyUsage, requestCounts, audit, passwords, loginUnlocks, intervals } = this.parts;
    await Promise.all([revocationFeed.start(), passwords.warmUp()]);
    await fleet?.start();
    await rollout.start();
    legacyUsage.start();
    requestCounts.start();
    audit.start();
    this.every(intervals.keyReloadMs, 'key reload', () => keyRing.reload());
    if (!fleet) {
      // Without Redis failed logins are counted in this process: unlocks made elsewhere (the CLI, another
      // instance) arrive through the database.
      await loginUnlocks.follow();
      this.every(intervals.loginUnlockPollMs, 'login unlock poll', () => loginUnlocks.follow());
    }
    this.every(intervals.pruneMs, 'pruning expired rows', async () => {
      await store.pruneExpired(clock.now());
      await store.audit.prune(clock.now() - this.parts.auditRetentionDays * 86_400_000);
      await requestCounts.prune();
    });
  }

  /** Stops the timers and loops, and writes what is still buffered (usage counts, audit events). */
  async stop(): Promise<void> {
    for (const timer of this.timers) clearInterval(timer);
    this.parts.revocationFeed.stop();
    this.parts.rollout.stop();
    await this.parts.legacyUsage.stop();
    await this.parts.requestCounts.stop();
    await this.parts.audit.stop();
  }

  private every(ms: number, what: string, task: () => Promise<void>): void {
    const timer = setInterval(() => {
      task().catch((error: unknown) => this.parts.logger.warn({ err: error }, `${what} failed`));
    }, ms);
    timer.unref();
    this.timers.push(timer);
  }
}
