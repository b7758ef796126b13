import { randomBytes } from 'node:crypto';
import { SignJWT, decodeProtectedHeader, errors, jwtVerify, type JWTPayload, type ProtectedHeaderParameters } from 'jose';
import { toSeconds, type Clock } from '../clock.js';
import { InvalidTokenError, type InvalidTokenReason } from '../errors.js';
import { isCanonicalEncoding } from './canonical-encoding.js';
import { CLOCK_LEEWAY_SECONDS } from './clock-leeway.js';
import type { KeyRing } from './key-ring.js';
import type { RevocationList } from './revocation-list.js';
import type { ValidAfter } from './valid-after.js';
import { VerifiedTokenCache } from './verified-token-cache.js';

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

/** An access token about to be issued: its identity and lifetime are fixed before it is signed. */
export interface MintedAccessToken {
  jti: string;
  issuedAt: number;
  expiresAt: number;
}

export interface AccessTokenOptions {
  keyRing: KeyRing;
  revocations: RevocationList;
  /** Valid-after instants of users, of everyone and of revoked keys. */
  validAfter?: ValidAfter | undefined;
  clock: Clock;
  issuer: string;
  audience: string;
  ttlSeconds: number;
  cacheSize?: number;
  /** The complete record of revocations (the store), asked only when the in-memory list cannot answer. */
  isRevoked: (jti: string) => Promise<boolean>;
}

/** RFC 9068 media type of JWT access tokens. */
export const ACCESS_TOKEN_TYPE = 'at+jwt';
/** Header parameters that would make a verifier fetch or trust a key named by the token itself. */
const FORBIDDEN_HEADERS = ['jku', 'jwk', 'x5u', 'x5c'] as const;
const MAX_TOKEN_LENGTH = 4096;
const REQUIRED_CLAIMS = ['sub', 'role', 'jti', 'iat', 'exp', 'iss', 'aud'];

/**
 * Issues and verifies access tokens. Verification trusts only our own keys, chosen by `kid`, with the
 * algorithm that key was made for — never the algorithm the token names — and checks type, issuer,
 * audience, expiry and revocation.
 */
export class AccessTokens {
  private readonly cache: VerifiedTokenCache<AccessClaims>;

  constructor(private readonly options: AccessTokenOptions) {
    this.cache = new VerifiedTokenCache(options.cacheSize);
  }

  get ttlSeconds(): number {
    return this.options.ttlSeconds;
  }

  mint(now = this.options.clock.now()): MintedAccessToken {
    const issuedAt = toSeconds(now) * 1000;
    return { jti: randomBytes(16).toString('base64url'), issuedAt, expiresAt: issuedAt + this.options.ttlSeconds * 1000 };
  }

  /**
   * Signs the token and remembers its claims as verified: this instance made the exact string, so the
   * client's first request with it takes the fast path instead of checking our own signature.
   */
  async sign(user: { id: string; role: string }, minted: MintedAccessToken): Promise<string> {
    const { kid, alg, key } = this.options.keyRing.signingKey('access');
    const token = await new SignJWT({ role: user.role })
      .setProtectedHeader({ alg, kid, typ: ACCESS_TOKEN_TYPE })
      .setSubject(user.id)
      .setIssuer(this.options.issuer)
      .setAudience(this.options.audience)
      .setJti(minted.jti)
      .setIssuedAt(toSeconds(minted.issuedAt))
      .setExpirationTime(toSeconds(minted.expiresAt))
      .sign(key);
    const claims = { sub: user.id, role: user.role, jti: minted.jti, iat: toSeconds(minted.issuedAt), exp: toSeconds(minted.expiresAt), kid };
    this.cache.set(token, claims, this.options.clock.now());
    return token;
  }

  /** Verifies a presented access token; throws `InvalidTokenError` saying why it is refused. */
  async verify(token: string): Promise<AccessClaims> {
    const now = this.options.clock.now();
    let claims = this.cache.get(token);
    if (!claims) {
      claims = await this.verifySignatureAndClaims(token, now);
      this.cache.set(token, claims, now);
    }
    return this.checkLiveness(claims, now) ?? this.checkRevokedInStore(claims);
  }

  /**
   * The verdict on a token already verified once, synchronously: its claims if still valid, an
   * `InvalidTokenError` if it has since expired or been revoked, undefined if it was never seen or
   * only the store can say whether it was revoked (then `verify` asks it).
   */
  verifyCached(token: string): AccessClaims | undefined {
    const cached = this.cache.get(token);
    return cached && this.checkLiveness(cached, this.options.clock.now());
  }

