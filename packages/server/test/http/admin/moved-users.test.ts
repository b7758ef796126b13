import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminClient, cliEnvFor, type AdminClient } from '../../support/admin.js';
import { tessera } from '../../support/cli.js';
import { testClockAtRealTime } from '../../support/clock.js';
import { HASHES, IMPORTED_PASSWORD } from '../../passwords/imported-hash-fixtures.js';
import { TEST_PASSWORD, createUser, login, startTestInstance, type TestInstance } from '../../support/tessera.js';

const LEGACY_SECRET = 'old-app-shared-secret-0123456789abcdef';

/**
 * How many users moved over from the team's own app, and how: handed off by token exchange, created by
 * lazy migration, or logged in with an imported hash (re-hashed) — from the admin API and the CLI.
 */
describe('users moved over from the team\'s own app (GET /admin/stats/moved-users, tessera legacy-usage)', () => {
  let t: TestInstance;
  let root: AdminClient;
  let oldApp: Server;

  const handOver = (credentials: { client_id: string; client_secret: string }, username: string) =>
    t.app.inject({
      method: 'POST',
      url: '/oauth/token',
      headers: {
        authorization: `Basic ${Buffer.from(`${credentials.client_id}:${credentials.client_secret}`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      payload: new URLSearchParams({
        grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange',
        subject_token: username,
        subject_token_type: 'urn:tessera:params:oauth:token-type:username',
      }).toString(),
    });

  beforeAll(async () => {
    // The old app says yes to every password: enough to stand in for it here (its contract is tested elsewhere).
    oldApp = createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{"valid": true}'));
    await new Promise<void>((done) => oldApp.listen(0, '127.0.0.1', done));
    const legacyUrl = `http://127.0.0.1:${(oldApp.address() as AddressInfo).port}/check`;
    // At the real time: the CLI counts the last N days on the system clock.
    t = await startTestInstance({ AUTH_RATE_LIMIT: '0', LEGACY_AUTH_URL: legacyUrl, LEGACY_AUTH_SECRET: LEGACY_SECRET }, { clock: testClockAtRealTime() });
    root = await adminClient(t);
    await createUser(t.tessera, 'ada');

    const service = (await root.call({ method: 'POST', url: '/admin/services', payload: { name: 'webapp' } })).json();
    await root.call({ method: 'PUT', url: '/admin/services/webapp/token-exchange', payload: { enabled: true } });
    // Lazy migration: newbie is unknown here, the old app vouches for the password.
    expect((await login(t.app, 'newbie', 'whatever the old app knew')).statusCode).toBe(200);
    // Handed off: ada twice (counted once) and newbie, who also came by lazy migration.
    for (const username of ['ada', 'ada', 'newbie']) expect((await handOver(service, username)).statusCode).toBe(200);
    // Imported with a bcrypt hash, then logged in: re-hashed.
    await root.call({ method: 'POST', url: '/admin/users/import', payload: { users: [{ username: 'bea', password_hash: HASHES.bcrypt2b }] } });
    expect((await login(t.app, 'bea', IMPORTED_PASSWORD)).statusCode).toBe(200);
    // An ordinary login moves nobody.
    await createUser(t.tessera, 'cal');
    expect((await login(t.app, 'cal', TEST_PASSWORD)).statusCode).toBe(200);
  });
  afterAll(async () => {
    await t?.close();
    await new Promise((done) => oldApp?.close(done));
  });

  it('counts each way in the admin API, and each user once in the total', async () => {
    const response = await root.call({ url: '/admin/stats/moved-users?days=7' });
    expect(response.statusCode, response.body).toBe(200);
    expect(response.json()).toEqual({
      days: 7,
      since: new Date(t.clock.now() - 7 * 86_400_000).toISOString(),
      handed_off: 2,
      lazily_migrated: 1,
      rehashed: 1,
      total: 3,
    });
  });

  it('prints the same counts from tessera legacy-usage: a line under the table, and alone with --moved', async () => {
    const env = cliEnvFor(t);
    const line = 'moved over in the last 30 days: 3 users (2 handed off by your app, 1 lazily migrated, 1 re-hashed at login)';
    expect((await tessera(['legacy-usage'], env)).stdout.trimEnd().split('\n').at(-1)).toBe(line);
    expect((await tessera(['legacy-usage', '--moved'], env)).stdout).toBe(`${line}\n`);
    const json = JSON.parse((await tessera(['legacy-usage', '--moved', '--days', '7', '--json'], env)).stdout);
    expect(json).toMatchObject({ days: 7, handed_off: 2, lazily_migrated: 1, rehashed: 1, total: 3 });
  });

  it('counts only the window asked for', async () => {
    t.clock.advanceSeconds(3 * 86_400);
    const later = await adminClient(t, 'root-later');
    expect((await later.call({ url: '/admin/stats/moved-users?days=2' })).json()).toMatchObject({ handed_off: 0, lazily_migrated: 0, rehashed: 0, total: 0 });
    expect((await later.call({ url: '/admin/stats/moved-users?days=4' })).json()).toMatchObject({ handed_off: 2, total: 3 });
    expect((await later.call({ url: '/admin/stats/moved-users?days=0' })).statusCode).toBe(400);
  });
});
