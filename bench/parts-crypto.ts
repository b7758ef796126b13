/**
 * Per-core cost of the cryptography behind every request: access-token signing and verification per
 * algorithm, with jose (WebCrypto), fast-jwt, and node:crypto directly; plus argon2id hashing.
 * Runs in one thread, sequentially: the figures are per core.
 *
 *   npx tsx bench/parts-crypto.ts [seconds-per-case]
 */
import { createPrivateKey, createPublicKey, sign as nodeSign, verify as nodeVerify, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { hash } from '@node-rs/argon2';
import { createSigner, createVerifier } from 'fast-jwt';
import { SignJWT, importJWK, jwtVerify, type CryptoKey } from 'jose';
import { verifyAccessToken, type AccessTokenRules } from '../packages/verify/src/index.js';

type Case = { name: string; run: () => Promise<unknown> | unknown };

async function rate(c: Case, seconds: number): Promise<number> {
  const deadline = performance.now() + seconds * 1000;
  let n = 0;
  const started = performance.now();
  while (performance.now() < deadline) {
    await c.run();
    n += 1;
  }
  return n / ((performance.now() - started) / 1000);
}

const claims = { sub: '3b1d2c4e-5f60-4718-9a2b-3c4d5e6f7a8b', role: 'user', iss: 'tessera', aud: 'tessera-api', jti: 'bxUvyTwGPTVxvczac8s2ZQ' };

export async function cryptoCases(): Promise<Array<{ group: string; cases: Case[] }>> {
  const groups: Array<{ group: string; cases: Case[] }> = [];
  for (const [alg, nodeAlg, keyOpts] of [
    ['RS256', 'sha256', { type: 'rsa', modulusLength: 2048 }],
    ['ES256', 'sha256', { type: 'ec', namedCurve: 'P-256' }],
    ['EdDSA', null, { type: 'ed25519' }],
  ] as const) {
    const { privateKey, publicKey } = generateKeyPairSync(keyOpts.type as 'rsa', keyOpts as never) as unknown as { privateKey: KeyObject; publicKey: KeyObject };
    const privateJwk = privateKey.export({ format: 'jwk' });
    const publicJwk = publicKey.export({ format: 'jwk' });
    const josePrivate = (await importJWK(privateJwk as never, alg)) as CryptoKey;
    const josePublic = (await importJWK(publicJwk as never, alg)) as CryptoKey;
    const now = Math.floor(Date.now() / 1000);
    const token = await new SignJWT({ ...claims }).setProtectedHeader({ alg, kid: 'k', typ: 'at+jwt' }).setIssuedAt(now).setExpirationTime(now + 900).sign(josePrivate);
    const pem = privateKey.export({ format: 'pem', type: 'pkcs8' }) as string;
    const pubPem = publicKey.export({ format: 'pem', type: 'spki' }) as string;
    const fastSign = createSigner({ key: pem, algorithm: alg === 'EdDSA' ? 'EdDSA' : alg, kid: 'k', header: { typ: 'at+jwt' } } as never);
    const fastVerify = createVerifier({ key: pubPem, algorithms: [alg], cache: false });
    const [h, p, s] = token.split('.') as [string, string, string];
    const input = Buffer.from(`${h}.${p}`);
    const signature = Buffer.from(s, 'base64url');
    const dsa = alg === 'ES256' ? { dsaEncoding: 'ieee-p1363' as const } : {};
    const nodePrivate = createPrivateKey(pem);
    const nodePublic = createPublicKey(pubPem);
    // Every rule Tessera applies (encoding, header, kid, algorithm, type, issuer, audience, claims, times).
    const rules: AccessTokenRules = { getKey: () => ({ alg, key: josePublic }), issuer: 'tessera', audience: 'tessera-api', maxLifetimeSeconds: 900 };
    groups.push({
      group: alg,
      cases: [
        { name: 'sign: jose', run: () => new SignJWT({ ...claims }).setProtectedHeader({ alg, kid: 'k', typ: 'at+jwt' }).setIssuedAt(now).setExpirationTime(now + 900).sign(josePrivate) },
        { name: 'sign: fast-jwt', run: () => fastSign({ ...claims, iat: now, exp: now + 900 }) },
        { name: 'sign: node:crypto', run: () => nodeSign(nodeAlg, input, { key: nodePrivate, ...dsa }) },
        { name: 'verify: jose', run: () => jwtVerify(token, josePublic, { algorithms: [alg] }) },
        { name: 'verify: fast-jwt', run: () => fastVerify(token) },
        { name: 'verify: node:crypto', run: () => nodeVerify(nodeAlg, input, { key: nodePublic, ...dsa }, signature) },
        { name: 'verify: @tessera/verify (every rule)', run: () => verifyAccessToken(token, rules) },
      ],
    });
  }
  groups.push({
    group: 'argon2id m=19 MiB t=2 p=1',
    cases: [{ name: 'hash', run: () => hash('correct horse battery', { algorithm: 2 as never, memoryCost: 19_456, timeCost: 2, parallelism: 1 }) }],
  });
  return groups;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const seconds = Number(process.argv[2] ?? 2);
  console.log('| algorithm | operation | per second (one core) |\n|---|---|---|');
  for (const { group, cases } of await cryptoCases()) {
    for (const c of cases) console.log(`| ${group} | ${c.name} | ${Math.round(await rate(c, seconds)).toLocaleString('en-US')} |`);
  }
}
