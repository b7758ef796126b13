import type { SignOutResult } from '../admin/devices.js';
import type { AuditEventType } from '../audit/audit-event-types.js';
import type { AuditLog } from '../audit/audit-log.js';
import type { CredentialCheck } from '../auth/credential-check.js';
import { requireJwtEnabled } from '../auth/jwt-rollout-gate.js';
import type { Revoker } from '../auth/revoker.js';
import type { TokenPair, TokenPairIssuer } from '../auth/token-pair.js';
import type { Clock } from '../clock.js';
import { TesseraError } from '../errors.js';
import type { PasswordHasher } from '../passwords/password-hasher.js';
import type { RolloutPolicy } from '../rollout/rollout-policy.js';
import type { Store } from '../store/store.js';
import type { ClientInfo, FamilyRecord } from '../tokens/refresh-family.js';
import type { UserRecord } from '../users/user.js';
import type { ConfirmationMail, EmailVerification } from './email-verification.js';
import type { ReauthCredential, ReauthProofs } from './reauth-proofs.js';
import { parseEmailAddress } from '../users/email-address.js';
import { assertPassword } from '../users/user-directory.js';

export interface OwnAccountOptions {
  store: Store;
  clock: Clock;
  credentials: CredentialCheck;
  passwords: PasswordHasher;
  revoker: Revoker;
  tokenPairs: TokenPairIssuer;
  rollout: RolloutPolicy;
  audit: AuditLog;
  reauthProofs: ReauthProofs;
  emailVerification: EmailVerification;
}

/** A device as its owner sees it: `current` is the one asking. */
export interface OwnDevice extends FamilyRecord {
  current: boolean;
}

/**
 * What a signed-in user does to their own account (the account page): see and sign out their devices,
 * change their password, confirm it before something that matters. Every change is audited with the
 * user as its actor; credentials end through the revoker, here at once and on every instance.
 */
export class OwnAccount {
  constructor(private readonly options: OwnAccountOptions) {}

  async profile(userId: string): Promise<UserRecord> {
    const user = await this.options.store.users.findById(userId);
    // A deleted user's token outlives them by at most its lifetime; say so as for a revoked one.
    if (!user) throw new TesseraError('unauthorized', 'This account no longer exists');
    return user;
  }

  /** Live devices, most recently used first; the one holding access token `jti` is marked current. */
  async devices(userId: string, jti: string | undefined): Promise<OwnDevice[]> {
    const { store, clock } = this.options;
    const [families, current] = await Promise.all([
      store.families.list(userId, clock.now()),
      jti === undefined ? null : store.families.findByAccessToken(jti),
    ]);
    return families.map((family) => ({ ...family, current: family.id === current?.id }));
  }

  /** Signs out one of the user's devices; a family of someone else is "not found". */
  async signOutDevice(userId: string, familyId: string, client: ClientInfo): Promise<SignOutResult> {
    const family = await this.options.store.families.find(familyId);
    if (!family || family.userId !== userId) throw new TesseraError('not_found', `No device with id ${JSON.stringify(familyId)}`);
    if (family.revokedAt !== null) return { families: 0, accessTokens: 0, sessions: 0 };
    const revoked = await this.options.revoker.revokeFamily(family.id, 'user_sign_out');
    this.record('account.device.sign_out', userId, client, { familyId, revokedAccessTokens: revoked.length });
    return { families: 1, accessTokens: revoked.length, sessions: 0 };
  }

  /** Every device, access token and session of the user ends, this one included. */
  async signOutEverywhere(userId: string, client: ClientInfo): Promise<SignOutResult> {
    const ended = await this.options.revoker.revokeUser(userId, 'user_sign_out');
    this.record('account.sign_out_everywhere', userId, client, endedDetail(ended));
    return ended;
  }

