import { decodeJwt } from 'jose';
import { InvalidTokenError } from '../errors.js';
import type { AccessTokens } from '../tokens/access-tokens.js';
import type { ServiceClientRecord } from './service-client.js';

/** RFC 7662 §2.2 response: `active` alone for any token that is not. */
export type IntrospectionResponse =
  | { active: false }
  | {
      active: true;
      sub: string;
      role: string;
      client_id: string;
      exp: number;
      iat: number;
      jti: string;
      iss: string;
      aud: string | string[];
      token_type: 'Bearer';
    };

/**
 * RFC 7662 introspection for services: a live access token (signature, claims, expiry, revocation and
 * the valid-after instants, exactly as Tessera's own routes check them) is `active`; anything else —
 * expired, revoked, unknown, malformed, a refresh token — is `{active: false}`. A service sees tokens
 * for users of this API (JWT_AUDIENCE) and tokens for its own configured audience (RFC 7662 §4).
 */
export class TokenIntrospection {
  constructor(
    private readonly accessTokens: AccessTokens,
    private readonly apiAudience: string,
  ) {}

  async introspect(token: string, caller: ServiceClientRecord): Promise<IntrospectionResponse> {
    const audiences = caller.audience === null ? [this.apiAudience] : [this.apiAudience, caller.audience];
    try {
      const claims = await this.accessTokens.verifyFor(token, audiences);
      const { iss, aud } = decodeJwt(token);
      return { active: true, sub: claims.sub, role: claims.role, client_id: claims.client_id, exp: claims.exp, iat: claims.iat, jti: claims.jti, iss: iss!, aud: aud!, token_type: 'Bearer' };
    } catch (error) {
      if (error instanceof InvalidTokenError) return { active: false };
      throw error;
    }
  }
}
