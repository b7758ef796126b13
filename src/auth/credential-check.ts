import type { AuditLog } from '../audit/audit-log.js';
import type { Clock } from '../clock.js';
import { TesseraError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { PasswordHasher } from '../passwords/password-hasher.js';
import type { ClientInfo, Store, UserRecord } from '../store/store.js';
import { normalizeUsername } from '../users/username.js';

export interface CredentialCheckOptions {
  store: Store;
  passwords: PasswordHasher;
  clock: Clock;
  logger: Logger;
  audit: AuditLog;
}

export const INVALID_CREDENTIALS = 'Invalid username or password';

/**
 * Checks a username and password. Unknown users, wrong passwords and disabled accounts all cost one
 * argon2id verification and fail with the same error, so neither timing nor body tells them apart.
 * A hash made with outdated parameters is upgraded on the way.
 */
export class CredentialCheck {
  constructor(private readonly options: CredentialCheckOptions) {}

  /**
   * `via: 'session'` marks failures of the legacy `/api/login` in the audit trail. `authenticatedAt` is
   * when the user row was read, before the password check: a reset after it must end what this login issues.
   */
  async verify(
    username: string,
    password: string,
    client: ClientInfo,
    via: 'jwt' | 'session' = 'jwt',
  ): Promise<UserRecord & { authenticatedAt: number }> {
    const { store, passwords } = this.options;
    const authenticatedAt = this.options.clock.now();
    const user = await store.findUserByUsername(normalizeUsername(username));
    const ok = user ? await passwords.verify(user.passwordHash, password) : await passwords.verifyNothing(password);
    if (!user || !ok || user.disabledAt !== null) {
      const reason = !user ? 'unknown_user' : !ok ? 'bad_password' : 'disabled';
      this.options.logger.info({ ip: client.ip, reason }, 'login failed');
      const detail = via === 'session' ? { username, reason, via } : { username, reason };
      this.options.audit.record({ type: 'login.failure', userId: user?.id ?? null, client, detail });
      throw new TesseraError('invalid_credentials', INVALID_CREDENTIALS);
    }
    if (passwords.needsRehash(user.passwordHash)) await this.upgradeHash(user, password);
    return { ...user, authenticatedAt };
  }

  private async upgradeHash(user: UserRecord, password: string): Promise<void> {
    const passwordHash = await this.options.passwords.hash(password);
    await this.options.store.updateUser(user.id, { passwordHash }, this.options.clock.now());
    this.options.logger.info({ userId: user.id }, 'password hash upgraded to current argon2id parameters');
  }
}
