import type { AuditLog } from '../audit/audit-log.js';
import type { Clock } from '../clock.js';
import { LegacyAuthUnavailableError, UsernameTakenError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { PasswordHasher } from '../passwords/password-hasher.js';
import type { Store } from '../store/store.js';
import type { ClientInfo } from '../tokens/refresh-family.js';
import type { UserRecord } from '../users/user.js';
import { checkEmailAddress } from '../users/email-address.js';
import { MAX_PASSWORD_LENGTH, USERNAME_PATTERN, isUserRole } from '../users/username.js';
import type { LegacyAuthClient } from './legacy-auth-client.js';

export interface LazyMigrationOptions {
  client: LegacyAuthClient;
  store: Store;
  passwords: PasswordHasher;
  audit: AuditLog;
  clock: Clock;
  logger: Logger;
  /** LEGACY_AUTH_ALLOW_ADMIN: off, a user the old app calls `admin` is created with the `user` role. */
  allowAdmin: boolean;
}

/**
 * Lazy migration (LEGACY_AUTH_URL): a login for a username Tessera does not know is checked by the
 * team's old app. If the old app says the password is right, the user is created here with that
 * password hashed by Tessera, and the old app is never asked about them again.
 */
export class LazyMigration {
  constructor(private readonly options: LazyMigrationOptions) {}

  /** The user created (or found, if a concurrent login created them first), or null if the old app said no. */
  async migrate(username: string, password: string, client: ClientInfo): Promise<UserRecord | null> {
    if (!USERNAME_PATTERN.test(username) || password.length === 0 || password.length > MAX_PASSWORD_LENGTH) return null;
    const { audit, clock } = this.options;
    const started = clock.now();
    const answer = await this.options.client.ask(username, password);
    const ms = clock.now() - started;
    if (answer.status === 'failed') {
      this.options.logger.warn({ reason: answer.reason, ms }, 'lazy migration: the old app gave no usable answer');
      audit.record({ type: 'legacy_auth.failed', client, detail: { username, reason: answer.reason, ms } });
      throw new LegacyAuthUnavailableError();
    }
    if (answer.status === 'invalid') {
      audit.record({ type: 'legacy_auth.refused', client, detail: { username, ms } });
      return null;
    }
    const { role, refused } = this.roleOf(answer.role);
    const email = this.emailOf(answer.email, username);
    const user = await this.create(username, password, role, email.address);
    if (!user) return null;
    const detail = { username, role: user.role, ms, ...(refused ? { roleRefused: refused } : {}), ...(email.refused ? { emailRefused: email.refused } : {}) };
    audit.record({ type: 'legacy_auth.migrated', userId: user.id, client, detail });
    return user;
  }

  /**
   * The address the old app gave, if it is one by the account API's rule; anything else is left out (the
   * login goes on, the user can set their address later) and said in the log and audit, never quoted.
   */
  private emailOf(given: unknown, username: string): { address: string | null; refused?: string } {
    if (given === undefined || given === null || given === '') return { address: null };
    const address = typeof given === 'string' ? checkEmailAddress(given) : undefined;
    if (address !== undefined) return { address };
    this.options.logger.warn({ username }, 'lazy migration: the old app gave an email that is not an email address; the user is created without one');
    return { address: null, refused: 'not an email address' };
  }

  /** The role the old app named if it is one Tessera accepts (admin only when allowed), else `user`. */
  private roleOf(named: unknown): { role: string; refused?: string } {
    if (typeof named !== 'string' || named === '' || named === 'user') return { role: 'user' };
    if (!isUserRole(named)) return { role: 'user', refused: named.slice(0, 32) };
    if (named === 'admin' && !this.options.allowAdmin) return { role: 'user', refused: 'admin' };
    return { role: named };
  }

  private async create(username: string, password: string, role: string, email: string | null): Promise<UserRecord | null> {
    const { store, passwords, clock } = this.options;
    const passwordHash = await passwords.hash(password);
    try {
      return await store.users.create({ id: crypto.randomUUID(), username, role, email, passwordHash, createdAt: clock.now() });
    } catch (error) {
      if (!(error instanceof UsernameTakenError)) throw error;
      // Another login for the same user created them a moment ago: theirs stands, checked like any other.
      const existing = await store.users.findByUsername(username);
      return existing && (await passwords.verify(existing.passwordHash, password)) ? existing : null;
    }
  }
}
