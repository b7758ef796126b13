import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SignJWT, base64url, decodeProtectedHeader, exportJWK, exportSPKI, generateKeyPair, importJWK, type CryptoKey } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createUser,
  getUsers,
  loginTokens,
  refresh,
  startTestInstance,
  startTestServer,
  type TestInstance,
  type TestServer,
  type TokenPairBody,
} from '../support/tessera.js';

/** Every attack in docs/security/jwt-best-practices.md, made by a client and refused by the server. */
describe('attacks on access tokens', () => {
  let t: TestInstance;
  let genuine: TokenPairBody;
  let kid: string;
  let claims: Record<string, unknown>;

  beforeAll(async () => {
    t = await startTestInstance({ AUTH_RATE_LIMIT: '0' });
    await createUser(t.tessera, 'mallory');
    genuine = await loginTokens(t.app, 'mallory');
    kid = decodeProtectedHeader(genuine.access_token).kid!;
    claims = JSON.parse(Buffer.from(genuine.access_token.split('.')[1]!, 'base64url').toString());
  });
  afterAll(() => t.close());

  const encode = (part: object) => base64url.encode(JSON.stringify(part));
  const expectRefused = async (token: string, description?: RegExp) => {
    const response = await getUsers(t.app, token);
    expect(response.statusCode).toBe(401);
    expect(response.json().error).toBe('invalid_token');
    if (description) expect(response.json().error_description).toMatch(description);
  };

  it('refuses alg "none" even with our kid', async () => {
    for (const alg of ['none', 'None', 'NONE']) {
      await expectRefused(`${encode({ alg, typ: 'at+jwt', kid })}.${encode({ ...claims, role: 'admin' })}.`);
    }
  });

  it('refuses an HS256 token keyed with our public key (RS/HS confusion)', async () => {
    const publicJwk = t.tessera.keyRing.jwks().keys.find((k) => k.kid === kid)!;
    const pem = await exportSPKI((await importJWK(publicJwk, 'RS256')) as CryptoKey);
    const forged = await new SignJWT({ ...claims, role: 'admin' })
      .setProtectedHeader({ alg: 'HS256', typ: 'at+jwt', kid })
      .sign(new TextEncoder().encode(pem));
    await expectRefused(forged, /algorithm/);
  });

  it('refuses a token signed by a foreign key that claims our kid', async () => {
    const { privateKey } = await generateKeyPair('RS256');
    const forged = await new SignJWT({ ...claims, role: 'admin' }).setProtectedHeader({ alg: 'RS256', typ: 'at+jwt', kid }).sign(privateKey);
    await expectRefused(forged, /signature/);
  });

  it('refuses a genuine token whose payload was edited', async () => {
    const [header, , signature] = genuine.access_token.split('.');
    await expectRefused(`${header}.${encode({ ...claims, role: 'admin' })}.${signature}`, /signature/);
  });

  it('refuses kid values that try path traversal, SQL or absurd lengths', async () => {
    const { privateKey } = await generateKeyPair('RS256');
    for (const evil of ['../../../../dev/null', "' OR '1'='1", 'x'.repeat(5000), '']) {
      const forged = await new SignJWT(claims).setProtectedHeader({ alg: 'RS256', typ: 'at+jwt', kid: evil }).sign(privateKey);
      await expectRefused(forged);
    }
    const numericKid = `${encode({ alg: 'RS256', typ: 'at+jwt', kid: 42 })}.${encode(claims)}.c2ln`;
    await expectRefused(numericKid);
  });

  describe('keys named by the token itself', () => {
    let fetches = 0;
    let keyServer: Server;
    let keyUrl: string;
    beforeAll(async () => {
      keyServer = createServer((_request, response) => {
        fetches += 1;
        response.end('{"keys":[]}');
      });
      await new Promise<void>((resolve) => keyServer.listen(0, '127.0.0.1', resolve));
      keyUrl = `http://127.0.0.1:${(keyServer.address() as AddressInfo).port}/jwks.json`;
    });
    afterAll(() => new Promise<void>((resolve) => keyServer.close(() => resolve())));

    it('refuses jku, x5u, jwk and x5c headers and never fetches what they point at', async () => {
      const { privateKey, publicKey } = await generateKeyPair('RS256');
      const attackerJwk = { ...(await exportJWK(publicKey)), kid };
      const headers = [{ jku: keyUrl }, { x5u: keyUrl }, { jwk: attackerJwk }, { x5c: ['MIIB'] }];
      for (const extra of headers) {
        const forged = await new SignJWT({ ...claims, role: 'admin' })
          .setProtectedHeader({ alg: 'RS256', typ: 'at+jwt', kid, ...extra })
          .sign(privateKey);
        await expectRefused(forged, /jku, jwk, x5u or x5c/);
      }
      expect(fetches).toBe(0);
    });
  });

  it('refuses a refresh token presented as an access token', async () => {
    await expectRefused(genuine.refresh_token);
  });

  it('refuses an access token presented as a refresh token', async () => {
    const response = await refresh(t.app, genuine.access_token);
    expect(response.statusCode).toBe(401);
    expect(response.json().error).toBe('invalid_grant');
  });

  it('refuses our own signature on a token without the at+jwt type', async () => {
    const { key } = t.tessera.keyRing.signingKey('access');
    const untyped = await new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid }).sign(key);
    await expectRefused(untyped, /not an access token/);
  });

  it('refuses our own signature for another audience or issuer', async () => {
    const { key } = t.tessera.keyRing.signingKey('access');
    for (const changed of [{ aud: 'other-api' }, { iss: 'someone-else' }]) {
      const token = await new SignJWT({ ...claims, ...changed }).setProtectedHeader({ alg: 'RS256', typ: 'at+jwt', kid }).sign(key);
      await expectRefused(token, /not issued for this API/);
    }
  });

  it('refuses our own signature on a token missing a required claim', async () => {
    const { key } = t.tessera.keyRing.signingKey('access');
    const { role: _role, ...withoutRole } = claims;
    const token = await new SignJWT(withoutRole).setProtectedHeader({ alg: 'RS256', typ: 'at+jwt', kid }).sign(key);
    await expectRefused(token);
  });

  it('refuses unknown critical header parameters', async () => {
    // jose will not even sign such a header, so the signature is made directly with our key.
    const { key } = t.tessera.keyRing.signingKey('access');
    const input = `${encode({ alg: 'RS256', typ: 'at+jwt', kid, crit: ['exp-v2'], 'exp-v2': 1 })}.${encode(claims)}`;
    const signature = await crypto.subtle.sign('RSASSA-PKCS1-v1_5', key as CryptoKey, new TextEncoder().encode(input));
    await expectRefused(`${input}.${base64url.encode(new Uint8Array(signature))}`);
  });

  it('still accepts the genuine token after all of that', async () => {
    expect((await getUsers(t.app, genuine.access_token)).statusCode).toBe(200);
  });
});

