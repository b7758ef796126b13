import type { AuditLog } from '../audit/audit-log.js';
import type { LoginThrottle, LoginThrottleStatus } from '../auth/login-throttle.js';
import type { Store } from '../store/store.js';
import type { Actor } from './actor.js';

/** Seeing and clearing an account's failed-login throttle, for the admin API and the command line alike. */
export class LoginThrottleAdmin {
  constructor(
    private readonly throttle: LoginThrottle,
    private readonly store: Store,
    private readonly audit: AuditLog,
  ) {}

  status(username: string): Promise<LoginThrottleStatus> {
    return this.throttle.status(username);
  }

  /** Forgets the account's failed logins, its slowdown and every per-IP refusal; audited. */
  async unlock(username: string, actor: Actor): Promise<LoginThrottleStatus> {
    const cleared = await this.throttle.unlock(username);
    const user = await this.store.findUserByUsername(username);
    this.audit.record({
      type: 'admin.user.unlock',
      userId: user?.id ?? null,
      actor: actor.id,
      client: actor.client,
      detail: { username, failures: cleared.failures },
    });
    return cleared;
  }
}
