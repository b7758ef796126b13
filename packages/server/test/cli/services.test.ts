import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliEnvFor } from '../support/admin.js';
import { tessera } from '../support/cli.js';
import { testClockAtRealTime } from '../support/clock.js';
import { startTestInstance, type TestInstance } from '../support/tessera.js';

describe('tessera services add|list|revoke', () => {
  let t: TestInstance;
  let env: Record<string, string>;
  beforeAll(async () => {
    // At real time: the CLI revokes at the real now, and only access tokens unexpired then are revoked.
    t = await startTestInstance({}, { clock: testClockAtRealTime() });
    env = cliEnvFor(t);
  });
  afterAll(() => t.close());

  const clientToken = (id: string, secret: string) =>
    t.app.inject({
      method: 'POST',
      url: '/oauth/token',
      headers: { authorization: `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'grant_type=client_credentials&resource=https%3A%2F%2Forders.example.com',
    });

  it('add prints the client_id and the secret once; the server accepts them at once', async () => {
    const added = await tessera(['services', 'add', 'billing'], env);
    expect(added.code, added.stderr).toBe(0);
    const [, idLine, secretLine, warning] = added.stdout.trimEnd().split('\n');
    const clientId = /^client_id\s+(svc_\S+)$/.exec(idLine!)![1]!;
    const secret = /^client_secret\s+(\S{43})$/.exec(secretLine!)![1]!;
    expect(warning).toBe('Keep the secret now: it is shown only this once.');
    expect((await clientToken(clientId, secret)).statusCode).toBe(200);
    expect((await tessera(['services', 'list'], env)).stdout).not.toContain(secret);
  });

  it('add --json gives the same as JSON; list shows the services; revoke refuses their credentials', async () => {
    const added = JSON.parse((await tessera(['services', 'add', 'orders', '--audience', 'https://orders.example.com', '--json'], env)).stdout);
    expect(added).toMatchObject({ name: 'orders', client_id: expect.stringMatching(/^svc_/), client_secret: expect.any(String), audience: 'https://orders.example.com', state: 'active' });
    const listed = JSON.parse((await tessera(['services', 'list', '--json'], env)).stdout) as Array<{ name: string; state: string }>;
    expect(listed.map((s) => [s.name, s.state])).toEqual([['billing', 'active'], ['orders', 'active']]);

    const revoked = await tessera(['services', 'revoke', 'orders'], env);
    expect(revoked.stdout).toBe(`revoked service orders (${added.client_id}): its credentials and tokens are refused from now on\n`);
    expect((await clientToken(added.client_id, added.client_secret)).statusCode).toBe(401);
    const [event] = await t.tessera.audit.query({ type: 'admin.service.revoke', limit: 1 });
    expect(event).toMatchObject({ actor: 'cli', detail: { name: 'orders', clientId: added.client_id, revokedFamilies: 0 } });
  });

  it('token-exchange on lets a running server accept the service\'s exchanges at once, off refuses them again, both audited', async () => {
    const added = JSON.parse((await tessera(['services', 'add', 'webapp', '--json'], env)).stdout);
    expect(added.token_exchange).toBe('off');
    await t.tessera.users.create({ username: 'dora', password: 'correct horse battery', role: 'user' });
    const exchange = () =>
      t.app.inject({
        method: 'POST',
        url: '/oauth/token',
        headers: { authorization: `Basic ${Buffer.from(`${added.client_id}:${added.client_secret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
        payload: new URLSearchParams({
          grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange',
          subject_token: 'dora',
          subject_token_type: 'urn:tessera:params:oauth:token-type:username',
        }).toString(),
      });
    expect((await exchange()).json().error).toBe('unauthorized_client');

    const on = await tessera(['services', 'token-exchange', 'webapp', 'on'], env);
    expect(on.stdout).toBe('service webapp may now exchange its signed-in users for token pairs (admin and service users excepted)\n');
    const handedOver = (await exchange()).json() as { access_token: string; refresh_token: string };
    const apiUsers = () => t.app.inject({ method: 'GET', url: '/api/users', headers: { authorization: `Bearer ${handedOver.access_token}` } });
    expect((await apiUsers()).statusCode).toBe(200);
    const listed = JSON.parse((await tessera(['services', 'list', '--json'], env)).stdout) as Array<{ name: string; token_exchange: string }>;
    expect(listed.find((s) => s.name === 'webapp')?.token_exchange).toBe('on');

    const off = JSON.parse((await tessera(['services', 'token-exchange', 'webapp', 'off', '--json'], env)).stdout);
    expect(off).toMatchObject({ name: 'webapp', token_exchange: 'off', revoked_families: 1 });
    expect((await exchange()).json().error).toBe('unauthorized_client');
    // dora, signed in by the service, is signed out on the running server: her refresh token at once, her access token once it reads the revocations.
    const refresh = await t.app.inject({ method: 'POST', url: '/auth/refresh', payload: { refresh_token: handedOver.refresh_token } });
    expect([refresh.statusCode, refresh.json().error]).toEqual([401, 'invalid_grant']);
    await t.tessera.revocationFeed.poll();
    expect((await apiUsers()).statusCode).toBe(401);
    const events = await t.tessera.audit.query({ type: 'admin.service.token_exchange', limit: 2 });
    expect(events.map((e) => [e.actor, e.detail])).toEqual([
      ['cli', { name: 'webapp', clientId: added.client_id, allowed: false, revokedFamilies: 1 }],
      ['cli', { name: 'webapp', clientId: added.client_id, allowed: true }],
    ]);
  });

  it('token-exchange takes only on or off, and only an active service', async () => {
    expect(await tessera(['services', 'token-exchange', 'webapp', 'yes'], env)).toMatchObject({ code: 1, stderr: expect.stringMatching(/must be on or off/) });
    expect(await tessera(['services', 'token-exchange', 'orders', 'on'], env)).toMatchObject({ code: 1, stderr: expect.stringMatching(/No active service named "orders"/) });
  });

  it('says what is wrong with a taken name or an unknown service, exiting 1', async () => {
    const taken = await tessera(['services', 'add', 'billing'], env);
    expect(taken).toMatchObject({ code: 1, stderr: expect.stringMatching(/already exists/) });
    const unknown = await tessera(['services', 'revoke', 'nothing'], env);
    expect(unknown).toMatchObject({ code: 1, stderr: expect.stringMatching(/No active service named "nothing"/) });
  });

  it('revoke signs out the users the service signed in by token exchange, saying how many', async () => {
    const added = JSON.parse((await tessera(['services', 'add', 'shop', '--json'], env)).stdout);
    await tessera(['services', 'token-exchange', 'shop', 'on'], env);
    await t.tessera.users.create({ username: 'erin', password: 'correct horse battery', role: 'user' });
    const exchanged = await t.app.inject({
      method: 'POST',
      url: '/oauth/token',
      headers: { authorization: `Basic ${Buffer.from(`${added.client_id}:${added.client_secret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Atoken-exchange&subject_token=erin&subject_token_type=urn%3Atessera%3Aparams%3Aoauth%3Atoken-type%3Ausername',
    });
    const { refresh_token: refreshToken } = exchanged.json() as { refresh_token: string };
    const revoked = await tessera(['services', 'revoke', 'shop'], env);
    expect(revoked.stdout).toBe(`revoked service shop (${added.client_id}): its credentials and tokens are refused from now on; 1 login it started by token exchange is signed out\n`);
    const refresh = await t.app.inject({ method: 'POST', url: '/auth/refresh', payload: { refresh_token: refreshToken } });
    expect([refresh.statusCode, refresh.json().error]).toEqual([401, 'invalid_grant']);
  });
});
