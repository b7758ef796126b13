import type { AuditEventType } from '../audit/audit-event-types.js';
import type { AuditLog } from '../audit/audit-log.js';
import type { Revoker } from '../auth/revoker.js';
import type { Clock } from '../clock.js';
import { TesseraError } from '../errors.js';
import { revokeTokensOutsideRollout } from '../rollout/rollback-revocation.js';
import type { RolloutPolicy, RolloutState } from '../rollout/rollout-policy.js';
import type { LegacyUsage } from '../sessions/legacy-usage.js';
import type { Store } from '../store/store.js';
import type { LegacyUsageRecord } from '../sessions/legacy-usage-count.js';
import { normalizeUsername } from '../users/username.js';
import type { Actor } from './actor.js';

export interface RolloutAdminOptions {
  store: Store;
  rollout: RolloutPolicy;
  revoker: Revoker;
  audit: AuditLog;
  legacyUsage: LegacyUsage;
  clock: Clock;
}

const DAY_MS = 86_400_000;

/** The audit event that marks each way a user moves from the team's own app to Tessera. */
const MOVED_BY = {
  /** The app handed a signed-in user over (token exchange). */
  handedOff: 'token.exchange',
  /** The old app vouched for the password at the user's first login (LEGACY_AUTH_URL). */
  lazilyMigrated: 'legacy_auth.migrated',
  /** A user logged in with an imported (or older) hash, now replaced by Tessera's own. */
  rehashed: 'user.password_rehashed',
} as const satisfies Record<string, AuditEventType>;

/** How many users moved over in a window, by way; `total` counts each user once. */
export interface MovedUsers {
  days: number;
  since: number;
  handedOff: number;
  lazilyMigrated: number;
  rehashed: number;
  total: number;
}

/**
 * The road off sessions, for operators (admin API and command line alike): the JWT rollout percentage,
 * per-user overrides, a rollback that also revokes, and who still uses sessions. Changes are stored in
 * the database; every instance applies them within its rollout reload interval.
 */
export class RolloutAdmin {
  constructor(private readonly options: RolloutAdminOptions) {}

  /** The settings as stored now (read fresh: the CLI or another instance may have changed them). */
  async show(): Promise<RolloutState> {
    await this.options.rollout.reload();
    return this.options.rollout.current();
  }

  async setPercent(
    percent: number,
    revoke: boolean,
    actor: Actor,
  ): Promise<{ previous: RolloutState; revoked?: { users: number; accessTokens: number } }> {
    const previous = await this.show();
    await this.options.rollout.setPercent(percent);
    this.record('admin.rollout.set', actor, null, { percent, previous: previous.percent });
    if (!revoke) return { previous };
    const revoked = await revokeTokensOutsideRollout(this.options.store, this.options.rollout, this.options.revoker);
    this.record('admin.rollout.revoke', actor, null, { percent, ...revoked });
    return { previous, revoked };
  }

  /** Forgets the stored percentage: JWT_ROLLOUT_PERCENT applies again. */
  async reset(actor: Actor): Promise<RolloutState> {
    await this.options.rollout.resetPercent();
    this.record('admin.rollout.reset', actor, null);
    return this.options.rollout.current();
  }

  /** true = always JWT, false = never (keeps sessions), null = the percentage decides. */
  async setOverride(username: string, enabled: boolean | null, actor: Actor): Promise<{ userId: string; username: string }> {
    const user = await this.options.store.users.findByUsername(normalizeUsername(username));
    if (!user) throw new TesseraError('not_found', `No user named ${JSON.stringify(username)}`);
    await this.options.rollout.setOverride(user.id, enabled);
    this.record('admin.rollout.override', actor, user.id, { enabled });
    return { userId: user.id, username: user.username };
  }

  /** Session users and their clients seen in the last `days` days, most recent first. */
  legacyUsage(days: number): Promise<LegacyUsageRecord[]> {
    return this.options.legacyUsage.list(this.options.clock.now() - days * DAY_MS);
  }

  /** Users who came over from the team's own app in the last `days` days, by way (from the audit trail). */
  async movedUsers(days: number): Promise<MovedUsers> {
    await this.options.audit.flush();
    const since = this.options.clock.now() - days * DAY_MS;
    const { byType, total } = await this.options.store.audit.countUsers(Object.values(MOVED_BY), since);
    return {
      days,
      since,
      handedOff: byType[MOVED_BY.handedOff] ?? 0,
      lazilyMigrated: byType[MOVED_BY.lazilyMigrated] ?? 0,
      rehashed: byType[MOVED_BY.rehashed] ?? 0,
      total,
    };
  }

  private record(type: AuditEventType, actor: Actor, userId: string | null, detail?: Record<string, unknown>): void {
    this.options.audit.record({ type, actor: actor.id, client: actor.client, userId, ...(detail ? { detail } : {}) });
  }
}
