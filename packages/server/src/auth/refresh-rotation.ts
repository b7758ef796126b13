import type { AuditLog } from '../audit/audit-log.js';
import type { Clock } from '../clock.js';
import { InvalidGrantError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { Store } from '../store/store.js';
import type { ClientInfo } from '../tokens/refresh-family.js';
import type { UserRecord } from '../users/user.js';
import type { AccessTokens } from '../tokens/access-tokens.js';
import { hashToken, type RefreshClaims, type RefreshTokens } from '../tokens/refresh-tokens.js';
import type { RevocationFeed } from '../tokens/revocation-feed.js';
import type { TokenPair } from './token-pair.js';

export interface RefreshRotationOptions {
  store: Store;
  accessTokens: AccessTokens;
  refreshTokens: RefreshTokens;
  revocationFeed: RevocationFeed;
  clock: Clock;
  logger: Logger;
  audit: AuditLog;
  /** REFRESH_REUSE_INTERVAL in seconds; 0 = a rotated token is never accepted again. */
  reuseIntervalSeconds: number;
  /** REFRESH_FAMILY_MAX_AGE in seconds: no refresh extends a family past this long after its login; 0 = no limit. */
  familyMaxAgeSeconds?: number;
}

/**
 * Trades a refresh token for a new pair. Every refresh token works once: the store marks it rotated
 * and records its successor in one transaction, so of N concurrent presentations one wins. Presenting a
 * rotated token again means it was copied — the whole family, every descendant included, is revoked.
 * Within the reuse interval a racing client instead receives the same successor again.
 */
export class RefreshRotation {
  constructor(private readonly options: RefreshRotationOptions) {}

  /** `claims`: the token's check, if the caller has started it already (`refreshTokens.verify` of this very token). */
  async rotate(
    refreshToken: string,
    client: ClientInfo,
    claims?: Promise<RefreshClaims>,
  ): Promise<TokenPair & { user: UserRecord; familyId: string }> {
    try {
      return await this.attempt(refreshToken, client, claims ?? this.options.refreshTokens.verify(refreshToken));
    } catch (error) {
      if (error instanceof InvalidGrantError && error.reason !== 'reused') {
        this.options.audit.record({ type: 'token.refresh_failed', client, detail: { reason: error.reason } });
      }
      throw error;
    }
  }

  private async attempt(
    refreshToken: string,
    client: ClientInfo,
    claims: Promise<RefreshClaims>,
  ): Promise<TokenPair & { user: UserRecord; familyId: string }> {
    const { store, accessTokens, refreshTokens, clock, audit } = this.options;
    const presented = await claims;
    const now = clock.now();
    const access = accessTokens.mint(now);
    // The successor is signed before the transaction so that the store can record its hash atomically.
    const next = refreshTokens.mint(now);
    // Tokens from before the `fid` claim name no family: the store does (until they have all expired).
    const familyId = presented.fid ?? (await store.families.findToken(hashToken(refreshToken)))?.familyId ?? '';
    const nextToken = await refreshTokens.sign({ ...next, userId: presented.sub, familyId });
    // The new access token is signed as soon as the rotation is decided, while its transaction commits
    // (a grouped SQLite commit waits for the end of the event loop's turn): the signature's time in the
    // thread pool overlaps that wait instead of following it. It is handed out only once committed.
    // A refresh proves no password: the login's `auth_time` carries over.
    const signAccess = (granted: { user: UserRecord; family: { authTime: number | null } }) =>
      accessTokens.sign(granted.user, { ...access, authTime: granted.family.authTime });
    let signing: Promise<string> | undefined;
    const outcome = await store.families.rotate(
      {
        tokenHash: hashToken(refreshToken),
        now,
        reuseIntervalMs: this.options.reuseIntervalSeconds * 1000,
        familyMaxAgeMs: (this.options.familyMaxAgeSeconds ?? 0) * 1000,
        next: { ...next, tokenHash: hashToken(nextToken) },
        access: { jti: access.jti, expiresAt: access.expiresAt },
        client,
      },
      (decided) => {
        if (decided.status !== 'rotated' && decided.status !== 'successor') return;
        signing = signAccess(decided);
        // A failed commit leaves it unread, not unhandled.
        signing.catch(() => {});
      },
    );
    switch (outcome.status) {
      case 'rotated':
      case 'successor': {
        const [accessToken, newRefreshToken] = await Promise.all([
          signing ?? signAccess(outcome),
          // A racing client within the reuse interval gets the successor re-created, byte for byte.
          outcome.status === 'rotated' ? nextToken : refreshTokens.sign(outcome.successor),
        ]);
        audit.record({
          type: 'token.refresh',
          userId: outcome.user.id,
          client,
          detail: { familyId: outcome.family.id, ...(outcome.status === 'successor' ? { withinReuseInterval: true } : {}) },
        });
        return {
          accessToken,
          refreshToken: newRefreshToken,
          expiresIn: accessTokens.ttlSeconds,
          refreshExpiresIn: refreshTokens.ttlSeconds,
          user: outcome.user,
          familyId: outcome.family.id,
        };
      }
      case 'reused':
        this.options.logger.warn({ familyId: outcome.family.id, userId: outcome.family.userId, ip: client.ip }, 'refresh token reuse detected: family revoked');
        audit.record({
          type: 'token.reuse_detected',
          userId: outcome.family.userId,
          client,
          detail: { familyId: outcome.family.id, revokedAccessTokens: outcome.revoked.length },
        });
        await this.options.revocationFeed.revoked(outcome.revoked);
        throw new InvalidGrantError('reused');
      case 'user_disabled':
        await this.options.revocationFeed.revoked(outcome.revoked);
        throw new InvalidGrantError('user_disabled');
      default:
        throw new InvalidGrantError(outcome.status);
    }
  }
}
