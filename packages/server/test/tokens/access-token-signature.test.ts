import { ACCESS_TOKEN_TYPE, FIRST_PARTY_CLIENT_ID } from '@tessera/contract';
import { SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { toSeconds } from '../../src/clock.js';
import { AccessTokens, type MintedAccessToken } from '../../src/tokens/access-tokens.js';
import type { KeyRing } from '../../src/tokens/key-ring.js';
import { RevocationList } from '../../src/tokens/revocation-list.js';
import { testKeyRings } from '../support/key-ring.js';

/** How access tokens were signed before: jose's SignJWT, claims in the same order. */
async function signedBySignJwt(
  keyRing: KeyRing,
  issuer: string,
  audience: string,
  user: { id: string; role: string },
  minted: MintedAccessToken,
): Promise<string> {
  const { kid, alg, key } = keyRing.signingKey('access');
  return new SignJWT({
    role: user.role,
    client_id: FIRST_PARTY_CLIENT_ID,
    sub: user.id,
    iss: issuer,
    aud: audience,
    jti: minted.jti,
    iat: toSeconds(minted.issuedAt),
    exp: toSeconds(minted.expiresAt),
    ...(minted.authTime == null ? {} : { auth_time: toSeconds(minted.authTime) }),
  })
    .setProtectedHeader({ alg, kid, typ: ACCESS_TOKEN_TYPE })
    .sign(key);
}

describe('access-token signatures', () => {
  const openKeyRing = testKeyRings('access-signature-secret-7d2b9e4a1c6f0e3b8a5d');

  it("writes exactly the token jose's SignJWT wrote for the same claims, and verifies it", async () => {
    const { keyRing, clock } = await openKeyRing();
    const issuer = 'https://auth.example.com/tenant/ä';
    const audience = 'tessera-api';
    const tokens = new AccessTokens({
      keyRing,
      revocations: new RevocationList(clock),
      clock,
      issuer,
      audience,
      ttlSeconds: 900,
      isRevoked: async () => false,
    });
    const users = [
      { id: 'a3f1c2d4-0b5e-4c6a-9d8e-7f1a2b3c4d5e', role: 'admin' },
      { id: 'utilisateur-é-😀 "quoted" \\', role: 'user' },
    ];
    for (const user of users) {
      for (const authTime of [undefined, clock.now() - 60_000]) {
        const minted = tokens.mint(clock.now(), authTime);
        const token = await tokens.sign(user, minted);
        expect(token).toBe(await signedBySignJwt(keyRing, issuer, audience, user, minted));
        await expect(tokens.verify(token)).resolves.toMatchObject({ sub: user.id, role: user.role, jti: minted.jti });
      }
    }
  });
});
