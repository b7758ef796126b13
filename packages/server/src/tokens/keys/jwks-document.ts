import type { JWK } from 'jose';

/** A verification key as the JWKS publishes it. */
export interface PublicJwk extends JWK {
  kid: string;
  alg: string;
  use: 'sig';
}

/** The document at /.well-known/jwks.json. */
export interface JwksDocument {
  keys: PublicJwk[];
}

/**
 * The JWKS of a set of stored keys: the public parts of the access keys, and nothing of a symmetric
 * (refresh) key, whose "public" part would be the secret itself.
 */
export function jwksDocument(publicJwks: Iterable<PublicJwk | undefined>): JwksDocument {
  return { keys: [...publicJwks].filter((jwk): jwk is PublicJwk => jwk !== undefined) };
}
