import { randomBytes } from 'node:crypto';
import { calculateJwkThumbprint, exportJWK, generateKeyPair } from 'jose';
import type { KeyUse } from '../../tokens/signing-key.js';
import type { PublicJwk } from './jwks-document.js';
import { REFRESH_ALGORITHM } from './key-rotation-policy.js';

/** A freshly generated key, before it is sealed: `secret` must never be stored or logged as it is. */
export interface GeneratedKey {
  kid: string;
  use: KeyUse;
  alg: string;
  /** The public part, for asymmetric (access) keys. */
  publicJwk: PublicJwk | null;
  /** The private JWK as JSON (access keys) or the HMAC secret as base64url (refresh keys). */
  secret: string;
}

/**
 * A new signing key: an asymmetric pair of `alg` for access tokens, named by its JWK thumbprint
 * (RFC 7638); a random 256-bit HMAC secret for refresh tokens, named at random.
 */
export async function generateKey(use: KeyUse, alg: string): Promise<GeneratedKey> {
  if (use === 'refresh') {
    return { kid: randomBytes(12).toString('base64url'), use, alg: REFRESH_ALGORITHM, publicJwk: null, secret: randomBytes(32).toString('base64url') };
  }
  const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true });
  const exported = await exportJWK(publicKey);
  const kid = await calculateJwkThumbprint(exported);
  return { kid, use, alg, publicJwk: { ...exported, kid, alg, use: 'sig' }, secret: JSON.stringify(await exportJWK(privateKey)) };
}