  /**
   * Checks the user's password again (before a destructive action) and answers a proof of it for this
   * login only, valid five minutes, that the console sends with its admin changes; wrong answers count
   * as failed logins.
   */
  async confirmPassword(credential: ReauthCredential, password: string, client: ClientInfo): Promise<{ token: string; expiresIn: number }> {
    const user = await this.profile(credential.userId);
    await this.options.credentials.verify(user.username, password, client, { signedIn: true });
    this.record('account.reauth', user.id, client, null);
    return this.options.reauthProofs.issue(credential);
  }

  /**
   * Sets or clears (`null`) the user's email address after checking their password: whoever holds a
   * stolen token or an unattended browser cannot redirect the account's notices (nor, later, a reset).
   * A new address starts unverified and is sent a confirmation link (`confirmation`); an unchanged one
   * stays as it was (`confirmation` undefined).
   */
  async changeEmail(
    userId: string,
    password: string,
    email: string | null,
    client: ClientInfo,
    beforeMail: () => Promise<void> = async () => {},
  ): Promise<{ user: UserRecord; confirmation?: ConfirmationMail }> {
    const address = parseEmailAddress(email);
    const user = await this.profile(userId);
    await this.options.credentials.verify(user.username, password, client, { signedIn: true });
    if (user.email === address) return { user };
    const { store, clock, emailVerification } = this.options;
    // A new address is mailed a link: its budget is spent (or refuses) before anything changes.
    if (address !== null && emailVerification.sendsMail) await beforeMail();
    const updated = await store.users.update(user.id, { email: address, emailVerifiedAt: null }, clock.now());
    if (!updated) throw new TesseraError('unauthorized', 'This account no longer exists');
    this.record('account.email_change', userId, client, { set: address !== null });
    if (address === null) {
      await emailVerification.cancel(user.id);
      return { user: updated };
    }
    return { user: updated, confirmation: await emailVerification.start(updated) };
  }

  /** Mails a new confirmation link for the user's unverified address (the one before stops working). */
  async resendEmailConfirmation(userId: string, beforeMail?: () => Promise<void>): Promise<{ user: UserRecord; confirmation: ConfirmationMail }> {
    const user = await this.profile(userId);
    return { user, confirmation: await this.options.emailVerification.start(user, beforeMail) };
  }

  /** Opens the link mailed to the user's address: their address is verified from now on. */
  async confirmEmail(userId: string, token: string, client: ClientInfo): Promise<UserRecord> {
    const verified = await this.options.emailVerification.confirm(await this.profile(userId), token);
    this.record('account.email_confirmed', userId, client, null);
    return verified;
  }

  /**
   * Changes the password after checking the current one. Every credential of the user ends — whoever
   * knew the old password loses access — and this device gets a new token pair, so only it stays signed in.
   * A user the JWT rollout does not include yet (signed in with a session) is refused before anything
   * changes: the answer is a token pair, and this is no way around the rollout.
   */
  async changePassword(userId: string, current: string, next: string, client: ClientInfo): Promise<TokenPair & { ended: SignOutResult }> {
    assertPassword(next);
    const user = await this.profile(userId);
    const { authenticatedAt } = await this.options.credentials.verify(user.username, current, client, { signedIn: true });
    const { store, passwords, clock, revoker, tokenPairs, rollout, audit } = this.options;
    requireJwtEnabled(rollout, audit, user, client, 'password_change');
    await store.users.update(user.id, { passwordHash: await passwords.hash(next) }, clock.now());
    const ended = await revoker.revokeUser(user.id, 'password_change');
    // The password was just typed: this device's new login counts it (`auth_time`).
    const pair = await tokenPairs.startFamily(user, client, { authTime: authenticatedAt });
    this.record('account.password_change', userId, client, { ...endedDetail(ended), familyId: pair.family.id });
    return { ...pair, ended };
  }

  private record(type: AuditEventType, userId: string, client: ClientInfo, detail: Record<string, unknown> | null): void {
    this.options.audit.record({ type, userId, actor: userId, client, ...(detail ? { detail } : {}) });
  }
}

const endedDetail = (ended: SignOutResult) => ({
  families: ended.families,
  revokedAccessTokens: ended.accessTokens,
  endedSessions: ended.sessions,
});
