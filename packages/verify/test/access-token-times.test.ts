import { generateKeyPairSync } from 'node:crypto';
import { SignJWT, importJWK, type CryptoKey, type JWTPayload } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { isCanonicalEncoding, verifyAccessToken, type AccessTokenRules } from '../src/index.js';

const NOW = 1_800_000_000_000;
const seconds = NOW / 1000;
let privateKey: CryptoKey;
let rules: AccessTokenRules;

beforeAll(async () => {
  const pair = generateKeyPairSync('rsa', { modulusLength: 2048 });
  privateKey = (await importJWK(pair.privateKey.export({ format: 'jwk' }) as never, 'RS256')) as CryptoKey;
  const publicKey = (await importJWK(pair.publicKey.export({ format: 'jwk' }) as never, 'RS256')) as CryptoKey;
  rules = { getKey: (kid) => (kid === 'k1' ? { alg: 'RS256', key: publicKey } : undefined), issuer: 'tessera', audience: 'tessera-api', maxLifetimeSeconds: 900, now: () => NOW };
});

const token = (claims: JWTPayload = {}, header: Record<string, unknown> = {}) =>
  new SignJWT({ sub: 'user-1', role: 'user', jti: 'j1', iss: 'tessera', aud: 'tessera-api', iat: seconds - 60, exp: seconds + 840, ...claims })
    .setProtectedHeader({ alg: 'RS256', kid: 'k1', typ: 'at+jwt', ...header })
    .sign(privateKey);
const reason = (promise: Promise<unknown>) => promise.then(() => 'accepted', (error: { reason?: string }) => error.reason);

describe('verifyAccessToken: times, reasons and encoding', () => {
  it('accepts a sound token and returns its claims with the key that signed it', async () => {
    await expect(verifyAccessToken(await token(), rules)).resolves.toMatchObject({ sub: 'user-1', role: 'user', jti: 'j1', iat: seconds - 60, exp: seconds + 840, kid: 'k1' });
  });

  it('refuses a token at its expiry second by the rules’ clock, and accepts it for logout', async () => {
    const expired = await token({ iat: seconds - 900, exp: seconds });
    expect(await reason(verifyAccessToken(expired, rules))).toBe('expired');
    expect(await reason(verifyAccessToken(expired, rules, { checkExpiry: false }))).toBe('accepted');
  });

  it('says why a token is refused: signature, type, issuer or audience, missing claim, not yet valid', async () => {
    const genuine = await token();
    const [header, payload] = genuine.split('.');
    const forged = `${header}.${payload}.${(await token({ role: 'admin' })).split('.')[2]}`;
    expect(await reason(verifyAccessToken(forged, rules))).toBe('signature');
    expect(await reason(verifyAccessToken(await token({}, { typ: 'JWT' }), rules))).toBe('type');
    expect(await reason(verifyAccessToken(await token({ iss: 'someone-else' }), rules))).toBe('claims');
    expect(await reason(verifyAccessToken(await token({ aud: 'other-api' }), rules))).toBe('claims');
    expect(await reason(verifyAccessToken(await token({ role: undefined }), rules))).toBe('claims');
    expect(await reason(verifyAccessToken(await token({ nbf: seconds + 60 }), rules))).toBe('claims');
    expect(await reason(verifyAccessToken(await token({}, { kid: 'k2' }), rules))).toBe('unknown_key');
  });

  it('refuses times the issuer never gives: issued in the future, or living longer than the issuer allows', async () => {
    expect(await reason(verifyAccessToken(await token({ iat: seconds + 600, exp: seconds + 1200 }), rules))).toBe('issued_in_future');
    expect(await reason(verifyAccessToken(await token({ iat: seconds - 60, exp: seconds + 3600 }), rules))).toBe('lifetime');
  });
});

describe('isCanonicalEncoding', () => {
  it('accepts only the one spelling of each part: no padding, whitespace or stray low bits', () => {
    expect(isCanonicalEncoding('eyJhIjoxfQ.eyJiIjoyfQ.AQID')).toBe(true);
    expect(isCanonicalEncoding('eyJhIjoxfQ==.eyJiIjoyfQ.AQID')).toBe(false);
    expect(isCanonicalEncoding('eyJhIjoxfQ.eyJiIjoyfQ.AQI E')).toBe(false);
    expect(isCanonicalEncoding('eyJhIjoxfQ.eyJiIjoyfQ.AQI')).toBe(true);
    expect(isCanonicalEncoding('eyJhIjoxfQ.eyJiIjoyfQ.AQJ')).toBe(false);
    expect(isCanonicalEncoding('eyJhIjoxfQ.eyJiIjoyfQ')).toBe(false);
  });

  it("agrees with Node's decoder: a part is canonical exactly when decoding and encoding it again gives it back", () => {
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const roundTrips = (part: string) => Buffer.from(part, 'base64url').toString('base64url') === part;
    // Every last character after every length of group (the spare bits live there), and the empty part.
    for (const prefix of ['', 'Q', 'QU', 'QUI', 'QUJD', 'QUJDR']) {
      for (const last of alphabet) {
        const part = prefix + last;
        expect(isCanonicalEncoding(`eyJhIjoxfQ.eyJiIjoyfQ.${part}`), part).toBe(roundTrips(part));
      }
    }
    expect(isCanonicalEncoding('eyJhIjoxfQ.eyJiIjoyfQ.')).toBe(true);
  });
});
