/** Signing keys as stored: the private half sealed with a key derived from JWT_SECRET. */

export type KeyUse = 'access' | 'refresh';

export interface SigningKeyRecord {
  kid: string;
  use: KeyUse;
  alg: string;
  /** Public JWK as JSON; null for symmetric keys. */
  publicJwk: string | null;
  /** The private (or secret) key, sealed with a key derived from JWT_SECRET. */
  sealedKey: string;
  createdAt: number;
  /** When a newer key replaced this one for signing; null while it is the active key. */
  rotatedOutAt: number | null;
  /** After this, nothing it signed can still be valid: it leaves the JWKS and is deleted. */
  expiresAt: number | null;
}
