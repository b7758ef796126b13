import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import express from 'express';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { requireAccessToken } from '../src/express.js';
import { createVerifier, type Verifier, type VerifierOptions } from '../src/index.js';
import { AUDIENCE, ISSUER, closedPort, hmacToken, jwksStub, outcome, rsaKey, startStub } from './support/stub-issuer.js';

const closers: Array<() => unknown> = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

function verifier(jwksUri: string, options: Partial<VerifierOptions> = {}): Verifier {
  const created = createVerifier({ issuer: ISSUER, audience: AUDIENCE, jwksUri, ...options });
  closers.push(() => created.close());
  return created;
}

async function jwks(...args: Parameters<typeof jwksStub>) {
  const stub = await jwksStub(...args);
  closers.push(() => stub.close());
  return stub;
}

describe('which keys of the JWKS verify tokens', () => {
  it('never accepts a token HMAC-signed with a symmetric (oct) key the JWKS publishes: that key is unknown', async () => {
    const secret = randomBytes(32);
    const good = rsaKey('good');
    const stub = await jwks([{ kty: 'oct', k: secret.toString('base64url'), alg: 'HS256', kid: 'sym' }, good.jwk]);
    const v = verifier(stub.jwksUri);
    expect(await outcome(v.verify(await hmacToken(secret, 'sym', { role: 'admin' })))).toBe('invalid_token unknown_key');
    // The same secret without `alg`, or claiming to be for signatures, is no better.
    stub.publish([{ kty: 'oct', k: secret.toString('base64url'), kid: 'sym2', use: 'sig' }, good.jwk]);
    expect(await outcome(v.verify(await hmacToken(secret, 'sym2', { role: 'admin' })))).toBe('invalid_token unknown_key');
    expect(await outcome(v.verify(await good.sign()))).toBe('accepted');
  });

  it('refuses tokens signed with RSA keys under 2048 bits (1024 and 512) that the JWKS publishes, and verifies with a 2048-bit one', async () => {
    const [weak, weaker, good] = [rsaKey('rsa-1024', 1024), rsaKey('rsa-512', 512), rsaKey('rsa-2048', 2048)];
    const stub = await jwks([weak.jwk, weaker.jwk, good.jwk]);
    const v = verifier(stub.jwksUri);
    expect(await outcome(v.verify(await weak.sign({ role: 'admin' })))).toBe('invalid_token unknown_key');
    expect(await outcome(v.verify(await weaker.sign({ role: 'admin' })))).toBe('invalid_token unknown_key');
    await expect(v.verify(await good.sign())).resolves.toMatchObject({ sub: 'u1', kid: 'rsa-2048' });
  });

  it('never uses a private key the JWKS publishes, nor a kid it lists twice', async () => {
    const leaked = rsaKey('leaked');
    const [twiceA, twiceB] = [rsaKey('twice'), rsaKey('twice')];
    const privateJwk = { ...leaked.privateKey.export({ format: 'jwk' }), kid: 'leaked', alg: 'RS256', use: 'sig' };
    const stub = await jwks([privateJwk, twiceA.jwk, twiceB.jwk]);
    const v = verifier(stub.jwksUri);
    expect(await outcome(v.verify(await leaked.sign()))).toBe('invalid_token unknown_key');
    expect(await outcome(v.verify(await twiceA.sign()))).toBe('invalid_token unknown_key');
    expect(await outcome(v.verify(await twiceB.sign()))).toBe('invalid_token unknown_key');
  });
});

describe('when the JWKS cannot be fetched', () => {
  it('refuses with 503 temporarily_unavailable naming the JWKS origin, never a 500, when the JWKS is unreachable', async () => {
    const origin = `http://127.0.0.1:${await closedPort()}`;
    const v = verifier(`${origin}/.well-known/jwks.json`);
    const token = await rsaKey('k1').sign();
    await expect(v.verify(token)).rejects.toMatchObject({
      name: 'TesseraError',
      code: 'temporarily_unavailable',
      description: `Tessera's keys cannot be fetched from ${origin} right now; retry shortly`,
    });

    const app = express();
    app.get('/orders', requireAccessToken(v), (_req, res) => void res.json({ ok: true }));
    const server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    closers.push(() => new Promise((resolve) => server.close(resolve)));
    const response = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/orders`, { headers: { authorization: `Bearer ${token}` } });
    expect(response.status).toBe(503);
    expect(response.headers.get('retry-after')).toBe('1');
    expect(await response.json()).toEqual({ error: 'temporarily_unavailable', error_description: `Tessera's keys cannot be fetched from ${origin} right now; retry shortly` });
  });

  it('refuses with 503 when the JWKS answers an error or something that is not a key set', async () => {
    for (const [status, body] of [[500, '{"error":"server_error"}'], [200, '<html>maintenance</html>'], [200, '{"keys":"none"}']] as const) {
      const stub = await startStub((_req, res) => void res.writeHead(status, { 'content-type': 'application/json' }).end(body));
      closers.push(() => stub.close());
      const v = verifier(`${stub.url}/.well-known/jwks.json`);
      expect(await outcome(v.verify(await rsaKey('k1').sign())), `${status} ${body}`).toBe('temporarily_unavailable');
    }
  });

  it('refuses a token with a new kid with 503 while the JWKS is down, and keeps verifying with the keys it holds', async () => {
    const known = rsaKey('known');
    const stub = await jwks([known.jwk]);
    const v = verifier(stub.jwksUri, { jwksMinIntervalMs: 100 });
    expect(await outcome(v.verify(await known.sign()))).toBe('accepted');
    await stub.close();
    expect(await outcome(v.verify(await rsaKey('rotated-in').sign()))).toBe('temporarily_unavailable');
    expect(await outcome(v.verify(await known.sign()))).toBe('accepted');
  });
});

