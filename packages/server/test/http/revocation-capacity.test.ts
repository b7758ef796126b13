import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RevokedAccessToken } from '../../src/tokens/revoked-access-token.js';
import { createUser, getUsers, loginTokens, startTestInstance, type TestInstance } from '../support/tessera.js';

const MILLION = 1_000_000;

/** Logouts elsewhere in the fleet, as the revocation bus delivers them: tokens that expire in 15 minutes. */
function* burst(t: TestInstance, count: number): Generator<RevokedAccessToken[]> {
  const expiresAt = t.clock.now() + 900_000;
  for (let start = 0; start < count; start += 10_000) {
    yield Array.from({ length: Math.min(10_000, count - start) }, (_, i) => ({ jti: `burst-${start + i}`, userId: 'u', expiresAt }));
  }
}

const logout = (t: TestInstance, accessToken: string) =>
  t.app.inject({ method: 'POST', url: '/auth/logout', headers: { authorization: `Bearer ${accessToken}` } });

describe('a burst of a million logouts', () => {
  let t: TestInstance;
  beforeAll(async () => {
    t = await startTestInstance({ AUTH_RATE_LIMIT: '0' });
    await createUser(t.tessera, 'early');
    await createUser(t.tessera, 'late');
  });
  afterAll(() => t.close());

  it('never makes an earlier logout\'s access token valid again, and a logout past the memory cap still holds', async () => {
    const early = await loginTokens(t.app, 'early');
    const late = await loginTokens(t.app, 'late');
    expect((await logout(t, early.access_token)).statusCode).toBe(200);
    for (const batch of burst(t, MILLION)) await t.tessera.revocationFeed.revoked(batch);
    expect((await getUsers(t.app, early.access_token)).json().error_description).toMatch(/revoked/);

    expect((await getUsers(t.app, late.access_token)).statusCode).toBe(200);
    expect((await logout(t, late.access_token)).statusCode).toBe(200);
    // Memory is full: this revocation lives only in the store, which the server now asks.
    expect(t.tessera.revocations.has(decodeJwt(late.access_token).jti!)).toBe(false);
    expect((await getUsers(t.app, late.access_token)).json().error_description).toMatch(/revoked/);
    expect((await getUsers(t.app, early.access_token)).statusCode).toBe(401);
  });
});
