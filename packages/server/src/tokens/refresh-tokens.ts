import { KeyObject, createHash, createSecretKey } from 'node:crypto';
import { TokenError, createVerifier } from 'fast-jwt';
import { decodeProtectedHeader, type CryptoKey } from 'jose';
import jws from 'jws';
import { toSeconds, type Clock } from '../clock.js';
import { InvalidGrantError } from '../errors.js';
import type { NewRefreshToken } from '../tokens/refresh-family.js';
import { isCanonicalEncoding } from '@tessera/verify';
import type { KeyRing } from './key-ring.js';
import { newTokenId } from './token-id.js';
import type { ValidAfter } from './valid-after.js';

/** Media type in the header of our refresh tokens; an access token never carries it. */
export const REFRESH_TOKEN_TYPE = 'rt+jwt';
const MAX_TOKEN_LENGTH = 2048;

export interface RefreshTokenOptions {
  keyRing: KeyRing;
  clock: Clock;
  issuer: string;
  /** Issuers accepted on verification (the current one, and the previous default while its tokens live). */
  acceptedIssuers?: string[];
  ttlSeconds: number;
  /** Valid-after instants: a token of a revoked key, or issued before its user's instant, is refused without a query. */
  validAfter?: ValidAfter | undefined;
}

/** What a verified refresh token says (`fid` is absent from tokens issued before it was added). */
export interface RefreshClaims {
  jti: string;
  sub: string;
  fid: string | undefined;
}

/** A refresh token as the store knows it: enough to sign it again, identically. */
export interface RefreshTokenIdentity {
  id: string;
  userId: string;
  /** The login (refresh-token family) it belongs to: its own claim `fid`, so limits can key on it without a query. */
  familyId: string;
  issuedAt: number;
  expiresAt: number;
}

/**
 * Refresh tokens: JWTs under a secret only this server holds (HS256, `typ: rt+jwt`), so they are
 * meaningless to APIs and can never pass as access tokens. The signature lets garbage be refused
 * without a database query; validity itself lives in the store, which keeps only each token's hash.
 * Signing is deterministic, so a token can be re-created from its stored identity.
 */
export class RefreshTokens {
  constructor(private readonly options: RefreshTokenOptions) {}

  get ttlSeconds(): number {
    return this.options.ttlSeconds;
  }

  /** A new token's identity and lifetime, fixed before it is stored and signed. */
  mint(now = this.options.clock.now()): Omit<NewRefreshToken, 'tokenHash'> {
    const issuedAt = toSeconds(now) * 1000;
    return { id: newTokenId(), issuedAt, expiresAt: issuedAt + this.options.ttlSeconds * 1000 };
  }

  /**
   * Signs with `jws` (HMAC by node:crypto, on this thread: jose's WebCrypto handed each HMAC to the
   * thread pool and back, about 50 µs of the event loop where this takes under 10). The header and
   * claims are written in the order jose's `SignJWT` wrote them — `alg, kid, typ`, then `fid, iss, sub,
   * jti, iat, exp` — so the bytes are the same as before: a successor re-created during the reuse
   * interval by an instance of either version is the token whose hash the store holds. The header is
   * ASCII (our algorithm, a generated base64url `kid`, our type), which `jws` and jose encode alike.
   */
  async sign(identity: RefreshTokenIdentity): Promise<string> {
    const { kid, alg, key } = this.options.keyRing.signingKey('refresh');
    return jws.sign({
      header: { alg: alg as jws.Algorithm, kid, typ: REFRESH_TOKEN_TYPE },
      payload: JSON.stringify({
        fid: identity.familyId,
        iss: this.options.issuer,
        sub: identity.userId,
        jti: identity.id,
        iat: toSeconds(identity.issuedAt),
        exp: toSeconds(identity.expiresAt),
      }),
      secret: this.secretOf(key),
    });
  }

  private readonly secrets = new WeakMap<object, KeyObject>();

  /** The HMAC key as node:crypto takes it, made once per key. */
  private secretOf(key: CryptoKey | Uint8Array): KeyObject {
    let secret = this.secrets.get(key);
    if (!secret) {
      secret = key instanceof Uint8Array ? createSecretKey(key) : KeyObject.from(key);
      this.secrets.set(key, secret);
    }
    return secret;
  }

  /**
   * Checks encoding, signature, type, issuer and expiry; the store then decides whether it is still
   * valid. Only the canonical spelling is accepted: the store finds a token by the hash of its string,
   * and HS256 is deterministic, so one token is one string and a logout always finds what verified.
   */
  /** `fid` is absent from tokens issued before it was added (they expire within REFRESH_TOKEN_EXPIRY). */
  async verify(token: string): Promise<RefreshClaims> {
    if (token.length > MAX_TOKEN_LENGTH || !isCanonicalEncoding(token)) throw new InvalidGrantError('malformed');
    let kid: unknown;
    try {
      kid = decodeProtectedHeader(token).kid;
    } catch {
      throw new InvalidGrantError('malformed');
    }
    const key = typeof kid === 'string' ? await this.options.keyRing.findVerificationKey(kid, 'refresh') : undefined;
    if (!key) throw new InvalidGrantError('unknown');
    let payload: Record<string, unknown>;
    try {
      payload = this.checkSignature(key)(token);
    } catch (error) {
      if (error instanceof TokenError) throw new InvalidGrantError('malformed');
      throw error;
    }
    const { jti, sub, iat, exp, fid } = payload;
    if (typeof jti !== 'string' || typeof sub !== 'string' || typeof iat !== 'number' || typeof exp !== 'number') {
      throw new InvalidGrantError('malformed');
    }
    if (exp <= toSeconds(this.options.clock.now())) throw new InvalidGrantError('expired');
    const claims = { jti, sub, iat, fid: typeof fid === 'string' ? fid : undefined };
    const validAfter = this.options.validAfter;
    if (validAfter && (validAfter.keyRevoked(kid as string) || validAfter.refusesIat(claims.sub, claims.iat))) {
      throw new InvalidGrantError('revoked');
    }
    return { jti: claims.jti, sub: claims.sub, fid: claims.fid };
  }

  private readonly checks = new WeakMap<object, (token: string) => Record<string, unknown>>();

  /**
   * Signature (the key's own algorithm only), type, issuer and required claims, checked by fast-jwt
   * with node:crypto on this thread: jose's WebCrypto handed each HMAC to the thread pool and back,
   * which cost the event loop more than the HMAC itself. Expiry is checked against our clock by `verify`.
   */
  private checkSignature(key: { alg: string; key: CryptoKey | Uint8Array }): (token: string) => Record<string, unknown> {
    let check = this.checks.get(key.key);
    if (!check) {
      const material = key.key instanceof Uint8Array ? createSecretKey(key.key) : KeyObject.from(key.key);
      check = createVerifier({
        key: material.type === 'secret' ? material.export() : (material.export({ type: 'spki', format: 'pem' }) as string),
        algorithms: [key.alg as never],
        allowedIss: this.options.acceptedIssuers ?? this.options.issuer,
        checkTyp: REFRESH_TOKEN_TYPE,
        requiredClaims: ['sub', 'jti', 'exp', 'iat'],
        ignoreExpiration: true,
        ignoreNotBefore: true,
        cache: false,
      }) as (token: string) => Record<string, unknown>;
      this.checks.set(key.key, check);
    }
    return check;
  }
}

/** The only form in which a refresh token is stored. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('base64url');
}
