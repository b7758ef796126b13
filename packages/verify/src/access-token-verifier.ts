import {
  ACCESS_TOKEN_TYPE,
  CLOCK_LEEWAY_SECONDS,
  FIRST_PARTY_CLIENT_ID,
  InvalidTokenError,
  REQUIRED_ACCESS_CLAIMS,
  type AccessClaims,
  type InvalidTokenReason,
} from '@tessera/contract';
import { KeyObject } from 'node:crypto';
import { TokenError, createVerifier } from 'fast-jwt';
import { decodeProtectedHeader, type CryptoKey, type ProtectedHeaderParameters } from 'jose';
import { isCanonicalEncoding } from './canonical-encoding.js';

/**
 * A key that verifies tokens, with the one algorithm it was made for. Only a public key of a
 * public-key signature algorithm ever verifies an access token (`unusableKeyReason`): a shared secret
 * (`Uint8Array`, HS256…), a private key or an RSA key under 2048 bits is refused as an unknown key.
 */
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
 * self-named keys, `typ` at+jwt, a known `kid` whose key is a public key of a public-key signature
 * (never a shared secret, nor RSA under 2048 bits), the algorithm of that key (never the one the token
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
  // A lookup that answers at once is not awaited: a token of a known key is then checked without
  // waiting for the next turn of the microtask queue.
  const found = rules.getKey(kid);
  const key = isThenable(found) ? await found : found;
  if (!key) throw new InvalidTokenError('unknown_key');
  if (header.alg !== key.alg) throw new InvalidTokenError('algorithm');
  const check = signatureVerifier(rules, key, kid);
  const now = (rules.now ?? Date.now)();
  let payload: Record<string, unknown>;
  try {
    payload = check(token);
  } catch (error) {
    throw new InvalidTokenError(reasonFor(error), { cause: error });
  }
  const { sub, role, jti, iat, exp, nbf, client_id = FIRST_PARTY_CLIENT_ID, auth_time } = payload;
  if (typeof sub !== 'string' || typeof role !== 'string' || typeof jti !== 'string' || typeof client_id !== 'string' || !isTime(iat) || !isTime(exp)) {
    throw new InvalidTokenError('claims');
  }
  const nowSeconds = Math.floor(now / 1000);
  if (nbf !== undefined && (!isTime(nbf) || nbf > nowSeconds)) throw new InvalidTokenError('claims');
  const authTime = optionalAuthTime(auth_time, iat);
  // Without expiry checking (logout), an expired token that is otherwise sound is accepted.
  if (checkExpiry && exp <= nowSeconds) throw new InvalidTokenError('expired');
  const verified: AccessClaims = { sub, role, jti, iat, exp, client_id, kid };
  if (authTime !== undefined) verified.auth_time = authTime;
  const claims = checkTimes(verified, now, rules.maxLifetimeSeconds);
  if (checkExpiry && rules.isRevoked) {
    const revoked = rules.isRevoked(claims);
    if (isThenable(revoked) ? await revoked : revoked) throw new InvalidTokenError('revoked');
  }
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

/**
 * The token's header, read by jose and checked, remembered by its exact encoded text: every token one
 * key signs carries the same header, so a token seen for the first time usually needs no second parse
 * beside fast-jwt's. Only headers that pass every check are kept, at most `MAX_HEADERS` (the oldest go
 * first): a caller sending headers of its own making can only evict, never change, what a header says.
 */
function readHeader(token: string): ProtectedHeaderParameters {
  const encoded = token.slice(0, token.indexOf('.'));
  const known = checkedHeaders.get(encoded);
  if (known) return known;
  const header = checkHeader(token);
  if (checkedHeaders.size >= MAX_HEADERS) checkedHeaders.delete(checkedHeaders.keys().next().value as string);
  checkedHeaders.set(encoded, header);
  return header;
}

const MAX_HEADERS = 64;
const checkedHeaders = new Map<string, ProtectedHeaderParameters>();

function checkHeader(token: string): ProtectedHeaderParameters {
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

const isThenable = <T>(value: T | PromiseLike<T>): value is PromiseLike<T> => typeof (value as { then?: unknown } | undefined)?.then === 'function';

const isTime = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value);

/**
 * `auth_time` is optional (services' tokens, tokens from before the claim); when present it is a time
 * no later than the issue: a password cannot have been proven after the token was made.
 */
function optionalAuthTime(value: unknown, iat: number): number | undefined {
  if (value === undefined) return undefined;
  if (!isTime(value) || value > iat) throw new InvalidTokenError('claims');
  return value;
}

type SignatureCheck = (token: string) => Record<string, unknown>;
interface MadeCheck {
  alg: string;
  issuer: string | readonly string[];
  audience: string | readonly string[];
  check: SignatureCheck;
}
/**
 * One signature check per key and accepted issuers and audiences, made on first use (making one parses
 * the key, which costs more than the check). Found by what the rules say, not by the rules object: a
 * caller that passes a fresh copy of its rules each time still finds the check it made before. The
 * issuers and audiences are copied when the check is made and compared by value on every use, so rules
 * changed in place never meet a check made for what they said before.
 */
const signatureChecks = new WeakMap<object, MadeCheck[]>();

/**
 * Signature, algorithm, `typ`, issuer, audience and required claims, checked by fast-jwt with
 * node:crypto, synchronously: about 4× the RS256 verifications per core of WebCrypto (jose), which also
 * hands every check to the thread pool (docs/performance.md). Times are checked by the caller, against
 * the rules' clock.
 */
function signatureVerifier(rules: AccessTokenRules, key: VerificationKey, kid: string): SignatureCheck {
  let made = signatureChecks.get(key.key);
  if (!made) signatureChecks.set(key.key, (made = []));
  for (const entry of made) {
    if (entry.alg === key.alg && sameValues(entry.issuer, rules.issuer) && sameValues(entry.audience, rules.audience)) return entry.check;
  }
  // Checked before any check is made with a key and algorithm: a key refused never verifies anything.
  const refused = unusableKeyReason(key);
  if (refused) throw new InvalidTokenError('unknown_key', { cause: new Error(`the key ${JSON.stringify(kid)} is never used: ${refused}`) });
  const issuer = copy(rules.issuer);
  const audience = copy(rules.audience);
  const check = createVerifier({
    key: keyMaterial(key.key),
    algorithms: [key.alg as never],
    allowedIss: issuer as string | string[],
    allowedAud: audience as string | string[],
    checkTyp: ACCESS_TOKEN_TYPE,
    requiredClaims: [...REQUIRED_ACCESS_CLAIMS],
    ignoreExpiration: true,
    ignoreNotBefore: true,
    cache: false,
  }) as SignatureCheck;
  made.push({ alg: key.alg, issuer, audience, check });
  return check;
}

const copy = (value: string | readonly string[]): string | readonly string[] => (typeof value === 'string' ? value : Object.freeze([...value]));

function sameValues(kept: string | readonly string[], given: string | readonly string[]): boolean {
  if (typeof kept === 'string' || typeof given === 'string') return kept === given;
  return kept.length === given.length && kept.every((value, i) => value === given[i]);
}

/** A public key as fast-jwt takes it: PEM (only public keys get here, `unusableKeyReason`). */
function keyMaterial(key: VerificationKey['key']): string {
  return asKeyObject(key as CryptoKey | KeyObject).export({ type: 'spki', format: 'pem' }) as string;
}

const asKeyObject = (key: CryptoKey | KeyObject): KeyObject => (key instanceof KeyObject ? key : KeyObject.from(key));

/** RSA keys shorter than this are refused (RFC 7518 §3.3, NIST SP 800-131A). */
export const MIN_RSA_MODULUS_BITS = 2048;

/**
 * The algorithms an access token may be signed with, and the key each needs: public-key signatures
 * only. HS256 and its kin are never accepted: their key is a shared secret, and whoever holds it —
 * anyone who fetched it from a key set — could sign any token.
 */
const SIGNATURE_KEYS: Readonly<Record<string, { types: readonly string[]; curve?: string }>> = {
  RS256: { types: ['rsa'] },
  RS384: { types: ['rsa'] },
  RS512: { types: ['rsa'] },
  PS256: { types: ['rsa', 'rsa-pss'] },
  PS384: { types: ['rsa', 'rsa-pss'] },
  PS512: { types: ['rsa', 'rsa-pss'] },
  ES256: { types: ['ec'], curve: 'prime256v1' },
  ES384: { types: ['ec'], curve: 'secp384r1' },
  ES512: { types: ['ec'], curve: 'secp521r1' },
  EdDSA: { types: ['ed25519'] },
};

/**
 * Why a key must never verify a token, or undefined when it may: its algorithm is not a public-key
 * signature this package verifies (HS256…), it is a secret or a private key rather than a public one,
 * it is not of the type its algorithm needs (an RSA key for ES256, another curve), or it is an RSA key
 * under 2048 bits. The one rule for every key, whether found in a JWKS or plugged in by the caller.
 */
export function unusableKeyReason({ alg, key }: VerificationKey): string | undefined {
  const wanted = Object.hasOwn(SIGNATURE_KEYS, alg) ? SIGNATURE_KEYS[alg] : undefined;
  if (!wanted) return `its algorithm ${JSON.stringify(alg)} is not a public-key signature (RS256, PS256, ES256, EdDSA and kin)`;
  if (key instanceof Uint8Array) return 'it is a shared secret, not a public key';
  let object: KeyObject;
  try {
    object = asKeyObject(key);
  } catch (error) {
    return `it cannot be read as a key (${error instanceof Error ? error.message : String(error)})`;
  }
  if (object.type !== 'public') return `it is a ${object.type} key, not a public key`;
  const type = object.asymmetricKeyType ?? '';
  if (!wanted.types.includes(type)) return `${alg} needs a ${wanted.types.join(' or ')} key, not ${type || 'this one'}`;
  const details = object.asymmetricKeyDetails ?? {};
  if (wanted.curve && details.namedCurve !== wanted.curve) return `${alg} needs the curve ${wanted.curve}, not ${details.namedCurve ?? 'another'}`;
  if (type.startsWith('rsa') && (details.modulusLength ?? 0) < MIN_RSA_MODULUS_BITS) {
    return `its RSA modulus has ${details.modulusLength ?? 'unknown'} bits, under the ${MIN_RSA_MODULUS_BITS} required`;
  }
  return undefined;
}

function reasonFor(error: unknown): InvalidTokenReason {
  if (!(error instanceof TokenError)) return 'malformed';
  switch (error.code) {
    case TokenError.codes.invalidSignature:
      return 'signature';
    case TokenError.codes.invalidAlgorithm:
      return 'algorithm';
    case TokenError.codes.invalidType:
      return 'type';
    case TokenError.codes.invalidClaimValue:
    case TokenError.codes.invalidClaimType:
    case TokenError.codes.missingRequiredClaim:
      return 'claims';
    default:
      return 'malformed';
  }
}