  /**
   * Verifies signature and issuer but tolerates expiry and revocation: logout accepts a token that
   * has just expired or was already revoked, so logging out twice is harmless.
   */
  async verifyForLogout(token: string): Promise<AccessClaims> {
    return this.cache.get(token) ?? this.verifySignatureAndClaims(token, undefined);
  }

  /** The claims if live, an error if expired or revoked, undefined when memory cannot tell. */
  private checkLiveness(claims: AccessClaims, now: number): AccessClaims | undefined {
    if (claims.exp * 1000 <= now) throw new InvalidTokenError('expired');
    const revocation = this.options.revocations.status(claims.jti);
    if (revocation === 'revoked') throw new InvalidTokenError('revoked');
    const validAfter = this.options.validAfter;
    if (validAfter && (validAfter.keyRevoked(claims.kid) || validAfter.refusesIat(claims.sub, claims.iat))) {
      throw new InvalidTokenError('revoked');
    }
    return revocation === 'not_revoked' ? claims : undefined;
  }

  private async checkRevokedInStore(claims: AccessClaims): Promise<AccessClaims> {
    if (await this.options.isRevoked(claims.jti)) throw new InvalidTokenError('revoked');
    return claims;
  }

  private async verifySignatureAndClaims(token: string, now: number | undefined): Promise<AccessClaims> {
    if (token.length > MAX_TOKEN_LENGTH || !isCanonicalEncoding(token)) throw new InvalidTokenError('malformed');
    const header = this.readHeader(token);
    const key = await this.options.keyRing.findVerificationKey(header.kid as string, 'access');
    if (!key) throw new InvalidTokenError('unknown_key');
    if (header.alg !== key.alg) throw new InvalidTokenError('algorithm');
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, key.key, {
        algorithms: [key.alg],
        issuer: this.options.issuer,
        audience: this.options.audience,
        typ: ACCESS_TOKEN_TYPE,
        requiredClaims: REQUIRED_CLAIMS,
        // Without a current date (logout), expiry is not checked: a date far in the past never expires a token.
        currentDate: new Date(now ?? 0),
      }));
    } catch (error) {
      throw new InvalidTokenError(reasonFor(error), { cause: error });
    }
    const { sub, role, jti, iat, exp } = payload;
    if (typeof sub !== 'string' || typeof role !== 'string' || typeof jti !== 'string') {
      throw new InvalidTokenError('claims');
    }
    return this.checkTimes({ sub, role, jti, iat: iat!, exp: exp!, kid: header.kid as string });
  }

  /**
   * Refuses times this server never issues, whoever signed them (a stolen key, a bug): an issue time
   * in the future or a lifetime beyond TOKEN_EXPIRY, each past the clock leeway. Every time accepted
   * is thus within minutes of now, so no claim value can overflow a date later on.
   */
  private checkTimes(claims: AccessClaims): AccessClaims {
    const now = toSeconds(this.options.clock.now());
    if (claims.iat > now + CLOCK_LEEWAY_SECONDS) throw new InvalidTokenError('issued_in_future');
    if (claims.exp - claims.iat > this.options.ttlSeconds + CLOCK_LEEWAY_SECONDS) throw new InvalidTokenError('lifetime');
    return claims;
  }

  private readHeader(token: string): ProtectedHeaderParameters {
    let header: ProtectedHeaderParameters;
    try {
      header = decodeProtectedHeader(token);
    } catch (error) {
      throw new InvalidTokenError('malformed', { cause: error });
    }
    if (FORBIDDEN_HEADERS.some((name) => name in header)) throw new InvalidTokenError('header');
    if (typeof header.kid !== 'string' || header.kid.length === 0 || header.kid.length > 128) {
      throw new InvalidTokenError('unknown_key');
    }
    if (typeof header.typ !== 'string' || header.typ.toLowerCase().replace(/^application\//, '') !== ACCESS_TOKEN_TYPE) {
      throw new InvalidTokenError('type');
    }
    return header;
  }
}

function reasonFor(error: unknown): InvalidTokenReason {
  if (error instanceof errors.JWTExpired) return 'expired';
  if (error instanceof errors.JWTClaimValidationFailed) return error.claim === 'typ' ? 'type' : 'claims';
  if (error instanceof errors.JWSSignatureVerificationFailed) return 'signature';
  if (error instanceof errors.JOSEAlgNotAllowed) return 'algorithm';
  return 'malformed';
}
