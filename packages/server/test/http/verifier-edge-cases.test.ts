import { SignJWT, base64url, decodeProtectedHeader } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toSeconds } from '../../src/clock.js';
import { CLOCK_LEEWAY_SECONDS } from '@tessera/contract';
import { createUser, getUsers, loginTokens, refresh, startTestInstance, type TestInstance } from '../support/tessera.js';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** The same bytes spelled differently: the last character's unused low bit set. */
function flipPaddingBit(part: string): string {
  const last = ALPHABET.indexOf(part.at(-1)!);
  return part.slice(0, -1) + ALPHABET[last ^ 1];
}

function withSignature(token: string, change: (signature: string) => string): string {
  const [header, payload, signature] = token.split('.');
  return `${header}.${payload}.${change(signature!)}`;
}

const me = (t: TestInstance, token: string) => t.app.inject({ method: 'GET', url: '/api/me', headers: { authorization: `Bearer ${token}` } });

describe('access tokens signed with our own key but never issued like that', () => {
  let t: TestInstance;
  let claims: Record<string, unknown>;
  let now: number;

  beforeAll(async () => {
    t = await startTestInstance({ AUTH_RATE_LIMIT: '0', TOKEN_EXPIRY: '900' });
    await createUser(t.tessera, 'mallory');
    const { access_token } = await loginTokens(t.app, 'mallory');
    claims = JSON.parse(Buffer.from(access_token.split('.')[1]!, 'base64url').toString());
    now = toSeconds(t.clock.now());
  });
  afterAll(() => t.close());

  const sign = async (times: { iat: number; exp: number }) => {
    const { kid, alg, key } = t.tessera.keyRing.signingKey('access');
    return new SignJWT({ ...claims, ...times }).setProtectedHeader({ alg, kid, typ: 'at+jwt' }).sign(key);
  };

  it('refuses a token issued further in the future than the clock leeway', async () => {
    const iat = now + CLOCK_LEEWAY_SECONDS + 60;
    const response = await getUsers(t.app, await sign({ iat, exp: iat + 900 }));
    expect(response.statusCode).toBe(401);
    expect(response.json()).toMatchObject({ error: 'invalid_token', error_description: expect.stringMatching(/issued in the future/) });
  });

  it("accepts a token issued within the clock leeway ahead of this server's clock", async () => {
    const iat = now + CLOCK_LEEWAY_SECONDS - 5;
    expect((await getUsers(t.app, await sign({ iat, exp: iat + 900 }))).statusCode).toBe(200);
  });

  it('refuses a token that lives longer than TOKEN_EXPIRY, such as 31 years', async () => {
    const response = await getUsers(t.app, await sign({ iat: now, exp: now + 31 * 365 * 86_400 }));
    expect(response.statusCode).toBe(401);
    expect(response.json().error_description).toMatch(/longer lifetime/);
  });

  it('answers 401, never a server error, whatever times the token claims', async () => {
    const huge = 2 ** 53;
    const cases = [
      { iat: now, exp: huge },
      { iat: huge - 900, exp: huge },
      { iat: -huge, exp: now + 60 },
      { iat: now, exp: 1e308 },
    ];
    for (const times of cases) {
      const token = await sign(times);
      for (const response of [await me(t, token), await getUsers(t.app, token)]) {
        expect(response.statusCode).toBe(401);
        expect(response.json().error).toBe('invalid_token');
      }
    }
  });
});

