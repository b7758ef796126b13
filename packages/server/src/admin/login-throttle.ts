import type { AuditLog } from '../audit/audit-log.js';
import type { LoginThrottle, LoginThrottleStatus } from '../auth/login-throttle.js';
import type { Clock } from '../clock.js';
import type { Logger } from '../logger.js';
import type { Store } from '../store/store.js';
import type { Actor } from './actor.js';

/** The setting that carries unlocks to servers that count failed logins in their own memory (no Redis). */
export const LOGIN_UNLOCKS_SETTING = 'login_unlocks';

/** When each account was last unlocked, epoch ms: what `LOGIN_UNLOCKS_SETTING` holds, as JSON. */
type Unlocks = Record<string, number>;

export interface LoginThrottleAdminOptions {
  throttle: LoginThrottle;
  store: Store;
  audit: AuditLog;
  clock: Clock;
  logger: Logger;
  /** Unlocks older than this are dropped from the setting: no count they could clear is left. */
  windowMs: number;
}

/**
 * Seeing and clearing an account's failed-login throttle, for the admin API and the command line alike.
 * With Redis the counts are shared and an unlock clears them at once for every server. Without it each
 * server counts in its own memory, which no other process can reach: the unlock is also written to the
 * database, and every server applies it when it next polls (`follow`).
 */
export class LoginThrottleAdmin {
  private applied: Unlocks | undefined;
  /** Unlocks made through this server, applied here at once: its poll must not apply them again to failures since. */
  private readonly madeHere = new Map<string, number>();

  constructor(private readonly options: LoginThrottleAdminOptions) {}

  status(username: string): Promise<LoginThrottleStatus> {
    return this.options.throttle.status(username);
  }

  /** Forgets the account's failed logins, its slowdown and every per-IP refusal; audited. */
  async unlock(username: string, actor: Actor): Promise<LoginThrottleStatus> {
    const { throttle, store, audit, clock } = this.options;
    const cleared = await throttle.unlock(username);
    const now = clock.now();
    const unlocks = await this.readUnlocks();
    for (const [name, at] of Object.entries(unlocks)) if (at <= now - this.options.windowMs) delete unlocks[name];
    unlocks[username] = now;
    for (const [name, at] of this.madeHere) if (at <= now - this.options.windowMs) this.madeHere.delete(name);
    this.madeHere.set(username, now);
    await store.settings.write(LOGIN_UNLOCKS_SETTING, JSON.stringify(unlocks), now);
    const user = await store.users.findByUsername(username);
    audit.record({
      type: 'admin.user.unlock',
      userId: user?.id ?? null,
      actor: actor.id,
      client: actor.client,
      detail: { username, failures: cleared.failures },
    });
    return cleared;
  }

  /** Applies, in this server's memory, the unlocks written since the last call (the first call only takes note). */
  async follow(): Promise<void> {
    const unlocks = await this.readUnlocks();
    const previous = this.applied;
    this.applied = unlocks;
    if (!previous) return;
    for (const [username, at] of Object.entries(unlocks)) {
      if (at > (previous[username] ?? 0) && this.madeHere.get(username) !== at) await this.options.throttle.unlock(username);
    }
  }

  private async readUnlocks(): Promise<Unlocks> {
    const stored = await this.options.store.settings.read(LOGIN_UNLOCKS_SETTING);
    if (stored === null) return {};
    try {
      const parsed: unknown = JSON.parse(stored);
      return typeof parsed === 'object' && parsed !== null ? (parsed as Unlocks) : {};
    } catch {
      this.options.logger.warn({ setting: LOGIN_UNLOCKS_SETTING }, 'unreadable login unlocks ignored');
      return {};
    }
  }
}
