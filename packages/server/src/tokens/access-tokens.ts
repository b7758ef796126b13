import { ACCESS_TOKEN_TYPE, FIRST_PARTY_CLIENT_ID, type AccessClaims } from '@tessera/contract';
import { VerifiedTokenCache, verifyAccessToken, type AccessTokenRules } from '@tessera/verify';
import { toSeconds, type Clock } from '../clock.js';
import { InvalidTokenError } from '../errors.js';
import type { KeyRing } from './key-ring.js';
import { newTokenId } from './token-id.js';
import { CompactSign } from 'jose';
import type { RevocationList } from './revocation-list.js';
import type { ValidAfter } from './valid-after.js';

const utf8 = new TextEncoder();

export type { AccessClaims } from '@tessera/contract';

/** An access token about to be issued: its identity and lifetime are fixed before it is signed. */
export interface MintedAccessToken {
  jti: string;
  issuedAt: number;
  expiresAt: number;
  /** `auth_time` (ms): when the user last proved their password for this login; null or absent when no password stands behind it. */
  authTime?: number | null;
}

/** Whom a token is for, beside its subject: a service's token names its own client and target. */
export interface TokenRecipient {
  /** RFC 9068 `client_id`; a user's login is `FIRST_PARTY_CLIENT_ID`. */
  clientId: string;
  /** `aud`: the API the token may be used at. */
  audience: string;
}

export interface AccessTokenOptions {
  keyRing: KeyRing;
  revocations: RevocationList;
  /** Valid-after instants of users, of everyone and of revoked keys. */
  validAfter?: ValidAfter | undefined;
  clock: Clock;
  /** `iss` of the tokens issued (JWT_ISSUER). */
  issuer: string;
  /** Issuers accepted on verification: `issuer`, and the previous default while tokens it named live. */
  acceptedIssuers?: string[];
  /** `aud` of user tokens, and what this server's own routes require (JWT_AUDIENCE). */
  audience: string;
  ttlSeconds: number;
  cacheSize?: number;
  /** The complete record of revocations (the store), asked only when the in-memory list cannot answer. */
  isRevoked: (jti: string) => Promise<boolean>;
}

/**
 * Issues and verifies access tokens. Verification trusts only our own keys, chosen by `kid`, with the
 * algorithm that key was made for — never the algorithm the token names — and checks type, issuer,
 * audience, expiry and revocation.
 */
export class AccessTokens {
  private readonly cache: VerifiedTokenCache<AccessClaims>;
  private readonly rules: AccessTokenRules;

  constructor(private readonly options: AccessTokenOptions) {
    this.cache = new VerifiedTokenCache(options.cacheSize);
    this.rules = {
      getKey: (kid) => options.keyRing.findVerificationKey(kid, 'access'),
      issuer: options.acceptedIssuers ?? options.issuer,
      audience: options.audience,
      maxLifetimeSeconds: options.ttlSeconds,
      now: () => options.clock.now(),
    };
  }

  get ttlSeconds(): number {
    return this.options.ttlSeconds;
  }

  mint(now = this.options.clock.now(), authTime?: number | null): MintedAccessToken {
    const issuedAt = toSeconds(now) * 1000;
    return { jti: newTokenId(), issuedAt, expiresAt: issuedAt + this.options.ttlSeconds * 1000, authTime };
  }

  /**
   * Signs the token and remembers its claims as verified: this instance made the exact string, so the
   * client's first request with it takes the fast path instead of checking our own signature.
   */
  async sign(
    user: { id: string; role: string },
    minted: MintedAccessToken,
    recipient: TokenRecipient = { clientId: FIRST_PARTY_CLIENT_ID, audience: this.options.audience },
  ): Promise<string> {
    const { kid, alg, key } = this.options.keyRing.signingKey('access');
    const authTime = minted.authTime == null ? {} : { auth_time: toSeconds(minted.authTime) };
    const payload = {
      role: user.role,
      client_id: recipient.clientId,
      sub: user.id,
      iss: this.options.issuer,
      aud: recipient.audience,
      jti: minted.jti,
      iat: toSeconds(minted.issuedAt),
      exp: toSeconds(minted.expiresAt),
      ...authTime,
    };
    // jose signs through WebCrypto, in the libuv thread pool: the event loop goes on serving while the
    // RSA signature is made on the other core (docs/performance.md has the measurement). Its JWS signer
    // takes the claims as the bytes its `SignJWT` would have made of them (`JSON.stringify`, keys in
    // this order): `SignJWT` first deep-copies the claims with `structuredClone` and re-checks each one
    // (22 → 17 µs of the event loop per signature in isolation, for claims made just above).
    const token = await new CompactSign(utf8.encode(JSON.stringify(payload)))
      .setProtectedHeader({ alg, kid, typ: ACCESS_TOKEN_TYPE })
      .sign(key);
    // Only tokens this server's routes accept are remembered as verified: a token for another API is not.
    if (recipient.audience !== this.options.audience) return token;
    const claims: AccessClaims = {
      sub: user.id,
      role: user.role,
      jti: minted.jti,
      iat: toSeconds(minted.issuedAt),
      exp: toSeconds(minted.expiresAt),
      client_id: recipient.clientId,
      ...authTime,
      kid,
    };
    this.cache.set(token, claims, this.options.clock.now());
    return token;
  }

