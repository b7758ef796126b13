import { setTimeout as sleep } from 'node:timers/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createVerifier, type FeedDownPolicy, type FeedStatus, type Verifier } from '../src/index.js';
import { AUDIENCE, ISSUER, jwksStub, outcome, rsaKey, startStub, type JwksStub, type TestKey } from './support/stub-issuer.js';

const closers: Array<() => unknown> = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

let key: TestKey;
let jwks: JwksStub;
beforeAll(async () => {
  key = rsaKey('k1');
  jwks = await jwksStub([key.jwk]);
  return () => jwks.close();
});

/** A revocation feed served by a real server: `handler` decides what each connection gets. */
async function feed(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<{ url: string; readonly connections: number }> {
  let connections = 0;
  const stub = await startStub((req, res) => {
    connections += 1;
    handler(req, res);
  });
  closers.push(() => stub.close());
  return {
    url: `${stub.url}/auth/revocations`,
    get connections() {
      return connections;
    },
  };
}

/** Answers the headers of an event stream, then a heartbeat comment every 50 ms, and never an event. */
function onlyHeartbeats(_req: IncomingMessage, res: ServerResponse): void {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store' });
  res.write(': heartbeat\n\n');
  const beat = setInterval(() => res.write(': heartbeat\n\n'), 50);
  res.on('close', () => clearInterval(beat));
}

function verifier(feedUrl: string, onFeedDown: FeedDownPolicy, statuses: string[] = []): Verifier {
  const created = createVerifier({
    issuer: ISSUER,
    audience: AUDIENCE,
    jwksUri: jwks.jwksUri,
    feedUrl,
    feedCredentials: 'service-token',
    onFeedDown,
    feedConnectTimeoutMs: 300,
    onFeedStatus: (status: FeedStatus, reason?: string) => statuses.push(`${status}: ${reason ?? ''}`),
  });
  closers.push(() => created.close());
  return created;
}

describe('the revocation feed’s first connection never leaves verifications waiting for ever', () => {
  it('a feed that never answers the request: after feedConnectTimeoutMs the feed is down, and onFeedDown decides (verify locally, or 503)', { timeout: 5_000 }, async () => {
    const silent = await feed(() => undefined);
    const statuses: string[] = [];
    const local = verifier(silent.url, 'verify-locally', statuses);
    const strict = verifier(silent.url, 'refuse');
    const token = await key.sign();
    await expect(local.verify(token)).resolves.toMatchObject({ sub: 'u1' });
    await expect(strict.verify(token)).rejects.toMatchObject({ code: 'temporarily_unavailable' });
    expect(local.feedStatus).toBe('down');
    expect(statuses[0]).toMatch(/^down: the revocation feed sent no event within 300 ms/);
  });

  it('a feed that answers the headers and then only heartbeat comments: the comments do not count, the feed is down and onFeedDown decides', { timeout: 5_000 }, async () => {
    const chatty = await feed(onlyHeartbeats);
    const local = verifier(chatty.url, 'verify-locally');
    const strict = verifier(chatty.url, 'refuse');
    const token = await key.sign();
    await expect(local.verify(token)).resolves.toMatchObject({ sub: 'u1' });
    await expect(strict.verify(token)).rejects.toMatchObject({ code: 'temporarily_unavailable' });
    expect(local.feedStatus).toBe('down');
    await expect(local.ready()).resolves.toBeUndefined();
  });

  it('credentials that never come: after feedConnectTimeoutMs the feed is down, the request for them is told to give up, they are asked for again, and the feed goes live once they come', { timeout: 5_000 }, async () => {
    const live = await feed((req, res) => {
      onlyHeartbeats(req, res);
      res.write(`id: 1.1\nevent: snapshot\ndata: ${JSON.stringify({ tokens: [], users: [], keys: [] })}\n\n`);
    });
    let asked = 0;
    const signals: AbortSignal[] = [];
    const v = createVerifier({
      issuer: ISSUER,
      audience: AUDIENCE,
      jwksUri: jwks.jwksUri,
      feedUrl: live.url,
      // The first request for a service token hangs (its issuer stopped answering); the second is answered.
      feedCredentials: (signal) => {
        signals.push(signal);
        return (asked += 1) === 1 ? new Promise<string>(() => undefined) : Promise.resolve('service-token');
      },
      onFeedDown: 'refuse',
      feedConnectTimeoutMs: 300,
    });
    closers.push(() => v.close());
    expect(await outcome(v.verify(await key.sign()))).toBe('temporarily_unavailable');
    for (let waited = 0; v.feedStatus !== 'live' && waited < 4_000; waited += 20) await sleep(20);
    expect(v.feedStatus).toBe('live');
    expect(asked).toBe(2);
    // The hung request was told to give up with its attempt, so it could end its own request.
    expect(signals.map((signal) => signal.aborted)).toEqual([true, false]);
    expect(await outcome(v.verify(await key.sign()))).toBe('accepted');
  });

  it('a feed whose snapshot arrives is live, applies it, and its heartbeats then keep it live past feedConnectTimeoutMs on one connection', { timeout: 5_000 }, async () => {
    const revoked = await key.sign({ jti: 'revoked-jti' });
    const live = await feed((req, res) => {
      onlyHeartbeats(req, res);
      const exp = Math.floor(Date.now() / 1000) + 900;
      res.write(`id: 1.1\nevent: snapshot\ndata: ${JSON.stringify({ tokens: [{ jti: 'revoked-jti', exp }], users: [], keys: [] })}\n\n`);
    });
    const v = verifier(live.url, 'refuse');
    expect(await outcome(v.verify(revoked))).toBe('invalid_token revoked');
    expect(await outcome(v.verify(await key.sign()))).toBe('accepted');
    await sleep(600);
    expect(v.feedStatus).toBe('live');
    expect(await outcome(v.verify(await key.sign()))).toBe('accepted');
    expect(live.connections).toBe(1);
  });
});
