import {
  ACCESS_TOKEN_TYPE,
  CLOCK_LEEWAY_SECONDS,
  FIRST_PARTY_CLIENT_ID,
  InvalidTokenError,
  REQUIRED_ACCESS_CLAIMS,
  type AccessClaims,
  type InvalidTokenReason,
} from '@tessera/contract';
import { decodeProtectedHeader, errors, jwtVerify, type CryptoKey, type JWTPayload, type KeyObject, type ProtectedHeaderParameters } from 'jose';
import { isCanonicalEncoding } from './canonical-encoding.js';

/** A key that verifies tokens, with the one algorithm it was made for. */
export interface VerificationKey {
  alg: string;
  key: CryptoKey | KeyObject | Uint8Array;
}

/** Finds the key named by a token's `kid`; undefined when no such key is known. */
export type KeyLookup = (kid: string) => Promise<VerificationKey | undefined> | VerificationKey | undefined;

/** Whether a token whose signature and claims are sound has since been revoked (logout, account change). */
export type RevocationCheck = (claims: AccessClaims) => Promise<boolean> | boolean;

export interface AccessTokenRules {
  /** The `kid` → key lookup: only keys found here ever verify a token. */
  getKey: KeyLookup;
  /** Accepted `iss` values (the first is the current one). */
  issuer: string | string[];
  /** Accepted `aud` values: a token must name at least one. */
  audience: string | string[];
  /** The longest lifetime (`exp − iat`, seconds) the issuer gives a token. */
  maxLifetimeSeconds: number;
  /** The current time in milliseconds; defaults to `Date.now`. */
  now?: () => number;
  /** Asked last, once everything else holds; without it revocation is not checked. */
  isRevoked?: RevocationCheck;
}

/** Header parameters that would make a verifier fetch or trust a key named by the token itself. */
const FORBIDDEN_HEADERS = ['jku', 'jwk', 'x5u', 'x5c'] as const;
const MAX_TOKEN_LENGTH = 4096;
const MAX_KID_LENGTH = 128;

/**
 * Verifies an access token's signature and claims — every rule in one place: canonical encoding, no
 * self-named keys, `typ` at+jwt, a known `kid`, the algorithm of that key (never the one the token
 * names), issuer, audience, required claims, expiry, no issue time in the future and no lifetime
 * longer than the issuer gives, and finally the revocation check the caller plugs in. Throws
 * `InvalidTokenError` with the reason.
 *
 * `checkExpiry: false` (logout) accepts a token that has expired or been revoked but is otherwise sound.
 */
export async function verifyAccessToken(
  token: string,
  rules: AccessTokenRules,
  { checkExpiry = true }: { checkExpiry?: boolean } = {},
): Promise<AccessClaims> {
  if (token.length > MAX_TOKEN_LENGTH || !isCanonicalEncoding(token)) throw new InvalidTokenError('malformed');
  const header = readHeader(token);
  const kid = header.kid as string;
  const key = await rules.getKey(kid);
  if (!key) throw new InvalidTokenError('unknown_key');
  if (header.alg !== key.alg) throw new InvalidTokenError('algorithm');
  const now = (rules.now ?? Date.now)();
  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(token, key.key, {
      algorithms: [key.alg],
      issuer: rules.issuer,
      audience: rules.audience,
      typ: ACCESS_TOKEN_TYPE,
      requiredClaims: [...REQUIRED_ACCESS_CLAIMS],
      // Without expiry checking (logout), a date far in the past never expires a token.
      currentDate: new Date(checkExpiry ? now : 0),
    }));
  } catch (error) {
    throw new InvalidTokenError(reasonFor(error), { cause: error });
  }
  const { sub, role, jti, iat, exp, client_id = FIRST_PARTY_CLIENT_ID } = payload;
  if (typeof sub !== 'string' || typeof role !== 'string' || typeof jti !== 'string' || typeof client_id !== 'string') {
    throw new InvalidTokenError('claims');
  }
  const claims = checkTimes({ sub, role, jti, iat: iat!, exp: exp!, client_id, kid }, now, rules.maxLifetimeSeconds);
  if (checkExpiry && rules.isRevoked && (await rules.isRevoked(claims))) throw new InvalidTokenError('revoked');
  return claims;
}

/**
 * Refuses times the issuer never gives, whoever signed them (a stolen key, a bug): an issue time in
 * the future or a lifetime beyond the issuer's, each past the clock leeway. Every time accepted is
 * thus within minutes of now, so no claim value can overflow a date later on.
 */
function checkTimes(claims: AccessClaims, now: number, maxLifetimeSeconds: number): AccessClaims {
  if (claims.iat > Math.floor(now / 1000) + CLOCK_LEEWAY_SECONDS) throw new InvalidTokenError('issued_in_future');
  if (claims.exp - claims.iat > maxLifetimeSeconds + CLOCK_LEEWAY_SECONDS) throw new InvalidTokenError('lifetime');
  return claims;
}

function readHeader(token: string): ProtectedHeaderParameters {
  let header: ProtectedHeaderParameters;
  try {
    header = decodeProtectedHeader(token);
  } catch (error) {
    throw new InvalidTokenError('malformed', { cause: error });
  }
  if (FORBIDDEN_HEADERS.some((name) => name in header)) throw new InvalidTokenError('header');
  if (typeof header.kid !== 'string' || header.kid.length === 0 || header.kid.length > MAX_KID_LENGTH) {
    throw new InvalidTokenError('unknown_key');
  }
  if (typeof header.typ !== 'string' || header.typ.toLowerCase().replace(/^application\//, '') !== ACCESS_TOKEN_TYPE) {
    throw new InvalidTokenError('type');
  }
  return header;
}

function reasonFor(error: unknown): InvalidTokenReason {
  if (error instanceof errors.JWTExpired) return 'expired';
  if (error instanceof errors.JWTClaimValidationFailed) return error.claim === 'typ' ? 'type' : 'claims';
  if (error instanceof errors.JWSSignatureVerificationFailed) return 'signature';
  if (error instanceof errors.JOSEAlgNotAllowed) return 'algorithm';
  return 'malformed';
}
