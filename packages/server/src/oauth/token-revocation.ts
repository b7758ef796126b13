import { isServiceToken } from '@tessera/contract';
import type { AuditLog } from '../audit/audit-log.js';
import type { Revoker } from '../auth/revoker.js';
import { InvalidGrantError, InvalidTokenError, TesseraError } from '../errors.js';
import type { Store } from '../store/store.js';
import type { ClientInfo } from '../tokens/refresh-family.js';
import type { AccessTokens } from '../tokens/access-tokens.js';
import { hashToken, type RefreshTokens } from '../tokens/refresh-tokens.js';
import type { ServiceClientRecord } from './service-client.js';

export interface TokenRevocationOptions {
  store: Store;
  accessTokens: AccessTokens;
  refreshTokens: RefreshTokens;
  revoker: Revoker;
  audit: AuditLog;
  /** JWT_AUDIENCE: the audience of users' access tokens. */
  apiAudience: string;
  /** Tessera's own URL: the audience of a service's token for Tessera itself (the revocation feed). */
  issuer: string;
}

/**
 * RFC 7009 revocation for services. A refresh token ends its whole login (family) with every access
 * token issued in it; an access token is revoked alone. A token that is unknown, not ours, expired or
 * already revoked changes nothing, and the answer is the same (RFC 7009 §2.2). A user's token may be
 * revoked by any authenticated service that holds it (revoking only takes access away); a service's own
 * token only by that service (RFC 7009 §2.1): an API a service calls cannot cut it off.
 */
export class TokenRevocation {
  constructor(private readonly options: TokenRevocationOptions) {}

  async revoke(token: string, hint: string | undefined, caller: ServiceClientRecord, client: ClientInfo): Promise<void> {
    const order = hint === 'refresh_token' ? [this.revokeRefresh, this.revokeAccess] : [this.revokeAccess, this.revokeRefresh];
    for (const attempt of order) {
      const revoked = await attempt.call(this, token, caller);
      if (!revoked) continue;
      this.options.audit.record({ type: 'token.revoke', userId: revoked.userId, actor: caller.clientId, client, detail: revoked.detail });
      return;
    }
  }

  private async revokeRefresh(token: string): Promise<{ userId: string; detail: Record<string, unknown> } | undefined> {
    try {
      await this.options.refreshTokens.verify(token);
    } catch (error) {
      if (error instanceof InvalidGrantError) return undefined;
      throw error;
    }
    const record = await this.options.store.families.findToken(hashToken(token));
    if (!record) return undefined;
    await this.options.revoker.revokeFamily(record.familyId, 'revoked_by_service');
    return { userId: record.userId, detail: { tokenType: 'refresh_token', familyId: record.familyId } };
  }

  private async revokeAccess(token: string, caller: ServiceClientRecord): Promise<{ userId: string; detail: Record<string, unknown> } | undefined> {
    // Users' tokens, and the caller's own for its API or for Tessera itself; another service's are refused below.
    const { apiAudience, issuer } = this.options;
    const audiences = caller.audience === null ? [apiAudience, issuer] : [apiAudience, issuer, caller.audience];
    let claims;
    try {
      claims = await this.options.accessTokens.verifyFor(token, audiences);
    } catch (error) {
      if (error instanceof InvalidTokenError) return undefined;
      throw error;
    }
    if (isServiceToken(claims) && claims.client_id !== caller.clientId) {
      throw new TesseraError('unauthorized_client', "This token is another service's own: a service may revoke its own tokens and users' tokens");
    }
    await this.options.revoker.revokeAccessToken({ jti: claims.jti, userId: claims.sub, expiresAt: claims.exp * 1000 });
    return { userId: claims.sub, detail: { tokenType: 'access_token', jti: claims.jti } };
  }
}
