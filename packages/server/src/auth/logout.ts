import type { AuditLog } from '../audit/audit-log.js';
import { InvalidGrantError, TesseraError } from '../errors.js';
import type { Store } from '../store/store.js';
import type { ClientInfo } from '../tokens/refresh-family.js';
import type { AccessTokens } from '../tokens/access-tokens.js';
import { hashToken, type RefreshClaims, type RefreshTokens } from '../tokens/refresh-tokens.js';
import type { Revoker } from './revoker.js';

export interface LogoutOptions {
  store: Store;
  accessTokens: AccessTokens;
  refreshTokens: RefreshTokens;
  revoker: Revoker;
  audit: AuditLog;
}

/**
 * Ends one device's login: the family of the presented refresh token (or of the presented access
 * token) is revoked with every access token issued in it; the user's other devices are untouched.
 * Tokens must be genuinely ours, but may be expired or already revoked, so logout is idempotent.
 */
export class Logout {
  constructor(private readonly options: LogoutOptions) {}

  /** `refreshCheck`: the refresh token's check, if the caller has started it already (`refreshTokens.verify` of this very token). */
  async run(
    presented: { accessToken?: string | undefined; refreshToken?: string | undefined },
    client: ClientInfo,
    refreshCheck?: Promise<RefreshClaims>,
  ): Promise<void> {
    if (!presented.accessToken && !presented.refreshToken) {
      throw new TesseraError(
        'invalid_request',
        'Send the refresh token (JSON body or cookie) or the access token (Authorization: Bearer) to log out',
      );
    }
    const ended = new Map<string, string>(); // familyId → userId
    if (presented.refreshToken) {
      await this.revokeByRefreshToken(presented.refreshToken, refreshCheck ?? this.options.refreshTokens.verify(presented.refreshToken), ended);
    }
    if (presented.accessToken) await this.revokeByAccessToken(presented.accessToken, ended);
    for (const [familyId, userId] of ended) {
      this.options.audit.record({ type: 'logout', userId, client, detail: { familyId } });
    }
  }

  private async revokeByRefreshToken(token: string, check: Promise<RefreshClaims>, ended: Map<string, string>): Promise<void> {
    try {
      await check;
    } catch (error) {
      // An expired token, or one an account change already ended (valid-after), is genuine but can do
      // nothing more: logging it out again succeeds, so the client can clear it. Anything else is refused.
      if (error instanceof InvalidGrantError && (error.reason === 'expired' || error.reason === 'revoked')) return;
      throw error;
    }
    const record = await this.options.store.families.findToken(hashToken(token));
    if (!record) return;
    await this.options.revoker.revokeFamily(record.familyId, 'logout');
    ended.set(record.familyId, record.userId);
  }

  private async revokeByAccessToken(token: string, ended: Map<string, string>): Promise<void> {
    const claims = await this.options.accessTokens.verifyForLogout(token);
    const family = await this.options.store.families.findByAccessToken(claims.jti);
    if (family && !ended.has(family.id)) {
      await this.options.revoker.revokeFamily(family.id, 'logout');
      ended.set(family.id, family.userId);
    }
    await this.options.revoker.revokeAccessToken({ jti: claims.jti, userId: claims.sub, expiresAt: claims.exp * 1000 });
  }
}
