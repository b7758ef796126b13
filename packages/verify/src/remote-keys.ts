import { createRemoteJWKSet, importJWK, type JWK } from 'jose';
import type { KeyLookup, VerificationKey } from './access-token-verifier.js';

export interface RemoteKeysOptions {
  /** The issuer's JWKS document (`jwks_uri`). */
  jwksUri: string;
  /** An unknown `kid` fetches the document again at most this often (ms). */
  cooldownMs?: number;
  /** Keys are fetched again in the background once the copy is this old (ms). */
  maxAgeMs?: number;
}

/**
 * The issuer's public keys, fetched from its JWKS by jose's `createRemoteJWKSet` (timeouts, cooldown,
 * caching) and imported once per `kid`. A key is used only with the algorithm its JWK names: a JWK
 * without `alg` verifies nothing. An unknown `kid` re-fetches the document, rate-limited by the cooldown.
 */
export function remoteKeys({ jwksUri, cooldownMs = 30_000, maxAgeMs = 10 * 60_000 }: RemoteKeysOptions): KeyLookup & { refresh(): Promise<void> } {
  const set = createRemoteJWKSet(new URL(jwksUri), { cooldownDuration: cooldownMs, cacheMaxAge: maxAgeMs });
  let keys = new Map<string, Promise<VerificationKey | undefined>>();

  const rebuild = () => {
    const next = new Map<string, Promise<VerificationKey | undefined>>();
    for (const jwk of set.jwks()?.keys ?? []) {
      if (typeof jwk.kid !== 'string' || next.has(jwk.kid)) continue;
      next.set(jwk.kid, keys.get(jwk.kid) ?? importKey(jwk));
    }
    keys = next;
  };
  const refresh = async () => {
    await set.reload();
    rebuild();
  };

  const lookup = async (kid: string): Promise<VerificationKey | undefined> => {
    if (!set.fresh && !set.reloading) {
      // Never fetched: wait for the keys. Stale: keep serving from the copy while it is fetched again.
      if (set.jwks() === undefined) await refresh();
      else void refresh().catch(() => undefined);
    }
    const known = keys.get(kid);
    if (known) return known;
    if (set.coolingDown) return undefined;
    await refresh();
    return keys.get(kid);
  };
  return Object.assign(lookup, { refresh });
}

async function importKey(jwk: JWK): Promise<VerificationKey | undefined> {
  if (typeof jwk.alg !== 'string' || (jwk.use !== undefined && jwk.use !== 'sig')) return undefined;
  try {
    return { alg: jwk.alg, key: await importJWK(jwk, jwk.alg) };
  } catch {
    return undefined;
  }
}
