import { setTimeout as sleep } from 'node:timers/promises';
import type { AuditLog } from '../audit/audit-log.js';
import type { Clock } from '../clock.js';
import { OverloadedError, TesseraError } from '../errors.js';
import type { Logger } from '../logger.js';
import { schemeOf } from '../passwords/imported-hashes.js';
import type { PasswordHasher } from '../passwords/password-hasher.js';
import type { Store } from '../store/store.js';
import type { ClientInfo } from '../tokens/refresh-family.js';
import type { UserRecord } from '../users/user.js';
import { normalizeUsername } from '../users/username.js';
import type { LazyMigration } from './lazy-migration.js';
import type { LoginThrottle } from './login-throttle.js';

export interface CredentialCheckOptions {
  store: Store;
  passwords: PasswordHasher;
  clock: Clock;
  logger: Logger;
  audit: AuditLog;
  /** Per-account brute-force protection; absent, every check is evaluated at once. */
  throttle?: LoginThrottle | undefined;
  /** LEGACY_AUTH_URL: unknown usernames are checked by the team's old app. */
  lazyMigration?: LazyMigration | undefined;
  /** LOGIN_FAILURE_MIN_MS: a failed check is answered no sooner than this after it began. */
  failureFloorMs?: number;
  /** Holds a failed check until the floor; tests pass one that records the wait instead of waiting. */
  sleep?: ((ms: number) => Promise<void>) | undefined;
}

export const INVALID_CREDENTIALS = 'Invalid username or password';
/** What a signed-in user re-entering their password (re-authentication, a password or address change) is told. */
export const WRONG_PASSWORD = 'The password is wrong';

/**
 * Checks a username and password. Unknown users, wrong passwords and disabled accounts all cost one
 * argon2id verification and fail with the same error, so neither timing nor body tells them apart. A
 * user whose imported hash of another scheme is not replaced yet takes that scheme's time to check: every
 * failure is answered no sooner than `failureFloorMs` after its check began, which hides the difference
 * for imported hashes quicker than that. A hash made with outdated parameters is upgraded on the way.
 */
export class CredentialCheck {
  constructor(private readonly options: CredentialCheckOptions) {}

  /**
   * `via: 'session'` marks failures of the legacy `/api/login` in the audit trail; `signedIn` says the
   * caller holds a valid access token of this account (it re-enters its password), which a slowed
   * account's queue never holds up. `authenticatedAt` is when the user row was read, before the password
   * check: a reset after it must end what this login issues.
   */
  async verify(
    username: string,
    password: string,
    client: ClientInfo,
    { via = 'jwt', signedIn = false }: { via?: 'jwt' | 'session'; signedIn?: boolean } = {},
  ): Promise<UserRecord & { authenticatedAt: number }> {
    const account = normalizeUsername(username);
    // Before the lookup, so a name that exists and one that does not are throttled alike.
    const release = await this.options.throttle?.before(account, client, { signedIn });
    try {
      return await this.check(username, account, password, client, via, signedIn);
    } finally {
      release?.();
    }
  }

  /** The check itself: `username` as typed (for the audit trail), `account` its normalized form. */
  private async check(
    username: string,
    account: string,
    password: string,
    client: ClientInfo,
    via: 'jwt' | 'session',
    signedIn: boolean,
  ): Promise<UserRecord & { authenticatedAt: number }> {
    const { store, passwords, throttle } = this.options;
    const began = performance.now();
    const authenticatedAt = this.options.clock.now();
    const known = await store.users.findByUsername(account);
    const migrated = known ? null : await this.options.lazyMigration?.migrate(account, password, client);
    const user = known ?? migrated ?? null;
    // A user the old app has just vouched for was created with this very password.
    const ok = migrated ? true : user ? await passwords.verify(user.passwordHash, password) : await passwords.verifyNothing(password);
    if (!user || !ok || user.disabledAt !== null) {
      await throttle?.failed(account, user?.id ?? null, client);
      const reason = !user ? 'unknown_user' : !ok ? 'bad_password' : 'disabled_account';
      this.options.logger.info({ ip: client.ip, reason }, 'login failed');
      const detail = via === 'session' ? { username, reason, via } : { username, reason };
      this.options.audit.record({ type: 'login.failure', userId: user?.id ?? null, client, detail });
      await this.holdFailure(began);
      // Signed in, the caller knows the account exists and typed only its password.
      throw new TesseraError('invalid_credentials', signedIn ? WRONG_PASSWORD : INVALID_CREDENTIALS);
    }
    await throttle?.succeeded(account, client);
    if (!migrated && passwords.needsRehash(user.passwordHash)) await this.upgradeHash(user, password, client);
    return { ...user, authenticatedAt };
  }

  /** Waits out what is left of the failure floor since `began` (monotonic ms). */
  private async holdFailure(began: number): Promise<void> {
    const left = (this.options.failureFloorMs ?? 0) - (performance.now() - began);
    if (left > 0) await (this.options.sleep ?? sleep)(left);
  }

  private async upgradeHash(user: UserRecord, password: string, client: ClientInfo): Promise<void> {
    // Under a login flood the upgrade waits for the next login rather than failing this one.
    const passwordHash = await this.options.passwords.hash(password).catch((error: unknown) => {
      if (error instanceof OverloadedError) return undefined;
      throw error;
    });
    if (passwordHash === undefined) return;
    // A reset that landed while this hash was computed wins: the old password is never written back.
    const current = await this.options.store.users.findById(user.id);
    if (current?.passwordHash !== user.passwordHash) return;
    await this.options.store.users.update(user.id, { passwordHash }, this.options.clock.now());
    this.options.logger.info({ userId: user.id }, 'password hash upgraded to current argon2id parameters');
    // An imported hash (bcrypt, scrypt, PBKDF2, argon2i) replaced by Tessera's own: one more user moved over.
    const from = schemeOf(user.passwordHash)?.name ?? 'unknown';
    this.options.audit.record({ type: 'user.password_rehashed', userId: user.id, client, detail: { from: from === 'argon2' ? argon2Variant(user.passwordHash) : from } });
  }
}

/** `argon2id` (older parameters), `argon2i` or `argon2d`, as the stored hash names it. */
function argon2Variant(passwordHash: string): string {
  return /^\$(argon2(?:id|i|d))\$/.exec(passwordHash)?.[1] ?? 'argon2';
}
