import express from 'express';
import session from 'express-session';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_PASSWORD, startTestServer, type TestServer } from '../support/tessera.js';

const DOCS = resolve(import.meta.dirname, '../../../../docs');
const EXAMPLE_FILE = resolve(DOCS, 'examples/tessera-hand-off.mjs');

type HandOffExample = (options: { tesseraUrl: string; clientId: string; clientSecret: string }) => express.Router;

declare module 'express-session' {
  interface SessionData {
    user: { username: string };
  }
}

/**
 * docs/bring-your-users.md's hand-off, run as written: the team's own Express app with express-session
 * signs a user in itself, mounts docs/examples/tessera-hand-off.mjs, and its client trades the app's
 * session for a Tessera token pair — then calls a real Tessera's API with the access token.
 */
describe('the Express session hand-off example (docs/examples/tessera-hand-off.mjs)', () => {
  let tessera: TestServer;
  let app: Server;
  let appUrl: string;

  beforeAll(async () => {
    tessera = await startTestServer({ AUTH_RATE_LIMIT: '0' });
    await tessera.tessera.users.create({ username: 'alice', password: TEST_PASSWORD, role: 'user' });
    const { service, clientSecret } = await tessera.tessera.admin.services.add('webapp', null, { id: 'cli' });
    await tessera.tessera.admin.services.setTokenExchange('webapp', true, { id: 'cli' });

    const { tesseraHandOff } = (await import(EXAMPLE_FILE)) as { tesseraHandOff: HandOffExample };
    const team = express();
    team.use(session({ secret: 'the team app session secret', resave: false, saveUninitialized: false }));
    // The team's own login, as it was before Tessera: it knows its users and keeps them in its session.
    team.post('/login', express.json(), (req, res) => {
      req.session.user = { username: req.body.username };
      res.sendStatus(204);
    });
    team.use(tesseraHandOff({ tesseraUrl: tessera.url, clientId: service.clientId, clientSecret }));
    app = createServer(team);
    await new Promise<void>((done) => app.listen(0, '127.0.0.1', done));
    appUrl = `http://127.0.0.1:${(app.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((done) => app?.close(done));
    await tessera?.stop();
  });

  it('gives the user signed in to the Express app a token pair, with which the client calls GET /api/users', async () => {
    const signedIn = await fetch(`${appUrl}/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'alice' }) });
    expect(signedIn.status).toBe(204);
    const cookie = signedIn.headers.get('set-cookie')!.split(';')[0]!;

    const handOff = await fetch(`${appUrl}/tessera/hand-off`, { method: 'POST', headers: { cookie } });
    expect(handOff.status).toBe(200);
    expect(handOff.headers.get('cache-control')).toBe('no-store');
    const pair = (await handOff.json()) as { access_token: string; refresh_token: string };
    expect(pair.refresh_token).toEqual(expect.any(String));

    const users = await fetch(`${tessera.url}/api/users`, { headers: { authorization: `Bearer ${pair.access_token}` } });
    expect(users.status).toBe(200);
  });

  it('refuses a client that is not signed in to the app, and passes on Tessera\'s refusal of a user outside the rollout', async () => {
    expect((await fetch(`${appUrl}/tessera/hand-off`, { method: 'POST' })).status).toBe(401);
    await tessera.tessera.rollout.setPercent(0);
    try {
      const signedIn = await fetch(`${appUrl}/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'alice' }) });
      const cookie = signedIn.headers.get('set-cookie')!.split(';')[0]!;
      const handOff = await fetch(`${appUrl}/tessera/hand-off`, { method: 'POST', headers: { cookie } });
      expect(handOff.status).toBe(403);
      expect(((await handOff.json()) as { error: string }).error).toBe('jwt_not_enabled');
    } finally {
      await tessera.tessera.rollout.resetPercent();
    }
  });

  it('is quoted in docs/bring-your-users.md exactly as the file run here', () => {
    const guide = readFileSync(resolve(DOCS, 'bring-your-users.md'), 'utf8');
    expect(guide).toContain('```js\n' + readFileSync(EXAMPLE_FILE, 'utf8') + '```');
  });
});