describe('attacks on refresh tokens', () => {
  let t: TestInstance;
  beforeAll(async () => {
    t = await startTestInstance({ AUTH_RATE_LIMIT: '0' });
    await createUser(t.tessera, 'trudy');
  });
  afterAll(() => t.close());

  it('refuses a refresh token whose subject was edited', async () => {
    const victim = await createUser(t.tessera, 'victim');
    const { refresh_token } = await loginTokens(t.app, 'trudy');
    const [header, payload, signature] = refresh_token.split('.');
    const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString());
    const edited = Buffer.from(JSON.stringify({ ...claims, sub: victim.id })).toString('base64url');
    const response = await refresh(t.app, `${header}.${edited}.${signature}`);
    expect(response.statusCode).toBe(401);
  });

  it('refuses a refresh token signed with a guessed secret', async () => {
    const { refresh_token } = await loginTokens(t.app, 'trudy');
    const { kid } = decodeProtectedHeader(refresh_token);
    const claims = JSON.parse(Buffer.from(refresh_token.split('.')[1]!, 'base64url').toString());
    const forged = await new SignJWT(claims).setProtectedHeader({ alg: 'HS256', typ: 'rt+jwt', kid: kid! }).sign(new TextEncoder().encode('secret'));
    expect((await refresh(t.app, forged)).statusCode).toBe(401);
  });
});

describe('concurrent refresh with one token (the Keycloak CVE-2026-1035 race)', () => {
  let server: TestServer;
  beforeAll(async () => {
    // Without the reuse grace: with it (the default), racing presentations all get the one successor.
    server = await startTestServer({ AUTH_RATE_LIMIT: '0', REFRESH_REUSE_INTERVAL: '0' });
    await createUser(server.tessera, 'racer');
  });
  afterAll(() => server.stop());

  it('of 20 simultaneous refreshes over real connections, at most one succeeds', async () => {
    const login = await fetch(`${server.url}/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'racer', password: 'correct horse battery' }),
    });
    const { refresh_token } = (await login.json()) as TokenPairBody;
    const responses = await Promise.all(
      Array.from({ length: 20 }, () =>
        fetch(`${server.url}/auth/refresh`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ refresh_token }),
        }),
      ),
    );
    const statuses = responses.map((r) => r.status);
    expect(statuses.filter((s) => s === 200).length).toBeLessThanOrEqual(1);
    expect(statuses.every((s) => s === 200 || s === 401)).toBe(true);
  });
});
