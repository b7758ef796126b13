import { SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { toSeconds } from '../../src/clock.js';
import type { KeyRing } from '../../src/tokens/key-ring.js';
import { REFRESH_TOKEN_TYPE, RefreshTokens, type RefreshTokenIdentity } from '../../src/tokens/refresh-tokens.js';
import { testKeyRings } from '../support/key-ring.js';

/**
 * How refresh tokens were signed before `jws` (jose's SignJWT). An instance of that version and one of
 * this version run side by side during a rolling deploy, and either may re-create a successor that the
 * other issued (the reuse interval): the store finds it only if both write the same bytes.
 */
async function signedByJose(keyRing: KeyRing, issuer: string, identity: RefreshTokenIdentity): Promise<string> {
  const { kid, alg, key } = keyRing.signingKey('refresh');
  return new SignJWT({ fid: identity.familyId })
    .setProtectedHeader({ alg, kid, typ: REFRESH_TOKEN_TYPE })
    .setIssuer(issuer)
    .setSubject(identity.userId)
    .setJti(identity.id)
    .setIssuedAt(toSeconds(identity.issuedAt))
    .setExpirationTime(toSeconds(identity.expiresAt))
    .sign(key);
}

describe('refresh-token signatures', () => {
  const keyRing = testKeyRings('refresh-signature-secret-4e8a1c7f3b9d2e6a0c5f8b1d');

  const identities: RefreshTokenIdentity[] = [
    { id: 'Qm9vdHN0cmFwVG9rZW4xMjM', userId: 'a3f1c2d4-0b5e-4c6a-9d8e-7f1a2b3c4d5e', familyId: '9c1d2e3f-4a5b-4c6d-8e7f-0a1b2c3d4e5f', issuedAt: 1_796_000_000_000, expiresAt: 1_798_592_000_000 },
    { id: 'x', userId: 'user with "quotes" and \\ backslash', familyId: 'fam/+=', issuedAt: 0, expiresAt: 1000 },
    { id: 'ünïcödé-jti', userId: 'utilisateur-é-😀', familyId: '', issuedAt: 1_700_000_000_999, expiresAt: 1_700_000_060_999 },
  ];

  for (const issuer of ['http://127.0.0.1', 'https://auth.example.com/tenant/ä']) {
    it(`writes exactly the bytes jose's SignJWT wrote for the same identity (issuer ${issuer})`, async () => {
      const { keyRing: ring, clock } = await keyRing();
      const tokens = new RefreshTokens({ keyRing: ring, clock, issuer, ttlSeconds: 2_592_000 });
      for (const identity of identities) {
        expect(await tokens.sign(identity)).toBe(await signedByJose(ring, issuer, identity));
      }
    });
  }

  it('re-creates a token byte for byte from its stored identity, and the token verifies', async () => {
    const { keyRing: ring, clock } = await keyRing();
    const tokens = new RefreshTokens({ keyRing: ring, clock, issuer: 'http://127.0.0.1', ttlSeconds: 2_592_000 });
    const identity = { ...tokens.mint(), userId: 'u-1', familyId: 'f-1' };
    const token = await tokens.sign(identity);
    expect(await tokens.sign(identity)).toBe(token);
    expect(await tokens.verify(token)).toEqual({ jti: identity.id, sub: 'u-1', fid: 'f-1' });
  });
});
