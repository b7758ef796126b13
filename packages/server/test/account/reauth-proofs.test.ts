import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReauthCredential } from '../../src/account/reauth-proofs.js';
import { createUser, startTestInstance, type TestInstance } from '../support/tessera.js';

describe('re-authentication of a legacy session', () => {
  let t: TestInstance;
  let userId: string;
  beforeAll(async () => {
    t = await startTestInstance();
    userId = (await createUser(t.tessera, 'sam', 'admin')).id;
  });
  afterAll(() => t.close());

  const session = (sessionId: string, loggedInAgoSeconds: number): ReauthCredential => ({
    via: 'session',
    sessionId,
    userId,
    authTime: t.clock.now() - loggedInAgoSeconds * 1000,
  });

  it("counts the session's login as the password: recent within REAUTH_MAX_AGE, then a proof is needed", async () => {
    await expect(t.tessera.reauthProofs.requireRecent(session('s1', 300), undefined)).resolves.toBeUndefined();
    await expect(t.tessera.reauthProofs.requireRecent(session('s1', 301), undefined)).rejects.toMatchObject({ code: 'reauth_required' });
  });

  it('accepts a proof made with the same session only', async () => {
    const { token } = await t.tessera.reauthProofs.issue(session('s1', 3600));
    await expect(t.tessera.reauthProofs.requireRecent(session('s1', 3600), token)).resolves.toBeUndefined();
    await expect(t.tessera.reauthProofs.requireRecent(session('s2', 3600), token)).rejects.toMatchObject({ code: 'reauth_required' });
  });

  it('gives no proof to an access token that belongs to no login (a service token)', async () => {
    const credential: ReauthCredential = { via: 'jwt', jti: 'not-a-login', userId, authTime: undefined };
    await expect(t.tessera.reauthProofs.issue(credential)).rejects.toMatchObject({ code: 'reauth_required' });
  });

  it("refuses a session's proof for an access token, and a token's proof for a session", async () => {
    const { token: sessionProof } = await t.tessera.reauthProofs.issue(session('s1', 3600));
    const jwt: ReauthCredential = { via: 'jwt', jti: 'j', userId, authTime: undefined };
    await expect(t.tessera.reauthProofs.requireRecent(jwt, sessionProof)).rejects.toMatchObject({ code: 'reauth_required' });
  });
});