  /** Verifies a presented access token; throws `InvalidTokenError` saying why it is refused. */
  async verify(token: string): Promise<AccessClaims> {
    const now = this.options.clock.now();
    const cached = this.cache.get(token);
    if (cached) return this.checkLiveness(cached, now) ?? this.checkRevokedInStore(cached);
    // Signature and claims by the verifier, with the rules made once; then the revocation check that
    // verifyAccessToken would ask last, the same one a cached token gets. The token is remembered (on
    // its second verification: VerifiedTokenCache.admit) before that check, so a revoked token
    // presented again is refused from memory.
    const claims = await verifyAccessToken(token, this.rules);
    this.cache.admit(token, claims, now);
    return this.checkLiveness(claims, now) ?? this.checkRevokedInStore(claims);
  }

  /** The revocation check plugged into the verifier: memory first, the store only when memory cannot tell. */
  private isRevoked(claims: AccessClaims, now: number): boolean | Promise<boolean> {
    try {
      if (this.checkLiveness(claims, now)) return false;
    } catch {
      return true;
    }
    return this.options.isRevoked(claims.jti);
  }

  /**
   * Verifies a token meant for any of `audiences` (introspection and revocation by a service, whose own
   * tokens name it): the same rules and revocation check, another audience.
   */
  async verifyFor(token: string, audiences: string[], { acceptEnded = false } = {}): Promise<AccessClaims> {
    const cached = this.cache.get(token);
    if (cached && audiences.includes(this.options.audience)) {
      return acceptEnded ? cached : (this.checkLiveness(cached, this.options.clock.now()) ?? this.checkRevokedInStore(cached));
    }
    const now = this.options.clock.now();
    const rules = { ...this.rules, audience: audiences, isRevoked: (claims: AccessClaims) => this.isRevoked(claims, now) };
    return verifyAccessToken(token, rules, { checkExpiry: !acceptEnded });
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
    return this.cache.get(token) ?? verifyAccessToken(token, this.rules, { checkExpiry: false });
  }

  /**
   * Whether a token accepted earlier has since been revoked — its `jti`, its user's (or service's) or
   * everyone's valid-after instant, its key — expired or not: for a stream opened with it.
   */
  async revokedSince(token: string, audiences: string[]): Promise<boolean> {
    const claims = await verifyAccessToken(token, { ...this.rules, audience: audiences }, { checkExpiry: false });
    return this.revokedInMemory(claims) ?? this.options.isRevoked(claims.jti);
  }

  /** The claims if live, an error if expired or revoked, undefined when memory cannot tell. */
  private checkLiveness(claims: AccessClaims, now: number): AccessClaims | undefined {
    if (claims.exp * 1000 <= now) throw new InvalidTokenError('expired');
    const revoked = this.revokedInMemory(claims);
    if (revoked) throw new InvalidTokenError('revoked');
    return revoked === false ? claims : undefined;
  }

  /** Whether the token was revoked, as far as memory can tell; undefined when only the store can. */
  private revokedInMemory(claims: AccessClaims): boolean | undefined {
    const revocation = this.options.revocations.status(claims.jti);
    if (revocation === 'revoked') return true;
    const validAfter = this.options.validAfter;
    if (validAfter && (validAfter.keyRevoked(claims.kid) || validAfter.refusesIat(claims.sub, claims.iat))) return true;
    return revocation === 'not_revoked' ? false : undefined;
  }

  private async checkRevokedInStore(claims: AccessClaims): Promise<AccessClaims> {
    if (await this.options.isRevoked(claims.jti)) throw new InvalidTokenError('revoked');
    return claims;
  }
}
