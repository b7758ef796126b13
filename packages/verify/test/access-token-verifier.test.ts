import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { createSigner } from 'fast-jwt';
import { SignJWT, generateKeyPair } from 'jose';
import { describe, expect, it } from 'vitest';
import { verifyAccessToken, type AccessTokenRules, type VerificationKey } from '../src/index.js';

const ISSUER = 'https://auth.example.com';

async function setup() {
  const { publicKey, privateKey } = await generateKeyPair('ES256');
  const rules: AccessTokenRules = {
    getKey: (kid) => (kid === 'k1' ? { alg: 'ES256', key: publicKey } : undefined),
    issuer: ISSUER,
    audience: 'orders-api',
    maxLifetimeSeconds: 900,
  };
  const sign = (claims: Record<string, unknown>) => {
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({ role: 'user', ...claims })
      .setProtectedHeader({ alg: 'ES256', kid: 'k1', typ: 'at+jwt' })
      .setSubject('u1')
      .setIssuer(ISSUER)
      .setAudience('orders-api')
      .setJti('j1')
      .setIssuedAt(now)
      .setExpirationTime(now + 900)
      .sign(privateKey);
  };
  return { rules, sign };
}

describe('verifying an access token', () => {
  it("gives the token's client_id, and the first-party client for a token issued before the claim existed", async () => {
    const { rules, sign } = await setup();
    expect(await verifyAccessToken(await sign({ client_id: 'billing' }), rules)).toMatchObject({ sub: 'u1', client_id: 'billing' });
    expect(await verifyAccessToken(await sign({}), rules)).toMatchObject({ client_id: 'tessera' });
    await expect(verifyAccessToken(await sign({ client_id: 7 }), rules)).rejects.toMatchObject({ reason: 'claims' });
  });

  it("gives the token's auth_time, leaves it out for a token without one (a service's, or issued before the claim), and refuses a bad one", async () => {
    const { rules, sign } = await setup();
    const loggedIn = Math.floor(Date.now() / 1000) - 600;
    expect(await verifyAccessToken(await sign({ auth_time: loggedIn }), rules)).toMatchObject({ auth_time: loggedIn });
    expect(await verifyAccessToken(await sign({}), rules)).not.toHaveProperty('auth_time');
    await expect(verifyAccessToken(await sign({ auth_time: String(loggedIn) }), rules)).rejects.toMatchObject({ reason: 'claims' });
    // A password cannot have been proven after the token was issued.
    await expect(verifyAccessToken(await sign({ auth_time: loggedIn + 3600 }), rules)).rejects.toMatchObject({ reason: 'claims' });
  });

  it('asks the plugged-in revocation check last, and refuses a revoked token', async () => {
    const { rules, sign } = await setup();
    const asked: string[] = [];
    const token = await sign({});
    const revoked = { ...rules, isRevoked: async (claims: { jti: string }) => (asked.push(claims.jti), true) };
    await expect(verifyAccessToken(token, revoked)).rejects.toMatchObject({ code: 'invalid_token', reason: 'revoked' });
    expect(asked).toEqual(['j1']);
    await expect(verifyAccessToken(token, { ...rules, isRevoked: () => false })).resolves.toMatchObject({ jti: 'j1' });
    // A bad signature is refused before any revocation lookup.
    asked.length = 0;
    await expect(verifyAccessToken(token.slice(0, -4) + 'AAAA', revoked)).rejects.toMatchObject({ reason: 'signature' });
    expect(asked).toEqual([]);
  });

  it('checks every header it has not seen, even beside a token with the same key that it accepted', async () => {
    const { rules, sign } = await setup();
    expect(await verifyAccessToken(await sign({}), rules)).toMatchObject({ jti: 'j1' });
    const { privateKey } = await generateKeyPair('ES256');
    const rsa = await generateKeyPair('RS256');
    const withHeader = (header: Record<string, unknown>) =>
      new SignJWT({ role: 'user', sub: 'u1', iss: ISSUER, aud: 'orders-api', jti: 'j2', iat: Math.floor(Date.now() / 1000), exp: Math.floor(Date.now() / 1000) + 900 })
        .setProtectedHeader({ alg: 'ES256', kid: 'k1', typ: 'at+jwt', ...header })
        .sign(header.alg === 'RS256' ? rsa.privateKey : privateKey);
    const reason = (token: Promise<string>) => token.then((t) => verifyAccessToken(t, rules)).catch((error: { reason: string }) => error.reason);
    expect(await reason(withHeader({ jku: 'https://attacker.example/jwks' }))).toBe('header');
    expect(await reason(withHeader({ typ: 'JWT' }))).toBe('type');
    expect(await reason(withHeader({ kid: 'k2' }))).toBe('unknown_key');
    expect(await reason(withHeader({ alg: 'RS256' }))).toBe('algorithm');
    // The same header as the accepted token's, another signer: the signature still decides.
    expect(await reason(withHeader({}))).toBe('signature');
  });

  it('refuses, as an unknown key, a key plugged in that is a shared secret, a private key, of the wrong kind, or RSA under 2048 bits', async () => {
    const now = Math.floor(Date.now() / 1000);
    const claims = { role: 'admin', sub: 'u1', iss: ISSUER, aud: 'orders-api', jti: 'j1', iat: now, exp: now + 900 };
    const reason = (token: string, key: VerificationKey) =>
      verifyAccessToken(token, { getKey: () => key, issuer: ISSUER, audience: 'orders-api', maxLifetimeSeconds: 900 }).then(
        () => 'accepted',
        (error: { reason: string }) => error.reason,
      );
    const secret = randomBytes(32);
    const hmac = await new SignJWT(claims).setProtectedHeader({ alg: 'HS256', kid: 'k1', typ: 'at+jwt' }).sign(secret);
    expect(await reason(hmac, { alg: 'HS256', key: secret })).toBe('unknown_key');

    const weak = generateKeyPairSync('rsa', { modulusLength: 1024 });
    const sign = createSigner({ key: weak.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string, algorithm: 'RS256', kid: 'k1', header: { typ: 'at+jwt' } } as never) as (payload: object) => string;
    expect(await reason(sign(claims), { alg: 'RS256', key: weak.publicKey })).toBe('unknown_key');

    const strong = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const signStrong = createSigner({ key: strong.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string, algorithm: 'RS256', kid: 'k1', header: { typ: 'at+jwt' } } as never) as (payload: object) => string;
    expect(await reason(signStrong(claims), { alg: 'RS256', key: strong.privateKey })).toBe('unknown_key');
    // An RSA key named for ES256, and an EC key of another curve, are not ES256 keys.
    const es = await new SignJWT(claims).setProtectedHeader({ alg: 'ES256', kid: 'k1', typ: 'at+jwt' }).sign((await generateKeyPair('ES256')).privateKey);
    expect(await reason(es, { alg: 'ES256', key: strong.publicKey })).toBe('unknown_key');
    expect(await reason(es, { alg: 'ES256', key: (await generateKeyPair('ES384')).publicKey })).toBe('unknown_key');
    expect(await reason(signStrong(claims), { alg: 'RS256', key: strong.publicKey })).toBe('accepted');
  });
});