describe('token strings are accepted only as they were issued', () => {
  let t: TestInstance;
  beforeAll(async () => {
    t = await startTestInstance({ AUTH_RATE_LIMIT: '0' });
    await createUser(t.tessera, 'trudy');
  });
  afterAll(() => t.close());

  it('refuses an access token whose signature has a flipped padding bit', async () => {
    const { access_token } = await loginTokens(t.app, 'trudy');
    const variant = withSignature(access_token, flipPaddingBit);
    expect(base64url.decode(variant.split('.')[2]!)).toEqual(base64url.decode(access_token.split('.')[2]!));
    const response = await getUsers(t.app, variant);
    expect(response.statusCode).toBe(401);
    expect(response.json().error_description).toMatch(/malformed/);
  });

  it('refuses a token one character away from one it has accepted, wherever that character is', async () => {
    // One issued here (remembered when signed) and one signed elsewhere with our key (remembered once
    // verified twice: a first verification leaves only a mark).
    const issued = (await loginTokens(t.app, 'trudy')).access_token;
    const claims = JSON.parse(Buffer.from(issued.split('.')[1]!, 'base64url').toString()) as Record<string, unknown>;
    const { kid, alg, key } = t.tessera.keyRing.signingKey('access');
    const elsewhere = await new SignJWT({ ...claims, jti: 'signed-elsewhere' }).setProtectedHeader({ alg, kid, typ: 'at+jwt' }).sign(key);
    for (const token of [issued, elsewhere]) {
      expect((await getUsers(t.app, token)).statusCode).toBe(200);
      expect((await getUsers(t.app, token)).statusCode).toBe(200);
      // The signature's end (what the server finds remembered tokens by) stays; one character before it changes.
      for (const at of [5, token.indexOf('.') + 8, token.lastIndexOf('.') + 8]) {
        const variant = token.slice(0, at) + (token[at] === 'A' ? 'B' : 'A') + token.slice(at + 1);
        const response = await getUsers(t.app, variant);
        expect(response.statusCode, `character ${at}`).toBe(401);
        expect(response.json().error).toBe('invalid_token');
      }
      expect((await getUsers(t.app, token)).statusCode).toBe(200);
    }
  });

  it('refuses an access token with a space inside its signature', async () => {
    const { access_token } = await loginTokens(t.app, 'trudy');
    const variant = withSignature(access_token, (signature) => `${signature.slice(0, 20)} ${signature.slice(20)}`);
    expect((await getUsers(t.app, variant)).statusCode).toBe(401);
  });

  it('refuses to log out with a respelled refresh token instead of answering logged_out while its family lives on', async () => {
    const { refresh_token } = await loginTokens(t.app, 'trudy');
    const variant = withSignature(refresh_token, flipPaddingBit);
    const logout = await t.app.inject({ method: 'POST', url: '/auth/logout', payload: { refresh_token: variant } });
    expect(logout.statusCode).toBe(401);
    expect(logout.json().error).toBe('invalid_grant');
    expect((await refresh(t.app, variant)).statusCode).toBe(401);
    // The genuine spelling still names the live family, and logging out with it ends that family.
    expect((await t.app.inject({ method: 'POST', url: '/auth/logout', payload: { refresh_token } })).statusCode).toBe(200);
    expect((await refresh(t.app, refresh_token)).json().error).toBe('invalid_grant');
  });
});

describe('ES256 signatures, which have two valid forms', () => {
  let t: TestInstance;
  beforeAll(async () => {
    t = await startTestInstance({ AUTH_RATE_LIMIT: '0', JWT_ALGORITHM: 'ES256' });
    await createUser(t.tessera, 'eve');
  });
  afterAll(() => t.close());

  /** ECDSA's (r, n − s) verifies wherever (r, s) does. */
  const highS = (signature: string) => {
    const order = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;
    const bytes = base64url.decode(signature);
    const s = BigInt(`0x${Buffer.from(bytes.slice(32)).toString('hex')}`);
    const flipped = Buffer.from((order - s).toString(16).padStart(64, '0'), 'hex');
    return base64url.encode(Buffer.concat([bytes.slice(0, 32), flipped]));
  };

  it('logging out with the other form of an access token ends the family of the original', async () => {
    const { access_token, refresh_token } = await loginTokens(t.app, 'eve');
    expect(decodeProtectedHeader(access_token).alg).toBe('ES256');
    const variant = withSignature(access_token, highS);
    expect(variant).not.toBe(access_token);
    const logout = await t.app.inject({ method: 'POST', url: '/auth/logout', headers: { authorization: `Bearer ${variant}` } });
    expect(logout.statusCode).toBe(200);
    expect((await getUsers(t.app, access_token)).json().error_description).toMatch(/revoked/);
    expect((await getUsers(t.app, variant)).statusCode).toBe(401);
    expect((await refresh(t.app, refresh_token)).statusCode).toBe(401);
  });
});
