import type { Clock } from '../clock.js';
import type { RevokedAccessToken, Store } from '../store/store.js';
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
    return this.publish(await this.store.revokeFamily(familyId, reason, this.clock.now()));
  }

  /** Signed out everywhere: every family and every unexpired access token of the user. */
  async revokeUser(userId: string, reason: string): Promise<RevokedAccessToken[]> {
    return this.publish(await this.store.revokeUserTokens(userId, reason, this.clock.now()));
  }

  /** Every unexpired access token of the user, but not their families: the next refresh re-reads the user. */
  async revokeUserAccessTokens(userId: string): Promise<RevokedAccessToken[]> {
    return this.publish(await this.store.revokeUserAccessTokens(userId, this.clock.now()));
  }

  async revokeAccessToken(token: RevokedAccessToken): Promise<void> {
    await this.store.revokeAccessTokens([token], this.clock.now());
    await this.publish([token]);
  }

  private async publish(entries: RevokedAccessToken[]): Promise<RevokedAccessToken[]> {
    await this.feed?.revoked(entries);
    return entries;
  }
}
