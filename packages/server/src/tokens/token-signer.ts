import { KeyObject, createSecretKey } from 'node:crypto';
import { createSigner } from 'fast-jwt';
import type { CryptoKey } from 'jose';

type Sign = (claims: Record<string, unknown>) => string;
const signers = new WeakMap<object, Map<string, Sign>>();

/**
 * Signs a JWT with fast-jwt (node:crypto, on the calling thread): an RS256 signature costs the event
 * loop what jose's WebCrypto cost it just to hand the job to the thread pool and take the answer back
 * (docs/performance.md). The header is `{alg, typ, kid}`; claims are signed as given, and must
 * include `iat` (fast-jwt would otherwise add the current time). One signer per key, type and kid,
 * made on first use.
 */
export function signToken(key: CryptoKey | Uint8Array, alg: string, kid: string, typ: string, claims: Record<string, unknown>): string {
  let byKey = signers.get(key);
  if (!byKey) signers.set(key, (byKey = new Map()));
  const name = `${alg} ${typ} ${kid}`;
  let sign = byKey.get(name);
  if (!sign) {
    sign = createSigner({ key: keyMaterial(key), algorithm: alg as never, kid, header: { typ } as never }) as Sign;
    byKey.set(name, sign);
  }
  return sign(claims);
}

function keyMaterial(key: CryptoKey | Uint8Array): string | Buffer {
  const object = key instanceof Uint8Array ? createSecretKey(key) : KeyObject.from(key);
  return object.type === 'secret' ? object.export() : (object.export({ type: 'pkcs8', format: 'pem' }) as string);
}
