/** What an access token says, and all it says: who, with which role, and its own identity. */
export interface AccessClaims {
  sub: string;
  role: string;
  jti: string;
  iat: number;
  exp: number;
  /**
   * The OAuth client the token was issued to (RFC 9068 `client_id`): `FIRST_PARTY_CLIENT_ID` for a
   * user's login, a service's own client_id for a client-credentials token.
   */
  client_id: string;
  /**
   * When the user last proved their password for this login (RFC 9068 §2.2.1, OIDC `auth_time`), in
   * seconds: a login sets it, refreshes keep it. Absent when no password stands behind the token (a
   * service's token, a token exchange) and on tokens issued before the claim existed.
   */
  auth_time?: number;
  /** The key that signed it (from the header): a revoked key's tokens are refused. */
  kid: string;
}

/**
 * The `client_id` of Tessera's own logins (RFC 9068 asks every access token to name its client). A
 * token without the claim was issued before the claim existed, by a login: it reads as this.
 */
export const FIRST_PARTY_CLIENT_ID = 'tessera';

/** The role of every service's own token (client credentials). Roles are free-form: a user whose role is called this is still a user. */
export const SERVICE_ROLE = 'service';

/**
 * Whether a token is a service's own (client credentials), whose `sub` is the service's client id and
 * not a user's: issued to a client other than Tessera's own logins, with the service role. A token a
 * service exchanged for a user (RFC 8693) names that service's client too, but carries the user's role,
 * never this one; a user's login whose role is called `service` names Tessera's own client.
 */
export function isServiceToken(claims: Pick<AccessClaims, 'client_id' | 'role'>): boolean {
  return claims.client_id !== FIRST_PARTY_CLIENT_ID && claims.role === SERVICE_ROLE;
}

/** RFC 9068 media type of JWT access tokens (the `typ` header). */
export const ACCESS_TOKEN_TYPE = 'at+jwt';

/** Claims every access token carries; a token without one of them is refused. */
export const REQUIRED_ACCESS_CLAIMS = ['sub', 'role', 'jti', 'iat', 'exp', 'iss', 'aud'] as const;
