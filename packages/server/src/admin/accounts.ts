import type { AuditEventType } from '../audit/audit-event-types.js';
import type { AuditLog } from '../audit/audit-log.js';
import type { Revoker } from '../auth/revoker.js';
import type { Clock } from '../clock.js';
import { TesseraError } from '../errors.js';
import type { PasswordHasher } from '../passwords/password-hasher.js';
import type { Store, UserRepository } from '../store/store.js';
import type { Page, UserPage, UserRecord } from '../users/user.js';
import { assertPassword, assertRole, type NewAccount, type UserDirectory } from '../users/user-directory.js';
import { parseEmailAddress } from '../users/email-address.js';
import { normalizeUsername } from '../users/username.js';
import type { Actor } from './actor.js';
import type { SignOutResult } from './devices.js';

export interface AccountAdminOptions {
  store: Store;
  users: UserDirectory;
  passwords: PasswordHasher;
  revoker: Revoker;
  audit: AuditLog;
  clock: Clock;
}

/**
 * What an operator does to accounts, from the admin API or the command line: create, find, change the
 * role, disable or enable, reset the password. Each change is audited with its actor, and any change
 * that should end the user's current access takes effect at once through the revoker.
 */
export class AccountAdmin {
  constructor(private readonly options: AccountAdminOptions) {}

  async create(account: NewAccount, actor: Actor): Promise<UserRecord> {
    const user = await this.options.users.create(account);
    this.record('admin.user.create', user, actor, { username: user.username, role: user.role, email: user.email !== null });
    return user;
  }

  list(page: Page): Promise<UserPage> {
    return this.options.users.list(page);
  }

  async get(userId: string): Promise<UserRecord> {
    const user = await this.options.store.users.findById(userId);
    if (!user) throw new TesseraError('not_found', `No user with id ${JSON.stringify(userId)}`);
    return user;
  }

  async getByUsername(username: string): Promise<UserRecord> {
    const user = await this.options.store.users.findByUsername(normalizeUsername(username));
    if (!user) throw new TesseraError('not_found', `No user named ${JSON.stringify(username)}`);
    return user;
  }

  /**
   * Changes the role. The user's access tokens are revoked so the new role applies at once; their
   * devices stay logged in, and the next refresh issues an access token carrying the new role.
   */
  async setRole(userId: string, role: string, actor: Actor): Promise<UserRecord> {
    assertRole(role);
    const user = await this.get(userId);
    if (user.role === role) return user;
    refuseSelf(user, actor, 'change your own role');
    const updated = await this.update(user, { role });
    const revoked = await this.options.revoker.revokeUserAccessTokens(user.id);
    this.record('admin.user.role_change', user, actor, { from: user.role, to: role, revokedAccessTokens: revoked.length });
    return updated;
  }

  /**
   * Disabling refuses logins and ends every credential of the user at once (`ended` says what); enabling
   * lets them log in again, and revives nothing that was ended.
   */
  async setDisabled(userId: string, disabled: boolean, actor: Actor): Promise<UserRecord & { ended?: SignOutResult }> {
    const user = await this.get(userId);
    if ((user.disabledAt !== null) === disabled) return user;
    if (!disabled) {
      const enabled = await this.update(user, { disabledAt: null });
      this.record('admin.user.enable', user, actor, null);
      return enabled;
    }
    refuseSelf(user, actor, 'disable your own account');
    const updated = await this.update(user, { disabledAt: this.options.clock.now() });
    const ended = await this.options.revoker.revokeUser(user.id, 'user_disabled');
    this.record('admin.user.disable', user, actor, endedDetail(ended));
    return { ...updated, ended };
  }

  /**
   * Sets or clears (`null`) the user's email address; nobody is signed out. The operator vouches for the
   * address: it counts as verified at once (also when it is the user's own unconfirmed one), no link is mailed.
   */
  async setEmail(userId: string, email: string | null, actor: Actor): Promise<UserRecord> {
    const address = parseEmailAddress(email);
    const user = await this.get(userId);
    if (user.email === address && (address === null || user.emailVerifiedAt !== null)) return user;
    const { store, clock } = this.options;
    // Never the instant already stored: the database takes an unchanged instant beside a new address for a
    // write that did not verify it (an older version), and clears it.
    const verifiedAt = address === null ? null : Math.max(clock.now(), (user.emailVerifiedAt ?? 0) + 1);
    const updated = await this.update(user, { email: address, emailVerifiedAt: verifiedAt });
    await store.emailConfirmations.remove(user.id);
    this.record('admin.user.email_change', user, actor, { set: address !== null });
    return updated;
  }

  /** Sets a new password and signs the user out everywhere: whoever knew the old one loses access too. */
  async resetPassword(userId: string, password: string, actor: Actor): Promise<SignOutResult> {
    assertPassword(password);
    const user = await this.get(userId);
    await this.update(user, { passwordHash: await this.options.passwords.hash(password) });
    const ended = await this.options.revoker.revokeUser(user.id, 'password_reset');
    this.record('admin.user.password_reset', user, actor, endedDetail(ended));
    return ended;
  }

  private async update(user: UserRecord, patch: Parameters<UserRepository['update']>[1]): Promise<UserRecord> {
    const updated = await this.options.store.users.update(user.id, patch, this.options.clock.now());
    if (!updated) throw new TesseraError('not_found', `No user with id ${JSON.stringify(user.id)}`);
    return updated;
  }

  private record(type: AuditEventType, user: UserRecord, actor: Actor, detail: Record<string, unknown> | null): void {
    this.options.audit.record({ type, userId: user.id, actor: actor.id, client: actor.client, ...(detail ? { detail } : {}) });
  }
}

const endedDetail = (ended: SignOutResult) => ({
  families: ended.families,
  revokedAccessTokens: ended.accessTokens,
  endedSessions: ended.sessions,
});

/** An admin cannot lock themselves out by accident; another admin (or the command line) can do it. */
function refuseSelf(user: UserRecord, actor: Actor, what: string): void {
  if (user.id === actor.id) throw new TesseraError('conflict', `You cannot ${what}; ask another admin or use the tessera command line`);
}
