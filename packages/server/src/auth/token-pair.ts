import type { Clock } from '../clock.js';
import type { Store } from '../store/store.js';
import type { ClientInfo, FamilyRecord } from '../tokens/refresh-family.js';
import type { AccessTokens } from '../tokens/access-tokens.js';
import { hashToken, type RefreshTokens } from '../tokens/refresh-tokens.js';

/** What login, refresh and the session exchange hand to the client. */
export interface TokenPair {
  accessToken: string;
  refreshToken: string;
  /** Access-token lifetime in seconds. */
  expiresIn: number;
  /** Refresh-token lifetime in seconds (for the cookie). */
  refreshExpiresIn: number;
}

export interface TokenPairIssuerOptions {
  store: Store;
  accessTokens: AccessTokens;
  refreshTokens: RefreshTokens;
  clock: Clock;
}

/** Where a login comes from (`TokenPairIssuer.startFamily`). */
export interface LoginOrigin {
  authenticatedAt?: number;
  authTime?: number;
  serviceClientId?: string;
}

/** Starts a refresh-token family — one per login, i.e. per device — and issues its first pair. */
export class TokenPairIssuer {
  constructor(private readonly options: TokenPairIssuerOptions) {}

  /**
   * `origin` says where the login comes from: `authenticatedAt`, when the credential behind it was proven
   * (see `NewFamily.authenticatedAt`); `authTime`, when the user typed their password for it (the tokens'
   * `auth_time`; absent when no password stands behind it, as for a token exchange); `serviceClientId`,
   * the service whose token exchange starts it (see `NewFamily.serviceClientId`).
   */
  async startFamily(
    user: { id: string; role: string },
    client: ClientInfo,
    origin: LoginOrigin = {},
  ): Promise<TokenPair & { family: FamilyRecord }> {
    const { store, accessTokens, refreshTokens, clock } = this.options;
    const { authenticatedAt, authTime, serviceClientId } = origin;
    const now = clock.now();
    const access = accessTokens.mint(now, authTime);
    const refresh = refreshTokens.mint(now);
    const familyId = crypto.randomUUID();
    const [accessToken, refreshToken] = await Promise.all([
      accessTokens.sign(user, access),
      refreshTokens.sign({ ...refresh, userId: user.id, familyId }),
    ]);
    const family = await store.families.create({
      familyId,
      userId: user.id,
      token: { ...refresh, tokenHash: hashToken(refreshToken) },
      access: { jti: access.jti, expiresAt: access.expiresAt },
      client,
      now,
      ...(authenticatedAt === undefined ? {} : { authenticatedAt }),
      ...(authTime === undefined ? {} : { authTime }),
      ...(serviceClientId === undefined ? {} : { serviceClientId }),
    });
    return {
      accessToken,
      refreshToken,
      expiresIn: accessTokens.ttlSeconds,
      refreshExpiresIn: refreshTokens.ttlSeconds,
      family,
    };
  }
}
