/** What an access token says, and all it says: who, with which role, and its own identity. */
export interface AccessClaims {
  sub: string;
  role: string;
  jti: string;
  iat: number;
  exp: number;
  /** The key that signed it (from the header): a revoked key's tokens are refused. */
  kid: string;
}

/** RFC 9068 media type of JWT access tokens (the `typ` header). */
export const ACCESS_TOKEN_TYPE = 'at+jwt';

/** Claims every access token carries; a token without one of them is refused. */
export const REQUIRED_ACCESS_CLAIMS = ['sub', 'role', 'jti', 'iat', 'exp', 'iss', 'aud'] as const;
