import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { createSigner } from 'fast-jwt';
import { SignJWT, type JWK } from 'jose';

export const ISSUER = 'https://auth.example.com';
export const AUDIENCE = 'orders-api';

export interface Stub {
  url: string;
  close(): Promise<void>;
}

/** A real HTTP server on a free local port, answering with `handler`. */
export async function startStub(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<Stub> {
  const server: Server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A port nothing listens on: one just given up by a server. */
export async function closedPort(): Promise<number> {
  const stub = await startStub(() => undefined);
  await stub.close();
  return Number(new URL(stub.url).port);
}

export interface JwksStub extends Stub {
  jwksUri: string;
  /** The keys the document lists from now on. */
  publish(keys: JWK[]): void;
  /** Requests for the document so far. */
  readonly fetches: number;
  /** The most requests ever under way at once. */
  readonly mostAtOnce: number;
}

/** A JWKS served by a real server, whose keys a test changes as it goes; each answer takes `delayMs`. */
export async function jwksStub(keys: JWK[], { delayMs = 20 } = {}): Promise<JwksStub> {
  let published = keys;
  let fetches = 0;
  let underWay = 0;
  let mostAtOnce = 0;
  const stub = await startStub((_req, res) => {
    fetches += 1;
    underWay += 1;
    mostAtOnce = Math.max(mostAtOnce, underWay);
    setTimeout(() => {
      underWay -= 1;
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: published }));
    }, delayMs);
  });
  return {
    ...stub,
    jwksUri: `${stub.url}/.well-known/jwks.json`,
    publish: (next) => (published = next),
    get fetches() {
      return fetches;
    },
    get mostAtOnce() {
      return mostAtOnce;
    },
  };
}

const claims = (over: Record<string, unknown> = {}) => {
  const now = Math.floor(Date.now() / 1000);
  return { sub: 'u1', role: 'user', jti: `j-${Math.random().toString(36).slice(2)}`, iss: ISSUER, aud: AUDIENCE, iat: now, exp: now + 900, ...over };
};

export interface TestKey {
  kid: string;
  /** The public JWK, as a JWKS lists it. */
  jwk: JWK;
  /** An access token signed with this key. */
  sign(over?: Record<string, unknown>): Promise<string>;
}

/** An RSA key of `bits` (RS256; or `pair`, under another kid), signing with fast-jwt, which, unlike jose, signs with keys under 2048 bits too. */
export function rsaKey(kid: string, bits = 2048, pair = generateKeyPairSync('rsa', { modulusLength: bits })): TestKey & { privateKey: KeyObject } {
  const { publicKey, privateKey } = pair;
  const signer = createSigner({ key: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string, algorithm: 'RS256', kid, header: { typ: 'at+jwt' } } as never) as (payload: object) => string;
  return {
    kid,
    privateKey,
    jwk: { ...publicKey.export({ format: 'jwk' }), kid, alg: 'RS256', use: 'sig' } as JWK,
    sign: async (over) => signer(claims(over)),
  };
}

/** An access token HMAC'd (HS256) with `secret` under `kid`. */
export function hmacToken(secret: Uint8Array, kid: string, over: Record<string, unknown> = {}): Promise<string> {
  return new SignJWT(claims(over)).setProtectedHeader({ alg: 'HS256', kid, typ: 'at+jwt' }).sign(secret);
}

/** What a promise settles to: 'accepted', or the refusal's code and reason. */
export const outcome = (promise: Promise<unknown>): Promise<string> =>
  promise.then(
    () => 'accepted',
    (error: { code?: string; reason?: string }) => [error.code, error.reason].filter(Boolean).join(' '),
  );
