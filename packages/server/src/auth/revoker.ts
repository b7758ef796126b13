import type { Clock } from '../clock.js';
import type { Store } from '../store/store.js';
import type { RevokedAccessToken } from '../tokens/revoked-access-token.js';
import type { SignOutResult } from '../admin/devices.js';
import type { RevocationFeed } from '../tokens/revocation-feed.js';

/**
 * Revokes refresh-token families and access tokens: the store records it durably, then the feed makes
 * every instance refuse the access tokens at once. Without a feed (the CLI), running servers learn of
 * it by polling the store.
 */
export class Revoker {
  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly feed?: RevocationFeed,
  ) {}

  /** One device signed out: its family and every access token issued in it. */
  async revokeFamily(familyId: string, reason: string): Promise<RevokedAccessToken[]> {
    return this.publish(await this.store.families.revoke(familyId, reason, this.clock.now()));
  }

  /**
   * Signed out everywhere (also a password reset and a disable): the user's valid-after moves to now, and
   * every family, unexpired access token and open session of theirs ends, here at once and on every instance.
   */
  async revokeUser(userId: string, reason: string): Promise<SignOutResult> {
    const now = this.clock.now();
    const ended = await this.store.validAfter.endUser(userId, reason, now);
    await this.publish(ended.accessTokens);
    await this.feed?.moved([{ scope: 'user', subject: userId, at: now }]);
    return { families: ended.families, accessTokens: ended.accessTokens.length, sessions: ended.sessions };
  }

  /** Only the user's JWTs (families and access tokens), sessions untouched: a rollout rollback sends them back to sessions. */
  async revokeUserTokens(userId: string, reason: string): Promise<RevokedAccessToken[]> {
    return this.publish(await this.store.families.revokeAllOfUser(userId, reason, this.clock.now()));
  }

  /** Everyone signed out (`tokens revoke --all`): a global valid-after at now. */
  async revokeEveryone(reason: string): Promise<SignOutResult> {
    const now = this.clock.now();
    const ended = await this.store.validAfter.endAll(reason, now);
    await this.publish(ended.accessTokens);
    await this.feed?.moved([{ scope: 'all', subject: '', at: now }]);
    return { families: ended.families, accessTokens: ended.accessTokens.length, sessions: ended.sessions };
  }

  /**
   * A service's credentials revoked: every token issued to it is refused, here at once and on every
   * instance. Its `sub` is its client_id, so this is a valid-after move for that subject, at the end of
   * the current second: `iat` is whole seconds, and the service can obtain no token after this.
   */
  async revokeServiceTokens(clientId: string): Promise<void> {
    const endOfSecond = Math.floor(this.clock.now() / 1000) * 1000 + 999;
    await this.store.validAfter.endUser(clientId, 'service_revoked', endOfSecond);
    await this.feed?.moved([{ scope: 'user', subject: clientId, at: endOfSecond }]);
  }

  /**
   * A service revoked or its token exchange turned off: every login its exchanges started (refresh-token
   * families and their live access tokens) ends, here at once and on every instance, as a sign-out does.
   */
  async revokeServiceLogins(serviceClientId: string, reason: string): Promise<number> {
    const { families, accessTokens } = await this.store.families.revokeAllOfService(serviceClientId, reason, this.clock.now());
    await this.publish(accessTokens);
    return families;
  }

  /** A signing key revoked: everything it signed is refused, whenever it was issued. */
  async revokeKey(kid: string): Promise<boolean> {
    const now = this.clock.now();
    if (!(await this.store.keys.revoke(kid, now))) return false;
    await this.feed?.moved([{ scope: 'key', subject: kid, at: now }]);
    return true;
  }

  /** Every unexpired access token of the user, but not their families: the next refresh re-reads the user. */
  async revokeUserAccessTokens(userId: string): Promise<RevokedAccessToken[]> {
    return this.publish(await this.store.revocations.revokeUserAccessTokens(userId, this.clock.now()));
  }

  async revokeAccessToken(token: RevokedAccessToken): Promise<void> {
    await this.store.revocations.record([token], this.clock.now());
    await this.publish([token]);
  }

  private async publish(entries: RevokedAccessToken[]): Promise<RevokedAccessToken[]> {
    await this.feed?.revoked(entries);
    return entries;
  }
}
