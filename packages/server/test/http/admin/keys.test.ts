import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKGROUND } from '../../../src/tessera.js';
import { adminClient, apiStatus, type AdminClient } from '../../support/admin.js';
import { createUser, loginTokens, refresh, startTestInstance, type TestInstance, type TokenPairBody } from '../../support/tessera.js';

const kidOf = (token: string) => decodeProtectedHeader(token).kid;
const MINUTE = 60_000;

describe('admin API: signing keys', () => {
  let t: TestInstance;
  let root: AdminClient;
  const jwks = async () => (await t.app.inject({ url: '/.well-known/jwks.json' })).json<{ keys: Array<{ kid: string }> }>();

  beforeAll(async () => {
    t = await startTestInstance({ AUTH_RATE_LIMIT: '0', TOKEN_EXPIRY: '600' });
    root = await adminClient(t);
    await createUser(t.tessera, 'sam');
  });
  afterAll(() => t.close());

  it('lists the active access and refresh keys', async () => {
    const response = await root.call({ url: '/admin/keys' });
    expect(response.statusCode).toBe(200);
    const keys = response.json<Array<Record<string, unknown>>>();
    expect(keys.map((k) => [k.use, k.alg, k.state, k.retires_at])).toEqual([
      ['access', 'RS256', 'active', null],
      ['refresh', 'HS256', 'active', null],
    ]);
    expect(keys[0]!.kid).toBe(kidOf(root.token));
    expect(response.body).not.toMatch(/sealed|"d"/);
  });

  it('rotates without logging anyone out; the old key verifies until its tokens expire, then retires by itself', async () => {
    const before: TokenPairBody = await loginTokens(t.app, 'sam');
    const oldKid = kidOf(before.access_token);

    const response = await root.call({ method: 'POST', url: '/admin/keys/rotate' });
    expect(response.statusCode).toBe(201);
    const rotated = response.json();
    expect(rotated).toEqual({
      kid: expect.any(String),
      use: 'access',
      alg: 'RS256',
      created_at: new Date(t.clock.now()).toISOString(),
      previous_kid: oldKid,
      previous_retires_at: new Date(t.clock.now() + 600_000 + MINUTE).toISOString(),
    });

    // A new key signs from the moment of rotation…
    const after = await loginTokens(t.app, 'sam');
    expect(kidOf(after.access_token)).toBe(rotated.kid);
    // …and what the old key signed still works, and third parties can still verify it.
    expect(await apiStatus(t, before.access_token)).toBe(200);
    expect((await jwks()).keys.map((k) => k.kid).sort()).toEqual([oldKid, rotated.kid].sort());
    await jwtVerify(before.access_token, createLocalJWKSet(await jwks()), { currentDate: new Date(t.clock.now()) });
    const listed = (await root.call({ url: '/admin/keys' })).json<Array<{ kid: string; state: string }>>();
    expect(listed.find((k) => k.kid === oldKid)!.state).toBe('retiring');

    // Once every token the old key signed has expired, it leaves the JWKS at the next key reload.
    t.clock.advance(600_000 + MINUTE + 1);
    await t.tessera.keyRing.reload();
    expect((await jwks()).keys.map((k) => k.kid)).toEqual([rotated.kid]);
    expect(BACKGROUND.keyReloadMs).toBe(5_000);

    const [event] = await t.tessera.audit.query({ type: 'admin.key.rotate', limit: 1 });
    expect(event).toMatchObject({ actor: root.admin.id, detail: { use: 'access', kid: rotated.kid, previousKid: oldKid } });
  });

  it('rotates the refresh-token key too, and refresh tokens signed with the old one still work', async () => {
    const admin = await loginTokens(t.app, 'root');
    const call = (body?: object) =>
      t.app.inject({
        method: 'POST',
        url: '/admin/keys/rotate',
        headers: { authorization: `Bearer ${admin.access_token}` },
        ...(body ? { payload: body } : {}),
      });
    const before = await loginTokens(t.app, 'sam');
    const response = await call({ use: 'refresh' });
    expect(response.json()).toMatchObject({ use: 'refresh', alg: 'HS256', previous_kid: kidOf(before.refresh_token) });
    const after = await loginTokens(t.app, 'sam');
    expect(kidOf(after.refresh_token)).toBe(response.json().kid);
    expect((await refresh(t.app, before.refresh_token)).statusCode).toBe(200);
    expect((await call({ use: 'signing' })).json().error_description).toBe('body.use must be equal to one of the allowed values');
  });
});
