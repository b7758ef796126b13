import { SignJWT, decodeJwt } from 'jose';
import { afterEach, describe, expect, it } from 'vitest';
import { toSeconds } from '../../src/clock.js';
import { createUser, loginTokens, refresh, startTestInstance, type TestInstance } from '../support/tessera.js';

const me = (t: TestInstance, token: string) => t.app.inject({ method: 'GET', url: '/api/me', headers: { authorization: `Bearer ${token}` } });

/** An access token as releases before the URL issuer signed it: `iss: tessera`, no `client_id`. */
async function tokenOfPreviousRelease(t: TestInstance, userId: string, iss = 'tessera'): Promise<string> {
  const { kid, alg, key } = t.tessera.keyRing.signingKey('access');
  const iat = toSeconds(t.clock.now());
  return new SignJWT({ role: 'user' })
    .setProtectedHeader({ alg, kid, typ: 'at+jwt' })
    .setSubject(userId)
    .setIssuer(iss)
    .setAudience('tessera-api')
    .setJti(`old-${iss.length}-${iat}`)
    .setIssuedAt(iat)
    .setExpirationTime(iat + 900)
    .sign(key);
}

describe('the issuer is PUBLIC_URL, and an upgrade signs nobody out', () => {
  let t: TestInstance | undefined;
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });

  it('issues tokens naming PUBLIC_URL as their issuer and the first-party client', async () => {
    t = await startTestInstance({ AUTH_RATE_LIMIT: '0', PUBLIC_URL: 'https://auth.example.com/' });
    await createUser(t.tessera, 'ursula');
    const { access_token } = await loginTokens(t.app, 'ursula');
    expect(decodeJwt(access_token)).toMatchObject({ iss: 'https://auth.example.com', client_id: 'tessera', aud: 'tessera-api' });
  });

  it('accepts an access token issued under the previous default issuer, without client_id, until it expires', async () => {
    t = await startTestInstance({ AUTH_RATE_LIMIT: '0', PUBLIC_URL: 'https://auth.example.com' });
    const user = await createUser(t.tessera, 'victor');
    const old = await tokenOfPreviousRelease(t, user.id);
    expect((await me(t, old)).statusCode).toBe(200);
    t.clock.advance(901_000);
    expect((await me(t, old)).json()).toMatchObject({ error: 'invalid_token', error_description: 'The access token has expired' });
  });

  it('accepts a refresh token issued under the previous default issuer', async () => {
    const before = await startTestInstance({ AUTH_RATE_LIMIT: '0', JWT_ISSUER: 'tessera' });
    try {
      await createUser(before.tessera, 'wendy');
      const { refresh_token } = await loginTokens(before.app, 'wendy');
      // The same database, served by the upgraded release with JWT_ISSUER unset.
      const database = before.config.database.kind === 'sqlite' ? before.config.database.path : '';
      t = await startTestInstance({ AUTH_RATE_LIMIT: '0', DATABASE_URL: `sqlite:${database}` });
      const refreshed = await refresh(t.app, refresh_token);
      expect(refreshed.statusCode, refreshed.body).toBe(200);
      expect(decodeJwt(refreshed.json().access_token).iss).toBe(t.config.issuer);
    } finally {
      await before.close();
    }
  });

  it('refuses any other issuer, and the previous default once JWT_ISSUER is set explicitly', async () => {
    t = await startTestInstance({ AUTH_RATE_LIMIT: '0' });
    const user = await createUser(t.tessera, 'xavier');
    expect((await me(t, await tokenOfPreviousRelease(t, user.id, 'https://evil.example'))).statusCode).toBe(401);
    await t.close();
    t = await startTestInstance({ AUTH_RATE_LIMIT: '0', JWT_ISSUER: 'https://id.example.com' });
    const other = await createUser(t.tessera, 'yvonne');
    const refused = await me(t, await tokenOfPreviousRelease(t, other.id));
    expect(refused.json()).toMatchObject({ error: 'invalid_token', error_description: 'The access token was not issued for this API' });
  });
});