describe('keys rotated in, and kids nobody published', () => {
  it('verifies a key rotated in just after a junk kid was tried, within the short refetch interval, not after a 30 s cooldown', async () => {
    const [current, next] = [rsaKey('current'), rsaKey('next')];
    const stub = await jwks([current.jwk]);
    const v = verifier(stub.jwksUri, { jwksMinIntervalMs: 200 });
    expect(await outcome(v.verify(await current.sign()))).toBe('accepted');
    // An attacker's token naming a kid nobody published: refused, after one fetch to look for it.
    expect(await outcome(v.verify(await rsaKey('junk').sign()))).toBe('invalid_token unknown_key');
    expect(stub.fetches).toBe(2);

    stub.publish([current.jwk, next.jwk]);
    await expect(v.verify(await next.sign())).resolves.toMatchObject({ kid: 'next' });
    expect(stub.fetches).toBe(3);
  });

  it('junk kids cannot make it hammer the JWKS: one fetch at a time, twenty junk kids at once cost at most two, and a kid found missing is not fetched for again', async () => {
    const current = rsaKey('current');
    const stub = await jwks([current.jwk], { delayMs: 100 });
    const v = verifier(stub.jwksUri, { jwksMinIntervalMs: 300 });
    expect(await outcome(v.verify(await current.sign()))).toBe('accepted');
    const pair = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const junk = await Promise.all(Array.from({ length: 20 }, (_, i) => rsaKey(`junk-${i}`, 2048, pair).sign()));
    const outcomes = await Promise.all(junk.map((token) => outcome(v.verify(token))));
    expect(new Set(outcomes)).toEqual(new Set(['invalid_token unknown_key']));
    expect(stub.fetches).toBeLessThanOrEqual(3);
    expect(stub.mostAtOnce).toBe(1);

    const fetched = stub.fetches;
    for (const token of junk) expect(await outcome(v.verify(token))).toBe('invalid_token unknown_key');
    expect(stub.fetches).toBe(fetched);
  });
});

describe('how long fetched keys are trusted', () => {
  it('without the feed, a key removed from the JWKS stops verifying once the keys fetched are jwksMaxAgeMs old', async () => {
    const [revoked, current] = [rsaKey('revoked'), rsaKey('current')];
    const stub = await jwks([revoked.jwk, current.jwk]);
    const v = verifier(stub.jwksUri, { jwksMaxAgeMs: 300, jwksMinIntervalMs: 50 });
    const token = await revoked.sign();
    expect(await outcome(v.verify(token))).toBe('accepted');
    stub.publish([current.jwk]);
    await sleep(400);
    // The token it accepted before, and any new one the removed key signs.
    expect(await outcome(v.verify(token))).toBe('invalid_token unknown_key');
    expect(await outcome(v.verify(await revoked.sign()))).toBe('invalid_token unknown_key');
    expect(await outcome(v.verify(await current.sign()))).toBe('accepted');
  });

  it('waits for the renewal once the keys are jwksMaxAgeMs old even after an earlier failed fetch, so a removed key is refused at once', async () => {
    // Keys and tokens made up front: making an RSA key can take hundreds of milliseconds on a busy
    // machine, and the failed fetch below must fall well within the keys' freshness.
    const [revoked, current, junk] = [rsaKey('revoked'), rsaKey('current'), rsaKey('junk')];
    const [currentToken, junkToken, revokedToken] = await Promise.all([current.sign(), junk.sign(), revoked.sign()]);
    let keys = [revoked.jwk, current.jwk];
    let failNext = false;
    const stub = await startStub((_req, res) => {
      if (failNext) {
        failNext = false;
        res.writeHead(500, { 'content-type': 'application/json' }).end('{}');
        return;
      }
      setTimeout(() => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys })), 50);
    });
    closers.push(() => stub.close());
    const v = verifier(`${stub.url}/.well-known/jwks.json`, { jwksMaxAgeMs: 1_500, jwksMinIntervalMs: 50 });
    expect(await outcome(v.verify(currentToken))).toBe('accepted');
    await sleep(100);
    // One failed fetch while the keys are fresh (a made-up kid looked up during a blip of the issuer).
    failNext = true;
    expect(await outcome(v.verify(junkToken))).toBe('temporarily_unavailable');
    // The issuer is healthy again and the key is removed; once the keys are old, the first verification waits for them.
    keys = [current.jwk];
    await sleep(1_600);
    expect(await outcome(v.verify(revokedToken))).toBe('invalid_token unknown_key');
  });

  it('keeps verifying with the keys it holds when they are jwksMaxAgeMs old but the JWKS cannot be fetched', async () => {
    const key = rsaKey('k1');
    const stub = await jwks([key.jwk]);
    const v = verifier(stub.jwksUri, { jwksMaxAgeMs: 200, jwksMinIntervalMs: 50 });
    expect(await outcome(v.verify(await key.sign()))).toBe('accepted');
    await stub.close();
    await sleep(300);
    expect(await outcome(v.verify(await key.sign()))).toBe('accepted');
    expect(await outcome(v.verify(await key.sign()))).toBe('accepted');
  });
});
